from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ttc.core.audit import verify_chain


class Command(BaseCommand):
    help = "Prove the audit log's hash chain intact, or name the first broken event."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.intact:
            raise CommandError(
                f"BROKEN at event #{report.first_broken_id}: {report.reason} "
                f"({report.checked} events before it are intact)"
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {report.checked} events, chain intact"))
