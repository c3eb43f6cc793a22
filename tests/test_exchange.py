"""Threat-data exchange in ttc/incidents/exchange.py: STIX 2.1, MISP and CSV out, STIX in.

No database: the functions take plain records. Every bundle we write is held to
the OASIS STIX validator; every hostile bundle is refused with its own message.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stix2
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from pymisp import MISPEvent
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_string

from ttc.incidents import exchange as exchange_module
from ttc.incidents.exchange import (
    KINDS,
    PRODUCER,
    TLP2_EXTENSION_ID,
    TLP2_MARKING_IDS,
    ImportRefused,
    IncidentRecord,
    IndicatorRecord,
    csv_text,
    misp_event,
    parse_stix,
    stix_bundle,
    stix_json,
    stix_pattern,
)

T0 = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
LABELS = ("clear", "green", "amber", "amber+strict", "red")
TLP1_IDS = {m.id for m in (stix2.TLP_WHITE, stix2.TLP_GREEN, stix2.TLP_AMBER, stix2.TLP_RED)}

#: One awkward value of every kind: quotes, backslashes and non-ASCII included.
VALUES = {
    "ipv4": "203.0.113.7",
    "ipv6": "2001:db8::dead:beef",
    "domain": "zorg-login.example",
    "url": "https://zorg-login.example/in'log?x=\\y&naam=Zoë",
    "email": "o'brien@zorg-login.example",
    "md5": "d41d8cd98f00b204e9800998ecf8427e",
    "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "filename": "Factuur 'maart' \\ café.pdf.exe",
}


def incident_record(**changes: Any) -> IncidentRecord:
    record = IncidentRecord(
        id=uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"),
        reference="TTC-2026-0042",
        title="Ransomware op de spoedeisende hulp",
        summary='Werkstations versleuteld; "patiëntenzorg" verplaatst naar papier.',
        category="malicious-code",
        severity=4,
        status="investigating",
        tlp="amber+strict",
        detected_at=T0,
        reported_at=T0 + timedelta(minutes=40),
        organisation_name="Ziekenhuis Rivierenland",
        organisation_id=17,
    )
    return replace(record, **changes)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The refusals are asserted in English, whatever language an earlier test left on."""
    with translation.override("en"):
        yield


def indicator_records() -> list[IndicatorRecord]:
    """Every kind, every label, with and without a comment."""
    return [
        IndicatorRecord(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"indicator/{kind}"),
            kind=kind,
            value=value,
            tlp=LABELS[number % len(LABELS)],
            first_seen=T0 - timedelta(days=number),
            last_seen=T0 + timedelta(hours=number),
            sightings=number + 1,
            comment="Gezien in phishingmail" if number % 2 else "",
            created=T0 + timedelta(hours=1) if number % 3 == 0 else None,
            modified=T0 + timedelta(hours=2) if number % 3 == 0 else None,
        )
        for number, (kind, value) in enumerate(VALUES.items())
    ]


def validate(bundle: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    results = validate_string(stix_json(bundle), ValidationOptions(version="2.1"))
    assert results.is_valid, [str(error) for error in results.errors]
    return results.errors, results.warnings or []


def objects_of(bundle: dict[str, Any], object_type: str) -> list[dict[str, Any]]:
    return [obj for obj in bundle["objects"] if obj["type"] == object_type]


# -- STIX export ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incident", "indicators"),
    [
        pytest.param(incident_record(), indicator_records(), id="incident"),
        pytest.param(None, indicator_records(), id="feed"),
        pytest.param(incident_record(), [], id="incident-without-indicators"),
        pytest.param(None, [], id="empty-feed"),
    ],
)
def test_every_bundle_passes_the_stix_validator_without_errors_or_warnings(
    incident: IncidentRecord | None, indicators: list[IndicatorRecord]
) -> None:
    errors, warnings = validate(stix_bundle(incident, indicators))

    assert errors == []
    assert warnings == []


def test_every_object_is_accepted_by_the_stix2_library_without_custom_content() -> None:
    # Indicators and relationships are built as plain dicts for speed; the
    # library checks them (patterns included) as if it had built them.
    bundle = stix_bundle(incident_record(), indicator_records())

    for obj in bundle["objects"]:
        parsed = stix2.parse(obj, allow_custom=False, version="2.1")
        assert parsed.id == obj["id"]


