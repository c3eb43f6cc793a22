"""The working-documents API: documents, sections, revisions, comparisons,
comments and moderated proposals, through HTTP and the access policy."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ttc.accounts import services as account_services
from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.testing import make_user, promote_coordinator
from ttc.core.tlp import TLP
from ttc.documents import services
from ttc.documents.models import (
    Comment,
    Document,
    Proposal,
    ProposalStatus,
    Section,
    SectionRevision,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FIRST = "Houd anderhalve meter afstand in de winkel.\n\nWas je handen vaak.\n"
SECOND = "Werk thuis als het kan.\n"
PERSONAS = ["coordinator", "member_admin", "expert", "requester", "umbrella", "outsider"]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_for(user: User, scope: str = "write") -> str:
    return account_services.api_token_create(user=user, name="script", scope=scope)[1]


def post(client: Client, url: str, payload: dict | None = None, **extra):
    return client.post(url, json.dumps(payload or {}), content_type="application/json", **extra)


def put(client: Client, url: str, payload: dict, **extra):
    return client.put(url, json.dumps(payload), content_type="application/json", **extra)


def problem(response, status: int):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body["detail"]


def make_document(personas, tlp: str = TLP.CLEAR, title: str = "Anderhalve meter", **named):
    return services.document_create(
        author=personas.coordinator,
        title=title,
        summary="Hoe werken we samen op afstand?",
        tlp=tlp,
        people=named.get("people", ()),
        organisations=named.get("organisations", ()),
        sections=[("Winkels", FIRST), ("Kantoren", SECOND)],
    )


def first_section(document: Document) -> Section:
    return document.sections.order_by("position").first()


def propose(document: Document, person: User, body: str, **fields) -> Proposal:
    return services.proposal_submit(
        document=document,
        contributor=person,
        section=fields.pop("section", first_section(document)),
        title=fields.pop("title", "Winkels"),
        body=body,
        **fields,
    )


def snapshot() -> tuple:
    """Everything a write could change."""
    return (
        list(Document.objects.values_list("pk", "version", "title")),
        list(Section.objects.values_list("pk", "number", "title", "body")),
        SectionRevision.objects.count(),
        list(Proposal.objects.values_list("pk", "status")),
        list(Comment.objects.values_list("pk", "removed_at")),
        AuditEvent.objects.exclude(action__startswith="view").count(),
    )


# --- documents ----------------------------------------------------------------------------


@pytest.fixture
def labelled(personas) -> dict[str, Document]:
    return {
        "clear": make_document(personas, TLP.CLEAR, "Openbaar document"),
        "green": make_document(personas, TLP.GREEN, "Groen document"),
        "amber": make_document(
            personas, TLP.AMBER, "Amber document", organisations=[personas.member_company]
        ),
        "amber+strict": make_document(
            personas, TLP.AMBER_STRICT, "Strikt document", organisations=[personas.hospital]
        ),
        "red": make_document(personas, TLP.RED, "Rood document", people=[personas.expert]),
    }


READERS = {
    "anonymous": {"clear"},
    "outsider": {"clear", "green"},
    "umbrella": {"clear", "green"},
    "member_admin": {"clear", "green", "amber"},
    "expert": {"clear", "green", "amber", "red"},
    "requester": {"clear", "green", "amber", "amber+strict"},
    "coordinator": {"clear", "green", "amber", "amber+strict", "red"},
}


@pytest.mark.parametrize("persona", sorted(READERS))
def test_the_list_shows_what_the_label_allows(personas, client_for, labelled, persona):
    response = client_for(persona).get("/api/v1/documents")
    assert response.status_code == 200
    body = response.json()
    assert {d["tlp"] for d in body["results"]} == READERS[persona]
    assert body["count"] == len(READERS[persona])


def test_document_list_fields_search_and_paging(personas, client_for):
    document = make_document(personas)
    make_document(personas, title="Scholen")
    body = client_for("anonymous").get("/api/v1/documents", {"q": "anderhalve"}).json()
    assert body == {
        "count": 1,
        "page": 1,
        "results": [
            {
                "id": document.pk,
                "slug": "anderhalve-meter",
                "title": "Anderhalve meter",
                "summary": "Hoe werken we samen op afstand?",
                "tlp": "clear",
                "version": 2,
                "updated_at": body["results"][0]["updated_at"],
                "url": "/documents/anderhalve-meter/",
            }
        ],
    }
    paged = client_for("expert").get("/api/v1/documents", {"limit": 1, "page": 2}).json()
    assert paged["count"] == 2
    assert [d["title"] for d in paged["results"]] == ["Scholen"]
    problem(client_for("expert").get("/api/v1/documents", {"limit": 0}), 422)


def test_the_document_list_takes_a_fixed_number_of_queries(personas, client_for):
    client = client_for("expert")
    make_document(personas, TLP.AMBER, "Amber 1", organisations=[personas.member_company])
    client.get("/api/v1/documents")  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/documents").status_code == 200
    for index in range(5):
        make_document(
            personas, TLP.AMBER, f"Amber {index + 2}", organisations=[personas.member_company]
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/documents").json()["count"] == 6
    assert len(many) == len(few)


def test_a_document_with_its_sections(personas, client_for):
    document = make_document(personas)
    winkels, kantoren = document.sections.order_by("position")
    response = client_for("anonymous").get("/api/v1/documents/anderhalve-meter")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Anderhalve meter"
    assert body["version"] == 2
    assert body["tlp"] == "clear"
    assert body["may_moderate"] is False
    assert "<p>Hoe werken we samen op afstand?</p>" in body["summary_html"]
    assert [(s["id"], s["position"], s["title"], s["number"]) for s in body["sections"]] == [
        (winkels.pk, 1, "Winkels", 1),
        (kantoren.pk, 2, "Kantoren", 1),
    ]
    assert body["sections"][0]["body"] == FIRST
    assert body["sections"][0]["url"] == f"/documents/anderhalve-meter/sections/{winkels.pk}/"
    assert (
        client_for("coordinator").get("/api/v1/documents/anderhalve-meter").json()["may_moderate"]
    )
    problem(client_for("anonymous").get("/api/v1/documents/bestaat-niet"), 404)


def test_the_document_as_markdown_now_and_before(personas, client_for):
    document = make_document(personas)
    services.proposal_accept(
        proposal=propose(document, personas.expert, "Houd afstand.\n"), editor=personas.coordinator
    )
    client = client_for("anonymous")
    now = client.get("/api/v1/documents/anderhalve-meter/markdown").json()
    assert now["version"] == 3
    assert now["markdown"] == (
        "# Anderhalve meter\n\nHoe werken we samen op afstand?\n\n"
        "## Winkels\n\nHoud afstand.\n\n## Kantoren\n\nWerk thuis als het kan.\n"
    )
    before = client.get("/api/v1/documents/anderhalve-meter/markdown", {"version": 1}).json()
    assert before["version"] == 1
    assert "Houd anderhalve meter afstand" in before["markdown"]
    assert "Kantoren" not in before["markdown"]
    detail = problem(client.get("/api/v1/documents/anderhalve-meter/markdown", {"version": 4}), 400)
    assert detail == {"version": ["The document has no version 4 yet."]}


def test_reading_a_confidential_document_is_audited(personas, client_for):
    document = make_document(
        personas, TLP.AMBER_STRICT, "Strikt", organisations=[personas.hospital]
    )
    section = first_section(document)
    client = client_for("requester")
    for url in (
        "/api/v1/documents",
        "/api/v1/documents/strikt",
        "/api/v1/documents/strikt/markdown",
        "/api/v1/documents/strikt/revisions",
        f"/api/v1/documents/strikt/sections/{section.pk}",
        f"/api/v1/documents/strikt/sections/{section.pk}/revisions/1",
        f"/api/v1/documents/strikt/sections/{section.pk}/compare",
        f"/api/v1/documents/strikt/sections/{section.pk}/comments",
    ):
        before = AuditEvent.objects.filter(action="view", actor=personas.requester).count()
        assert client.get(url).status_code == 200, url
        after = AuditEvent.objects.filter(action="view", actor=personas.requester).count()
        assert after == before + 1, url
    # Another coordinator oversees it beyond the rule, and that is marked.
    overseer = promote_coordinator(make_user("tweede@ttc.test", full_name="Tom Tweede"))
    client = Client()
    client.force_login(overseer)
    assert client.get("/api/v1/documents/strikt").status_code == 200
    assert AuditEvent.objects.filter(action="view.beyond_rule", actor=overseer).count() == 1


# --- starting documents and appointing editors --------------------------------------------

NEW_DOCUMENT = {
    "title": "Scholen op afstand",
    "summary": "Wat scholen kunnen doen.",
    "sections": [
        {"title": "Lokalen", "body": "Zet de tafels uit elkaar."},
        {"title": "Pauzes", "body": "Om beurten naar buiten."},
    ],
}


def test_a_coordinator_starts_a_document_with_a_write_token(personas):
    response = post(
        Client(), "/api/v1/documents", NEW_DOCUMENT, **bearer(token_for(personas.coordinator))
    )
    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get()
    assert body["slug"] == document.slug == "scholen-op-afstand"
    assert body["tlp"] == "clear"
    assert body["version"] == 2
    assert [(s["title"], s["body"]) for s in body["sections"]] == [
        ("Lokalen", "Zet de tafels uit elkaar.\n"),
        ("Pauzes", "Om beurten naar buiten.\n"),
    ]
    assert AuditEvent.objects.filter(action="document.create").count() == 1


def test_an_internal_document_names_its_audience(personas, client_for):
    red = post(
        client_for("coordinator"),
        "/api/v1/documents",
        NEW_DOCUMENT | {"tlp": "red", "people": ["expert@veilignetwerk.test"]},
    )
    assert red.status_code == 201, red.content
    assert list(Document.objects.get().recipient_people.all()) == [personas.expert]
    amber = post(
        client_for("coordinator"),
        "/api/v1/documents",
        NEW_DOCUMENT
        | {"title": "Amber", "tlp": "amber", "organisation_ids": [personas.member_company.pk]},
    )
    assert amber.status_code == 201, amber.content
    assert client_for("expert").get("/api/v1/documents/amber").status_code == 200
    assert client_for("outsider").get("/api/v1/documents/amber").status_code == 404


@pytest.mark.parametrize("persona", ["member_admin", "expert", "requester", "umbrella", "outsider"])
def test_only_coordinators_start_documents(personas, client_for, persona):
    detail = problem(post(client_for(persona), "/api/v1/documents", NEW_DOCUMENT), 403)
    assert detail == "Only coordinators start working documents."
    assert not Document.objects.exists()


BAD_DOCUMENTS = [
    pytest.param({"title": None}, 422, "title", id="missing-title"),
    pytest.param({"title": "   "}, 400, "Give the document a title.", id="empty-title"),
    pytest.param({"title": "t" * 201}, 400, "Keep it under 200 characters.", id="long-title"),
    pytest.param(
        {"sections": [{"title": "Lang", "body": "x" * 50_001}]},
        400,
        "Keep it under 50,000 characters.",
        id="long-section",
    ),
    pytest.param(
        {"sections": [{"title": "", "body": "tekst"}]},
        400,
        "Give the section a title.",
        id="untitled-section",
    ),
    pytest.param(
        {"sections": [{"title": "S", "body": "<<<<<<< current text\na\n=======\nb\n>>>>>>> x"}]},
        400,
        "Resolve every conflict first",
        id="conflict-markers",
    ),
    pytest.param({"tlp": "red"}, 400, "TLP:RED needs at least one named person.", id="red-alone"),
    pytest.param(
        {"tlp": "red", "people": ["onbekend@nergens.test"]},
        400,
        "No one on the platform has this address: onbekend@nergens.test",
        id="unknown-person",
    ),
    pytest.param({"tlp": "purple"}, 422, "'clear', 'green'", id="unknown-tlp"),
    pytest.param({"sections": "Lokalen"}, 422, "valid list", id="sections-string"),
    pytest.param({"title": "nul\x00"}, 422, "NUL", id="nul"),
]


@pytest.mark.parametrize(("change", "status", "message"), BAD_DOCUMENTS)
def test_bad_documents_are_refused_and_change_nothing(
    personas, client_for, change, status, message
):
    payload = {key: value for key, value in (NEW_DOCUMENT | change).items() if value is not None}
    before = snapshot()
    detail = problem(post(client_for("coordinator"), "/api/v1/documents", payload), status)
    assert message in json.dumps(detail, ensure_ascii=False)
    assert snapshot() == before


def test_the_same_address_twice_is_refused(personas, client_for):
    make_document(personas)
    detail = problem(
        post(
            client_for("coordinator"),
            "/api/v1/documents",
            NEW_DOCUMENT | {"title": "Anderhalve meter"},
        ),
        400,
    )
    assert detail == {"slug": ["Another document already has this web address."]}
    assert Document.objects.count() == 1


def test_malformed_json_is_refused(personas, client_for):
    make_document(personas)
    before = snapshot()
    for url in (
        "/api/v1/documents",
        "/api/v1/documents/anderhalve-meter/proposals",
        f"/api/v1/documents/anderhalve-meter/sections/{Section.objects.first().pk}/comments",
    ):
        response = client_for("coordinator").post(
            url, "{niet json", content_type="application/json"
        )
        assert problem(response, 400) == "Cannot parse request body"
    assert snapshot() == before


def test_a_coordinator_appoints_editors(personas, client_for):
    document = make_document(personas, TLP.AMBER, "Amber", organisations=[personas.member_company])
    url = "/api/v1/documents/amber/editors"
    response = put(client_for("coordinator"), url, {"editors": ["Expert@VeiligNetwerk.test"]})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "editors": [
            {"id": personas.expert.pk, "name": "Eva Expert", "email": "expert@veilignetwerk.test"}
        ]
    }
    assert list(document.editors.all()) == [personas.expert]
    assert client_for("expert").get("/api/v1/documents/amber").json()["may_moderate"]

    refused = problem(
        put(client_for("coordinator"), url, {"editors": ["dev@anderesoftware.test"]}), 400
    )
    assert refused == {"editors": ["These people may not read this document: Otto Outsider"]}
    unknown = problem(
        put(client_for("coordinator"), url, {"editors": ["niemand@nergens.test"]}), 400
    )
    assert unknown == {"editors": ["No one on the platform has this address: niemand@nergens.test"]}
    assert problem(put(client_for("expert"), url, {"editors": []}), 403) == (
        "Only coordinators appoint editors."
    )
    problem(put(client_for("outsider"), url, {"editors": []}), 404)
    assert list(document.editors.all()) == [personas.expert]

    assert put(client_for("coordinator"), url, {"editors": []}).json() == {"editors": []}
    assert not document.editors.exists()


# --- sections, revisions, comparisons -----------------------------------------------------


@pytest.fixture
def edited(personas) -> Document:
    """A public document whose first section has three revisions, the second
    written anonymously by the expert."""
    document = make_document(personas)
    services.proposal_accept(
        proposal=propose(
            document,
            personas.expert,
            "Houd twee meter afstand in de winkel.\n\nWas je handen vaak.\n",
            anonymous=True,
            reason="Het RIVM zegt twee.",
        ),
        editor=personas.coordinator,
        note="Dank je.",
    )
    services.proposal_accept(
        proposal=propose(
            document,
            personas.requester,
            "Houd twee meter afstand in de winkel.\n\nWas je handen vaak en goed.\n",
        ),
        editor=personas.coordinator,
    )
    return document


def test_a_section_now(personas, client_for, edited):
    section = first_section(edited)
    body = (
        client_for("anonymous")
        .get(f"/api/v1/documents/anderhalve-meter/sections/{section.pk}")
        .json()
    )
    assert body["id"] == section.pk
    assert body["document"] == "anderhalve-meter"
    assert body["number"] == 3
    assert body["body"].endswith("Was je handen vaak en goed.\n")
    assert "<p>Was je handen vaak en goed.</p>" in body["body_html"]
    assert body["credit"] == "Ruud Requester"
    assert body["comments"] == 0
    problem(client_for("anonymous").get("/api/v1/documents/anderhalve-meter/sections/999999"), 404)
    other = make_document(personas, title="Ander document")
    problem(
        client_for("anonymous").get(
            f"/api/v1/documents/anderhalve-meter/sections/{first_section(other).pk}"
        ),
        404,
    )


def test_section_revisions_newest_first_and_anonymous_credit(personas, client_for, edited):
    section = first_section(edited)
    url = f"/api/v1/documents/anderhalve-meter/sections/{section.pk}/revisions"
    for persona in ["anonymous", *PERSONAS]:
        body = client_for(persona).get(url).json()
        assert body["count"] == 3
        assert [(r["number"], r["kind"], r["credit"]) for r in body["results"]] == [
            (3, "proposal", "Ruud Requester"),
            (2, "proposal", ""),
            (1, "created", "Carla Coördinator"),
        ]
        assert "Eva Expert" not in json.dumps(body)
        assert "expert@" not in json.dumps(body)
    one = client_for("anonymous").get(f"{url}/2").json()
    assert one["body"] == "Houd twee meter afstand in de winkel.\n\nWas je handen vaak.\n"
    assert one["note"] == "Dank je."
    assert one["editor"] == "Carla Coördinator"
    assert one["document_version"] == 3
    assert one["kind_label"] == "Proposal accepted"
    problem(client_for("anonymous").get(f"{url}/4"), 404)
    paged = client_for("anonymous").get(url, {"limit": 1, "page": 3}).json()
    assert [r["number"] for r in paged["results"]] == [1]


def test_the_document_history(personas, client_for, edited):
    body = client_for("anonymous").get("/api/v1/documents/anderhalve-meter/revisions").json()
    assert body["count"] == 4
    assert [(r["document_version"], r["title"], r["number"]) for r in body["results"]] == [
        (4, "Winkels", 3),
        (3, "Winkels", 2),
        (2, "Kantoren", 1),
        (1, "Winkels", 1),
    ]


def test_compare_two_revisions(personas, client_for, edited):
    section = first_section(edited)
    url = f"/api/v1/documents/anderhalve-meter/sections/{section.pk}/compare"
    client = client_for("anonymous")
    latest = client.get(url).json()
    assert (latest["from_number"], latest["to_number"]) == (2, 3)
    assert latest["added"] == 2
    assert latest["removed"] == 0
    assert {"op": "insert", "text": " en goed"} in latest["inline"]
    changed = [row for row in latest["rows"] if row["changed"]]
    assert len(changed) == 1
    old_line = "".join(piece["text"] for piece in changed[0]["old"])
    new_line = "".join(piece["text"] for piece in changed[0]["new"])
    assert (old_line, new_line) == ("Was je handen vaak.", "Was je handen vaak en goed.")
    assert {"op": "insert", "text": " en goed"} in changed[0]["new"]
    assert all(piece["op"] == "equal" for piece in changed[0]["old"])

    whole = client.get(url, {"from": 1, "to": 3}).json()
    assert {"op": "delete", "text": "anderhalve"} in whole["inline"]
    assert {"op": "insert", "text": "twee"} in whole["inline"]
    created = client.get(url, {"from": 0, "to": 1}).json()
    assert created["title_from"] == ""
    assert created["inline"] == [{"op": "insert", "text": FIRST}]

    assert problem(client.get(url, {"from": 7}), 400) == {
        "from": ["The section has no revision 7."]
    }
    assert problem(client.get(url, {"to": 9}), 400) == {"to": ["The section has no revision 9."]}
    problem(client.get(url, {"from": -1}), 422)
    problem(client.get(url, {"to": "laatste"}), 422)


def test_an_editor_reverts_a_section(personas, client_for, edited):
    section = first_section(edited)
    url = f"/api/v1/documents/anderhalve-meter/sections/{section.pk}/revert"
    services.document_set_editors(
        document=edited, coordinator=personas.coordinator, editors=[personas.expert]
    )
    response = post(client_for("expert"), url, {"number": 1, "note": "Terug naar het begin."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["kind"], body["reverted_to"]) == (4, "reverted", 1)
    assert body["body"] == FIRST
    assert body["credit"] == "Eva Expert"
    section.refresh_from_db()
    assert section.body == FIRST
    before = snapshot()
    assert problem(post(client_for("expert"), url, {"number": 1}), 400) == [
        "The section already reads like that version."
    ]
    assert problem(post(client_for("expert"), url, {"number": 99}), 400) == [
        "That version of the section does not exist."
    ]
    assert problem(post(client_for("member_admin"), url, {"number": 2}), 403) == (
        "Only this document's editors may do this."
    )
    problem(post(client_for("expert"), url, {}), 422)
    problem(post(client_for("anonymous"), url, {"number": 2}), 401)
    assert snapshot() == before


# --- comments -----------------------------------------------------------------------------


def test_the_discussion_on_a_section(personas, client_for):
    document = make_document(personas)
    section = first_section(document)
    url = f"/api/v1/documents/anderhalve-meter/sections/{section.pk}/comments"
    response = post(client_for("expert"), url, {"body": "Geldt dit ook voor **markten**?"})
    assert response.status_code == 201, response.content
    comment = response.json()
    assert comment["author"] == "Eva Expert"
    assert "<strong>markten</strong>" in comment["body_html"]
    assert comment["removed"] is False
    listed = client_for("anonymous").get(url).json()
    assert [c["id"] for c in listed] == [comment["id"]]

    before = snapshot()
    assert problem(post(client_for("expert"), url, {"body": "  "}), 400) == {
        "body": ["Write your comment."]
    }
    assert problem(post(client_for("expert"), url, {"body": "x" * 5_001}), 400) == {
        "body": ["Keep it under 5,000 characters."]
    }
    problem(post(client_for("expert"), url, {}), 422)
    problem(post(client_for("anonymous"), url, {"body": "Hallo"}), 401)
    assert snapshot() == before

    remove = f"/api/v1/documents/comments/{comment['id']}"
    assert problem(client_for("member_admin").delete(remove), 403) == (
        "Only this document's editors may do this."
    )
    assert client_for("coordinator").delete(remove).status_code == 204
    assert client_for("coordinator").delete(remove).status_code == 204  # once is enough
    shown = client_for("anonymous").get(url).json()
    assert shown[0]["removed"] is True
    assert shown[0]["body"] == shown[0]["body_html"] == ""
    assert AuditEvent.objects.filter(action="comment.remove").count() == 1
    problem(client_for("coordinator").delete("/api/v1/documents/comments/999999"), 404)


def test_a_name_that_is_an_email_address_never_shows(personas, client_for):
    nameless = make_user("naamloos@veilignetwerk.test", full_name="")
    nameless.memberships.create(organisation=personas.member_company, role="member")
    document = make_document(personas)
    section = first_section(document)
    services.comment_add(section=section, author=nameless, body="Goed idee.")
    proposal = propose(document, nameless, "Houd afstand.\n")
    services.proposal_accept(proposal=proposal, editor=personas.coordinator)
    for url in (
        f"/api/v1/documents/anderhalve-meter/sections/{section.pk}/comments",
        f"/api/v1/documents/anderhalve-meter/sections/{section.pk}",
        f"/api/v1/documents/anderhalve-meter/sections/{section.pk}/revisions",
        f"/api/v1/documents/anderhalve-meter/sections/{section.pk}/revisions/2",
        "/api/v1/documents/anderhalve-meter/revisions",
    ):
        response = client_for("anonymous").get(url)
        assert response.status_code == 200
        assert "naamloos@" not in response.content.decode(), url
    assert (
        "naamloos@"
        not in client_for("expert")
        .get(f"/api/v1/document-proposals/{proposal.pk}")
        .content.decode()
    )
    mine = Client()
    mine.force_login(nameless)
    assert mine.get(f"/api/v1/document-proposals/{proposal.pk}").json()["mine"] is True


# --- proposals ----------------------------------------------------------------------------


def test_a_member_proposes_a_change_with_a_write_token(personas):
    document = make_document(personas)
    section = first_section(document)
    response = post(
        Client(),
        "/api/v1/documents/anderhalve-meter/proposals",
        {
            "section_id": section.pk,
            "base_number": 1,
            "title": "Winkels",
            "body": "Houd twee meter afstand in de winkel.\n\nWas je handen vaak.\n",
            "reason": "Het RIVM zegt twee.",
        },
        **bearer(token_for(personas.expert)),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    proposal = Proposal.objects.get()
    assert body["id"] == proposal.pk
    assert body["status"] == "pending"
    assert body["mine"] is True
    assert body["credit"] == "Eva Expert"
    assert body["contributor"] is None
    assert body["base_number"] == 1
    assert body["section_id"] == section.pk
    assert body["diff"]["added"] == 1
    assert body["diff"]["removed"] == 1
    assert {"op": "delete", "text": "anderhalve"} in body["diff"]["inline"]
    assert body["preview"] == {
        "clean": True,
        "moved_on": False,
        "base_number": 1,
        "head_number": 1,
        "title": "Winkels",
        "body": "Houd twee meter afstand in de winkel.\n\nWas je handen vaak.\n",
        "text_to_resolve": "",
    }
    assert proposal.contributor == personas.expert
    assert AuditEvent.objects.filter(action="proposal.submit").count() == 1


def test_a_new_section_is_proposed_and_accepted(personas, client_for):
    make_document(personas)
    created = post(
        client_for("requester"),
        "/api/v1/documents/anderhalve-meter/proposals",
        {"title": "Ziekenhuizen", "body": "Bezoek op afspraak."},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["section_id"] is None
    assert body["base_number"] is None
    assert body["diff"]["inline"] == [{"op": "insert", "text": "Bezoek op afspraak.\n"}]
    assert body["preview"]["clean"] is True
    assert body["preview"]["head_number"] is None
    # Accepting as written needs no body at all.
    accepted = client_for("coordinator").post(
        f"/api/v1/document-proposals/{body['id']}/accept", content_type="application/json"
    )
    assert accepted.status_code == 201, accepted.content
    result = accepted.json()
    assert result["proposal"]["status"] == "accepted"
    assert result["proposal"]["preview"] is None
    assert result["revision"]["number"] == 1
    assert result["revision"]["title"] == "Ziekenhuizen"
    sections = client_for("anonymous").get("/api/v1/documents/anderhalve-meter").json()["sections"]
    assert [(s["position"], s["title"]) for s in sections][-1] == (3, "Ziekenhuizen")
    assert (
        sections[-1]["id"] == result["proposal"]["section_id"] == result["revision"]["section_id"]
    )


BAD_PROPOSALS = [
    pytest.param({"title": None}, 422, "title", id="missing-title"),
    pytest.param({"body": None}, 422, "body", id="missing-body"),
    pytest.param({"title": "  "}, 400, "Give the section a title.", id="empty-title"),
    pytest.param({"body": "x" * 50_001}, 400, "Keep it under 50,000 characters.", id="long-body"),
    pytest.param({"reason": "x" * 1_001}, 400, "Keep it under 1,000 characters.", id="long-reason"),
    pytest.param(
        {"body": "a\n<<<<<<< current text\nb\n=======\nc\n>>>>>>> proposal\n"},
        400,
        "Resolve every conflict first",
        id="conflict-markers",
    ),
    pytest.param({"body": FIRST}, 400, "Your text is the same as the current text", id="unchanged"),
    pytest.param({"section_id": 999_999}, 400, "This document has no such section.", id="section"),
    pytest.param({"base_number": 9}, 400, "That version of the section does not exist.", id="base"),
    pytest.param({"section_id": "eerste"}, 422, "valid integer", id="section-type"),
    pytest.param({"anonymous": "misschien"}, 422, "valid boolean", id="anonymous-type"),
]


@pytest.mark.parametrize(("change", "status", "message"), BAD_PROPOSALS)
def test_bad_proposals_are_refused_and_change_nothing(
    personas, client_for, change, status, message
):
    document = make_document(personas)
    payload = {"section_id": first_section(document).pk, "title": "Winkels", "body": "Nieuw."}
    payload = {key: value for key, value in (payload | change).items() if value is not None}
    before = snapshot()
    detail = problem(
        post(client_for("expert"), "/api/v1/documents/anderhalve-meter/proposals", payload), status
    )
    assert message in json.dumps(detail, ensure_ascii=False)
    assert snapshot() == before


def test_only_signed_in_people_propose_through_the_api(personas, client_for):
    make_document(personas)
    payload = {"title": "Nieuw", "body": "Tekst", "email": "bezoeker@example.org", "name": "Bea"}
    problem(
        post(client_for("anonymous"), "/api/v1/documents/anderhalve-meter/proposals", payload), 401
    )
    assert not Proposal.objects.exists()


def test_anonymous_contributions_hide_who_wrote_them(personas, client_for):
    document = make_document(personas)
    services.document_set_editors(
        document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
    )
    proposal = propose(document, personas.expert, "Houd afstand.\n", anonymous=True)
    url = f"/api/v1/document-proposals/{proposal.pk}"
    own = client_for("expert").get(url).json()
    assert own["credit"] == ""
    assert own["anonymous"] is True
    assert own["mine"] is True
    assert own["contributor"] is None
    editor = client_for("member_admin").get(url).json()
    assert editor["credit"] == ""
    assert editor["contributor"] is None
    assert editor["mine"] is False
    assert "Eva" not in json.dumps(editor)
    assert "expert@" not in json.dumps(editor)
    queue = client_for("member_admin").get("/api/v1/document-proposals", {"queue": 1}).json()
    assert "Eva" not in json.dumps(queue)
    coordinator = client_for("coordinator").get(url).json()
    assert coordinator["contributor"] == {
        "name": "Eva Expert",
        "email": "expert@veilignetwerk.test",
    }
    assert coordinator["credit"] == ""


def test_my_proposals_and_the_moderation_queue(personas, client_for):
    document = make_document(personas)
    other = make_document(personas, TLP.GREEN, "Groen")
    services.document_set_editors(
        document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
    )
    mine = propose(document, personas.expert, "Eerste voorstel.\n")
    also_mine = propose(other, personas.expert, "Tweede voorstel.\n")
    theirs = propose(document, personas.requester, "Derde voorstel.\n")
    services.proposal_decline(proposal=theirs, editor=personas.coordinator, reason="Te kort.")

    expert = client_for("expert").get("/api/v1/document-proposals").json()
    assert [p["id"] for p in expert["results"]] == [mine.pk, also_mine.pk]
    assert expert["count"] == 2
    assert client_for("expert").get("/api/v1/document-proposals", {"queue": 1}).json()["count"] == 0

    queue = client_for("member_admin").get("/api/v1/document-proposals", {"queue": 1}).json()
    assert [p["id"] for p in queue["results"]] == [mine.pk]
    decided = (
        client_for("member_admin")
        .get("/api/v1/document-proposals", {"queue": 1, "status": "declined"})
        .json()
    )
    assert [p["id"] for p in decided["results"]] == [theirs.pk]
    everything = client_for("coordinator").get("/api/v1/document-proposals", {"queue": 1}).json()
    assert [p["id"] for p in everything["results"]] == [mine.pk, also_mine.pk]
    one = (
        client_for("coordinator")
        .get("/api/v1/document-proposals", {"queue": 1, "document": "groen"})
        .json()
    )
    assert [p["id"] for p in one["results"]] == [also_mine.pk]
    summary = queue["results"][0]
    assert summary["document"] == {
        "slug": "anderhalve-meter",
        "title": "Anderhalve meter",
        "tlp": "clear",
    }
    assert summary["status_label"] == "Waiting for an editor"

    requester = client_for("requester").get(f"/api/v1/document-proposals/{theirs.pk}").json()
    assert requester["status"] == "declined"
    assert requester["decision_note"] == "Te kort."
    assert requester["decided_by"] == "Carla Coördinator"
    assert requester["preview"] is None
    # Neither the contributor nor an editor: as if it did not exist.
    problem(client_for("outsider").get(f"/api/v1/document-proposals/{mine.pk}"), 404)
    problem(client_for("requester").get(f"/api/v1/document-proposals/{mine.pk}"), 404)
    problem(client_for("anonymous").get("/api/v1/document-proposals"), 401)
    problem(client_for("expert").get("/api/v1/document-proposals", {"status": "maybe"}), 422)


def test_an_editor_accepts_as_written(personas, client_for):
    document = make_document(personas)
    services.document_set_editors(
        document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
    )
    proposal = propose(document, personas.expert, "Houd afstand.\n")
    url = f"/api/v1/document-proposals/{proposal.pk}/accept"
    before = snapshot()
    assert problem(post(client_for("expert"), url), 403) == (
        "Only this document's editors may do this."
    )
    problem(post(client_for("outsider"), url), 404)
    assert snapshot() == before
    response = post(client_for("member_admin"), url, {"note": "Helder."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revision"]["kind"] == "proposal"
    assert body["revision"]["credit"] == "Eva Expert"
    assert body["revision"]["editor"] == "Mehmet Admin"
    assert body["revision"]["note"] == "Helder."
    assert body["proposal"]["status"] == "accepted"
    assert body["proposal"]["decision_note"] == "Helder."
    assert first_section(document).body == "Houd afstand.\n"
    again = problem(post(client_for("member_admin"), url), 400)
    assert "already decided" in again[0]


def test_an_editor_accepts_with_edits(personas, client_for):
    document = make_document(personas)
    proposal = propose(document, personas.expert, "Houd afstand.\n")
    url = f"/api/v1/document-proposals/{proposal.pk}/accept"
    before = snapshot()
    assert problem(post(client_for("coordinator"), url, {"body": "Iets", "based_on": 7}), 400) == {
        "based_on": ["The section has no revision 7."]
    }
    problem(post(client_for("coordinator"), url, {"body": "x" * 50_001}), 400)
    problem(post(client_for("coordinator"), url, {"title": ""}), 400)
    assert snapshot() == before
    response = post(
        client_for("coordinator"),
        url,
        {"title": "In winkels", "body": "Houd afstand, ook bij de kassa.", "based_on": 1},
    )
    assert response.status_code == 201, response.content
    revision = response.json()["revision"]
    assert revision["kind"] == "edited"
    assert revision["title"] == "In winkels"
    assert revision["body"] == "Houd afstand, ook bij de kassa.\n"


def test_a_later_change_elsewhere_is_merged_in(personas, client_for):
    document = make_document(personas)
    first = propose(document, personas.expert, FIRST.replace("anderhalve", "twee"))
    second = propose(document, personas.requester, FIRST.replace("vaak", "vaak en goed"))
    assert (
        post(client_for("coordinator"), f"/api/v1/document-proposals/{first.pk}/accept").status_code
        == 201
    )
    preview = (
        client_for("coordinator").get(f"/api/v1/document-proposals/{second.pk}").json()["preview"]
    )
    assert preview["clean"] is True
    assert preview["moved_on"] is True
    assert (
        preview["body"] == "Houd twee meter afstand in de winkel.\n\nWas je handen vaak en goed.\n"
    )
    response = post(client_for("coordinator"), f"/api/v1/document-proposals/{second.pk}/accept")
    assert response.status_code == 201
    assert response.json()["revision"]["kind"] == "merged"


def test_a_conflict_is_409_and_resolved_by_the_editor(personas, client_for):
    document = make_document(personas)
    section = first_section(document)
    two = propose(document, personas.expert, FIRST.replace("anderhalve meter", "twee meter"))
    one = propose(document, personas.requester, FIRST.replace("anderhalve meter", "één meter"))
    client = client_for("coordinator")
    assert post(client, f"/api/v1/document-proposals/{two.pk}/accept").status_code == 201

    preview = client.get(f"/api/v1/document-proposals/{one.pk}").json()["preview"]
    assert preview["clean"] is False
    assert preview["body"] == ""
    assert "één meter" in preview["text_to_resolve"]

    before = snapshot()
    response = post(client, f"/api/v1/document-proposals/{one.pk}/accept")
    assert response.status_code == 409, response.content
    conflict = response.json()
    assert conflict["head_number"] == 2
    assert conflict["title"] == "Winkels"
    assert "collides" in conflict["detail"]
    marked = conflict["text_to_resolve"]
    assert "twee meter" in marked
    assert "één meter" in marked
    assert "<<<<<<< current text" in marked
    assert ">>>>>>> proposal" in marked
    assert snapshot() == before
    assert Proposal.objects.get(pk=one.pk).status == ProposalStatus.PENDING

    left_markers = problem(
        post(
            client, f"/api/v1/document-proposals/{one.pk}/accept", {"body": marked, "based_on": 2}
        ),
        400,
    )
    assert "Resolve every conflict first" in json.dumps(left_markers)
    assert snapshot() == before

    resolved = (
        "Houd twee meter afstand in de winkel, of één meter met een mondkapje.\n\n"
        "Was je handen vaak.\n"
    )
    response = post(
        client,
        f"/api/v1/document-proposals/{one.pk}/accept",
        {"body": resolved, "based_on": conflict["head_number"], "note": "Samengevoegd."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revision"]["number"] == 3
    assert body["revision"]["kind"] == "edited"
    assert body["revision"]["credit"] == "Ruud Requester"
    section.refresh_from_db()
    assert section.body == resolved
    assert section.number == 3


def test_two_new_titles_are_a_conflict_too(personas, client_for):
    document = make_document(personas)
    shops = propose(document, personas.expert, FIRST, title="Winkels en markten")
    stores = propose(document, personas.requester, FIRST, title="Supermarkten")
    client = client_for("coordinator")
    assert post(client, f"/api/v1/document-proposals/{shops.pk}/accept").status_code == 201
    response = post(client, f"/api/v1/document-proposals/{stores.pk}/accept")
    assert response.status_code == 409, response.content
    conflict = response.json()
    assert conflict["title"] == ""
    assert conflict["text_to_resolve"] == FIRST
    response = post(
        client,
        f"/api/v1/document-proposals/{stores.pk}/accept",
        {
            "title": "Winkels en supermarkten",
            "body": conflict["text_to_resolve"],
            "based_on": conflict["head_number"],
        },
    )
    assert response.status_code == 201, response.content
    assert first_section(document).title == "Winkels en supermarkten"


def test_history_and_proposal_lists_take_a_fixed_number_of_queries(personas, client_for):
    document = make_document(personas)
    client = client_for("coordinator")
    urls = [
        "/api/v1/documents/anderhalve-meter/revisions",
        f"/api/v1/documents/anderhalve-meter/sections/{first_section(document).pk}/revisions",
        f"/api/v1/documents/anderhalve-meter/sections/{first_section(document).pk}/comments",
        "/api/v1/document-proposals?queue=1&status=accepted",
    ]

    def grow(start: int) -> None:
        for index in range(start, start + 3):
            for person in (personas.expert, personas.requester):
                proposal = propose(document, person, f"Versie {index} van {person.pk}.\n")
                services.proposal_accept(proposal=proposal, editor=personas.coordinator)
                services.comment_add(
                    section=first_section(document), author=person, body=f"Reactie {index}"
                )

    grow(0)
    for url in urls:
        client.get(url)
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    grow(3)
    for url, few in zip(urls, counts, strict=True):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == few, url


def test_decline_needs_a_reason(personas, client_for):
    document = make_document(personas)
    proposal = propose(document, personas.expert, "Houd afstand.\n")
    url = f"/api/v1/document-proposals/{proposal.pk}/decline"
    before = snapshot()
    assert problem(post(client_for("coordinator"), url, {"reason": " "}), 400) == {
        "reason": ["Tell the contributor why."]
    }
    problem(post(client_for("coordinator"), url, {}), 422)
    assert problem(post(client_for("coordinator"), url, {"reason": "x" * 1_001}), 400) == {
        "reason": ["Keep it under 1,000 characters."]
    }
    assert problem(post(client_for("expert"), url, {"reason": "Toch niet"}), 403)
    assert snapshot() == before
    response = post(
        client_for("coordinator"), url, {"reason": "Dit staat al in de volgende sectie."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"
    assert response.json()["decision_note"] == "Dit staat al in de volgende sectie."


# --- tokens -------------------------------------------------------------------------------


TOKEN_READ_ONLY = ("This token is read-only.", "Met dit token kun je alleen lezen.")


def test_a_read_token_reads_but_does_not_write(personas):
    document = make_document(personas)
    section = first_section(document)
    proposal = propose(document, personas.expert, "Houd afstand.\n")
    comment = services.comment_add(section=section, author=personas.expert, body="Hm.")
    read_only = bearer(token_for(personas.coordinator, scope="read"))
    client = Client()
    assert client.get("/api/v1/documents/anderhalve-meter", **read_only).status_code == 200
    assert client.get(f"/api/v1/document-proposals/{proposal.pk}", **read_only).status_code == 200
    before = snapshot()
    base = "/api/v1/documents/anderhalve-meter"
    writes = [
        ("post", "/api/v1/documents", NEW_DOCUMENT),
        ("put", f"{base}/editors", {"editors": []}),
        ("post", f"{base}/proposals", {"title": "Nieuw", "body": "Tekst"}),
        ("post", f"{base}/sections/{section.pk}/comments", {"body": "Ja"}),
        ("post", f"{base}/sections/{section.pk}/revert", {"number": 1}),
        ("post", f"/api/v1/document-proposals/{proposal.pk}/accept", {}),
        ("post", f"/api/v1/document-proposals/{proposal.pk}/decline", {"reason": "Nee"}),
        ("delete", f"/api/v1/documents/comments/{comment.pk}", None),
    ]
    for method, url, payload in writes:
        if method == "delete":
            response = client.delete(url, **read_only)
        else:
            response = getattr(client, method)(
                url, json.dumps(payload), content_type="application/json", **read_only
            )
        # The token's owner has no session: the message is in the site's language.
        assert problem(response, 403) in TOKEN_READ_ONLY, url
    assert snapshot() == before
    problem(client.get("/api/v1/documents", **bearer("ttc_onzin")), 401)


# --- no leaks -----------------------------------------------------------------------------

#: Per label: the document's named audience and the personas the label keeps out.
INTERNAL = [
    pytest.param(
        TLP.RED,
        "expert",
        ["member_admin", "requester", "umbrella", "outsider", "anonymous"],
        id="red",
    ),
    pytest.param(
        TLP.AMBER_STRICT,
        "requester",
        ["member_admin", "expert", "umbrella", "outsider", "anonymous"],
        id="amber+strict",
    ),
    pytest.param(TLP.AMBER, "member_admin", ["umbrella", "outsider", "anonymous"], id="amber"),
    pytest.param(TLP.GREEN, "outsider", ["anonymous"], id="green"),
]

SECRET_TITLE = "Geheim draaiboek"
SECRET_TEXT = "De noodvoorraad ligt in kelder B."


@pytest.mark.parametrize(("tlp", "insider", "excluded"), INTERNAL)
def test_an_internal_document_never_leaks(personas, client_for, tlp, insider, excluded):
    named = {
        TLP.RED: {"people": [personas.expert]},
        TLP.AMBER_STRICT: {"organisations": [personas.hospital]},
        TLP.AMBER: {"organisations": [personas.member_company]},
        TLP.GREEN: {},
    }[tlp]
    document = services.document_create(
        author=personas.coordinator,
        title=SECRET_TITLE,
        tlp=tlp,
        sections=[("Voorraad", SECRET_TEXT + "\n")],
        **named,
    )
    section = first_section(document)
    reader = personas.get(insider)
    accepted = propose(document, reader, "De voorraad ligt in kelder C.\n", title="Voorraad")
    services.proposal_accept(proposal=accepted, editor=personas.coordinator)
    pending = propose(document, reader, "Kelder D.\n", title="Voorraad")
    comment = services.comment_add(section=section, author=reader, body=SECRET_TEXT)
    if not reader.is_coordinator:
        services.document_set_editors(
            document=document, coordinator=personas.coordinator, editors=[reader]
        )

    # The insider reads it everywhere.
    inside = client_for(insider)
    slug = document.slug
    base = f"/api/v1/documents/{slug}"
    sec = f"{base}/sections/{section.pk}"
    reads = [
        base,
        f"{base}/markdown",
        f"{base}/revisions",
        sec,
        f"{sec}/revisions",
        f"{sec}/revisions/1",
        f"{sec}/compare",
        f"{sec}/comments",
        f"/api/v1/document-proposals/{pending.pk}",
    ]
    for url in reads:
        assert inside.get(url).status_code == 200, url
    assert inside.get("/api/v1/documents").json()["count"] >= 1
    assert inside.get("/api/v1/document-proposals", {"queue": 1}).json()["count"] == 1

    before = snapshot()
    for persona in excluded:
        client = client_for(persona)
        for url in reads:
            response = client.get(url)
            # Not even whether it exists: 404 (401 for a write-only path without sign-in).
            expected = 401 if persona == "anonymous" and "document-proposals" in url else 404
            assert response.status_code == expected, (persona, url)
            assert SECRET_TEXT not in response.content.decode()
        for url in ("/api/v1/documents", "/api/v1/documents?q=geheim"):
            listed = client.get(url)
            assert listed.status_code == 200
            assert SECRET_TITLE not in listed.content.decode(), (persona, url)
        if persona == "anonymous":
            continue
        for query in ({}, {"queue": 1}, {"queue": 1, "status": "accepted"}):
            listed = client.get("/api/v1/document-proposals", query)
            assert listed.status_code == 200
            assert SECRET_TITLE not in listed.content.decode()
        writes = [
            post(client, f"{base}/proposals", {"title": "X", "body": "Y"}),
            post(client, f"{sec}/comments", {"body": "Y"}),
            post(client, f"{sec}/revert", {"number": 1}),
            put(client, f"{base}/editors", {"editors": []}),
            post(client, f"/api/v1/document-proposals/{pending.pk}/accept", {}),
            post(client, f"/api/v1/document-proposals/{pending.pk}/decline", {"reason": "Nee"}),
            client.delete(f"/api/v1/documents/comments/{comment.pk}"),
        ]
        for response in writes:
            assert response.status_code == 404, (persona, response.content[:200])
            assert response.json() == {"detail": "Not found."}
    assert snapshot() == before


def test_a_proposal_on_a_document_i_may_no_longer_read_disappears(personas, client_for):
    document = make_document(personas, TLP.AMBER, "Amber", organisations=[personas.member_company])
    proposal = propose(document, personas.expert, "Houd afstand.\n")
    assert client_for("expert").get(f"/api/v1/document-proposals/{proposal.pk}").status_code == 200
    document.recipient_orgs.set([personas.other_company])
    problem(client_for("expert").get(f"/api/v1/document-proposals/{proposal.pk}"), 404)
    assert client_for("expert").get("/api/v1/document-proposals").json()["count"] == 0


# --- OpenAPI ------------------------------------------------------------------------------

DOCUMENTED = {
    "/api/v1/documents": {"get", "post"},
    "/api/v1/documents/{slug}": {"get"},
    "/api/v1/documents/{slug}/markdown": {"get"},
    "/api/v1/documents/{slug}/editors": {"put"},
    "/api/v1/documents/{slug}/revisions": {"get"},
    "/api/v1/documents/{slug}/proposals": {"post"},
    "/api/v1/documents/{slug}/sections/{section_id}": {"get"},
    "/api/v1/documents/{slug}/sections/{section_id}/revisions": {"get"},
    "/api/v1/documents/{slug}/sections/{section_id}/revisions/{number}": {"get"},
    "/api/v1/documents/{slug}/sections/{section_id}/compare": {"get"},
    "/api/v1/documents/{slug}/sections/{section_id}/revert": {"post"},
    "/api/v1/documents/{slug}/sections/{section_id}/comments": {"get", "post"},
    "/api/v1/documents/comments/{comment_id}": {"delete"},
    "/api/v1/document-proposals": {"get"},
    "/api/v1/document-proposals/{proposal_id}": {"get"},
    "/api/v1/document-proposals/{proposal_id}/accept": {"post"},
    "/api/v1/document-proposals/{proposal_id}/decline": {"post"},
}


def test_every_endpoint_is_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in DOCUMENTED.items():
        assert path in schema["paths"], path
        operations = schema["paths"][path]
        assert set(operations) == methods, path
        for method in methods:
            operation = operations[method]
            assert operation["tags"] == ["documents"]
            assert operation["summary"], (path, method)
            responses = operation["responses"]
            success = [code for code in responses if code.startswith("2")]
            errors = [code for code in responses if code[0] in "45"]
            assert success, (path, method)
            assert {"401", "429"} <= set(responses), (path, method)
            assert "404" in errors or path.endswith(("/documents", "/document-proposals")), (
                path,
                method,
            )
            for code in errors:
                assert responses[code]["content"]["application/json"]["schema"], (path, code)
    accept = schema["paths"]["/api/v1/document-proposals/{proposal_id}/accept"]["post"]
    assert "409" in accept["responses"]
    compare = schema["paths"]["/api/v1/documents/{slug}/sections/{section_id}/compare"]["get"]
    assert "from" in {parameter["name"] for parameter in compare["parameters"]}


def test_proposals_through_the_api_share_the_pages_allowance(personas, client_for, settings):
    settings.TTC_PROPOSAL_RATE_PERSON = "2/h"
    document = make_document(personas)
    client = client_for("expert")
    statuses = [
        client.post(
            f"/api/v1/documents/{document.slug}/proposals",
            {"title": "Nieuw", "body": f"Voorstel {number}."},
            content_type="application/json",
        ).status_code
        for number in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert document.proposals.count() == 2
