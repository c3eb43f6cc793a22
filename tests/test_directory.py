"""The public member directory at /members/: approved members only, their public
facts only, searchable and filterable, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from ttc.core.testing import make_organisation, make_user
from ttc.members.models import Membership, MemberStatus, Organisation, OrganisationKind, Skill

pytestmark = pytest.mark.django_db


def english(message: str) -> str:
    with translation.override("en"):
        return gettext(message)


def visitor(language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def area(name_en: str) -> Skill:
    return Skill.objects.get(parent__isnull=True, name_en=name_en)


def sub_skill(name_en: str) -> Skill:
    return Skill.objects.get(parent__isnull=False, name_en=name_en)


def member(
    name: str,
    *,
    kind: str = OrganisationKind.MEMBER_COMPANY,
    status: str = MemberStatus.APPROVED,
    city: str = "Utrecht",
    expertise: tuple[Skill, ...] = (),
    regions: tuple[str, ...] = (),
    people: int = 0,
    **fields,
) -> Organisation:
    vetted_at = fields.pop("vetted_at", None)
    organisation = make_organisation(name, kind, city=city, regions=list(regions), **fields)
    Organisation.objects.filter(pk=organisation.pk).update(
        status=status, vetted_at=vetted_at or organisation.vetted_at
    )
    organisation.expertise.set(expertise)
    for index in range(people):
        user = make_user(f"person{index}@{organisation.pk}.test", full_name=f"Person {index}")
        Membership.objects.create(user=user, organisation=organisation)
    return organisation


def names_in(response) -> list[str]:
    html = response.content.decode()
    return [
        org.name
        for org in Organisation.objects.order_by("name")
        if f'<td class="utrecht-table__cell">{escape(org.name)}' in html
    ]


def test_the_directory_shows_approved_members_and_their_public_facts(db):
    vetted_at = timezone.now() - timedelta(days=400)
    company = member(
        "Datadijk B.V.",
        city="Leeuwarden",
        expertise=(sub_skill("Incident response"), sub_skill("Forensics"), area("Privacy")),
        people=3,
        vetted_at=vetted_at,
    )
    member("Jansen Advies", kind=OrganisationKind.INDEPENDENT_EXPERT, city="Delft", people=1)
    for status in (
        MemberStatus.APPLIED,
        MemberStatus.UNDER_REVIEW,
        MemberStatus.INFO_REQUESTED,
        MemberStatus.REJECTED,
        MemberStatus.SUSPENDED,
        MemberStatus.EXPIRED,
        MemberStatus.WITHDRAWN,
        MemberStatus.ENDED,
    ):
        member(f"Niet Zichtbaar {status}", status=status)
    member("Ziekenhuis Oost", kind=OrganisationKind.HOSPITAL)
    member("Independent Wachtend", kind=OrganisationKind.INDEPENDENT_EXPERT, status="applied")

    response = visitor().get(reverse("directory"))
    assert response.status_code == 200
    # An independent expert's name is a private person's: never published.
    assert names_in(response) == ["Datadijk B.V."]
    html = response.content.decode()
    row = html.split("Datadijk B.V.")[1].split("</tr>")[0]
    assert "Leeuwarden" in row
    # Areas, not sub-skills, each once.
    assert "Privacy, Security" in row
    assert "Incident response" not in row
    assert '<td class="utrecht-table__cell">3</td>' in row
    with translation.override("en"):
        assert date_filter(timezone.localtime(vetted_at).date(), "j F Y") in row
    assert "Jansen Advies" not in html
    assert company.pk  # shown without a link to the (members-only) organisation page
    assert reverse("organisation_detail", args=[company.pk]) not in html


def test_area_names_follow_the_language(db):
    member("Datadijk B.V.", expertise=(sub_skill("Cloud migration"),))
    assert "Cloud and hosting" in visitor("en").get(reverse("directory")).content.decode()
    assert "Cloud en hosting" in visitor("nl").get(reverse("directory")).content.decode()


def test_nothing_else_about_members_is_public(db):
    company = member(
        "Datadijk B.V.",
        people=0,
        kvk_number="12345678",
        establishment_number="000012345678",
        vat_number="NL123456789B01",
        street="Geheimstraat 12",
        postcode="9999 ZZ",
        website="https://geheim.example",
        description="Onze geheime omschrijving",
        capacity_hours=137,
        languages=["tr"],
        compliance_issues=["tax_statement_expired"],
    )
    person = make_user("piet.geheim@datadijk.test", full_name="Piet Geheimhouder")
    Membership.objects.create(user=person, organisation=company, role="admin")
    private = [
        "12345678",
        "000012345678",
        "NL123456789B01",
        "Geheimstraat",
        "9999 ZZ",
        "geheim.example",
        "geheime omschrijving",
        "137",
        "piet.geheim",
        "Piet Geheimhouder",
        "tax_statement",
        escape(english("Turkish")),
    ]
    for client in (visitor("en"), visitor("nl")):
        for response in (
            client.get(reverse("directory")),
            client.get(reverse("directory"), {"q": "Datadijk"}, headers={"HX-Request": "true"}),
        ):
            html = response.content.decode()
            assert "Datadijk B.V." in html
            for secret in private:
                assert secret not in html, secret


def test_search_by_name(db):
    member("Datadijk B.V.")
    member("Wolkenwerk B.V.")
    response = visitor().get(reverse("directory"), {"q": "wolk"})
    assert names_in(response) == ["Wolkenwerk B.V."]
    assert 'value="wolk"' in response.content.decode()


def test_filter_by_skill_area(db):
    security = area("Security")
    member("Via Sub-skill B.V.", expertise=(sub_skill("Forensics"),))
    member("Via Area B.V.", expertise=(security,))
    member("Andere Kennis B.V.", expertise=(sub_skill("Kubernetes"),))
    member("Zonder Kennis B.V.")
    response = visitor().get(reverse("directory"), {"skill": security.pk})
    assert names_in(response) == ["Via Area B.V.", "Via Sub-skill B.V."]
    assert f'<option value="{security.pk}" selected>' in response.content.decode()
    # Counting people is not thrown off by the filter's joins.
    assert "Via Area B.V." in response.content.decode()


def test_filter_by_region_is_exact(db):
    member("Noord B.V.", regions=("noord-holland", "utrecht"))
    member("Zuid B.V.", regions=("zuid-holland",))
    member("Nergens B.V.")
    response = visitor().get(reverse("directory"), {"region": "zuid-holland"})
    assert names_in(response) == ["Zuid B.V."]
    response = visitor().get(reverse("directory"), {"region": "utrecht"})
    assert names_in(response) == ["Noord B.V."]
    assert '<option value="utrecht" selected>' in response.content.decode()


def test_filters_combine(db):
    security = area("Security")
    member("Beide B.V.", expertise=(security,), regions=("zeeland",))
    member("Alleen Regio B.V.", regions=("zeeland",))
    member("Alleen Kennis B.V.", expertise=(security,))
    response = visitor().get(reverse("directory"), {"skill": security.pk, "region": "zeeland"})
    assert names_in(response) == ["Beide B.V."]


@pytest.mark.parametrize(
    "params", [{"skill": "abc"}, {"skill": "99999999999999999999"}, {"region": "atlantis"}]
)
def test_unknown_filter_values_filter_nothing(db, params):
    member("Datadijk B.V.")
    response = visitor().get(reverse("directory"), params)
    assert response.status_code == 200
    assert names_in(response) == ["Datadijk B.V."]


def test_unknown_skill_id_finds_nobody(db):
    member("Datadijk B.V.", expertise=(area("Security"),))
    response = visitor().get(reverse("directory"), {"skill": 987654})
    assert names_in(response) == []
    assert escape(english("No members match.")) in response.content.decode()


def test_the_htmx_request_gets_only_the_results(db):
    member("Datadijk B.V.")
    response = visitor().get(reverse("directory"), {"q": "data"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="results"' not in html, "the live region stays on the page; htmx fills it"
    assert "<html" not in html
    assert 'role="search"' not in html
    assert "Datadijk B.V." in html


def test_the_search_form_works_without_javascript(db):
    html = visitor().get(reverse("directory")).content.decode()
    assert f'<form method="get" action="{reverse("directory")}"' in html
    assert f'hx-get="{reverse("directory")}"' in html
    assert 'hx-target="#results"' in html
    for field in ('for="q"', 'for="skill"', 'for="region"'):
        assert field in html


def test_pages_keep_the_filters(db):
    security = area("Security")
    for index in range(30):
        member(f"Lid {index:02d} B.V.", expertise=(security,), regions=("utrecht",))
    response = visitor().get(reverse("directory"), {"skill": security.pk, "region": "utrecht"})
    assert len(names_in(response)) == 25
    html = response.content.decode()
    assert f"skill={security.pk}&amp;region=utrecht&amp;page=2" in html
    second = visitor().get(
        reverse("directory"), {"skill": security.pk, "region": "utrecht", "page": 2}
    )
    assert len(names_in(second)) == 5


def test_signed_in_people_see_the_same_directory(personas, client_for):
    for name in ("coordinator", "member_admin", "requester", "anonymous"):
        response = client_for(name).get(reverse("directory"))
        assert response.status_code == 200
        assert "Veilig Netwerk B.V." in response.content.decode()
        assert "Ziekenhuis Noorderlicht" not in response.content.decode()
        assert "admin@veilignetwerk.test" not in response.content.decode()


def _queries_for(count: int, client: Client) -> int:
    security, privacy = area("Security"), area("Privacy")
    existing = Organisation.objects.count()
    for index in range(existing, existing + count):
        organisation = member(
            f"Lid {index:03d} B.V.",
            expertise=(security, sub_skill("Forensics"), privacy),
            regions=("utrecht",),
        )
        Membership.objects.bulk_create(
            Membership(
                user=make_user(f"p{index}-{n}@lid.test", mfa=False), organisation=organisation
            )
            for n in range(2)
        )
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("directory"), {"region": "utrecht"})
        assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("who", ["anonymous", "member_admin"])
def test_the_number_of_queries_does_not_grow_with_the_members(personas, client_for, who):
    client = client_for(who)
    few = _queries_for(5, client)
    many = _queries_for(45, client)  # 50 in all
    assert few == many
    htmx_few = len(_capture(client))
    assert htmx_few <= few


def _capture(client: Client) -> list:
    with CaptureQueriesContext(connection) as context:
        client.get(reverse("directory"), headers={"HX-Request": "true"})
    return context.captured_queries