def test_the_incident_bundle_holds_victim_incident_indicators_and_links() -> None:
    incident = incident_record()
    bundle = stix_bundle(incident, indicator_records())

    (stix_incident,) = objects_of(bundle, "incident")
    assert stix_incident["name"] == "TTC-2026-0042: Ransomware op de spoedeisende hulp"
    assert stix_incident["description"] == incident.summary
    assert stix_incident["external_references"][0]["external_id"] == "TTC-2026-0042"
    producer, victim = objects_of(bundle, "identity")
    assert producer["id"] == PRODUCER.stix_id
    assert producer["name"] == "TechTegenCorona"
    assert victim["name"] == "Ziekenhuis Rivierenland"
    assert victim["identity_class"] == "organization"
    assert victim["sectors"] == ["healthcare"]
    links = {(r["source_ref"], r["target_ref"]) for r in objects_of(bundle, "relationship")}
    assert {r["relationship_type"] for r in objects_of(bundle, "relationship")} == {"related-to"}
    assert (stix_incident["id"], victim["id"]) in links
    for indicator in objects_of(bundle, "indicator"):
        assert (indicator["id"], stix_incident["id"]) in links
    everything_but_markings = [o for o in bundle["objects"] if o["type"] != "marking-definition"]
    assert {o["created_by_ref"] for o in everything_but_markings} == {PRODUCER.stix_id}


def test_the_feed_holds_indicators_only() -> None:
    bundle = stix_bundle(None, indicator_records())

    assert {o["type"] for o in bundle["objects"]} == {"marking-definition", "identity", "indicator"}
    assert len(objects_of(bundle, "identity")) == 1


def test_indicators_carry_a_valid_pattern_for_every_kind() -> None:
    bundle = stix_bundle(None, indicator_records())

    patterns = {o["name"]: o["pattern"] for o in objects_of(bundle, "indicator")}
    assert patterns["IPv4 address 203.0.113.7"] == "[ipv4-addr:value = '203.0.113.7']"
    assert patterns["IPv6 address 2001:db8::dead:beef"] == (
        "[ipv6-addr:value = '2001:db8::dead:beef']"
    )
    assert patterns["Domain zorg-login.example"] == "[domain-name:value = 'zorg-login.example']"
    assert patterns[f"URL {VALUES['url']}"] == (
        "[url:value = 'https://zorg-login.example/in\\'log?x=\\\\y&naam=Zoë']"
    )
    assert patterns[f"E-mail address {VALUES['email']}"] == (
        "[email-addr:value = 'o\\'brien@zorg-login.example']"
    )
    assert patterns[f"MD5 {VALUES['md5']}"] == f"[file:hashes.MD5 = '{VALUES['md5']}']"
    assert patterns[f"SHA-1 {VALUES['sha1']}"] == f"[file:hashes.'SHA-1' = '{VALUES['sha1']}']"
    assert patterns[f"SHA-256 {VALUES['sha256']}"] == (
        f"[file:hashes.'SHA-256' = '{VALUES['sha256']}']"
    )
    assert patterns[f"File name {VALUES['filename']}"] == (
        "[file:name = 'Factuur \\'maart\\' \\\\ café.pdf.exe']"
    )
    for indicator in objects_of(bundle, "indicator"):
        assert run_validator(indicator["pattern"], stix_version="2.1") == []
        assert indicator["pattern_type"] == "stix"
        assert indicator["indicator_types"] == ["malicious-activity"]


def test_indicators_are_valid_from_first_seen_and_say_how_often_they_were_seen() -> None:
    record = indicator_records()[1]
    (indicator,) = objects_of(stix_bundle(None, [record]), "indicator")

    assert indicator["valid_from"] == "2026-03-01T07:30:00.000Z"
    assert "Gezien in phishingmail" in indicator["description"]
    assert "Seen 2 time(s) up to 2026-03-02T08:30:00.000Z" in indicator["description"]


