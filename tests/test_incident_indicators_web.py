"""Indicator pages: paste and review, save, import, export, lookup, detail and the feed,
tested through the pages as the people who use them."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from stix2validator import ValidationOptions, validate_string

from ttc.core.models import AuditEvent
from ttc.core.testing import make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.incidents import exchange, indicator_views, indicators, services
from ttc.incidents.models import Indicator, IndicatorKind
from ttc.incidents.testing import VENDOR_REPORT, add_indicators, report, report_data, respond
from ttc.members.models import Membership, OrganisationKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

C2_ADDRESS = "185.220.101.47"
REFANGED = {
    "invoice@factuur-zorg.nl",
    "https://factuur-zorg.nl/download/Factuur_2026.zip",
    "Factuur_2026.exe",
    "0c5a4f3e1d2b6a7c8e9f00112233445566778899aabbccddeeff001122334455",
    C2_ADDRESS,
    "update-check.example-c2.com",
    "44d88612fea8a8f36de82e1278abb02f",
}


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def incident(personas):
    """The hospital's AMBER+STRICT incident, with the member company's expert on the team."""
    incident = report(personas)
    respond(personas, incident)
    return incident


def url(name, *args):
    return reverse(name, args=args)


def paste(client, incident, text=VENDOR_REPORT):
    return client.post(url("indicators_paste", incident.reference), {"text": text})


def review_data(response):
    """What the review page's form sends back, as the browser would send it."""
    formset = response.context["formset"]
    extras = response.context["extras"]
    data = {}
    management = formset.management_form
    for name in management.fields:
        data[management.add_prefix(name)] = management[name].value()
    for form in formset.forms:
        for name in ("kind", "value", "tlp", "comment"):
            data[form.add_prefix(name)] = form[name].value() or ""
        if form["selected"].value():
            data[form.add_prefix("selected")] = "on"
    for name in ("more", "rejected", "rejected_total", "submission_key"):
        data[name] = extras[name].value() or ""
    if extras["save_more"].value():
        data["save_more"] = "on"
    return data


def row_of(data, value):
    """The prefix of the row that holds `value`."""
    for key, field_value in data.items():
        if key.endswith("-value") and field_value == value:
            return key.removesuffix("value")
    raise AssertionError(f"no row with {value}")


def save(client, incident, data, **kwargs):
    return client.post(url("indicators_save", incident.reference), data, **kwargs)


def other_care_incident(personas, *, tlp=TLP.AMBER_STRICT):
    """An incident at another care organisation, reported by its own person."""
    care = make_organisation("Zorggroep Elders", OrganisationKind.CARE)
    author = make_user("ciso@zorg-elders.test", full_name="Els Elders")
    Membership.objects.create(user=author, organisation=care, role="admin")
    return services.incident_report(
        author=author,
        organisation=care,
        data=report_data(tlp=tlp, title="Phishing bij Elders", contact_name="Els"),
    )


def values_of(incident):
    return set(Indicator.objects.filter(incident=incident).values_list("value", flat=True))


# -- paste, review and save -------------------------------------------------------------------


