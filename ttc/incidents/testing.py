"""Incidents for tests: reports made through the services, a response team,
and the leak-test registration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from ttc.core.testing import LabelledSurfaces, Personas, register_labelled
from ttc.core.tlp import TLP
from ttc.incidents import indicators, services
from ttc.incidents.models import Category, Incident, Indicator, Responder, Severity
from ttc.members.models import Membership, OrganisationKind

#: A vendor report as a responder would paste it: defanged, with noise.
VENDOR_REPORT = """\
Threat advisory: LockBit-style ransomware wave against Dutch hospitals

The initial access came through a phishing mail from invoice[@]factuur-zorg[.]nl
linking to hxxps://factuur-zorg[.]nl/download/Factuur_2026.zip which drops
Factuur_2026.exe (SHA-256 0c5a4f3e1d2b6a7c8e9f00112233445566778899aabbccddeeff001122334455).
Command and control: 185.220.101[.]47 and update-check(dot)example-c2[.]com.
MD5 of the loader: 44d88612fea8a8f36de82e1278abb02f
Internal hosts 10.0.0.12 and 192.168.1.5 were encrypted.
"""


def report_data(**overrides: Any) -> services.ReportData:
    fields: dict[str, Any] = {
        "title": "Ransomware op de afdeling radiologie",
        "description": "Om 03:10 zijn de PACS-servers **versleuteld**; er staat een losgeldbrief.",
        "detected_at": timezone.now() - timedelta(hours=1),
        "category": Category.MALICIOUS_CODE,
        "severity": Severity.CRITICAL,
        "contact_name": "Ruud Requester",
        "contact_phone": "+31 50 123 4567",
        "contact_email": "ciso@noorderlicht.test",
        "affected_systems": "PACS, twee fileservers",
        "tlp": TLP.AMBER_STRICT,
    }
    fields.update(overrides)
    return services.ReportData(**fields)


def report(personas: Personas, **overrides: Any) -> Incident:
    """The hospital's requester reports an incident."""
    return services.incident_report(
        author=personas.requester, organisation=personas.hospital, data=report_data(**overrides)
    )


def respond(personas: Personas, incident: Incident, person: Any = None) -> Responder:
    """A coordinator invites the member company's expert (or `person`), who accepts."""
    person = person or personas.expert
    place = services.responder_invite(incident=incident, actor=personas.coordinator, person=person)
    return services.responder_answer(place=place, actor=person, accept=True)


def add_indicators(
    personas: Personas, incident: Incident, values: list[tuple[str, str]], *, tlp: str | None = None
) -> None:
    indicators.indicators_save(
        incident=incident,
        actor=personas.coordinator,
        items=[indicators.Item(kind, value, tlp or incident.tlp) for kind, value in values],
    )


def _probe_reporter() -> tuple[Any, Any]:
    """A care organisation outside the personas' world, so that the reporting
    side of a probe incident is nobody the leak test checks."""
    from ttc.core.testing import make_organisation, make_user

    existing = Membership.objects.filter(user__email="probe@zorg-elders.test").first()
    if existing is not None:
        return existing.user, existing.organisation
    care = make_organisation("Zorggroep Elders", OrganisationKind.CARE)
    author = make_user("probe@zorg-elders.test", full_name="Paula Probe")
    Membership.objects.create(user=author, organisation=care, role="admin")
    return author, care


def _share(obj: Any, tlp: str, people: list[Any], organisations: list[Any]) -> None:
    """Name exactly the given recipients; people are named as people of their
    organisation (the access rule reads them through it)."""
    from ttc.members.models import Organisation

    obj.recipient_people.set(people)
    if tlp == TLP.RED:
        organisations = list(Organisation.objects.filter(memberships__user__in=people))
    obj.recipient_orgs.set(organisations)


def make_labelled_incident(
    personas: Personas, tlp: str, *, people: list[Any], organisations: list[Any]
) -> Incident:
    author, care = _probe_reporter()
    incident = services.incident_report(
        author=author,
        organisation=care,
        data=report_data(
            tlp=tlp,
            title=f"Leak probe {tlp} title",
            description=f"Leak probe {tlp} secret body",
            contact_name="Paula Probe",
        ),
    )
    _share(incident, tlp, people, organisations)
    return incident


def make_labelled_indicator(
    personas: Personas, tlp: str, *, people: list[Any], organisations: list[Any]
) -> Indicator:
    """An indicator under `tlp` on a TLP:RED incident that names only its
    reporter: whoever sees the indicator sees it through its own label."""
    author, care = _probe_reporter()
    incident = services.incident_report(
        author=author,
        organisation=care,
        data=report_data(tlp=TLP.RED, title="Carrier incident", contact_name="Paula Probe"),
    )
    value = f"leak-probe-{tlp.replace('+', '-')}.zorgdreiging.nl"
    indicators.indicators_save(
        incident=incident,
        actor=author,
        items=[indicators.Item("domain", value, tlp, comment=f"Leak probe {tlp}")],
    )
    indicator = Indicator.objects.get(incident=incident, value=value)
    _share(indicator, tlp, people, organisations)
    return indicator


register_labelled(
    LabelledSurfaces(
        model=Incident,
        make=make_labelled_incident,
        list_url=reverse("incident_list"),
        detail_url=lambda obj: obj.get_absolute_url(),
        search_url=lambda obj: reverse("incident_list") + "?" + urlencode({"q": "probe"}),
        api_list_url="/api/v1/incidents",
        api_detail_url=lambda obj: f"/api/v1/incidents/{obj.reference}",
        # An incident tells the people on the case, never its whole audience:
        # see tests/test_incident_access.py.
        broadcasts=False,
        # The dashboard lists the open incidents a person works on only.
        partial_surfaces=("home",),
    )
)

register_labelled(
    LabelledSurfaces(
        model=Indicator,
        make=make_labelled_indicator,
        list_url=reverse("indicator_list") + "?" + urlencode({"q": "leak-probe"}),
        detail_url=lambda obj: obj.get_absolute_url(),
        search_url=lambda obj: reverse("indicator_list") + "?" + urlencode({"q": obj.value}),
        api_list_url="/api/v1/indicators?" + urlencode({"q": "leak-probe"}),
        api_detail_url=lambda obj: f"/api/v1/indicators/{obj.uuid}",
        broadcasts=False,
        # Indicators are not on the dashboard.
        partial_surfaces=("home",),
    )
)