def test_markings_are_the_official_tlp_2_definitions_and_never_tlp_1() -> None:
    bundle = stix_bundle(incident_record(), indicator_records())

    markings = objects_of(bundle, "marking-definition")
    assert [m["id"] for m in markings] == list(TLP2_MARKING_IDS.values())
    for label, marking in zip(LABELS, markings, strict=True):
        assert marking == {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": TLP2_MARKING_IDS[label],
            "created": "2022-10-01T00:00:00.000Z",
            "name": f"TLP:{label.upper()}",
            "extensions": {
                TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": label}
            },
        }
    assert TLP2_MARKING_IDS == {
        "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
    text = stix_json(bundle)
    for tlp1_id in TLP1_IDS:
        assert tlp1_id not in text


def test_a_bundle_holds_only_the_markings_it_uses() -> None:
    record = replace(indicator_records()[0], tlp="green")
    bundle = stix_bundle(None, [record])

    assert [m["name"] for m in objects_of(bundle, "marking-definition")] == [
        "TLP:CLEAR",
        "TLP:GREEN",
    ]


def test_every_object_carries_its_own_label() -> None:
    incident = incident_record(tlp="amber")
    records = indicator_records()
    bundle = stix_bundle(incident, records)
    label_of = {marking_id: label for label, marking_id in TLP2_MARKING_IDS.items()}

    def label(obj: dict[str, Any]) -> str:
        (ref,) = obj["object_marking_refs"]
        return label_of[ref]

    producer, victim = objects_of(bundle, "identity")
    (stix_incident,) = objects_of(bundle, "incident")
    assert label(producer) == "clear"
    assert label(victim) == "amber"
    assert label(stix_incident) == "amber"
    indicators = objects_of(bundle, "indicator")
    assert [label(i) for i in indicators] == [r.tlp for r in records]
    # A link tells about both ends: it takes the narrower label.
    narrower = {"clear": "amber", "green": "amber", "amber": "amber"}
    narrower |= {"amber+strict": "amber+strict", "red": "red"}
    relationship_label = {r["source_ref"]: label(r) for r in objects_of(bundle, "relationship")}
    for indicator, record in zip(indicators, records, strict=True):
        assert relationship_label[indicator["id"]] == narrower[record.tlp]


def test_object_ids_are_the_same_on_every_export() -> None:
    first = stix_bundle(incident_record(), indicator_records())
    second = stix_bundle(incident_record(), indicator_records())

    assert [o["id"] for o in first["objects"]] == [o["id"] for o in second["objects"]]
    assert first["objects"] == second["objects"]
    other = stix_bundle(incident_record(id=uuid.uuid4()), indicator_records())
    assert objects_of(other, "incident")[0]["id"] != objects_of(first, "incident")[0]["id"]
    assert [o["id"] for o in objects_of(other, "indicator")] == [
        o["id"] for o in objects_of(first, "indicator")
    ]


def test_object_versions_follow_the_records() -> None:
    record = indicator_records()[0]
    (indicator,) = objects_of(stix_bundle(None, [record]), "indicator")
    assert indicator["created"] == "2026-03-02T08:30:00.000Z"
    assert indicator["modified"] == "2026-03-02T09:30:00.000Z"

    later = replace(record, modified=T0 + timedelta(days=3))
    (changed,) = objects_of(stix_bundle(None, [later]), "indicator")
    assert changed["id"] == indicator["id"]
    assert changed["modified"] == "2026-03-05T07:30:00.000Z"

    updated = incident_record(modified=T0 + timedelta(days=1))
    (stix_incident,) = objects_of(stix_bundle(updated, []), "incident")
    assert stix_incident["created"] == "2026-03-02T08:10:00.000Z"
    assert stix_incident["modified"] == "2026-03-03T07:30:00.000Z"


def test_timestamps_in_other_zones_are_written_in_utc() -> None:
    amsterdam = datetime(2026, 3, 2, 8, 30, tzinfo=UTC).astimezone()
    record = replace(indicator_records()[0], first_seen=amsterdam, created=None, modified=None)
    (indicator,) = objects_of(stix_bundle(None, [record]), "indicator")

    assert indicator["valid_from"] == "2026-03-02T08:30:00.000Z"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"kind": "asn"}, "Unknown indicator kind"),
        ({"tlp": "white"}, "Unknown TLP label"),
        ({"first_seen": datetime(2026, 3, 2, 7, 30)}, "no time zone"),
    ],
)
def test_a_record_the_export_cannot_represent_is_a_programming_error(
    change: dict[str, Any], problem: str
) -> None:
    record = replace(indicator_records()[0], **change)

    with pytest.raises(ValueError, match=problem):
        stix_bundle(None, [record])


def test_stix_json_is_compact_and_keeps_unicode() -> None:
    bundle = stix_bundle(None, indicator_records())
    text = stix_json(bundle)

    assert json.loads(text) == bundle
    assert "\n" not in text
    assert "café" in text


# -- round trip ----------------------------------------------------------------------------------


