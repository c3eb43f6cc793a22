"""Threat-data exchange: STIX 2.1 bundles, MISP events and CSV out; STIX 2.1 bundles in.

The functions take plain records, not models, so that every format can be tested
without a database; `ttc.incidents.indicators` builds the records and applies
the access policy before anything reaches this module.

Decisions that a consumer of our files will notice:

- Markings are TLP 2.0, with the marking-definition objects exactly as the
  OASIS TLP 2.0 extension publishes them. Every object carries its own label:
  each indicator its own, the incident and its victim the incident's, a
  relationship the narrower of its two ends, our own identity TLP:CLEAR.
- STIX 2.1 suggests no relationship types for `incident`, so indicators and the
  victim are linked to the incident with the common `related-to`.
- Object ids are stable: re-exporting the same rows gives the same ids, so a
  consumer de-duplicates instead of piling up copies.

Import is all or nothing: a bundle that is malformed, hostile, or holds an
indicator we cannot take over faithfully is refused with a message that says
why, and nothing is imported. Objects other than indicators and sightings are
read past.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, NoReturn
from uuid import UUID

import stix2
from django.utils import timezone
from django.utils.translation import gettext as _
from pymisp import MISPEvent
from stix2.pattern_visitor import create_pattern_object
from stix2.patterns import (
    BasicObjectPathComponent,
    EqualityComparisonExpression,
    ObservationExpression,
    OrBooleanExpression,
    OrObservationExpression,
    ParentheticalExpression,
    StringConstant,
)

from ttc.core.tlp import most_restrictive

KINDS: Final = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "filename")

# -- TLP 2.0 markings ----------------------------------------------------------------------------

#: https://github.com/oasis-open/cti-stix-common-objects/tree/main/extension-definition-specifications/tlp-2.0
TLP2_EXTENSION_ID: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKING_IDS: Final = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP2_CREATED: Final = "2022-10-01T00:00:00.000Z"

#: What an imported marking reference means. Older producers still send the
#: TLP 1.0 markings of the STIX 2.1 specification; WHITE became CLEAR.
_TLP_OF_MARKING: Final = {
    **{marking_id: label for label, marking_id in TLP2_MARKING_IDS.items()},
    stix2.TLP_WHITE.id: "clear",
    stix2.TLP_GREEN.id: "green",
    stix2.TLP_AMBER.id: "amber",
    stix2.TLP_RED.id: "red",
}


def _marking_definition(label: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[label],
        "created": _TLP2_CREATED,
        "name": f"TLP:{label.upper()}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": label}
        },
    }


# -- stable ids ----------------------------------------------------------------------------------

#: Seeds every id we derive; never change it, or consumers see new objects.
ID_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://techtegencorona.nl/stix")


def derived_uuid(key: str) -> UUID:
    """A UUID that is the same on every export of the same thing.

    Name-based (SHA-1, as UUIDv5) but stamped as version 4: STIX 2.1 asks for
    UUIDv4 on domain and relationship objects, and 122 bits of a SHA-1 digest
    are as unpredictable to anyone else as random ones.
    """
    return UUID(bytes=uuid.uuid5(ID_NAMESPACE, key).bytes, version=4)


def _stix_id(object_type: str, key: str) -> str:
    return f"{object_type}--{derived_uuid(f'{object_type}:{key}')}"


# -- records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRecord:
    id: UUID
    kind: str
    value: str
    tlp: str
    first_seen: datetime
    last_seen: datetime
    sightings: int
    comment: str = ""
    created: datetime | None = None
    modified: datetime | None = None


@dataclass(frozen=True)
class IncidentRecord:
    id: UUID
    reference: str
    title: str
    summary: str
    category: str
    severity: int
    status: str
    tlp: str
    detected_at: datetime
    reported_at: datetime
    organisation_name: str
    organisation_id: UUID | int
    #: When the incident last changed; consumers keep the newest version.
    modified: datetime | None = None


PRODUCER_ID: Final = derived_uuid("identity:producer")
#: Fixed, so that every export carries the same version of our identity.
_PRODUCER_CREATED: Final = "2020-03-01T00:00:00.000Z"


@dataclass(frozen=True)
class Producer:
    """The platform itself, as the STIX identity that creates every object."""

    name: str = "TechTegenCorona"
    id: UUID = PRODUCER_ID

    @property
    def stix_id(self) -> str:
        return f"identity--{self.id}"


PRODUCER: Final = Producer()


# -- STIX export ---------------------------------------------------------------------------------

_PATTERN_PATH: Final = {
    "ipv4": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
    "filename": "file:name",
}
_KIND_NAME: Final = {
    "ipv4": "IPv4 address",
    "ipv6": "IPv6 address",
    "domain": "Domain",
    "url": "URL",
    "email": "E-mail address",
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "filename": "File name",
}


def stix_pattern(kind: str, value: str) -> str:
    """The STIX pattern that matches exactly this value."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{_PATTERN_PATH[kind]} = '{escaped}']"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; exports need aware datetimes.")
    return moment.astimezone(UTC)


