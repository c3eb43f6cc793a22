"""Indicators of compromise: saving what a responder reviewed, correlation,
the member feed, and exports and imports through the access policy.

Every reader here goes through `ttc.core.access`: an indicator has its own
label, and correlation counts only incidents (and indicators) the viewer may see.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext as _

from ttc.core import access, audit
from ttc.core.tlp import TLP, is_wider, most_restrictive
from ttc.incidents import exchange
from ttc.incidents.models import Incident, Indicator, IndicatorKind, indicator_key
from ttc.incidents.services import may_work_on
from ttc.lib import indicators as ioc

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

    from ttc.accounts.models import User

#: More than this in one save is refused: split the list.
MAX_PER_SAVE = 10_000
#: The member feed pages through at most this many indicators per call.
FEED_PAGE = 5_000


@dataclass(frozen=True)
class Item:
    """One indicator as the responder reviewed it."""

    kind: str
    value: str
    tlp: str
    comment: str = ""


@dataclass(frozen=True)
class Saved:
    #: New to the person saving. An indicator already on the incident under a
    #: label they may not see counts here too, so that saving never tells them
    #: it exists.
    created: int
    #: Already on the incident, visible to them: one more sighting each.
    seen_again: int


def _normalised(items: Sequence[Item]) -> list[Item]:
    """Every item valid and normalised, or a ValidationError naming each bad one:
    a list is saved whole or not at all."""
    if len(items) > MAX_PER_SAVE:
        raise ValidationError(_("Save at most %(max)s indicators at once.") % {"max": MAX_PER_SAVE})
    errors = []
    clean = []
    for number, item in enumerate(items, start=1):
        if item.kind not in IndicatorKind.values:
            errors.append(
                _("Line %(n)s: unknown type “%(kind)s”.") % {"n": number, "kind": item.kind}
            )
            continue
        if item.tlp not in TLP.values:
            errors.append(_("Line %(n)s: unknown TLP label.") % {"n": number})
            continue
        if len(item.comment) > 500:
            errors.append(_("Line %(n)s: keep the comment under 500 characters.") % {"n": number})
            continue
        try:
            value = ioc.normalise(item.kind, item.value)
        except ioc.InvalidIndicator as error:
            errors.append(
                _("Line %(n)s: %(value)s — %(reason)s")
                % {"n": number, "value": item.value[:100], "reason": error}
            )
            continue
        clean.append(Item(item.kind, value, item.tlp, item.comment.strip()))
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def indicators_save(
    *,
    incident: Incident,
    actor: User,
    items: Sequence[Item],
    source: str = Indicator.Source.MANUAL,
    seen_at: datetime | None = None,
) -> Saved:
    """Save reviewed indicators on an incident. One already on it counts as a
    new sighting (last seen moves on); a new one takes the incident's named
    recipients under its own label."""
    if not may_work_on(actor, incident):
        raise PermissionDenied(
            _("Only the response team, the reporting organisation and coordinators add indicators.")
        )
    clean = _normalised(items)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    now = timezone.now()
    seen = seen_at or now
    by_key: dict[str, Item] = {}
    for item in clean:
        by_key.setdefault(indicator_key(item.kind, item.value), item)
    existing = {
        row.key: row for row in Indicator.objects.filter(incident=incident, key__in=list(by_key))
    }
    visible = set(
        visible_indicators(incident, actor)
        .filter(pk__in=[row.pk for row in existing.values()])
        .values_list("pk", flat=True)
    )
    for row in existing.values():
        row.sightings += 1
        row.last_seen = max(row.last_seen, seen)
        row.first_seen = min(row.first_seen, seen)
        row.updated_at = now
    Indicator.objects.bulk_update(
        existing.values(), ["sightings", "last_seen", "first_seen", "updated_at"], batch_size=500
    )
    new = [
        Indicator(
            incident=incident,
            kind=item.kind,
            value=item.value,
            key=key,
            tlp=item.tlp,
            comment=item.comment,
            first_seen=seen,
            last_seen=seen,
            source=source,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        for key, item in by_key.items()
        if key not in existing
    ]
    Indicator.objects.bulk_create(new, batch_size=500)
    created = list(Indicator.objects.filter(incident=incident, key__in=[row.key for row in new]))
    _name_recipients(incident, created)
    Incident.objects.filter(pk=incident.pk).update(updated_at=now)
    audit.record(
        actor=actor,
        action="incident.indicators.save",
        obj=incident,
        summary=f"{incident.reference}: {len(new)} new, {len(existing)} seen again ({source})",
        data={"new": len(new), "seen_again": len(existing), "source": source},
    )
    seen_again = sum(1 for row in existing.values() if row.pk in visible)
    return Saved(created=len(by_key) - seen_again, seen_again=seen_again)


def _name_recipients(incident: Incident, rows: Sequence[Indicator]) -> None:
    """A new indicator is shared with the incident's named organisations and
    people: its label decides which of the two the access policy reads."""
    if not rows:
        return
    orgs = list(incident.recipient_orgs.values_list("pk", flat=True))
    people = list(incident.recipient_people.values_list("pk", flat=True))
    org_link = Indicator.recipient_orgs.through
    people_link = Indicator.recipient_people.through
    org_link.objects.bulk_create(
        [org_link(indicator_id=row.pk, organisation_id=org) for row in rows for org in orgs],
        batch_size=1_000,
    )
    people_link.objects.bulk_create(
        [people_link(indicator_id=row.pk, user_id=person) for row in rows for person in people],
        batch_size=1_000,
    )


@transaction.atomic
def indicator_sighting(*, indicator: Indicator, actor: User) -> Indicator:
    """Seen again: one more sighting, last seen now."""
    indicator = (
        Indicator.objects.select_for_update().select_related("incident").get(pk=indicator.pk)
    )
    if not may_work_on(actor, indicator.incident):
        raise PermissionDenied(_("Only people working on the incident record sightings."))
    now = timezone.now()
    indicator.sightings += 1
    indicator.last_seen = now
    indicator.updated_at = now
    indicator.save(update_fields=["sightings", "last_seen", "updated_at"])
    audit.record(
        actor=actor, action="incident.indicator.sighting", obj=indicator, summary=str(indicator)
    )
    return indicator


@transaction.atomic
def indicator_relabel(*, indicator: Indicator, actor: User, tlp: str) -> Indicator:
    indicator = (
        Indicator.objects.select_for_update().select_related("incident").get(pk=indicator.pk)
    )
    if not may_work_on(actor, indicator.incident):
        raise PermissionDenied(_("Only people working on the incident change labels."))
    if tlp not in TLP.values:
        raise ValidationError({"tlp": _("Choose a TLP label.")})
    if is_wider(tlp, indicator.tlp) and not (
        actor.is_coordinator or indicator.created_by_id == actor.pk
    ):
        # Sharing more widely is the source's decision, never the case's.
        raise PermissionDenied(
            _("Only whoever added the indicator, or a coordinator, shares it more widely.")
        )
    before = indicator.tlp
    indicator.tlp = tlp
    indicator.updated_at = timezone.now()
    indicator.save(update_fields=["tlp", "updated_at"])
    audit.record(
        actor=actor,
        action="incident.indicator.relabel",
        obj=indicator,
        summary=f"{indicator}: {before} → {tlp}",
    )
    return indicator


@transaction.atomic
def indicator_delete(*, indicator: Indicator, actor: User) -> None:
    if not may_work_on(actor, indicator.incident):
        raise PermissionDenied(_("Only people working on the incident remove indicators."))
    audit.record(
        actor=actor,
        action="incident.indicator.delete",
        obj=indicator.incident,
        summary=f"{indicator.incident.reference}: removed {indicator.kind}",
    )
    indicator.delete()


# -- reading -----------------------------------------------------------------------------------


def matching(text: str) -> Q:
    """Indicators matching a pasted value: its own indicator exactly (defanged
    or not, in any spelling that normalises the same), and any indicator
    containing it."""
    condition = Q(value__icontains=ioc.refang(text).strip())
    kind = ioc.detect_kind(text)
    if kind is not None:
        with contextlib.suppress(ioc.InvalidIndicator):
            value = ioc.normalise(kind, text)
            condition |= Q(key=indicator_key(str(kind), value)) | Q(value__icontains=value)
    return condition


def lookup(text: str, user: User | AnonymousUser) -> QuerySet[Indicator]:
    """The indicators the person may see matching a pasted value, latest seen first."""
    return access.visible_to(Indicator.objects.filter(matching(text)), user).order_by(
        "-last_seen", "-pk"
    )


def visible_indicators(incident: Incident, user: User) -> QuerySet[Indicator]:
    return access.visible_to(Indicator.objects.filter(incident=incident), user)


class _AmongSubquery(In):
    """`lhs IN (subquery)`, written `lhs = ANY(ARRAY(subquery))` on PostgreSQL.

    The same rows either way. PostgreSQL makes a join of `IN (subquery)`, and
    prices that join's index lookups as if each rebuilt the access filter's
    hashed subplans, so it scans the whole table instead. Read once into an
    array, the keys go into one index scan on `key`, which builds the filter once.
    """

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def correlation_counts(incident: Incident, user: User) -> dict[str, int]:
    """For each indicator key of `incident`, in how many other incidents it was
    seen: counting only incidents the viewer may see, and only where the
    viewer may see the indicator there too. One query."""
    visible_incidents = access.visible_to(Incident.objects.all(), user).values("pk")
    keys = Indicator.objects.filter(incident=incident).order_by().values("key")
    others = (
        access.visible_to(Indicator.objects.all(), user)
        .filter(_AmongSubquery(F("key"), keys))
        .exclude(incident=incident)
        .filter(incident__in=visible_incidents)
    )
    return dict(
        others.values("key")
        .annotate(count=Count("incident", distinct=True))
        .values_list("key", "count")
    )


def correlated_incidents(indicator: Indicator, user: User) -> QuerySet[Incident]:
    """The other incidents the viewer may see where the same indicator was seen
    (and where they may see it)."""
    rows = access.visible_to(Indicator.objects.filter(key=indicator.key), user).exclude(
        incident_id=indicator.incident_id
    )
    return access.visible_to(Incident.objects.all(), user).filter(pk__in=rows.values("incident_id"))


#: A time, then a time-zone offset whose `+` became a space in a query string.
_SPACED_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def parse_since(raw: str | None) -> datetime | None:
    """The feed's `since`: an ISO 8601 date or moment, UTC when it has no time
    zone. A `+` left unencoded in a query string arrives as a space: it is read
    as the `+` it was."""
    if raw is None or not raw.strip():
        return None
    text = _SPACED_OFFSET.sub(r"\1+\2", raw.strip()[:64])
    try:
        moment = datetime.fromisoformat(text)
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationError(
            {
                "since": _(
                    "“%(since)s” is not a date or time. Give it in ISO 8601, for example "
                    "2026-03-01 or 2026-03-01T08:00:00Z."
                )
                % {"since": raw[:64]}
            }
        ) from None


def feed(
    user: User, *, since: datetime | None = None, after: int | None = None
) -> QuerySet[Indicator]:
    """TLP:CLEAR and TLP:GREEN indicators from every incident, oldest change
    first, for member security teams. Other labels never enter it, whoever asks.

    The cursor is the last row read: its change time (`since`) and its id
    (`after`). Rows saved together share a change time, so `since` alone starts
    at that moment again (a row may come twice, none is lost)."""
    if not user.is_authenticated or not user.is_vetted:
        raise PermissionDenied(_("The feed is for vetted members."))
    rows = access.visible_to(
        Indicator.objects.filter(tlp__in=[TLP.CLEAR, TLP.GREEN]), user
    ).order_by("updated_at", "pk")
    if since is not None and after is not None:
        rows = rows.filter(Q(updated_at__gt=since) | Q(updated_at=since, pk__gt=after))
    elif since is not None:
        rows = rows.filter(updated_at__gte=since)
    return rows


# -- exchange --------------------------------------------------------------------------------


def incident_record(incident: Incident) -> exchange.IncidentRecord:
    return exchange.IncidentRecord(
        id=incident.uuid,
        reference=incident.reference,
        title=incident.title,
        summary=incident.description,
        category=incident.category,
        severity=incident.severity,
        status=incident.status,
        tlp=incident.tlp,
        detected_at=incident.detected_at,
        reported_at=incident.created_at,
        organisation_name=incident.organisation.name,
        organisation_id=incident.organisation_id,
        modified=incident.updated_at,
    )


def indicator_record(row: Indicator) -> exchange.IndicatorRecord:
    return exchange.IndicatorRecord(
        id=row.uuid,
        kind=row.kind,
        value=row.value,
        tlp=row.tlp,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        sightings=row.sightings,
        comment=row.comment,
        created=row.created_at,
        modified=row.updated_at,
    )


def indicator_records(rows: QuerySet[Indicator]) -> list[exchange.IndicatorRecord]:
    return [indicator_record(row) for row in rows.order_by("pk")]


ExportFormat = Literal["stix", "misp", "csv"]


@dataclass(frozen=True)
class Export:
    content: str
    content_type: str
    filename: str
    #: For the feed: the last row's change time and id, and whether more follow.
    next_since: datetime | None = None
    next_after: int | None = None
    more: bool = False


def incident_export(*, incident: Incident, user: User, fmt: ExportFormat) -> Export:
    """An incident and the indicators the person may see, in an exchange format.
    Audited, like every view of confidential content."""
    if not access.can_view(user, incident):
        raise PermissionDenied(_("You may not see this incident."))
    rows = visible_indicators(incident, user)
    records = indicator_records(rows)
    if fmt == "stix":
        content = exchange.stix_json(exchange.stix_bundle(incident_record(incident), records))
        result = Export(content, "application/stix+json;version=2.1", f"{incident.reference}.json")
    elif fmt == "misp":
        import json

        content = json.dumps(exchange.misp_event(incident_record(incident), records), indent=1)
        result = Export(content, "application/json", f"{incident.reference}.misp.json")
    elif fmt == "csv":
        content = exchange.csv_text(records, incident_reference=incident.reference)
        result = Export(content, "text/csv; charset=utf-8", f"{incident.reference}.csv")
    else:
        raise ValidationError(_("Unknown export format."))
    access.record_views(user, [incident], surface=f"export.{fmt}")
    audit.record(
        actor=user,
        action="incident.export",
        obj=incident,
        summary=f"{incident.reference} as {fmt}: {len(records)} indicators",
        data={"format": fmt, "indicators": len(records)},
    )
    return result


def feed_export(
    *,
    user: User,
    fmt: Literal["stix", "csv"],
    since: datetime | None,
    after: int | None = None,
) -> Export:
    """One page of the feed, with the cursor of the next; audited."""
    rows = list(feed(user, since=since, after=after)[: FEED_PAGE + 1])
    more = len(rows) > FEED_PAGE
    rows = rows[:FEED_PAGE]
    records = [indicator_record(row) for row in rows]
    audit.record(
        actor=user,
        action="incident.feed",
        summary=f"feed as {fmt}: {len(records)} indicators",
        data={"format": fmt, "since": since.isoformat() if since else None, "count": len(records)},
    )
    if fmt == "stix":
        content = exchange.stix_json(exchange.stix_bundle(None, records))
        export = Export(content, "application/stix+json;version=2.1", "ttc-feed.json")
    else:
        export = Export(exchange.csv_text(records), "text/csv; charset=utf-8", "ttc-feed.csv")
    return replace(
        export,
        next_since=rows[-1].updated_at if rows else since,
        next_after=rows[-1].pk if rows else after,
        more=more,
    )


def stix_import(*, incident: Incident, actor: User, data: bytes | str) -> Saved:
    """Attach the indicators of a STIX 2.1 bundle to an incident. A malformed or
    hostile bundle, or one with an invalid indicator, imports nothing."""
    from django.conf import settings

    if not may_work_on(actor, incident):
        raise PermissionDenied(_("Only people working on the incident import indicators."))
    try:
        parsed = exchange.parse_stix(data, max_bytes=settings.TTC_STIX_IMPORT_MAX_BYTES)
    except exchange.ImportRefused as refused:
        raise ValidationError(str(refused), code="refused") from refused
    if not parsed:
        raise ValidationError(_("The bundle holds no indicators."), code="empty")
    # A bundle's marking may narrow an indicator, never share it wider than
    # the incident: widening is for whoever added it, afterwards.
    items = [
        Item(
            kind=row.kind,
            value=row.value,
            tlp=most_restrictive(row.tlp or incident.tlp, incident.tlp),
            comment=row.name[:500],
        )
        for row in parsed
    ]
    return indicators_save(
        incident=incident, actor=actor, items=items, source=Indicator.Source.IMPORT
    )