def test_an_exported_bundle_imports_as_the_same_indicators() -> None:
    records = indicator_records()
    parsed = parse_stix(stix_json(stix_bundle(incident_record(), records)))

    assert {(p.kind, p.value, p.tlp) for p in parsed} == {(r.kind, r.value, r.tlp) for r in records}
    assert {p.kind: p.first_seen for p in parsed} == {r.kind: r.first_seen for r in records}
    assert len(parsed) == len(records)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    value=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60),
)
def test_any_value_survives_the_pattern_both_ways(kind: str, value: str) -> None:
    pattern = stix_pattern(kind, value)
    record = replace(indicator_records()[0], kind=kind, value=value)
    bundle = json.loads(stix_json(stix_bundle(None, [record])))
    (indicator,) = objects_of(bundle, "indicator")
    indicator_copy = {**indicator, "id": f"indicator--{uuid.uuid4()}", "pattern": f"({pattern})"}
    bundle["objects"].append(indicator_copy)

    # The plain pattern takes the quick path, the one in brackets the full parser.
    quick, parsed = parse_stix(json.dumps(bundle))
    assert (quick.kind, quick.value) == (parsed.kind, parsed.value) == (kind, value)


# -- MISP ----------------------------------------------------------------------------------------

MISP_TYPES = {
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


def test_the_misp_event_carries_the_incident_and_its_labels() -> None:
    event = misp_event(incident_record(), indicator_records())["Event"]

    assert event["info"] == "Ransomware op de spoedeisende hulp"
    assert event["date"] == "2026-03-02"
    assert event["threat_level_id"] == "1"
    assert event["analysis"] == "1"
    assert event["distribution"] == "0"
    assert event["published"] is False
    assert [tag["name"] for tag in event["Tag"]] == ["tlp:amber+strict", "rsit:malicious-code"]
    (report,) = event["EventReport"]
    assert report["content"] == incident_record().summary


def test_misp_attributes_have_the_expected_types_categories_and_own_tlp() -> None:
    records = indicator_records()
    attributes = misp_event(incident_record(), records)["Event"]["Attribute"]

    reference, victim, *indicators = attributes
    assert (reference["type"], reference["category"], reference["value"]) == (
        "text",
        "Internal reference",
        "TTC-2026-0042",
    )
    assert (victim["type"], victim["category"], victim["value"]) == (
        "target-org",
        "Targeting data",
        "Ziekenhuis Rivierenland",
    )
    assert reference["to_ids"] is victim["to_ids"] is False
    for attribute, record in zip(indicators, records, strict=True):
        assert (attribute["type"], attribute["category"]) == MISP_TYPES[record.kind]
        assert attribute["value"] == record.value
        assert attribute["to_ids"] is True
        assert attribute["distribution"] == "5"
        assert [tag["name"] for tag in attribute["Tag"]] == [f"tlp:{record.tlp}"]
        assert datetime.fromisoformat(attribute["first_seen"]) == record.first_seen
        assert datetime.fromisoformat(attribute["last_seen"]) == record.last_seen


def test_the_misp_event_date_is_the_day_in_the_netherlands() -> None:
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 March in Amsterdam

    assert misp_event(incident_record(detected_at=late), [])["Event"]["date"] == "2026-03-02"


@pytest.mark.parametrize(("severity", "level"), [(4, "1"), (3, "1"), (2, "2"), (1, "3")])
def test_severity_maps_to_the_misp_threat_level(severity: int, level: str) -> None:
    event = misp_event(incident_record(severity=severity), [])["Event"]

    assert event["threat_level_id"] == level


@pytest.mark.parametrize(
    ("status", "analysis"),
    [("new", "0"), ("acknowledged", "0"), ("contained", "1"), ("recovered", "2"), ("closed", "2")],
)
def test_status_maps_to_the_misp_analysis(status: str, analysis: str) -> None:
    event = misp_event(incident_record(status=status), [])["Event"]

    assert event["analysis"] == analysis


def test_the_misp_event_loads_back_into_pymisp() -> None:
    records = indicator_records()
    exported = misp_event(incident_record(), records)

    event = MISPEvent()
    event.load(json.loads(json.dumps(exported)))

    assert event.info == "Ransomware op de spoedeisende hulp"
    assert [tag.name for tag in event.tags] == ["tlp:amber+strict", "rsit:malicious-code"]
    loaded = {a.value: a for a in event.attributes}
    for record in records:
        assert loaded[record.value].type == MISP_TYPES[record.kind][0]
        assert loaded[record.value].to_ids is True
        assert [tag.name for tag in loaded[record.value].tags] == [f"tlp:{record.tlp}"]
    assert misp_event(incident_record(), records) == exported


# -- CSV -----------------------------------------------------------------------------------------


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_has_the_header_and_a_row_per_indicator() -> None:
    records = indicator_records()
    header, *body = rows(csv_text(records, incident_reference="TTC-2026-0042"))

    assert header == [
        "type",
        "value",
        "tlp",
        "first_seen",
        "last_seen",
        "sightings",
        "incident",
        "comment",
    ]
    assert body[0] == [
        "ipv4",
        "203.0.113.7",
        "clear",
        "2026-03-02T07:30:00Z",
        "2026-03-02T07:30:00Z",
        "1",
        "TTC-2026-0042",
        "",
    ]
    assert [row[1] for row in body] == [r.value for r in records]
    assert {row[6] for row in rows(csv_text(records))[1:]} == {""}


def test_csv_quotes_commas_quotes_and_line_breaks() -> None:
    record = replace(
        indicator_records()[0],
        kind="filename",
        value='rapport "Q1", def.exe',
        comment="regel één\nregel twee",
    )
    text = csv_text([record])

    assert '"rapport ""Q1"", def.exe"' in text
    assert rows(text)[1][1] == 'rapport "Q1", def.exe'
    assert rows(text)[1][7] == "regel één\nregel twee"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote(start: str) -> None:
    formula = f'{start}HYPERLINK("https://evil.example","klik")'
    record = replace(indicator_records()[0], kind="filename", value=formula, comment=formula)
    (row,) = rows(csv_text([record], incident_reference=f"{start}1+1"))[1:]

    assert row[1] == f"'{formula}"
    assert row[7] == f"'{formula}"
    assert row[6] == f"'{start}1+1"


def test_csv_leaves_ordinary_cells_alone() -> None:
    record = replace(indicator_records()[0], comment="zie ticket 12 = opgelost")
    (row,) = rows(csv_text([record]))[1:]

    assert row[1] == "203.0.113.7"
    assert row[7] == "zie ticket 12 = opgelost"


# -- STIX import: what is taken ------------------------------------------------------------------

BUNDLE_ID = "bundle--0b0d4a2c-9a0e-4d4e-8f7f-2a8c7a1b0c11"


def indicator(pattern: str = "[ipv4-addr:value = '198.51.100.9']", **fields: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-03-01T10:00:00.000Z",
        "modified": "2026-03-01T10:00:00.000Z",
        "name": "C2-server",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-03-01T09:00:00Z",
        **fields,
    }


def bundle_text(*objects: Any, **fields: Any) -> str:
    return json.dumps({"type": "bundle", "id": BUNDLE_ID, "objects": list(objects), **fields})


def values(parsed: list[Any]) -> list[tuple[str, str]]:
    return [(p.kind, p.value) for p in parsed]


def test_import_reads_value_name_and_first_seen() -> None:
    (parsed,) = parse_stix(bundle_text(indicator()))

    assert (parsed.kind, parsed.value, parsed.name) == ("ipv4", "198.51.100.9", "C2-server")
    assert parsed.first_seen == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert parsed.tlp is None
    assert parsed.last_seen is None
    assert parsed.stix_id.startswith("indicator--")


def test_import_takes_bytes_with_a_byte_order_mark() -> None:
    data = "\ufeff".encode() + bundle_text(indicator()).encode()

    assert values(parse_stix(data)) == [("ipv4", "198.51.100.9")]


def test_import_takes_every_value_of_an_or_pattern() -> None:
    within = indicator(
        "[file:hashes.'SHA-256' = 'aa' OR file:hashes.MD5 = 'bb' OR file:hashes.SHA1 = 'cc']"
    )
    across = indicator("[domain-name:value = 'a.example'] OR ([url:value = 'https://b.example/'])")

    assert values(parse_stix(bundle_text(within, across))) == [
        ("sha256", "aa"),
        ("md5", "bb"),
        ("sha1", "cc"),
        ("domain", "a.example"),
        ("url", "https://b.example/"),
    ]


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [
        ("[file:hashes.'SHA-256' = 'x']", "sha256"),
        ("[file:hashes.SHA256 = 'x']", "sha256"),
        ("[file:hashes.sha256 = 'x']", "sha256"),
        ("[file:hashes.'SHA-1' = 'x']", "sha1"),
        ("[file:hashes.'MD5' = 'x']", "md5"),
        ("[ file:name='x' ]", "filename"),
        ("[email-addr:value\n=\t'x']", "email"),
        ("[ipv6-addr:value = 'x']", "ipv6"),
    ],
)
def test_import_knows_the_usual_spellings(pattern: str, kind: str) -> None:
    assert values(parse_stix(bundle_text(indicator(pattern)))) == [(kind, "x")]