def _timestamp(moment: datetime) -> str:
    """A STIX timestamp: UTC, millisecond precision, as `created` and `modified` need."""
    return _aware(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _check_record(kind: str | None, tlp: str) -> None:
    if kind is not None and kind not in _PATTERN_PATH:
        raise ValueError(f"Unknown indicator kind {kind!r}.")
    if tlp not in TLP2_MARKING_IDS:
        raise ValueError(f"Unknown TLP label {tlp!r}.")


def _as_dict(stix_object: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(stix_object.serialize())
    return result


def _relationship(
    *, source: str, target: str, created: str, modified: str, tlp: str, creator: str
) -> dict[str, Any]:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": _stix_id("relationship", f"{source}|related-to|{target}"),
        "created_by_ref": creator,
        "created": created,
        "modified": modified,
        "relationship_type": "related-to",
        "source_ref": source,
        "target_ref": target,
        "object_marking_refs": [TLP2_MARKING_IDS[tlp]],
    }


def stix_bundle(
    incident: IncidentRecord | None,
    indicators: Sequence[IndicatorRecord],
    *,
    producer: Producer = PRODUCER,
) -> dict[str, Any]:
    """A STIX 2.1 bundle of the incident (if any) and its indicators, as JSON-ready dicts.

    The few fixed objects are built with `stix2`; indicators and their
    relationships are built as plain dicts with the same content, because
    constructing 10,000 `stix2` indicators takes seconds where dicts take
    milliseconds. The tests hold both to the STIX validator.
    """
    creator = producer.stix_id
    labels = {"clear"}
    objects: list[dict[str, Any]] = [
        _as_dict(
            stix2.v21.Identity(
                id=creator,
                created_by_ref=creator,
                created=_PRODUCER_CREATED,
                modified=_PRODUCER_CREATED,
                name=producer.name,
                description=(
                    "Coalition of Dutch tech companies and experts that helps public "
                    "parties, hospitals and care organisations during a crisis."
                ),
                identity_class="organization",
                sectors=["technology"],
                object_marking_refs=[TLP2_MARKING_IDS["clear"]],
            )
        )
    ]

    incident_id = None
    if incident is not None:
        _check_record(None, incident.tlp)
        labels.add(incident.tlp)
        incident_id = _stix_id("incident", str(incident.id))
        incident_created = _timestamp(incident.reported_at)
        incident_modified = _timestamp(
            max(incident.reported_at, incident.modified or incident.reported_at)
        )
        marking = [TLP2_MARKING_IDS[incident.tlp]]
        # One victim identity per incident: the same organisation under different
        # labels in different incidents must not be one object in two versions.
        victim_id = _stix_id("identity", f"victim|{incident.id}|{incident.organisation_id}")
        objects.append(
            _as_dict(
                stix2.v21.Identity(
                    id=victim_id,
                    created_by_ref=creator,
                    created=incident_created,
                    modified=incident_created,
                    name=incident.organisation_name,
                    identity_class="organization",
                    sectors=["healthcare"],
                    object_marking_refs=marking,
                )
            )
        )
        objects.append(
            _as_dict(
                stix2.v21.Incident(
                    id=incident_id,
                    created_by_ref=creator,
                    created=incident_created,
                    modified=incident_modified,
                    name=f"{incident.reference}: {incident.title}",
                    description=incident.summary or incident.title,
                    labels=[incident.category],
                    external_references=[
                        {"source_name": producer.name, "external_id": incident.reference}
                    ],
                    object_marking_refs=marking,
                )
            )
        )
        objects.append(
            _relationship(
                source=incident_id,
                target=victim_id,
                created=incident_created,
                modified=incident_created,
                tlp=incident.tlp,
                creator=creator,
            )
        )

    for record in indicators:
        _check_record(record.kind, record.tlp)
        labels.add(record.tlp)
        indicator_id = _stix_id("indicator", str(record.id))
        first_seen = _aware(record.first_seen)
        created = _aware(record.created) if record.created else first_seen
        modified = max(created, _aware(record.modified or record.last_seen))
        created_ts, modified_ts = _timestamp(created), _timestamp(modified)
        seen = (
            f"Seen {record.sightings} time(s) up to {_timestamp(record.last_seen)}, "
            f"as reported to {producer.name}."
        )
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": indicator_id,
                "created_by_ref": creator,
                "created": created_ts,
                "modified": modified_ts,
                "name": f"{_KIND_NAME[record.kind]} {record.value}",
                "description": f"{record.comment}\n\n{seen}" if record.comment else seen,
                "indicator_types": ["malicious-activity"],
                "pattern": stix_pattern(record.kind, record.value),
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": _timestamp(first_seen),
                "object_marking_refs": [TLP2_MARKING_IDS[record.tlp]],
            }
        )
        if incident is not None and incident_id is not None:
            objects.append(
                _relationship(
                    source=indicator_id,
                    target=incident_id,
                    created=created_ts,
                    modified=modified_ts,
                    # Whoever reads the link learns about both ends.
                    tlp=most_restrictive(record.tlp, incident.tlp).value,
                    creator=creator,
                )
            )

    markings = [_marking_definition(label) for label in TLP2_MARKING_IDS if label in labels]
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": markings + objects}


