from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ttc.helprequests.engagements import proposals_follow_up
from ttc.helprequests.services import stale_requests_check


class Command(BaseCommand):
    help = (
        "Run the help-request checks now (the same ones the scheduled tasks run): "
        "ask about untouched requests and close the unanswered ones; remind members "
        "of proposals due soon and pass expired ones to the next candidate. "
        "Running it twice changes nothing the second time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stale = stale_requests_check()
        follow_up = proposals_follow_up()
        self.stdout.write(f"asked whether still needed: {stale.asked}")
        self.stdout.write(f"closed without an answer: {stale.closed}")
        self.stdout.write(f"proposal reminders sent: {follow_up.reminded}")
        self.stdout.write(f"proposals expired: {follow_up.expired}")
        self.stdout.write(f"proposals withdrawn, member no longer eligible: {follow_up.withdrawn}")
        self.stdout.write(self.style.SUCCESS("OK"))
