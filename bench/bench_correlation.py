"""Correlation: in how many other incidents was each indicator of an incident seen?

200,000 indicators over 5,000 incidents at 200 hospitals, as a vetted member
company's expert sees them: on the response team of 40 incidents and of a
company that hospitals named on 300 more, so the access policy is part of every
query (the expert is no coordinator). Incidents and indicators carry every
label, with the named organisations and people the services would give them.
Values recur the way a wave's infrastructure does: half of all rows come from a
pool of 20,000 values drawn with a long tail (a few C2 addresses turn up
everywhere, most values a few times), the other half are seen once.

Measured: `ttc.incidents.indicators.correlation_counts(incident, user)` for an
incident with 1,000 indicators. Baseline in the same run: the same call with
the index on `Indicator.key` dropped (every index on that column alone; the
unique index on (incident, key) stays, as it starts with the incident), then
re-created from its own definition. The two alternate in blocks, so that
drift on a shared machine hits both; both must give the same counts.

Figures: median and 95th percentile per call of each, the index used by each
query plan (EXPLAIN), the result size. Target: the indexed call takes at most
half the unindexed one (ratio ≤ 0.5).
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.tlp import TLP
from ttc.incidents.indicators import correlation_counts
from ttc.incidents.models import (
    Incident,
    Indicator,
    IndicatorKind,
    Responder,
    indicator_key,
)
from ttc.members.models import Membership, MemberStatus, Organisation, OrganisationKind

INDICATORS = 200_000
INCIDENTS = 5_000
TARGET_INDICATORS = 1_000
HOSPITALS = 200
UMBRELLAS = 10
COMPANIES = 30
POOL = 20_000
#: Share of the rows whose value comes from the recurring pool.
RECURRING = 0.5
TEAM_INCIDENTS = 40
NAMED_INCIDENTS = 300
BLOCKS = 4
RUNS_PER_BLOCK = 5
TARGET = 0.5
EMAIL = "{}@correlation.bench.test"

INCIDENT_LABELS = ([TLP.AMBER_STRICT] * 60 + [TLP.AMBER] * 10 + [TLP.GREEN] * 15
                   + [TLP.RED] * 5 + [TLP.CLEAR] * 10)  # fmt: skip
INDICATOR_LABELS = ([TLP.AMBER_STRICT] * 45 + [TLP.AMBER] * 10 + [TLP.GREEN] * 25
                    + [TLP.RED] * 5 + [TLP.CLEAR] * 15)  # fmt: skip
TLDS = ["com", "net", "nl", "top", "xyz", "ru", "info", "io"]
#: Public unicast ranges only: no private, loopback or shared address comes out.
FIRST_OCTETS = [45, 77, 91, 109, 141, 176, 185, 193, 194, 212]
WORDS = ["update", "cdn", "secure", "login", "sync", "mail", "portal", "files", "api", "zorg"]


def _value(kind: str, number: int) -> str:
    """A distinct, plausible value of `kind` for each number."""
    digest = hashlib.sha256(f"{kind}:{number}".encode()).digest()
    word = WORDS[digest[0] % len(WORDS)]
    tld = TLDS[digest[1] % len(TLDS)]
    domain = f"{word}-{number}.{tld}"
    if kind == IndicatorKind.IPV4:
        first = FIRST_OCTETS[digest[2] % len(FIRST_OCTETS)]
        return f"{first}.{digest[3]}.{number >> 8 & 255}.{number & 255}"
    if kind == IndicatorKind.IPV6:
        return f"2a0b:{digest[2]:x}{digest[3]:02x}::{number:x}"
    if kind == IndicatorKind.DOMAIN:
        return domain
    if kind == IndicatorKind.URL:
        return f"https://{domain}/{digest[4:8].hex()}/index.php?id={number}"
    if kind == IndicatorKind.EMAIL:
        return f"{word}.{number}@{domain}"
    if kind == IndicatorKind.MD5:
        return hashlib.md5(digest, usedforsecurity=False).hexdigest()
    if kind == IndicatorKind.SHA1:
        return hashlib.sha1(digest, usedforsecurity=False).hexdigest()
    if kind == IndicatorKind.SHA256:
        return hashlib.sha256(digest).hexdigest()
    return f"{word}_{number}.exe"


class World:
    """The data, and the people the measured call runs as."""

    def __init__(self) -> None:
        self.rng = random.Random(2020)
        self.now = timezone.now()
        self.kinds = list(IndicatorKind.values)

    def build(self) -> tuple[Incident, User]:
        rng = self.rng
        umbrellas = Organisation.objects.bulk_create(
            Organisation(
                name=f"Koepel {i}",
                kind=OrganisationKind.UMBRELLA,
                status=MemberStatus.APPROVED,
                vetted_at=self.now,
            )
            for i in range(UMBRELLAS)
        )
        hospitals = Organisation.objects.bulk_create(
            Organisation(
                name=f"Ziekenhuis {i}",
                kind=OrganisationKind.HOSPITAL,
                status=MemberStatus.APPROVED,
                vetted_at=self.now,
                umbrella=umbrellas[i % UMBRELLAS],
            )
            for i in range(HOSPITALS)
        )
        companies = Organisation.objects.bulk_create(
            Organisation(
                name=f"Lid {i}",
                kind=OrganisationKind.MEMBER_COMPANY,
                status=MemberStatus.APPROVED,
                vetted_at=self.now,
            )
            for i in range(COMPANIES)
        )
        reporters = User.objects.bulk_create(
            User(email=EMAIL.format(f"ciso{i}"), password="!") for i in range(HOSPITALS)
        )
        Membership.objects.bulk_create(
            Membership(user=person, organisation=hospital, role="admin")
            for person, hospital in zip(reporters, hospitals, strict=True)
        )
        expert = User.objects.create(email=EMAIL.format("expert"), password="!")
        coordinator = User.objects.create(
            email=EMAIL.format("coordinator"), password="!", is_coordinator=True
        )
        Membership.objects.create(user=expert, organisation=companies[0], role="member")
        self.company = companies[0]

        incidents = []
        for number in range(INCIDENTS):
            at = rng.randrange(len(hospitals))
            incidents.append(
                Incident(
                    reference=f"TTC-BENCH-{number:05d}",
                    title=f"Incident {number}",
                    description="Correlation benchmark",
                    detected_at=self.now - timedelta(days=rng.randint(1, 700)),
                    category="malicious-code",
                    severity=rng.randint(1, 4),
                    contact_name="Bench",
                    contact_phone="+31 20 000 0000",
                    organisation=hospitals[at],
                    reported_via=hospitals[at].umbrella if rng.random() < 0.2 else None,
                    tlp=TLP.AMBER_STRICT if number == 0 else rng.choice(INCIDENT_LABELS),
                    created_by=reporters[at],
                )
            )
        incidents = Incident.objects.bulk_create(incidents, batch_size=1_000)
        self.named = {incident.pk: [incident.organisation_id] for incident in incidents}
        for incident in incidents:
            if incident.reported_via_id:
                self.named[incident.pk].append(incident.reported_via_id)
        # Hospitals shared some of their incidents with the expert's company.
        for incident in rng.sample(incidents, NAMED_INCIDENTS):
            self.named[incident.pk].append(self.company.pk)
        self._recipients(Incident, incidents, {i.pk: [i.created_by_id] for i in incidents})
        target = incidents[0]
        team = [target, *rng.sample(incidents[1:], TEAM_INCIDENTS - 1)]
        Responder.objects.bulk_create(
            Responder(
                incident=incident,
                person=expert,
                organisation=self.company,
                status=Responder.Status.ACCEPTED,
                invited_by=coordinator,
                answered_at=self.now,
            )
            for incident in team
        )
        self._indicators(incidents)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # as autovacuum would have done
                cursor.execute("ANALYZE")
        return target, expert

    def _recipients(
        self, model: type[Incident] | type[Indicator], rows: list, people: dict[int, list[int]]
    ) -> None:
        """Each row names its incident's organisations and the given people."""
        orgs_link: type[Model] = model.recipient_orgs.through
        people_link: type[Model] = model.recipient_people.through
        field = model._meta.model_name
        orgs_link._default_manager.bulk_create(
            (
                orgs_link(**{f"{field}_id": row.pk, "organisation_id": org})
                for row in rows
                for org in self.named[row.pk if model is Incident else row.incident_id]
            ),
            batch_size=5_000,
        )
        people_link._default_manager.bulk_create(
            (
                people_link(**{f"{field}_id": row.pk, "user_id": person})
                for row in rows
                for person in people[row.pk]
            ),
            batch_size=5_000,
        )

    def _indicators(self, incidents: list[Incident]) -> None:
        rng = self.rng
        weights = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(POOL)))
        pool = [
            (self.kinds[n % len(self.kinds)], _value(self.kinds[n % 9], n)) for n in range(POOL)
        ]
        sizes = [TARGET_INDICATORS, *self._sizes(INDICATORS - TARGET_INDICATORS, INCIDENTS - 1)]
        fresh = itertools.count(POOL)
        for start in range(0, INCIDENTS, 500):
            rows: list[Indicator] = []
            for incident, size in zip(
                incidents[start : start + 500], sizes[start : start + 500], strict=True
            ):
                recurring = round(size * RECURRING)
                chosen = set(rng.choices(range(POOL), cum_weights=weights, k=recurring))
                values = [pool[n] for n in chosen]
                while len(values) < size:
                    number = next(fresh)
                    kind = self.kinds[number % len(self.kinds)]
                    values.append((kind, _value(kind, number)))
                for kind, value in values:
                    seen = incident.detected_at + timedelta(hours=rng.randint(0, 72))
                    rows.append(
                        Indicator(
                            incident=incident,
                            kind=kind,
                            value=value,
                            key=indicator_key(kind, value),
                            first_seen=seen,
                            last_seen=seen,
                            tlp=rng.choice(INDICATOR_LABELS),
                            source=Indicator.Source.PASTE,
                            created_by_id=incident.created_by_id,
                        )
                    )
            created = Indicator.objects.bulk_create(rows, batch_size=2_000)
            self._recipients(Indicator, created, {row.pk: [row.created_by_id] for row in created})

    def _sizes(self, total: int, count: int) -> list[int]:
        """`count` incident sizes between 5 and 200 that add up to `total`."""
        raw = [self.rng.lognormvariate(3.4, 0.8) for _ in range(count)]
        scale = total / sum(raw)
        sizes = [max(5, min(200, round(value * scale))) for value in raw]
        index = 0
        while (difference := total - sum(sizes)) != 0:
            step = 1 if difference > 0 else -1
            if 5 <= sizes[index] + step <= 200:
                sizes[index] += step
            index = (index + 1) % count
        return sizes