def stix_json(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))


# -- MISP export ---------------------------------------------------------------------------------

#: MISP threat levels: 1 high, 2 medium, 3 low (4 undefined). Severity 4 means
#: patient care is affected, 3 is high; both are high for MISP.
_MISP_THREAT_LEVEL: Final = {4: 1, 3: 1, 2: 2, 1: 3}
#: MISP analysis: 0 initial, 1 ongoing, 2 completed.
_MISP_ANALYSIS: Final = {
    "new": 0,
    "acknowledged": 0,
    "investigating": 1,
    "contained": 1,
    "recovered": 2,
    "closed": 2,
}
_MISP_TYPE: Final = {
    "ipv4": ("ip-dst", "Network activity"),
    "ipv6": ("ip-dst", "Network activity"),
    "domain": ("domain", "Network activity"),
    "url": ("url", "Network activity"),
    "email": ("email-src", "Payload delivery"),
    "md5": ("md5", "Payload delivery"),
    "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"),
    "filename": ("filename", "Payload delivery"),
}
#: Classes of the ENISA Reference Security Incident Taxonomy, MISP namespace `rsit`.
_RSIT_CLASSES: Final = frozenset(
    {
        "abusive-content",
        "malicious-code",
        "information-gathering",
        "intrusion-attempts",
        "intrusions",
        "availability",
        "information-content-security",
        "fraud",
        "vulnerable",
        "other",
    }
)
#: MISP distribution 5: the attribute follows its event.
_INHERIT_EVENT: Final = 5