@pytest.mark.parametrize(
    ("refs", "tlp"),
    [
        ([TLP2_MARKING_IDS["amber+strict"]], "amber+strict"),
        ([stix2.TLP_WHITE.id], "clear"),
        ([stix2.TLP_GREEN.id], "green"),
        ([stix2.TLP_AMBER.id], "amber"),
        ([stix2.TLP_RED.id], "red"),
        ([TLP2_MARKING_IDS["green"], stix2.TLP_RED.id], "red"),
        (["marking-definition--3a7d9b3e-6c8f-4c1e-9f0a-2b4d6e8f0a1c"], None),
        ([], None),
    ],
)
def test_import_reads_tlp_2_and_tlp_1_markings(refs: list[str], tlp: str | None) -> None:
    (parsed,) = parse_stix(bundle_text(indicator(object_marking_refs=refs)))

    assert parsed.tlp == tlp


def test_import_reads_past_other_objects() -> None:
    others = [
        {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}"},
        {"type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}", "x": [1]},
        {"type": "x-acme-thing", "id": f"x-acme-thing--{uuid.uuid4()}", "extra": {"a": None}},
        {"type": "ipv4-addr", "id": f"ipv4-addr--{uuid.uuid4()}", "value": "192.0.2.1"},
        stix2.TLP_AMBER.serialize(),
    ]
    others[-1] = json.loads(str(others[-1]))

    assert values(parse_stix(bundle_text(*others, indicator()))) == [("ipv4", "198.51.100.9")]


