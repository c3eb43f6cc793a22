from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ttc.members.compliance import daily_checks
from ttc.members.models import Organisation


def _names(pks: list[int]) -> str:
    names = Organisation.objects.filter(pk__in=pks).values_list("name", flat=True)
    return ", ".join(sorted(names)) or "none"


class Command(BaseCommand):
    help = (
        "Run the daily membership checks now (the same ones the 06:05 task runs): "
        "compliance, tax statement reminders, ended suspensions and expiry. "
        "Running it twice on the same day changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            dest="day",
            metavar="YYYY-MM-DD",
            help="check as on this day (default: today)",
        )

    def handle(self, *args: Any, day: str | None = None, **options: Any) -> None:
        today = None
        if day:
            try:
                today = datetime.strptime(day, "%Y-%m-%d").date()
            except ValueError:
                raise CommandError(f"--date takes a date like 2020-04-01, not {day!r}") from None
        report = daily_checks(today=today)
        self.stdout.write(f"members checked: {report.checked}")
        self.stdout.write(f"reminders sent: {report.reminders}")
        self.stdout.write(f"suspensions ended: {_names(report.reinstated)}")
        self.stdout.write(f"memberships expired: {_names(report.expired)}")
        noncompliant = (
            Organisation.objects.members()
            .vetted()
            .filter(noncompliant_since__isnull=False)
            .values_list("pk", flat=True)
        )
        self.stdout.write(f"not compliant: {_names(list(noncompliant))}")
        self.stdout.write(self.style.SUCCESS("OK"))