def misp_event(incident: IncidentRecord, indicators: Sequence[IndicatorRecord]) -> dict[str, Any]:
    """The incident as a MISP event in MISP's import format: ``{"Event": {...}}``.

    Distribution is 0 ("your organisation only"): the file may hold AMBER and
    RED content, so the MISP that imports it must not sync it onwards by itself;
    people share further by the TLP tags, which are on the event and on every
    attribute.
    """
    _check_record(None, incident.tlp)
    event = MISPEvent()
    event.uuid = str(derived_uuid(f"misp-event:{incident.id}"))
    event.info = incident.title
    # MISP's event date has no zone: the day as the people involved saw it.
    event.date = timezone.localtime(_aware(incident.detected_at)).date()
    event.threat_level_id = _MISP_THREAT_LEVEL.get(incident.severity, 4)
    event.analysis = _MISP_ANALYSIS.get(incident.status, 1)
    event.distribution = 0
    event.published = False
    event.add_tag(f"tlp:{incident.tlp}")
    if incident.category in _RSIT_CLASSES:
        event.add_tag(f"rsit:{incident.category}")

    def add(misp_type: str, value: str, category: str, tlp: str, key: str, **extra: Any) -> None:
        attribute = event.add_attribute(
            misp_type,
            value,
            category=category,
            distribution=_INHERIT_EVENT,
            uuid=str(derived_uuid(f"misp-attribute:{key}")),
            **extra,
        )
        assert not isinstance(attribute, list)
        attribute.add_tag(f"tlp:{tlp}")

    add(
        "text",
        incident.reference,
        "Internal reference",
        incident.tlp,
        f"reference:{incident.id}",
        to_ids=False,
        comment="TechTegenCorona incident reference",
    )
    add(
        "target-org",
        incident.organisation_name,
        "Targeting data",
        incident.tlp,
        f"victim:{incident.id}",
        to_ids=False,
    )
    if incident.summary:
        event.add_event_report(
            name=f"{incident.reference}: {incident.title}",
            content=incident.summary,
            distribution=_INHERIT_EVENT,
            uuid=str(derived_uuid(f"misp-report:{incident.id}")),
        )
    for record in indicators:
        _check_record(record.kind, record.tlp)
        misp_type, category = _MISP_TYPE[record.kind]
        add(
            misp_type,
            record.value,
            category,
            record.tlp,
            f"indicator:{record.id}",
            to_ids=True,
            comment=record.comment,
            first_seen=_aware(record.first_seen),
            last_seen=_aware(max(record.first_seen, record.last_seen)),
        )
    return {"Event": json.loads(event.to_json())}


# -- CSV export ----------------------------------------------------------------------------------