# -- the index on `key` ------------------------------------------------------------------------


def _key_indexes() -> dict[str, str]:
    """Name and definition of every index on `key` alone."""
    table = Indicator._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        names = [
            name
            for name, info in constraints.items()
            if info["index"] and info["columns"] == ["key"] and not info["primary_key"]
        ]
        definitions = {}
        for name in names:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
            else:
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name]
                )
            definitions[name] = cursor.fetchone()[0]
    return definitions


def _drop(indexes: dict[str, str]) -> None:
    with connection.cursor() as cursor:
        for name in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")


def _create(indexes: dict[str, str]) -> None:
    with connection.cursor() as cursor:
        for definition in indexes.values():
            cursor.execute(definition)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {Indicator._meta.db_table}")


#: How the plans name the index a step reads.
_PLAN_INDEX = re.compile(
    r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan using|Bitmap Index Scan on) (\w+)"
)


def _query_plan(sql: str, tag: str) -> str:
    """The plan of `sql`. The tag keeps SQLite from answering with a plan it
    prepared before the schema changed."""
    explain = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        cursor.execute(f"{explain} {sql} /* {tag} */")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _indicator_indexes(plan: str) -> list[str]:
    """The indexes of the indicator table itself that the plan reads."""
    table = Indicator._meta.db_table
    with connection.cursor() as cursor:
        own = set(connection.introspection.get_constraints(cursor, table))
    return sorted(
        {
            name
            for name in _PLAN_INDEX.findall(plan)
            if name in own or name.startswith(f"sqlite_autoindex_{table}_")
        }
    )


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def run() -> dict:
    built = time.perf_counter()
    target, expert = World().build()
    build_seconds = time.perf_counter() - built
    indexes = _key_indexes()
    if not indexes:
        raise RuntimeError("no index on Indicator.key to measure")

    def correlate() -> dict[str, int]:
        expert.__dict__.pop("_memberships", None)  # as on a new request
        return correlation_counts(target, expert)

    with CaptureQueriesContext(connection) as queries:
        indexed_result = correlate()
    sql = queries.captured_queries[-1]["sql"]
    indexed_plan = _indicator_indexes(_query_plan(sql, "indexed"))

    indexed_times: list[float] = []
    unindexed_times: list[float] = []
    unindexed_result: dict[str, int] = {}
    unindexed_plan: list[str] = []
    try:
        for _ in range(BLOCKS):
            correlate()  # warm
            indexed_times += [_timed(correlate) for _ in range(RUNS_PER_BLOCK)]
            _drop(indexes)
            try:
                unindexed_result = correlate()  # warm, and the answer to compare
                unindexed_plan = unindexed_plan or _indicator_indexes(_query_plan(sql, "unindexed"))
                unindexed_times += [_timed(correlate) for _ in range(RUNS_PER_BLOCK)]
            finally:
                _create(indexes)
    finally:
        if not _key_indexes():
            _create(indexes)
    identical = indexed_result == unindexed_result
    assert identical, "the index changed the answer"

    visible_keys = len(indexed_result)
    median_indexed = statistics.median(indexed_times)
    median_unindexed = statistics.median(unindexed_times)
    ratio = median_indexed / median_unindexed
    index_names = sorted(indexes)
    return {
        "name": "correlation",
        "figures": {
            "database": connection.vendor,
            "indicators": Indicator.objects.count(),
            "incidents": Incident.objects.count(),
            "indicators_on_incident": Indicator.objects.filter(incident=target).count(),
            "distinct_values": Indicator.objects.values("key").distinct().count(),
            "keys_seen_elsewhere": visible_keys,
            "other_sightings_counted": sum(indexed_result.values()),
            "runs": len(indexed_times),
            "median_ms": round(median_indexed * 1000, 3),
            "p95_ms": round(_p95(indexed_times) * 1000, 3),
            "index": ", ".join(index_names),
            "indexes_in_plan": ", ".join(indexed_plan),
            "identical_results": identical,
            "build_seconds": round(build_seconds, 1),
        },
        "baseline": {
            "median_ms": round(median_unindexed * 1000, 3),
            "p95_ms": round(_p95(unindexed_times) * 1000, 3),
            "indexes_in_plan": ", ".join(unindexed_plan),
        },
        "ratio": round(ratio, 4),
        "target": TARGET,
        "met": ratio <= TARGET
        and identical
        and visible_keys > 0
        and bool(set(index_names) & set(indexed_plan))
        and not set(index_names) & set(unindexed_plan),
    }
