"""STIX 2.1 export of an incident with 10,000 indicators.

One incident with 10,000 valid indicators of all nine kinds under every label,
exported by a coordinator (who may see every one of them) through
`ttc.incidents.indicators.incident_export(fmt="stix")`: the access-filtered
read, the records, the bundle, the JSON text, and the audit events.

Baseline in the same run: a naive exporter doing the same work with the `stix2`
library's own objects: the same read, then a `stix2.v21.Indicator` and a
`stix2.v21.Relationship` for each indicator (which check each pattern with the
STIX pattern grammar), the identities and the incident, serialised as one
bundle with the same markings. Both run alternately, median of three each.

The export is then held once to the OASIS STIX validator (`stix2-validator`,
STIX 2.1), which takes about a minute on this bundle. Figures: seconds, objects,
bytes, and the validator's verdict with its errors and warnings. Target: the
export takes at most half the naive build (ratio ≤ 0.5), and the validator
finds no error.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import timedelta
from typing import Any

import stix2
from django.db import connection
from django.utils import timezone
from stix2validator import ValidationOptions, validate_string

from bench.timing import paired
from ttc.accounts.models import User
from ttc.core.tlp import TLP, most_restrictive
from ttc.incidents import exchange
from ttc.incidents.indicators import (
    incident_export,
    incident_record,
    indicator_records,
    visible_indicators,
)
from ttc.incidents.models import Incident, Indicator, IndicatorKind, indicator_key
from ttc.lib import indicators as ioc
from ttc.members.models import Membership, MemberStatus, Organisation, OrganisationKind

INDICATORS = 10_000
REPEAT = 3
TARGET = 0.5
EMAIL = "{}@stix-export.bench.test"
LABELS = [TLP.CLEAR] * 2 + [TLP.GREEN] * 3 + [TLP.AMBER] * 1 + [TLP.AMBER_STRICT] * 3 + [TLP.RED]
TLDS = ["com", "net", "nl", "top", "xyz", "info", "io", "org"]
#: Public unicast ranges only: no private, loopback or shared address comes out.
FIRST_OCTETS = [45, 77, 91, 109, 141, 176, 185, 193, 194, 212]
WORDS = ["update", "cdn", "secure", "login", "sync", "mail", "portal", "files", "api", "zorg"]


def _value(kind: str, number: int) -> str:
    """A valid, normalised value of `kind`, distinct for each number."""
    digest = hashlib.sha256(f"{kind}:{number}".encode()).digest()
    word = WORDS[digest[0] % len(WORDS)]
    domain = f"{word}-{number}.{TLDS[digest[1] % len(TLDS)]}"
    first = FIRST_OCTETS[digest[2] % len(FIRST_OCTETS)]
    address = f"{first}.{digest[3]}.{number >> 8 & 255}.{number & 255}"
    raw = {
        IndicatorKind.IPV4: address,
        IndicatorKind.IPV6: f"2a0b:{digest[2]:x}{digest[3]:02x}::{number:x}",
        IndicatorKind.DOMAIN: domain,
        IndicatorKind.URL: f"https://{domain}/{digest[4:8].hex()}/login.php?id={number}&ref='x'",
        IndicatorKind.EMAIL: f"{word}.{number}@{domain}",
        IndicatorKind.MD5: hashlib.md5(digest, usedforsecurity=False).hexdigest(),
        IndicatorKind.SHA1: hashlib.sha1(digest, usedforsecurity=False).hexdigest(),
        IndicatorKind.SHA256: hashlib.sha256(digest).hexdigest(),
        IndicatorKind.FILENAME: f"Factuur {word} {number}.pdf.exe",
    }[IndicatorKind(kind)]
    return ioc.normalise(kind, raw)


def _build() -> tuple[Incident, User]:
    rng = random.Random(2020)
    now = timezone.now()
    hospital = Organisation.objects.create(
        name="Ziekenhuis Exportstad",
        kind=OrganisationKind.HOSPITAL,
        status=MemberStatus.APPROVED,
        vetted_at=now,
    )
    reporter = User.objects.create(email=EMAIL.format("ciso"), password="!")
    Membership.objects.create(user=reporter, organisation=hospital, role="admin")
    coordinator = User.objects.create(
        email=EMAIL.format("coordinator"), password="!", is_coordinator=True
    )
    incident = Incident.objects.create(
        reference="TTC-BENCH-STIX",
        title="Ransomware op de fileservers",
        description="Vannacht zijn de fileservers versleuteld; **SEH** dicht voor ambulances.",
        detected_at=now - timedelta(days=2),
        category="malicious-code",
        severity=4,
        contact_name="Bench",
        contact_phone="+31 20 000 0000",
        organisation=hospital,
        tlp=TLP.AMBER_STRICT,
        created_by=reporter,
    )
    incident.recipient_orgs.set([hospital])
    incident.recipient_people.set([reporter])
    kinds = list(IndicatorKind.values)
    rows = []
    for number in range(INDICATORS):
        kind = kinds[number % len(kinds)]
        value = _value(kind, number)
        first = now - timedelta(hours=rng.randint(2, 48))
        rows.append(
            Indicator(
                incident=incident,
                kind=kind,
                value=value,
                key=indicator_key(kind, value),
                tlp=rng.choice(LABELS),
                comment=rng.choice(["", "C2", "Loader, gezien op twee servers", "Phishing"]),
                first_seen=first,
                last_seen=first + timedelta(hours=rng.randint(0, 24)),
                sightings=rng.randint(1, 9),
                source=Indicator.Source.PASTE,
                created_by=reporter,
            )
        )
    Indicator.objects.bulk_create(rows, batch_size=2_000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return incident, coordinator


def _naive(incident: Incident, user: User) -> str:
    """The same bundle, every object built and checked by `stix2`."""
    record = incident_record(incident)
    records = indicator_records(visible_indicators(incident, user))
    producer = exchange.PRODUCER
    creator = producer.stix_id
    created = exchange._timestamp(record.reported_at)
    marking = [exchange.TLP2_MARKING_IDS[record.tlp]]
    objects: list[Any] = [
        stix2.v21.Identity(
            id=creator,
            created=exchange._PRODUCER_CREATED,
            modified=exchange._PRODUCER_CREATED,
            name=producer.name,
            identity_class="organization",
            object_marking_refs=[exchange.TLP2_MARKING_IDS["clear"]],
        )
    ]
    victim = stix2.v21.Identity(
        created_by_ref=creator,
        created=created,
        modified=created,
        name=record.organisation_name,
        identity_class="organization",
        sectors=["healthcare"],
        object_marking_refs=marking,
    )
    stix_incident = stix2.v21.Incident(
        created_by_ref=creator,
        created=created,
        modified=created,
        name=f"{record.reference}: {record.title}",
        description=record.summary,
        labels=[record.category],
        object_marking_refs=marking,
    )
    objects += [
        victim,
        stix_incident,
        stix2.v21.Relationship(
            stix_incident, "related-to", victim, created_by_ref=creator, object_marking_refs=marking
        ),
    ]
    for row in records:
        indicator = stix2.v21.Indicator(
            created_by_ref=creator,
            created=row.created or row.first_seen,
            modified=row.modified or row.last_seen,
            name=f"{row.kind} {row.value}",
            description=row.comment or None,
            indicator_types=["malicious-activity"],
            pattern=exchange.stix_pattern(row.kind, row.value),
            pattern_type="stix",
            pattern_version="2.1",
            valid_from=row.first_seen,
            object_marking_refs=[exchange.TLP2_MARKING_IDS[row.tlp]],
        )
        link = most_restrictive(row.tlp, record.tlp).value
        objects += [
            indicator,
            stix2.v21.Relationship(
                indicator,
                "related-to",
                stix_incident,
                created_by_ref=creator,
                object_marking_refs=[exchange.TLP2_MARKING_IDS[link]],
            ),
        ]
    labels = {"clear", record.tlp, *(row.tlp for row in records)}
    markings = [exchange._marking_definition(label) for label in sorted(labels)]
    bundle = stix2.v21.Bundle(objects=markings + objects, allow_custom=True)
    return str(bundle.serialize())


def run() -> dict:
    incident, coordinator = _build()
    exported: dict[str, str] = {}
    naive: dict[str, str] = {}

    def export() -> None:
        coordinator.__dict__.pop("_memberships", None)
        exported["content"] = incident_export(
            incident=incident, user=coordinator, fmt="stix"
        ).content

    def build_naive() -> None:
        naive["content"] = _naive(incident, coordinator)

    naive_seconds, export_seconds, ratio = paired(build_naive, export, repeat=REPEAT)
    content = exported["content"]
    objects = json.loads(content)["objects"]
    naive_objects = json.loads(naive["content"])["objects"]

    validated = time.perf_counter()
    results = validate_string(content, ValidationOptions(version="2.1"))
    validator_seconds = time.perf_counter() - validated
    errors = [str(error) for error in results.errors]
    warnings = [str(warning) for warning in results.warnings or []]
    counts: dict[str, int] = {}
    for obj in objects:
        counts[obj["type"]] = counts.get(obj["type"], 0) + 1
    return {
        "name": "stix_export",
        "figures": {
            "database": connection.vendor,
            "indicators": counts.get("indicator", 0),
            "kinds": Indicator.objects.filter(incident=incident).values("kind").distinct().count(),
            "labels": Indicator.objects.filter(incident=incident).values("tlp").distinct().count(),
            "seconds": round(export_seconds, 3),
            "objects": len(objects),
            "bytes": len(content.encode()),
            "valid": results.is_valid,
            "errors": len(errors),
            "warnings": len(warnings),
            "first_problems": (errors + warnings)[:3],
            "validator_seconds": round(validator_seconds, 1),
        },
        "baseline": {
            "seconds": round(naive_seconds, 3),
            "objects": len(naive_objects),
            "bytes": len(naive["content"].encode()),
        },
        "ratio": round(ratio, 4),
        "target": TARGET,
        "met": ratio <= TARGET
        and results.is_valid
        and not errors
        and len(objects) == len(naive_objects),
    }