CSV_HEADER: Final = (
    "type",
    "value",
    "tlp",
    "first_seen",
    "last_seen",
    "sightings",
    "incident",
    "comment",
)
#: A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_text(
    indicators: Sequence[IndicatorRecord], *, incident_reference: str | None = None
) -> str:
    """Indicators as CSV, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for record in indicators:
        row = (
            record.kind,
            record.value,
            record.tlp,
            _aware(record.first_seen).strftime("%Y-%m-%dT%H:%M:%SZ"),
            _aware(record.last_seen).strftime("%Y-%m-%dT%H:%M:%SZ"),
            str(record.sightings),
            incident_reference or "",
            record.comment,
        )
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue()


# -- STIX import ---------------------------------------------------------------------------------


class ImportRefused(Exception):
    """A bundle refused as a whole; `str()` tells the person who sent it why."""


@dataclass(frozen=True)
class ParsedIndicator:
    """One value from an imported indicator, as it stood in the bundle: the
    caller normalises and validates it."""

    kind: str
    value: str
    #: None when the indicator carries no TLP marking we know; the caller applies a default.
    tlp: str | None
    first_seen: datetime
    last_seen: datetime | None
    name: str
    #: The STIX id of the indicator, to name it in messages.
    stix_id: str


#: Deeper JSON than this is refused before it is parsed; STIX needs about ten levels.
MAX_JSON_DEPTH: Final = 64
#: Longer patterns are refused before they are parsed; the longest URL we keep is 2,048.
MAX_PATTERN_LENGTH: Final = 10_000
#: Characters of patterns beyond the plain `[path = 'value']` form that one
#: bundle may send through the full pattern grammar, which is slow: a bundle of
#: many long OR patterns would otherwise hold a worker for half a minute.
MAX_PARSED_PATTERN_CHARS: Final = 200_000
#: Indicators one bundle may hold: what one save takes.
MAX_VALUES: Final = 10_000
#: Integers with more digits than this are refused before Python converts them.
_MAX_INT_DIGITS: Final = 30

_KIND_OF_PATH: Final = {
    ("ipv4-addr", "value"): "ipv4",
    ("ipv6-addr", "value"): "ipv6",
    ("domain-name", "value"): "domain",
    ("url", "value"): "url",
    ("email-addr", "value"): "email",
    ("file", "name"): "filename",
    ("file", "hashes", "MD5"): "md5",
    ("file", "hashes", "SHA1"): "sha1",
    ("file", "hashes", "SHA256"): "sha256",
}
_SUPPORTED_PATHS: Final = ", ".join(_PATTERN_PATH.values())
_KIND_OF_PATTERN_PATH: Final = {path: kind for kind, path in _PATTERN_PATH.items()}
#: The pattern we export, `[path = 'value']`: most patterns are exactly this,
#: and this match is a hundred times faster than the pattern parser. Only
#: what the grammar accepts matches (whitespace, paths and escapes included).
_SIMPLE_PATTERN = re.compile(
    r"\[[ \t\r\n]*("
    + "|".join(re.escape(path) for path in _PATTERN_PATH.values())
    + r")[ \t\r\n]*=[ \t\r\n]*'([^'\\]*(?:\\['\\][^'\\]*)*)'[ \t\r\n]*\]"
)
_STIX_ID = re.compile(
    r"([a-z0-9][a-z0-9-]*)--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_STIX_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z")
#: A JSON string (closing quote optional, so that the scan stays linear on
#: unterminated strings) or a bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{]|[\]}]', re.DOTALL)


def _refuse(message: str) -> NoReturn:
    raise ImportRefused(message)


def _short(value: object, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _decode(data: bytes | str, max_bytes: int) -> str:
    # The cheap length check comes first, so that a huge upload costs nothing more.
    if len(data) > max_bytes:
        _refuse(
            _("The file is too large: at most %(max)s bytes can be imported.")
            % {"max": f"{max_bytes:,}"}
        )
    if isinstance(data, str):
        try:
            size = len(data.encode("utf-8"))
        except UnicodeEncodeError:
            _refuse(_("The file is not valid UTF-8 text."))
        if size > max_bytes:
            _refuse(
                _("The file is too large: at most %(max)s bytes can be imported.")
                % {"max": f"{max_bytes:,}"}
            )
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        _refuse(
            _("The file is not valid UTF-8 text (byte %(position)s).")
            % {"position": error.start + 1}
        )


def _check_depth(text: str) -> None:
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                _refuse(
                    _(
                        "The file is nested too deeply (more than %(max)s levels); "
                        "this is not a STIX bundle."
                    )
                    % {"max": MAX_JSON_DEPTH}
                )
        elif char in "]}":
            depth -= 1


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            _refuse(
                _("The file repeats the key “%(key)s” in one object; its meaning is ambiguous.")
                % {"key": _short(key)}
            )
        result[key] = value
    return result


def _no_constant(name: str) -> NoReturn:
    _refuse(_("The file contains %(value)s, which is not a number in JSON.") % {"value": name})


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        _refuse(_("The file contains a number that is too large."))
    return number


def _small_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        _refuse(_("The file contains a number that is too large."))
    return int(text)


def _load_json(text: str) -> Any:
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_small_int,
        )
    except json.JSONDecodeError as error:
        _refuse(
            _("The file is not valid JSON (line %(line)s, column %(column)s: %(problem)s).")
            % {"line": error.lineno, "column": error.colno, "problem": error.msg}
        )
    except RecursionError:
        _refuse(_("The file is nested too deeply; this is not a STIX bundle."))


def _timestamp_of(value: object, *, object_id: str, field: str) -> datetime:
    match = _STIX_TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError(value)
        fraction = (match.group(2) or "0")[:6].ljust(6, "0")
        return datetime.fromisoformat(f"{match.group(1)}.{fraction}+00:00")
    except ValueError:
        _refuse(
            _("Object %(id)s has an invalid timestamp in “%(field)s”.")
            % {"id": object_id, "field": field}
        )


def _optional_timestamp(obj: dict[str, Any], field: str) -> datetime | None:
    if field not in obj:
        return None
    return _timestamp_of(obj[field], object_id=obj["id"], field=field)


def _tlp_of(obj: dict[str, Any]) -> str | None:
    refs = obj.get("object_marking_refs", [])
    if not isinstance(refs, list) or not all(isinstance(ref, str) for ref in refs):
        _refuse(
            _("Object %(id)s has invalid “object_marking_refs”; it must be a list of ids.")
            % {"id": obj["id"]}
        )
    labels = [_TLP_OF_MARKING[ref] for ref in refs if ref in _TLP_OF_MARKING]
    return most_restrictive(*labels).value if labels else None


def _unsupported(node: object) -> str:
    """What a pattern uses that we do not import, in the pattern's own words."""
    if getattr(node, "negated", False):
        return "NOT"
    operator = getattr(node, "operator", None)
    if operator in ("AND", "FOLLOWEDBY", "LIKE", "MATCHES", "IN", "ISSUBSET", "ISSUPERSET"):
        return str(operator)
    if operator is not None:
        return f"the {operator} comparison"
    if hasattr(node, "qualifier"):
        return "a WITHIN, REPEATS or START/STOP qualifier"
    return type(node).__name__


