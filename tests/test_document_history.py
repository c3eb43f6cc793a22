"""A working document's history, comparisons and reverts, through the pages
(ttc/documents/history_views.py).

Every accepted change is listed with who wrote it, unless they chose to stay
anonymous; any two revisions compare side by side and inline; a revert is a
new revision and the old ones stay; internal documents' history follows the
label like their text.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.testing import PERSONA_NAMES, SEES, label_recipients
from ttc.core.tlp import TLP
from ttc.documents import services
from ttc.documents.models import RevisionKind, SectionRevision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

VISITOR_EMAIL = "bezoeker@example.org"


def make_document(personas, label=TLP.CLEAR, **extra):
    return services.document_create(
        author=personas.coordinator,
        title="Anderhalve meter samenleving",
        slug=extra.pop("slug", "anderhalve-meter"),
        tlp=label,
        sections=extra.pop(
            "sections",
            [
                ("Winkels", "Klanten houden afstand bij de kassa.\n"),
                ("Scholen", "Leerlingen komen in groepen.\n"),
            ],
        ),
        **label_recipients(personas, label),
        **extra,
    )


def accept_change(personas, section, body, *, contributor=None, anonymous=False, name=""):
    """A proposal to `section`, accepted by the coordinator; a visitor without an
    account confirms their address first."""
    proposal = services.proposal_submit(
        document=section.document,
        section=section,
        contributor=contributor,
        title=section.title,
        body=body,
        anonymous=anonymous,
        email="" if contributor else VISITOR_EMAIL,
        name=name,
    )
    if contributor is None:
        services.proposal_confirm(token=services.confirmation_token(proposal))
        proposal.refresh_from_db()
    revision = services.proposal_accept(proposal=proposal, editor=personas.coordinator)
    section.refresh_from_db()
    return revision


def history_rows(page: str) -> list[str]:
    body = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr class=\"utrecht-table__row\">(.*?)</tr>", body, re.S)


@pytest.fixture
def document(personas):
    document = make_document(personas)
    shops = document.sections.get(title="Winkels")
    accept_change(
        personas,
        shops,
        "Klanten houden anderhalve meter afstand bij de kassa.\n",
        contributor=personas.member_admin,
    )
    accept_change(
        personas,
        shops,
        "Klanten houden anderhalve meter afstand bij de kassa en bij de ingang.\n",
        contributor=personas.expert,
        anonymous=True,
    )
    accept_change(
        personas,
        document.sections.get(title="Scholen"),
        "Leerlingen komen in kleine groepen.\n",
        anonymous=True,
        name="Vera Bezoeker",
    )
    return document


# --- history ---------------------------------------------------------------------------


def test_document_history_lists_every_accepted_change_without_anonymous_names(document, client_for):
    page = client_for("anonymous").get(reverse("document_history", args=[document.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    rows = history_rows(html)
    assert len(rows) == 5  # two sections written, three accepted changes
    newest = unescape(rows[0])
    assert "Scholen" in newest and "anonymous" in newest
    assert "1 added, 0 removed" in newest  # "kleine"
    by_member = unescape(rows[2])
    assert "Mehmet Admin" in by_member and "Proposal accepted" in by_member
    assert "Carla Coördinator" in unescape(rows[3]) and "Written" in unescape(rows[4])
    # Anonymous contributors, members or visitors, are never named or reached.
    for secret in ("Eva Expert", "Vera Bezoeker", VISITOR_EMAIL, "expert@veilignetwerk.test"):
        assert secret not in html
    assert "@" not in html.split("<main", 1)[1]
    # Each row leads to its revision and to what changed.
    shops = document.sections.get(title="Winkels")
    assert reverse("section_revision", args=[document.slug, shops.pk, 3]) in html
    assert f"{reverse('section_compare', args=[document.slug, shops.pk])}?from=2&amp;to=3" in html


def test_section_history_lists_only_that_section(document, client_for):
    shops = document.sections.get(title="Winkels")
    page = client_for("anonymous").get(reverse("section_history", args=[document.slug, shops.pk]))
    assert page.status_code == 200
    rows = history_rows(page.content.decode())
    assert len(rows) == 3
    assert "Leerlingen" not in page.content.decode()
    # The compare form offers every revision, previous against latest by default.
    assert re.search(r'name="from">.*<option value="2" selected>', page.content.decode())
    assert re.search(r'name="to"><option value="3" selected>', page.content.decode())


def test_a_revision_shows_its_own_text_and_says_when_it_is_not_current(document, client_for):
    shops = document.sections.get(title="Winkels")
    client = client_for("anonymous")
    old = client.get(reverse("section_revision", args=[document.slug, shops.pk, 1]))
    assert old.status_code == 200
    text = unescape(old.content.decode())
    assert "Klanten houden afstand bij de kassa." in text
    assert "an earlier text" in text and "revision 3" in text
    current = client.get(shops.revisions.get(number=3).get_absolute_url()).content.decode()
    assert "this is the current text" in current
    assert (
        client.get(reverse("section_revision", args=[document.slug, shops.pk, 9])).status_code
        == 404
    )
    other = make_document_with_slug(document, "ander-document")
    wrong = client.get(reverse("section_revision", args=[other.slug, shops.pk, 1]))
    assert wrong.status_code == 404


def make_document_with_slug(document, slug):
    coordinator = User.objects.get(is_coordinator=True)
    return services.document_create(
        author=coordinator, title="Ander", slug=slug, sections=[("Een", "Tekst.\n")]
    )


def test_history_pages_do_not_run_more_queries_with_more_changes(personas, client_for):
    document = make_document(personas)
    shops = document.sections.get(title="Winkels")
    accept_change(personas, shops, "Klanten houden afstand.\n", contributor=personas.expert)
    client = client_for("member_admin")
    url = reverse("document_history", args=[document.slug])
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for number in range(6):
        accept_change(
            personas,
            shops,
            f"Klanten houden afstand, versie {number}.\n",
            contributor=personas.expert,
        )
    assert count() == before


def test_a_document_without_text_has_an_empty_history(personas, client_for):
    document = make_document(personas, slug="leeg", sections=[])
    client = client_for("anonymous")
    history = client.get(reverse("document_history", args=[document.slug]))
    assert "No changes yet." in history.content.decode()
    compare = client.get(reverse("document_compare", args=[document.slug]))
    assert compare.status_code == 200
    assert "This document has no text yet" in compare.content.decode()


# --- comparing -------------------------------------------------------------------------


def shown(html: str) -> str:
    """The page with the screen-reader words inlined, as a screen reader reads it."""
    return re.sub(r'<span class="ttc-visually-hidden">([^<]*)</span>', r"\1", html)


def test_compare_defaults_to_the_previous_and_latest_revision_side_by_side(document, client_for):
    shops = document.sections.get(title="Winkels")
    page = client_for("anonymous").get(reverse("section_compare", args=[document.slug, shops.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ttc-diff--side" in html
    assert '<ins class="ttc-ins">[added:  en bij de ingang]</ins>' in shown(html)
    assert "<del" not in html.split('id="comparison"', 1)[1]
    assert "From 2 to 3: words added: 4, removed: 0." in html


def test_compare_any_two_revisions_side_by_side_and_inline(document, client_for):
    shops = document.sections.get(title="Winkels")
    url = reverse("section_compare", args=[document.slug, shops.pk])
    client = client_for("anonymous")
    side = client.get(url, {"from": 3, "to": 1}).content.decode()
    assert '<del class="ttc-del">[removed: anderhalve meter ]</del>' in shown(side)
    assert '<del class="ttc-del">[removed:  en bij de ingang]</del>' in shown(side)
    assert "<ins" not in side.split('id="comparison"', 1)[1]
    inline = client.get(url, {"from": 1, "to": 3, "view": "inline"}).content.decode()
    assert "ttc-diff--inline" in inline
    assert '<ins class="ttc-ins">[added: anderhalve meter ]</ins>' in shown(inline)
    # The toggle keeps the chosen revisions and marks the current view.
    assert 'href="?' not in inline
    assert f'href="{url}?from=1&amp;to=3&amp;view=side"' in inline
    assert re.search(r'view=inline"\s+aria-current="page"', inline)


def test_compare_shows_a_title_change(personas, client_for):
    document = make_document(personas)
    section = document.sections.get(title="Winkels")
    proposal = services.proposal_submit(
        document=document,
        section=section,
        contributor=personas.expert,
        title="Winkels en markten",
        body=section.body,
    )
    services.proposal_accept(proposal=proposal, editor=personas.coordinator)
    page = client_for("anonymous").get(reverse("section_compare", args=[document.slug, section.pk]))
    html = page.content.decode()
    assert "Title:" in html and "en markten" in html
    assert "is the same" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "abc"}, "“abc” is not a version number"),
        ({"to": "99"}, "Version 99 does not exist: choose one from 1 to 3."),
        ({"from": "0", "to": "1"}, "Version 0 does not exist"),
        ({"from": "-1"}, "Version -1 does not exist"),
        ({"from": "1" * 40}, "does not exist"),
    ],
)
def test_compare_with_bad_numbers_says_so(document, client_for, params, message):
    shops = document.sections.get(title="Winkels")
    page = client_for("anonymous").get(
        reverse("section_compare", args=[document.slug, shops.pk]), params
    )
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert message in html
    assert 'role="alert"' in html
    assert "<del" not in html and "<ins" not in html


def test_compare_two_versions_of_the_whole_document(document, client_for):
    url = reverse("document_compare", args=[document.slug])
    client = client_for("anonymous")
    html = client.get(url, {"from": 2, "to": 5, "view": "inline"}).content.decode()
    assert "anderhalve meter" in html and "kleine" in html
    assert html.count('class="ttc-ins"') >= 3
    default = client.get(url).content.decode()
    assert '<ins class="ttc-ins">[added: kleine ]</ins>' in shown(default)  # version 4 against 5
    bad = unescape(client.get(url, {"from": "x"}).content.decode())
    assert "“x” is not a version number" in bad
    assert "Version 6 does not exist" in unescape(client.get(url, {"to": 6}).content.decode())


def test_compare_answers_htmx_with_the_comparison_only(document, client_for):
    shops = document.sections.get(title="Winkels")
    page = client_for("anonymous").get(
        reverse("section_compare", args=[document.slug, shops.pk]),
        {"from": 1, "to": 2},
        headers={"HX-Request": "true"},
    )
    html = page.content.decode()
    assert html.lstrip().startswith('<div id="comparison"')
    assert "<html" not in html and "anderhalve meter" in html


def test_hostile_markdown_is_escaped_in_history_revision_and_compare(personas, client_for):
    document = make_document(personas)
    section = document.sections.get(title="Winkels")
    accept_change(
        personas,
        section,
        "Hallo <script>alert('x')</script> <img src=x onerror=alert(1)>\n",
        contributor=personas.member_admin,
    )
    client = client_for("anonymous")
    urls = [
        reverse("section_revision", args=[document.slug, section.pk, 2]),
        reverse("section_compare", args=[document.slug, section.pk]),
        reverse("section_compare", args=[document.slug, section.pk]) + "?view=inline",
        reverse("document_compare", args=[document.slug]),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


# --- reverting -------------------------------------------------------------------------


def test_an_editor_reverts_as_a_new_revision_and_the_old_ones_stay(document, client_for):
    shops = document.sections.get(title="Winkels")
    client = client_for("coordinator")
    revision_page = client.get(reverse("section_revision", args=[document.slug, shops.pk, 1]))
    assert "Bring this revision back" in revision_page.content.decode()
    response = client.post(
        reverse("section_revert", args=[document.slug, shops.pk]),
        {"number": 1, "note": "Terug naar de eerste tekst"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "section_history", args=[document.slug, shops.pk]
    )
    html = unescape(response.content.decode())
    assert "Revision 1 is back, as the new revision 4." in html
    shops.refresh_from_db()
    assert shops.number == 4 and shops.body == "Klanten houden afstand bij de kassa.\n"
    assert list(shops.revisions.order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4]
    reverted = shops.revisions.get(number=4)
    assert reverted.kind == RevisionKind.REVERTED and reverted.reverted_to == 1
    assert reverted.note == "Terug naar de eerste tekst"
    assert "back to revision 1" in html and "Terug naar de eerste tekst" in html
    # Revision 3's text is still there to read and to bring back.
    page = client.get(reverse("section_revision", args=[document.slug, shops.pk, 3]))
    assert "bij de ingang" in page.content.decode()


def test_an_appointed_editor_reverts_too(document, personas, client_for):
    services.document_set_editors(
        document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
    )
    shops = document.sections.get(title="Winkels")
    response = client_for("member_admin").post(
        reverse("section_revert", args=[document.slug, shops.pk]), {"number": 2}
    )
    assert response.status_code == 302
    shops.refresh_from_db()
    assert shops.number == 4 and shops.revisions.get(number=4).editor == personas.member_admin


@pytest.mark.parametrize("persona", ["anonymous", "expert", "member_admin", "outsider"])
def test_people_who_are_not_editors_cannot_revert(document, client_for, persona):
    shops = document.sections.get(title="Winkels")
    client = client_for(persona)
    page = client.get(reverse("section_revision", args=[document.slug, shops.pk, 1]))
    assert "Bring this revision back" not in page.content.decode()
    response = client.post(reverse("section_revert", args=[document.slug, shops.pk]), {"number": 1})
    assert response.status_code == 403
    assert SectionRevision.objects.filter(section=shops).count() == 3


def test_revert_of_an_internal_document_is_a_404_outside_the_label(personas, client_for):
    document = make_document(personas, TLP.AMBER_STRICT)
    section = document.sections.get(title="Winkels")
    accept_change(personas, section, "Nieuwe tekst.\n", contributor=personas.requester)
    for persona in ("anonymous", "outsider", "member_admin"):
        response = client_for(persona).post(
            reverse("section_revert", args=[document.slug, section.pk]), {"number": 1}
        )
        assert response.status_code == 404, persona
    assert section.revisions.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": 9}, "That version of the section does not exist."),
        ({"number": 3}, "The section already reads like that version."),
        ({"number": "drie"}, "Choose the revision to bring back."),
        ({}, "Choose the revision to bring back."),
        ({"number": 1, "note": "x" * 1001}, "Keep it under 1,000 characters."),
    ],
)
def test_a_revert_that_cannot_be_done_says_why_and_changes_nothing(
    document, client_for, data, message
):
    shops = document.sections.get(title="Winkels")
    response = client_for("coordinator").post(
        reverse("section_revert", args=[document.slug, shops.pk]), data, follow=True
    )
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert shops.revisions.count() == 3


def test_revert_is_post_only(document, client_for):
    shops = document.sections.get(title="Winkels")
    response = client_for("coordinator").get(
        reverse("section_revert", args=[document.slug, shops.pk]), {"number": 1}
    )
    assert response.status_code == 405
    assert shops.revisions.count() == 3


# --- internal documents ----------------------------------------------------------------


@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
def test_history_of_an_internal_document_follows_its_label(personas, client_for, label):
    document = make_document(
        personas,
        label,
        slug=f"intern-{label.replace('+', '-')}",
        sections=[("Leak probe section", "Eerste tekst.\n")],
    )
    section = document.sections.get()
    accept_change(personas, section, "Leak probe history text.\n", contributor=personas.coordinator)
    urls = [
        reverse("document_history", args=[document.slug]),
        reverse("document_compare", args=[document.slug]),
        reverse("section_history", args=[document.slug, section.pk]),
        reverse("section_revision", args=[document.slug, section.pk, 2]),
        reverse("section_compare", args=[document.slug, section.pk]),
    ]
    for persona in PERSONA_NAMES:
        client = client_for(persona)
        for url in urls:
            response = client.get(url)
            if persona in SEES[label]:
                assert response.status_code == 200, (persona, url)
                assert "Leak probe" in response.content.decode(), (persona, url)
            else:
                assert response.status_code == 404, (persona, url)
                assert b"Leak probe" not in response.content


def test_reading_confidential_history_is_audited(personas, client_for):
    document = make_document(personas, TLP.RED)
    AuditEvent.objects.all()  # the chain already holds the document's creation
    before = AuditEvent.objects.filter(action="view").count()
    client_for("expert").get(reverse("document_history", args=[document.slug]))
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert AuditEvent.objects.filter(action="view").count() == before + 1
    assert event.data == {"surface": "history"} and event.object_id == str(document.pk)