def test_import_leaves_out_revoked_indicators() -> None:
    data = bundle_text(indicator(revoked=True), indicator("[domain-name:value = 'x.example']"))

    assert values(parse_stix(data)) == [("domain", "x.example")]


def test_import_takes_the_newest_version_of_an_indicator() -> None:
    old = indicator("[domain-name:value = 'old.example']")
    new = {**old, "pattern": "[domain-name:value = 'new.example']"}
    new["modified"] = "2026-03-02T10:00:00.000Z"

    assert values(parse_stix(bundle_text(new, old))) == [("domain", "new.example")]


def test_import_takes_last_seen_from_sightings() -> None:
    seen = indicator()
    sightings = [
        {
            "type": "sighting",
            "spec_version": "2.1",
            "id": f"sighting--{uuid.uuid4()}",
            "sighting_of_ref": seen["id"],
            "last_seen": stamp,
        }
        for stamp in ("2026-03-04T12:00:00.123456789Z", "2026-03-03T12:00:00Z")
    ]
    (parsed,) = parse_stix(bundle_text(seen, *sightings))

    assert parsed.last_seen == datetime(2026, 3, 4, 12, 0, 0, 123456, tzinfo=UTC)


def test_import_tolerates_a_bundle_that_names_its_version_2_1() -> None:
    assert len(parse_stix(bundle_text(indicator(), spec_version="2.1"))) == 1


def test_an_empty_bundle_imports_nothing() -> None:
    assert parse_stix(bundle_text()) == []
    assert parse_stix(json.dumps({"type": "bundle", "id": BUNDLE_ID})) == []


# -- STIX import: what is refused ----------------------------------------------------------------


def refused(data: bytes | str, **limits: int) -> str:
    with pytest.raises(ImportRefused) as caught:
        parse_stix(data, **limits)
    return str(caught.value)