class TestPasteAndReview:
    def test_the_review_shows_what_was_found_and_what_was_refused(self, incident, client_for):
        client = client_for("expert")
        assert client.get(url("indicators_paste", incident.reference)).status_code == 200
        response = paste(client, incident)
        assert response.status_code == 200
        page = response.content.decode()
        formset = response.context["formset"]
        assert {form["value"].value() for form in formset.forms} == REFANGED
        assert all(form["selected"].value() for form in formset.forms)
        assert all(form["tlp"].value() == TLP.AMBER_STRICT for form in formset.forms)
        for value in REFANGED:
            assert value in page
        # The internal addresses are listed, with the reason, and not offered for saving.
        assert "10.0.0.12" in page
        assert "private address: identifies nothing outside your own network" in page
        assert "10.0.0.12" not in {form["value"].value() for form in formset.forms}
        assert "Save selected" in page
        assert not Indicator.objects.exists()

    def test_saving_the_selected_rows_with_their_labels(self, personas, incident, client_for):
        client = client_for("expert")
        data = review_data(paste(client, incident))
        del data[row_of(data, "Factuur_2026.exe") + "selected"]
        data[row_of(data, C2_ADDRESS) + "tlp"] = TLP.GREEN
        data[row_of(data, C2_ADDRESS) + "comment"] = "C2 of the loader"
        response = save(client, incident, data)
        assert response.status_code == 302
        assert response["Location"] == incident.get_absolute_url() + "#indicators"
        assert values_of(incident) == REFANGED - {"Factuur_2026.exe"}
        address = Indicator.objects.get(incident=incident, value=C2_ADDRESS)
        assert address.tlp == TLP.GREEN
        assert address.comment == "C2 of the loader"
        assert address.source == Indicator.Source.PASTE
        assert address.created_by == personas.expert
        domain = Indicator.objects.get(incident=incident, kind=IndicatorKind.DOMAIN)
        assert domain.tlp == TLP.AMBER_STRICT
        page = client.get(response["Location"]).content.decode()
        assert "6 new indicators, 0 seen again." in page
        assert "<code>185.220.101.47</code>" in page

    def test_an_invalid_edited_value_keeps_every_row(self, incident, client_for):
        client = client_for("expert")
        data = review_data(paste(client, incident))
        domain_row = row_of(data, "update-check.example-c2.com")
        data[domain_row + "value"] = "not a domain!"
        data[row_of(data, C2_ADDRESS) + "tlp"] = TLP.GREEN
        del data[row_of(data, "Factuur_2026.exe") + "selected"]
        response = save(client, incident, data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Nothing was saved yet." in page
        assert (
            "Domain not valid: &#x27;not a domain!&#x27; is not a valid part of a host name."
            in page
        )
        formset = response.context["formset"]
        assert len(formset.forms) == 7
        by_value = {form["value"].value(): form for form in formset.forms}
        assert "not a domain!" in by_value
        assert by_value[C2_ADDRESS]["tlp"].value() == TLP.GREEN
        assert not by_value["Factuur_2026.exe"]["selected"].value()
        # The refused candidates are still listed.
        assert "10.0.0.12" in page
        assert not Indicator.objects.exists()

    def test_nothing_selected_is_refused(self, incident, client_for):
        client = client_for("expert")
        data = review_data(paste(client, incident))
        for key in [key for key in data if key.endswith("-selected")]:
            del data[key]
        response = save(client, incident, data)
        assert "Tick at least one indicator to save." in response.content.decode()
        assert not Indicator.objects.exists()

    def test_a_refusal_by_the_service_keeps_every_row(self, monkeypatch, incident, client_for):
        def refuse(**kwargs):
            raise ValidationError(["Line 2: refused for a reason the form cannot know."])

        monkeypatch.setattr(indicators, "indicators_save", refuse)
        client = client_for("expert")
        data = review_data(paste(client, incident))
        data[row_of(data, C2_ADDRESS) + "comment"] = "C2 of the loader"
        response = save(client, incident, data)
        page = response.content.decode()
        assert "Line 2: refused for a reason the form cannot know." in page
        assert len(response.context["formset"].forms) == 7
        assert 'value="C2 of the loader"' in page
        assert "private address" in page

    def test_a_damaged_form_is_refused_without_saving(self, incident, client_for):
        client = client_for("expert")
        response = save(client, incident, {"more": "[1, 2]"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "ManagementForm data is missing" in page
        assert "The list of further indicators was damaged" in page
        assert not Indicator.objects.exists()

    def test_pasting_again_counts_sightings(self, incident, client_for):
        client = client_for("expert")
        save(client, incident, review_data(paste(client, incident)))
        response = save(client, incident, review_data(paste(client, incident)), follow=True)
        assert "0 new indicators, 7 seen again." in response.content.decode()
        assert set(Indicator.objects.values_list("sightings", flat=True)) == {2}

    def test_the_same_review_page_sent_twice_saves_once(self, incident, client_for):
        client = client_for("expert")
        data = review_data(paste(client, incident))
        save(client, incident, data)
        response = save(client, incident, data, follow=True)
        assert "These indicators were saved already." in response.content.decode()
        assert set(Indicator.objects.values_list("sightings", flat=True)) == {1}

    def test_the_reporting_side_pastes_too(self, incident, client_for):
        client = client_for("requester")
        save(client, incident, review_data(paste(client, incident)))
        assert values_of(incident) == REFANGED

    def test_a_text_over_the_limit_is_refused_and_kept(self, incident, client_for):
        text = "a" * 1_000_001
        response = paste(client_for("expert"), incident, text)
        assert response.status_code == 200
        assert "The text has 1,000,001 characters; at most 1,000,000 are read at once." in (
            response.content.decode()
        )
        assert response.context["form"]["text"].value() == text

    def test_a_text_without_indicators(self, incident, client_for):
        response = paste(client_for("expert"), incident, "Alles is rustig vannacht.")
        assert "No indicators were found in this text." in response.content.decode()

    def test_more_than_a_page_can_carry(self, settings, incident, client_for):
        # Five rows fit; the other two travel as one list, saved when asked.
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 16 + 5 * 5
        client = client_for("expert")
        response = paste(client, incident)
        assert len(response.context["formset"].forms) == 5
        assert len(response.context["more"]) == 2
        assert "2 more indicators were found than this page can show" in (response.content.decode())
        data = review_data(response)
        save(client, incident, data)
        assert len(values_of(incident)) == 5
        data["save_more"] = "on"
        data["submission_key"] = str(uuid.uuid4())  # the page shown again
        response = save(client, incident, data, follow=True)
        assert values_of(incident) == REFANGED
        assert "2 new indicators, 5 seen again." in response.content.decode()

    @pytest.mark.parametrize("persona", ["outsider", "member_admin", "umbrella"])
    def test_people_who_may_not_see_the_incident_get_404(self, persona, incident, client_for):
        client = client_for(persona)
        reference = incident.reference
        assert client.get(url("indicators_paste", reference)).status_code == 404
        assert paste(client, incident).status_code == 404
        assert save(client, incident, {"rows-TOTAL_FORMS": "0"}).status_code == 404
        assert client.get(url("indicators_import", reference)).status_code == 404
        assert client.get(url("incident_export", reference, "stix")).status_code == 404
        assert not Indicator.objects.exists()

    def test_readers_who_do_not_work_on_it_get_403(self, personas, client_for):
        incident = report(personas, tlp=TLP.GREEN)
        client = client_for("outsider")
        assert client.get(incident.get_absolute_url()).status_code == 200
        assert client.get(url("indicators_paste", incident.reference)).status_code == 403
        assert client.get(url("indicators_import", incident.reference)).status_code == 403

    def test_anonymous_is_sent_to_sign_in(self, incident, client_for):
        response = client_for("anonymous").get(url("indicators_paste", incident.reference))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# -- the section on the incident page ---------------------------------------------------------


class TestIncidentSection:
    def test_the_section_lists_indicators_and_actions(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS), ("domain", "evil-c2.nl")])
        page = client_for("expert").get(incident.get_absolute_url()).content.decode()
        assert 'id="indicators"' in page
        assert "<code>evil-c2.nl</code>" in page
        assert "not seen elsewhere" in page
        assert url("indicators_paste", incident.reference) in page
        assert url("indicators_import", incident.reference) in page
        for fmt in ("stix", "misp", "csv"):
            assert url("incident_export", incident.reference, fmt) in page

    def test_correlation_counts_only_incidents_the_viewer_may_see(
        self, personas, incident, client_for
    ):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        elsewhere = other_care_incident(personas)
        add_indicators(personas, elsewhere, [("ipv4", C2_ADDRESS)])
        requester_page = client_for("requester").get(incident.get_absolute_url())
        assert "not seen elsewhere" in requester_page.content.decode()
        assert [row.elsewhere for row in requester_page.context["indicator_rows"]] == [0]
        coordinator_page = client_for("coordinator").get(incident.get_absolute_url())
        assert "seen in 1 other incident" in coordinator_page.content.decode()
        assert [row.elsewhere for row in coordinator_page.context["indicator_rows"]] == [1]

    def test_a_shared_indicator_in_an_incident_the_viewer_sees_counts(
        self, personas, incident, client_for
    ):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        elsewhere = other_care_incident(personas, tlp=TLP.GREEN)
        add_indicators(personas, elsewhere, [("ipv4", C2_ADDRESS)])
        page = client_for("requester").get(incident.get_absolute_url()).content.decode()
        assert "seen in 1 other incident" in page

    def test_a_large_incident_lists_the_first_rows_and_says_so(
        self, monkeypatch, personas, incident, client_for
    ):
        monkeypatch.setattr(indicator_views, "SECTION_LIMIT", 2)
        add_indicators(personas, incident, [("domain", f"c2-{n}.evil.nl") for n in range(3)])
        response = client_for("expert").get(incident.get_absolute_url())
        assert len(response.context["indicator_rows"]) == 2
        assert "This incident has 3 indicators you may see; the first 2 are listed here." in (
            response.content.decode()
        )

    def test_the_number_of_queries_does_not_grow(self, personas, incident, client_for):
        client = client_for("expert")
        elsewhere = other_care_incident(personas, tlp=TLP.GREEN)

        def queries():
            with CaptureQueriesContext(connection) as captured:
                client.get(incident.get_absolute_url())
            return len(captured)

        add_indicators(personas, incident, [("domain", "c2-0.evil.nl")])
        add_indicators(personas, elsewhere, [("domain", "c2-0.evil.nl")], tlp=TLP.GREEN)
        few = queries()
        values = [("domain", f"c2-{n}.evil.nl") for n in range(1, 20)]
        add_indicators(personas, incident, values)
        add_indicators(personas, elsewhere, values, tlp=TLP.GREEN)
        assert queries() == few

    def test_viewing_confidential_indicators_is_audited(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        client_for("expert").get(incident.get_absolute_url())
        indicator = Indicator.objects.get()
        assert AuditEvent.objects.filter(
            action="view", actor=personas.expert, object_id=str(indicator.pk)
        ).exists()


# -- export and import --------------------------------------------------------------------------


def red_for_someone_else(personas, incident, value):
    """A TLP:RED indicator that names only the expert."""
    add_indicators(personas, incident, [("domain", value)], tlp=TLP.RED)
    indicator = Indicator.objects.get(incident=incident, value=value)
    indicator.recipient_people.set([personas.expert])
    indicator.recipient_orgs.set([personas.member_company])
    return indicator


class TestExport:
    def test_stix_export_is_valid_and_holds_only_what_the_person_may_see(
        self, personas, incident, client_for
    ):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        red_for_someone_else(personas, incident, "secret-c2.nl")
        response = client_for("requester").get(url("incident_export", incident.reference, "stix"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/stix+json")
        assert (
            response["Content-Disposition"] == f'attachment; filename="{incident.reference}.json"'
        )
        content = response.content.decode()
        results = validate_string(content, ValidationOptions(version="2.1"))
        assert results.is_valid, [error.message for error in results.errors]
        patterns = [
            obj["pattern"] for obj in json.loads(content)["objects"] if obj["type"] == "indicator"
        ]
        assert patterns == [f"[ipv4-addr:value = '{C2_ADDRESS}']"]
        assert "secret-c2.nl" not in content
        event = AuditEvent.objects.get(action="incident.export")
        assert event.actor == personas.requester
        assert event.data == {"format": "stix", "indicators": 1}
        # The team sees every indicator of its incident.
        team = client_for("expert").get(url("incident_export", incident.reference, "stix"))
        assert "secret-c2.nl" in team.content.decode()

    def test_misp_and_csv(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        red_for_someone_else(personas, incident, "secret-c2.nl")
        client = client_for("requester")
        misp = client.get(url("incident_export", incident.reference, "misp"))
        assert misp["Content-Disposition"] == (
            f'attachment; filename="{incident.reference}.misp.json"'
        )
        attributes = json.loads(misp.content)["Event"]["Attribute"]
        assert C2_ADDRESS in {attribute["value"] for attribute in attributes}
        assert "secret-c2.nl" not in misp.content.decode()
        response = client.get(url("incident_export", incident.reference, "csv"))
        assert response["Content-Disposition"] == f'attachment; filename="{incident.reference}.csv"'
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(row["type"], row["value"], row["incident"]) for row in rows] == [
            ("ipv4", C2_ADDRESS, incident.reference)
        ]
        assert AuditEvent.objects.filter(action="incident.export").count() == 2

    def test_an_unknown_format_is_404(self, incident, client_for):
        response = client_for("expert").get(url("incident_export", incident.reference, "xml"))
        assert response.status_code == 404


def bundle_with(*values, tlp="green"):
    now = timezone.now()
    records = [
        exchange.IndicatorRecord(
            id=uuid.uuid4(),
            kind=kind,
            value=value,
            tlp=tlp,
            first_seen=now,
            last_seen=now,
            sightings=1,
        )
        for kind, value in values
    ]
    return exchange.stix_json(exchange.stix_bundle(None, records))


class TestImport:
    def test_a_valid_bundle_is_attached(self, incident, client_for):
        client = client_for("expert")
        assert client.get(url("indicators_import", incident.reference)).status_code == 200
        bundle = bundle_with(("ipv4", C2_ADDRESS), ("domain", "evil-c2.nl"))
        upload = SimpleUploadedFile("bundle.json", bundle.encode(), "application/json")
        response = client.post(
            url("indicators_import", incident.reference), {"file": upload}, follow=True
        )
        assert "Imported: 2 new indicators, 0 seen again." in response.content.decode()
        rows = Indicator.objects.filter(incident=incident)
        # Marked GREEN in the bundle, but never shared wider than the incident on
        # import: widening is the decision of whoever added it.
        assert {(row.value, row.tlp, row.source) for row in rows} == {
            (C2_ADDRESS, incident.tlp, Indicator.Source.IMPORT),
            ("evil-c2.nl", incident.tlp, Indicator.Source.IMPORT),
        }

    def test_a_bundle_may_narrow_an_indicator(self, incident, client_for):
        client_for("expert").post(
            url("indicators_import", incident.reference),
            {"bundle": bundle_with(("ipv4", C2_ADDRESS), tlp="red")},
        )
        assert Indicator.objects.get().tlp == TLP.RED

    def test_a_pasted_bundle(self, incident, client_for):
        response = client_for("requester").post(
            url("indicators_import", incident.reference),
            {"bundle": bundle_with(("ipv4", C2_ADDRESS))},
        )
        assert response.status_code == 302
        assert values_of(incident) == {C2_ADDRESS}

    def test_not_json_is_refused_with_the_reason(self, incident, client_for):
        response = client_for("expert").post(
            url("indicators_import", incident.reference), {"bundle": "{not json"}
        )
        assert response.status_code == 200
        assert "The file is not valid JSON" in response.content.decode()
        assert response.context["form"]["bundle"].value() == "{not json"
        assert not Indicator.objects.exists()

    def test_a_bundle_too_large_is_refused(self, settings, incident, client_for):
        settings.TTC_STIX_IMPORT_MAX_BYTES = 10_000
        bundle = bundle_with(*[("domain", f"c2-{n}.evil.nl") for n in range(40)])
        assert len(bundle) > 10_000
        upload = SimpleUploadedFile("bundle.json", bundle.encode(), "application/json")
        response = client_for("expert").post(
            url("indicators_import", incident.reference), {"file": upload}
        )
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert not Indicator.objects.exists()

    def test_neither_file_nor_text(self, incident, client_for):
        response = client_for("expert").post(url("indicators_import", incident.reference), {})
        assert "Choose a STIX file or paste a bundle." in response.content.decode()


# -- lookup and detail -----------------------------------------------------------------------


class TestLookup:
    def test_a_defanged_value_is_found(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        indicator = Indicator.objects.get()
        response = client_for("requester").get(url("indicator_list"), {"q": "185.220.101[.]47"})
        page = response.content.decode()
        assert indicator.get_absolute_url() in page
        assert incident.reference in page
        assert AuditEvent.objects.filter(
            action="view", actor=personas.requester, object_id=str(indicator.pk)
        ).exists()

    def test_a_substring_is_found_and_htmx_gets_the_results(self, personas, incident, client_for):
        add_indicators(personas, incident, [("domain", "update-check.example-c2.com")])
        response = client_for("expert").get(
            url("indicator_list"), {"q": "example-c2"}, headers={"HX-Request": "true"}
        )
        page = response.content.decode()
        assert "update-check.example-c2.com" in page
        assert "<html" not in page
        assert 'id="results"' not in page

    def test_the_incident_is_named_only_to_its_readers(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)], tlp=TLP.GREEN)
        indicator = Indicator.objects.get()
        client = client_for("outsider")
        lookup = client.get(url("indicator_list"), {"q": C2_ADDRESS}).content.decode()
        assert indicator.get_absolute_url() in lookup
        assert incident.reference not in lookup
        detail = client.get(indicator.get_absolute_url()).content.decode()
        assert C2_ADDRESS in detail
        assert incident.reference not in detail
        assert incident.title not in detail

    def test_what_the_label_forbids_is_not_found(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        for persona in ("outsider", "member_admin", "anonymous"):
            page = client_for(persona).get(url("indicator_list"), {"q": C2_ADDRESS})
            results = page.content.decode().split('id="results"', 1)[1]
            assert "No indicator you may see matches" in results
            assert "<code>" not in results
            assert page.context["rows"] == []

    def test_visitors_find_public_indicators_only(self, personas, incident, client_for):
        add_indicators(personas, incident, [("domain", "public-c2.nl")], tlp=TLP.CLEAR)
        add_indicators(personas, incident, [("domain", "members-c2.nl")], tlp=TLP.GREEN)
        page = client_for("anonymous").get(url("indicator_list"), {"q": "-c2.nl"})
        assert [row.indicator.value for row in page.context["rows"]] == ["public-c2.nl"]
        public = Indicator.objects.get(value="public-c2.nl")
        detail = client_for("anonymous").get(public.get_absolute_url()).content.decode()
        assert "public-c2.nl" in detail
        assert incident.reference not in detail
        assert "Record a sighting" not in detail
        members_only = Indicator.objects.get(value="members-c2.nl")
        assert client_for("anonymous").get(members_only.get_absolute_url()).status_code == 404

    def test_the_number_of_queries_does_not_grow(self, personas, incident, client_for):
        client = client_for("expert")

        def queries():
            with CaptureQueriesContext(connection) as captured:
                client.get(url("indicator_list"), {"q": "evil.nl"})
            return len(captured)

        add_indicators(personas, incident, [("domain", "c2-0.evil.nl")])
        few = queries()
        add_indicators(personas, incident, [("domain", f"c2-{n}.evil.nl") for n in range(1, 20)])
        other = other_care_incident(personas, tlp=TLP.GREEN)
        add_indicators(personas, other, [("domain", f"c3-{n}.evil.nl") for n in range(5)])
        assert queries() == few


class TestIndicatorDetail:
    def test_readers_see_it_with_the_incidents_it_correlates_with(
        self, personas, incident, client_for
    ):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        elsewhere = other_care_incident(personas, tlp=TLP.GREEN)
        add_indicators(personas, elsewhere, [("ipv4", C2_ADDRESS)])
        indicator = Indicator.objects.get(incident=incident)
        response = client_for("requester").get(indicator.get_absolute_url())
        assert response.status_code == 200
        page = response.content.decode()
        assert incident.reference in page
        assert elsewhere.reference in page
        assert "Record a sighting" in page
        assert AuditEvent.objects.filter(
            action="view", actor=personas.requester, object_id=str(indicator.pk)
        ).exists()

    @pytest.mark.parametrize("persona", ["outsider", "member_admin", "umbrella", "anonymous"])
    def test_non_readers_get_404(self, persona, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        indicator = Indicator.objects.get()
        client = client_for(persona)
        assert client.get(indicator.get_absolute_url()).status_code == 404
        if persona != "anonymous":
            response = client.post(url("indicator_action", indicator.uuid, "sighting"))
            assert response.status_code == 404
        assert Indicator.objects.get().sightings == 1

    def test_sighting_relabel_and_delete(self, personas, incident, client_for):
        # The expert adds it, so the expert may share it more widely.
        indicators.indicators_save(
            incident=incident,
            actor=personas.expert,
            items=[indicators.Item("ipv4", C2_ADDRESS, incident.tlp)],
        )
        indicator = Indicator.objects.get()
        client = client_for("expert")
        response = client.post(url("indicator_action", indicator.uuid, "sighting"), follow=True)
        assert "Sighting recorded." in response.content.decode()
        assert Indicator.objects.get().sightings == 2
        response = client.post(
            url("indicator_action", indicator.uuid, "relabel"), {"tlp": TLP.GREEN}, follow=True
        )
        assert "The label is now TLP:GREEN." in response.content.decode()
        assert Indicator.objects.get().tlp == TLP.GREEN
        response = client.post(
            url("indicator_action", indicator.uuid, "relabel"), {"tlp": "purple"}
        )
        assert Indicator.objects.get().tlp == TLP.GREEN
        response = client.post(url("indicator_action", indicator.uuid, "delete"))
        assert response["Location"] == incident.get_absolute_url() + "#indicators"
        assert not Indicator.objects.exists()
        assert AuditEvent.objects.filter(action="incident.indicator.delete").exists()

    def test_only_the_source_or_a_coordinator_shares_more_widely(
        self, personas, incident, client_for
    ):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)], tlp=TLP.RED)
        indicator = Indicator.objects.get()
        # The coordinator added it: the responder may narrow, never widen it.
        response = client_for("expert").post(
            url("indicator_action", indicator.uuid, "relabel"), {"tlp": TLP.CLEAR}, follow=True
        )
        assert "Only whoever added the indicator" in response.content.decode()
        assert Indicator.objects.get().tlp == TLP.RED
        client_for("coordinator").post(
            url("indicator_action", indicator.uuid, "relabel"), {"tlp": TLP.GREEN}
        )
        assert Indicator.objects.get().tlp == TLP.GREEN

    def test_readers_who_do_not_work_on_it_cannot_change_it(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)], tlp=TLP.GREEN)
        indicator = Indicator.objects.get()
        client = client_for("outsider")
        page = client.get(indicator.get_absolute_url()).content.decode()
        assert "Record a sighting" not in page
        for action in ("sighting", "relabel", "delete"):
            assert client.post(url("indicator_action", indicator.uuid, action)).status_code == 403
        assert client.get(url("indicator_action", indicator.uuid, "delete")).status_code == 405
        assert Indicator.objects.get().sightings == 1

    def test_an_unknown_action_is_404(self, personas, incident, client_for):
        add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
        indicator = Indicator.objects.get()
        response = client_for("expert").post(url("indicator_action", indicator.uuid, "promote"))
        assert response.status_code == 404


