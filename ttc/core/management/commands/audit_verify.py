from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ttc.core.audit import holds_head, verify_chain


class Command(BaseCommand):
    help = (
        "Prove the audit log's hash chain intact, or name the first broken event. "
        "Keep the printed head; pass it later with --head to prove nothing was removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--head",
            metavar="ID:HASH",
            help="a head printed by an earlier run; it must still be in the chain",
        )

    def handle(self, *args: Any, head: str | None = None, **options: Any) -> None:
        report = verify_chain()
        if not report.intact:
            raise CommandError(
                f"BROKEN at event #{report.first_broken_id}: {report.reason} "
                f"({report.checked} events before it are intact)"
            )
        if head:
            head_id, _, head_hash = head.partition(":")
            if not head_id.isdigit() or len(head_hash) != 64:
                raise CommandError("--head takes ID:HASH as printed by audit_verify")
            if not holds_head(int(head_id), head_hash):
                raise CommandError(
                    f"BROKEN: event #{head_id} with that hash is gone: events were removed"
                )
        self.stdout.write(self.style.SUCCESS(f"OK: {report.checked} events, chain intact"))
        if report.head_id is not None:
            self.stdout.write(f"head {report.head_id}:{report.head_hash}")