def _unescape(literal: str) -> str:
    """The text of a pattern string literal, whose only escapes are \\' and \\\\."""
    return re.sub(r"\\(.)", r"\1", literal, flags=re.DOTALL)


def _pattern_values(indicator_id: str, pattern: str, budget: list[int]) -> list[tuple[str, str]]:
    """(kind, value) for each comparison of a pattern that only ORs equality
    tests. `budget` holds the characters the full grammar may still read."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        _refuse(
            _(
                "Indicator %(id)s has a pattern of %(length)s characters; "
                "at most %(max)s are imported."
            )
            % {"id": indicator_id, "length": f"{len(pattern):,}", "max": f"{MAX_PATTERN_LENGTH:,}"}
        )
    simple = _SIMPLE_PATTERN.fullmatch(pattern)
    if simple is not None:
        return [(_KIND_OF_PATTERN_PATH[simple.group(1)], _unescape(simple.group(2)))]
    budget[0] -= len(pattern)
    if budget[0] < 0:
        _refuse(
            _(
                "The bundle's patterns are too complex to import at once (more than "
                "%(max)s characters of patterns other than a single “=” test). Split it."
            )
            % {"max": f"{MAX_PARSED_PATTERN_CHARS:,}"}
        )
    try:
        tree = create_pattern_object(pattern, version="2.1")
    except Exception as error:  # any parser failure on untrusted input means invalid
        _refuse(
            _("Indicator %(id)s has an invalid STIX pattern: %(problem)s")
            % {"id": indicator_id, "problem": _short(error, 200)}
        )
    values = []
    pending: list[object] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ParentheticalExpression):
            pending.append(node.expression)
        elif isinstance(node, ObservationExpression):
            pending.append(node.operand)
        elif isinstance(node, OrObservationExpression | OrBooleanExpression):
            pending.extend(reversed(node.operands))
        elif isinstance(node, EqualityComparisonExpression) and not node.negated:
            values.append(_comparison_value(indicator_id, node))
        else:
            _refuse(
                _(
                    "Indicator %(id)s uses %(what)s in its pattern. Only patterns that test "
                    "values with “=”, joined by OR, can be imported."
                )
                % {"id": indicator_id, "what": _unsupported(node)}
            )
    return values


def _comparison_value(indicator_id: str, node: EqualityComparisonExpression) -> tuple[str, str]:
    path = node.lhs
    steps: list[str] = [
        step.property_name if isinstance(step, BasicObjectPathComponent) else "[…]"
        for step in path.property_path
    ]
    if path.object_type_name == "file" and len(steps) == 2 and steps[0] == "hashes":
        # Producers write MD5, 'SHA-256', SHA256 and sha256 alike.
        steps[1] = str(steps[1]).upper().replace("-", "")
    kind = _KIND_OF_PATH.get((path.object_type_name, *steps))
    if kind is None:
        _refuse(
            _(
                "Indicator %(id)s tests %(path)s, which cannot be imported. "
                "Supported are: %(supported)s."
            )
            % {"id": indicator_id, "path": _short(path, 100), "supported": _SUPPORTED_PATHS}
        )
    if not isinstance(node.rhs, StringConstant):
        _refuse(
            _("Indicator %(id)s compares %(path)s with something other than a quoted text.")
            % {"id": indicator_id, "path": _short(path, 100)}
        )
    return kind, _unescape(node.rhs.value)


def _objects(document: Any, max_objects: int) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or document.get("type") != "bundle":
        _refuse(_("The file is not a STIX bundle: its top level must have “type”: “bundle”."))
    # STIX 2.0 bundles carry the version; 2.1 bundles do not (some add "2.1" anyway).
    if document.get("spec_version", "2.1") != "2.1":
        _refuse(
            _("This is a STIX %(version)s bundle; only STIX 2.1 can be imported.")
            % {"version": _short(document["spec_version"], 10)}
        )
    if not isinstance(document.get("id"), str) or not _STIX_ID.fullmatch(document["id"]):
        _refuse(_("The bundle has no valid id."))
    objects = document.get("objects", [])
    if not isinstance(objects, list):
        _refuse(_("The bundle's “objects” must be a list."))
    if len(objects) > max_objects:
        _refuse(
            _("The bundle holds %(count)s objects; at most %(max)s can be imported at once.")
            % {"count": f"{len(objects):,}", "max": f"{max_objects:,}"}
        )
    for number, obj in enumerate(objects, start=1):
        object_type = obj.get("type") if isinstance(obj, dict) else None
        object_id = obj.get("id") if isinstance(obj, dict) else None
        match = _STIX_ID.fullmatch(object_id) if isinstance(object_id, str) else None
        if not isinstance(object_type, str) or match is None or match.group(1) != object_type:
            _refuse(
                _("Object %(number)s in the bundle is not a STIX object with a valid type and id.")
                % {"number": number}
            )
        version = obj.get("spec_version")
        if version != "2.1" and (version is not None or object_type in ("indicator", "sighting")):
            _refuse(
                _("Object %(id)s is not STIX 2.1; only STIX 2.1 can be imported.")
                % {"id": object_id}
            )
    return objects


def _sightings(objects: list[dict[str, Any]]) -> dict[str, datetime]:
    """The last sighting of each indicator the bundle reports sightings of."""
    last: dict[str, datetime] = {}
    for obj in objects:
        if obj["type"] != "sighting":
            continue
        ref = obj.get("sighting_of_ref")
        if not isinstance(ref, str):
            _refuse(_("Sighting %(id)s has no “sighting_of_ref”.") % {"id": obj["id"]})
        seen = _optional_timestamp(obj, "last_seen") or _optional_timestamp(obj, "first_seen")
        if seen is not None and (ref not in last or seen > last[ref]):
            last[ref] = seen
    return last


def _latest_versions(objects: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each indicator once: of several versions, the one modified last."""
    chosen: dict[str, tuple[datetime | None, dict[str, Any]]] = {}
    for obj in objects:
        if obj["type"] != "indicator":
            continue
        modified = _optional_timestamp(obj, "modified") or _optional_timestamp(obj, "created")
        previous = chosen.get(obj["id"])
        if previous is None or (
            modified is not None and (previous[0] is None or modified > previous[0])
        ):
            chosen[obj["id"]] = (modified, obj)
    for _modified, obj in chosen.values():
        yield obj