# -- the member feed --------------------------------------------------------------------------


@pytest.fixture
def labelled(personas, incident):
    """One indicator under every label on the hospital's incident."""
    for label in TLP:
        add_indicators(
            personas, incident, [("domain", f"{label.replace('+', '-')}-c2.nl")], tlp=label
        )


class TestFeed:
    def test_the_page_explains_the_feed(self, client_for):
        page = client_for("outsider").get(url("incident_feed")).content.decode()
        assert "TLP:CLEAR and TLP:GREEN" in page
        assert "Authorization: Bearer" in page
        assert "/api/v1/feed/stix" in page
        assert "since=" in page
        assert url("incident_feed_download", "csv") in page

    @pytest.mark.parametrize("persona", ["outsider", "umbrella", "expert"])
    def test_vetted_members_get_green_and_clear_only(self, persona, labelled, client_for):
        client = client_for(persona)
        response = client.get(url("incident_feed_download", "csv"))
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="ttc-feed.csv"'
        values = {row["value"] for row in csv.DictReader(io.StringIO(response.content.decode()))}
        assert values == {"clear-c2.nl", "green-c2.nl"}
        stix = client.get(url("incident_feed_download", "stix")).content.decode()
        assert validate_string(stix, ValidationOptions(version="2.1")).is_valid
        assert "green-c2.nl" in stix
        for hidden in ("amber-c2.nl", "amber-strict-c2.nl", "red-c2.nl"):
            assert hidden not in stix

    def test_since_gives_only_what_changed(self, labelled, client_for):
        long_ago = timezone.now() - timedelta(days=30)
        Indicator.objects.filter(value="clear-c2.nl").update(updated_at=long_ago)
        since = (long_ago + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = client_for("outsider").get(
            url("incident_feed_download", "csv"), {"since": since}
        )
        values = {row["value"] for row in csv.DictReader(io.StringIO(response.content.decode()))}
        assert values == {"green-c2.nl"}

    def test_a_bad_since_is_400_with_a_message(self, client_for):
        response = client_for("outsider").get(
            url("incident_feed_download", "stix"), {"since": "last tuesday"}
        )
        assert response.status_code == 400
        assert "“last tuesday” is not a date or time." in response.content.decode()

    def test_people_who_are_not_vetted_get_403(self, client_for):
        applicant = make_user("nieuw@aanvrager.test", preferred_language="en")
        pending = make_organisation("Nog Niet B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
        Membership.objects.create(user=applicant, organisation=pending, role="admin")
        client = client_for("anonymous")
        client.force_login(applicant)
        response = client.get(url("incident_feed_download", "csv"))
        assert response.status_code == 403
        assert "The feed is for people of vetted members" in response.content.decode()
        assert "Download CSV" not in client.get(url("incident_feed")).content.decode()

    def test_anonymous_is_sent_to_sign_in(self, client_for):
        response = client_for("anonymous").get(url("incident_feed_download", "csv"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    def test_an_unknown_format_is_404(self, client_for):
        assert client_for("outsider").get(url("incident_feed_download", "xml")).status_code == 404

    def test_the_feed_is_audited(self, personas, labelled, client_for):
        client_for("outsider").get(url("incident_feed_download", "csv"))
        event = AuditEvent.objects.get(action="incident.feed")
        assert event.actor == personas.outsider
        assert event.data["count"] == 2
