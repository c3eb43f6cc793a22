"""The append-only, hash-chained audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

if TYPE_CHECKING:
    from django.db.models import Model

    from ttc.accounts.models import User
    from ttc.core.models import AuditEvent

# Any constant works; it names the PostgreSQL advisory lock that serialises
# writers so that each event links to the one before it.
_CHAIN_LOCK = 7_420_2020


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    # SQLite runs with transaction_mode IMMEDIATE: one writer at a time already.


def object_ref(obj: Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


@dataclass(frozen=True)
class Event:
    """What happened, before it takes its place in the chain."""

    actor: User | None
    action: str
    summary: str
    obj: Model | None = None
    data: dict[str, Any] | None = None


@transaction.atomic
def record_all(events: list[Event]) -> list[AuditEvent]:
    """Append events to the chain in order, in a fixed number of queries."""
    from ttc.core.models import GENESIS_HASH, AuditEvent

    if not events:
        return []
    _lock_chain()
    prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    rows = []
    for event in events:
        object_type, object_id = object_ref(event.obj)
        row = AuditEvent(
            actor=event.actor,
            action=event.action,
            object_type=object_type,
            object_id=object_id,
            summary=event.summary[:300],
            data=event.data or {},
            prev_hash=prev or GENESIS_HASH,
        )
        row.hash = prev = row.compute_hash()
        rows.append(row)
    # Ids follow insertion order, which is the chain's order.
    return AuditEvent.objects.bulk_create(rows)


def record(
    *,
    actor: User | None,
    action: str,
    summary: str,
    obj: Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return record_all([Event(actor, action, summary, obj, data)])[0]


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str = ""
    #: The last event's id and hash. Kept outside the database, it later proves
    #: that nothing was cut from the end of the chain (see `holds_head`).
    head_id: int | None = None
    head_hash: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain() -> ChainReport:
    """Walk the chain in order; name the first event that does not fit."""
    from ttc.core.models import GENESIS_HASH, AuditEvent

    expected_prev = GENESIS_HASH
    checked = 0
    head_id = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return ChainReport(checked, event.pk, "does not link to the event before it")
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.pk, "its content was changed")
        expected_prev = event.hash
        head_id = event.pk
        checked += 1
    return ChainReport(checked, None, head_id=head_id if checked else None, head_hash=expected_prev)


def holds_head(head_id: int, head_hash: str) -> bool:
    """Whether an earlier head is still in the chain, unchanged."""
    from ttc.core.models import AuditEvent

    return AuditEvent.objects.filter(pk=head_id, hash=head_hash).exists()