@pytest.fixture
def json_never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refusals that must come before the JSON parser ever sees the text."""

    def parser_reached(*args: object, **kwargs: object) -> None:
        raise AssertionError("the JSON parser was reached")

    monkeypatch.setattr(exchange_module, "_load_json", parser_reached)


def test_a_huge_file_is_refused_before_it_is_read(json_never_parsed: None) -> None:
    huge = "[" * 100_000_000

    message = refused(huge)

    assert message == "The file is too large: at most 5,000,000 bytes can be imported."
    assert "at most 10 bytes" in refused(b"x" * 11, max_bytes=10)
    # Characters are not bytes: "é" is two.
    assert "at most 10 bytes" in refused("é" * 6, max_bytes=10)


def test_deep_nesting_is_refused_before_it_is_parsed(json_never_parsed: None) -> None:
    message = refused("[" * 100_000 + "]" * 100_000)

    assert message == (
        "The file is nested too deeply (more than 64 levels); this is not a STIX bundle."
    )


def test_nesting_within_the_limit_is_read() -> None:
    nested = {"type": "bundle", "id": BUNDLE_ID, "objects": [indicator(x=[[[[[[[[1]]]]]]]])]}
    assert len(parse_stix(json.dumps(nested))) == 1


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    deep_looking = indicator(name="[" * 10_000 + "{" * 10_000)

    assert len(parse_stix(bundle_text(deep_looking))) == 1


def test_an_unterminated_string_full_of_escapes_is_refused() -> None:
    message = refused('"\\"' * 1_500_000)

    assert message.startswith("The file is not valid JSON")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'{"type": "bundle\xff"}',
            "The file is not valid UTF-8 text (byte 17).",
        ),
        (
            '{"type": "bundle",',
            "The file is not valid JSON (line 1, column 19: "
            "Expecting property name enclosed in double quotes).",
        ),
        ("", "The file is not valid JSON (line 1, column 1: Expecting value)."),
        ('{"a": NaN}', "The file contains NaN, which is not a number in JSON."),
        ('{"a": Infinity}', "The file contains Infinity, which is not a number in JSON."),
        ('{"a": -Infinity}', "The file contains -Infinity, which is not a number in JSON."),
        ('{"a": 1e999}', "The file contains a number that is too large."),
        ('{"a": ' + "9" * 5000 + "}", "The file contains a number that is too large."),
        (
            '{"type": "bundle", "type": "indicator"}',
            "The file repeats the key “type” in one object; its meaning is ambiguous.",
        ),
        (
            "[]",
            "The file is not a STIX bundle: its top level must have “type”: “bundle”.",
        ),
        (
            json.dumps(indicator()),
            "The file is not a STIX bundle: its top level must have “type”: “bundle”.",
        ),
        (
            bundle_text(spec_version="2.0"),
            "This is a STIX 2.0 bundle; only STIX 2.1 can be imported.",
        ),
        (json.dumps({"type": "bundle", "objects": []}), "The bundle has no valid id."),
        (
            json.dumps({"type": "bundle", "id": BUNDLE_ID, "objects": {}}),
            "The bundle's “objects” must be a list.",
        ),
        (
            bundle_text("indicator"),
            "Object 1 in the bundle is not a STIX object with a valid type and id.",
        ),
        (
            bundle_text(indicator(), {"type": "indicator", "id": "indicator--1"}),
            "Object 2 in the bundle is not a STIX object with a valid type and id.",
        ),
        (
            bundle_text({"type": "malware", "id": f"indicator--{uuid.uuid4()}"}),
            "Object 1 in the bundle is not a STIX object with a valid type and id.",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_its_own_message(data: bytes | str, message: str) -> None:
    assert refused(data) == message


def test_too_many_objects_are_refused() -> None:
    data = bundle_text(indicator(), indicator(), indicator())

    assert refused(data, max_objects=2) == (
        "The bundle holds 3 objects; at most 2 can be imported at once."
    )
    assert len(parse_stix(data, max_objects=3)) == 3


def test_objects_of_another_stix_version_are_refused() -> None:
    stix20 = indicator(spec_version="2.0")
    unversioned = indicator()
    del unversioned["spec_version"]
    other = {"type": "malware", "spec_version": "2.0", "id": f"malware--{uuid.uuid4()}"}

    for obj in (stix20, unversioned, other):
        assert refused(bundle_text(obj)) == (
            f"Object {obj['id']} is not STIX 2.1; only STIX 2.1 can be imported."
        )


def test_one_bad_indicator_refuses_the_whole_bundle() -> None:
    good = indicator()
    bad = indicator("[ipv4-addr:value = '1.2.3.4'")

    message = refused(bundle_text(good, bad))

    assert message.startswith(f"Indicator {bad['id']} has an invalid STIX pattern: ")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pattern": None}, "Indicator {id} has no pattern and pattern type."),
        ({"pattern": ""}, "Indicator {id} has no pattern and pattern type."),
        (
            {"pattern": ["[ipv4-addr:value = '1.2.3.4']"]},
            "Indicator {id} has no pattern and pattern type.",
        ),
        ({"pattern_type": None}, "Indicator {id} has no pattern and pattern type."),
        (
            {"pattern_type": "yara", "pattern": "rule x { condition: true }"},
            "Indicator {id} holds a yara pattern; only STIX patterns can be imported. "
            "Leave it out of the bundle and try again.",
        ),
        (
            {"pattern_type": "sigma", "pattern": "title: x"},
            "Indicator {id} holds a sigma pattern; only STIX patterns can be imported. "
            "Leave it out of the bundle and try again.",
        ),
        ({"valid_from": None}, "Object {id} has an invalid timestamp in “valid_from”."),
        ({"valid_from": "2026-03-01"}, "Object {id} has an invalid timestamp in “valid_from”."),
        (
            {"valid_from": "2026-13-01T00:00:00Z"},
            "Object {id} has an invalid timestamp in “valid_from”.",
        ),
        ({"modified": 5}, "Object {id} has an invalid timestamp in “modified”."),
        (
            {"object_marking_refs": "marking-definition--x"},
            "Object {id} has invalid “object_marking_refs”; it must be a list of ids.",
        ),
        ({"name": {"en": "x"}}, "Object {id} has a “name” that is not text."),
    ],
)
def test_a_malformed_indicator_is_refused_by_id(fields: dict[str, Any], message: str) -> None:
    bad = indicator(**fields)
    if fields.get("pattern") is None and "pattern" in fields:
        del bad["pattern"]

    assert refused(bundle_text(bad)) == message.format(id=bad["id"])


def test_an_indicator_without_valid_from_is_refused() -> None:
    bad = indicator()
    del bad["valid_from"]

    assert refused(bundle_text(bad)) == f"Indicator {bad['id']} has no “valid_from”."


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        ("[url:value LIKE 'https://%.example/']", "LIKE"),
        ("[url:value MATCHES '^https://']", "MATCHES"),
        ("[url:value NOT = 'https://a.example/']", "NOT"),
        ("[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]", "IN"),
        ("[file:name = 'a.exe' AND file:hashes.MD5 = 'bb']", "AND"),
        ("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x']", "AND"),
        ("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x']", "FOLLOWEDBY"),
        (
            "[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS",
            "a WITHIN, REPEATS or START/STOP qualifier",
        ),
        ("[file:size > 1000]", "the > comparison"),
    ],
)
def test_a_pattern_that_does_more_than_test_values_is_refused(pattern: str, what: str) -> None:
    bad = indicator(pattern)

    assert refused(bundle_text(indicator(), bad)) == (
        f"Indicator {bad['id']} uses {what} in its pattern. Only patterns that test "
        "values with “=”, joined by OR, can be imported."
    )


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("[process:name = 'evil.exe']", "process:name"),
        ("[file:hashes.'SHA-512' = 'aa']", "file:hashes.'SHA-512'"),
        ("[x-acme:value = 'aa']", "x-acme:value"),
        ("[email-message:from_ref.value = 'a@b.example']", "email-message:from_ref.value"),
        ("[file:extensions.'x-y'.names[0] = 'aa']", "file:extensions.'x-y'.names[0]"),
    ],
)
def test_a_pattern_on_an_unsupported_property_is_refused(pattern: str, path: str) -> None:
    bad = indicator(pattern)

    message = refused(bundle_text(bad))

    assert message.startswith(f"Indicator {bad['id']} tests {path}, which cannot be imported.")
    assert message.endswith("file:hashes.'SHA-256', file:name.")


def test_a_pattern_comparing_with_something_other_than_text_is_refused() -> None:
    bad = indicator("[ipv4-addr:value = h'c0a80001']")

    assert refused(bundle_text(bad)) == (
        f"Indicator {bad['id']} compares ipv4-addr:value with something other than a quoted text."
    )


def test_a_pattern_with_a_megabyte_value_is_refused_before_it_is_parsed() -> None:
    bad = indicator("[url:value = '" + "a" * 1_000_000 + "']")

    message = refused(bundle_text(bad))

    assert message == (
        f"Indicator {bad['id']} has a pattern of 1,000,016 characters; at most 10,000 are imported."
    )


def test_a_pattern_nested_deeply_in_brackets_is_refused() -> None:
    bad = indicator("(" * 3000 + "[ipv4-addr:value = '1.2.3.4']" + ")" * 3000)

    assert refused(bundle_text(bad)).startswith(
        f"Indicator {bad['id']} has an invalid STIX pattern"
    )


def test_a_sighting_without_its_indicator_reference_is_refused() -> None:
    sighting = {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{uuid.uuid4()}"}

    assert refused(bundle_text(indicator(), sighting)) == (
        f"Sighting {sighting['id']} has no “sighting_of_ref”."
    )


def test_many_complex_patterns_are_refused_before_the_grammar_reads_them_all() -> None:
    ored = " OR ".join(f"[domain-name:value = 'host{n}.zorgdreiging.nl']" for n in range(180))
    bad = [indicator(ored) for _ in range(40)]
    message = refused(bundle_text(*bad))
    assert "too complex to import at once" in message


def test_a_bundle_beyond_one_save_is_refused() -> None:
    many = [indicator(f"[domain-name:value = 'host{n}.zorgdreiging.nl']") for n in range(10_001)]
    assert "more than 10,000 indicators" in refused(bundle_text(*many), max_bytes=50_000_000)