def _text_field(obj: dict[str, Any], field: str) -> str:
    value = obj.get(field, "")
    if not isinstance(value, str):
        _refuse(
            _("Object %(id)s has a “%(field)s” that is not text.")
            % {"id": obj["id"], "field": field}
        )
    return value


def parse_stix(
    data: bytes | str, *, max_bytes: int = 5_000_000, max_objects: int = 50_000
) -> list[ParsedIndicator]:
    """The values of the indicators in a STIX 2.1 bundle, or ImportRefused.

    Refused, with nothing imported: a file too large, not UTF-8, not JSON, nested
    too deeply, with NaN, Infinity, huge numbers or repeated keys; anything but a
    STIX 2.1 bundle with a list of at most `max_objects` objects that each have a
    type and a matching id; and an indicator without a valid STIX pattern, or
    whose pattern does more than test supported values with "=" joined by OR
    (LIKE, MATCHES, AND, FOLLOWEDBY, NOT, qualifiers), or with another pattern
    type (YARA, Sigma, ...): a partial import would drop what the sender meant.

    Revoked indicators are left out; other object types are read past. The TLP
    comes from the TLP 2.0 or TLP 1.0 markings (the most restrictive if there
    are several); `last_seen` from the bundle's sightings of the indicator.
    """
    text = _decode(data, max_bytes)
    _check_depth(text)
    objects = _objects(_load_json(text), max_objects)
    last_sighting = _sightings(objects)
    parsed: list[ParsedIndicator] = []
    budget = [MAX_PARSED_PATTERN_CHARS]
    for obj in _latest_versions(objects):
        indicator_id = obj["id"]
        if obj.get("revoked") is True:
            continue
        pattern_type = obj.get("pattern_type")
        pattern = obj.get("pattern")
        if not isinstance(pattern_type, str) or not isinstance(pattern, str) or not pattern:
            _refuse(_("Indicator %(id)s has no pattern and pattern type.") % {"id": indicator_id})
        if pattern_type != "stix":
            _refuse(
                _(
                    "Indicator %(id)s holds a %(type)s pattern; only STIX patterns can be "
                    "imported. Leave it out of the bundle and try again."
                )
                % {"id": indicator_id, "type": _short(pattern_type, 30)}
            )
        if "valid_from" not in obj:
            _refuse(_("Indicator %(id)s has no “valid_from”.") % {"id": indicator_id})
        first_seen = _timestamp_of(obj["valid_from"], object_id=indicator_id, field="valid_from")
        tlp = _tlp_of(obj)
        name = _text_field(obj, "name")
        for kind, value in _pattern_values(indicator_id, pattern, budget):
            if len(parsed) >= MAX_VALUES:
                _refuse(
                    _("The bundle holds more than %(max)s indicators; split it.")
                    % {"max": f"{MAX_VALUES:,}"}
                )
            parsed.append(
                ParsedIndicator(
                    kind=kind,
                    value=value,
                    tlp=tlp,
                    first_seen=first_seen,
                    last_seen=last_sighting.get(indicator_id),
                    name=name,
                    stix_id=indicator_id,
                )
            )
    return parsed
