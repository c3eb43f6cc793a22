"""The knowledge base in the API (ttc/api/knowledge.py): the same services and
access policy as the pages, with tokens, status codes and the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ttc.accounts import services as account_services
from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.tlp import TLP
from ttc.knowledge import services
from ttc.knowledge.models import Article, ArticleStatus
from ttc.knowledge.testing import content, publish, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings, personas):
    """The assertions read the English text."""
    settings.LANGUAGE_CODE = "en"
    User.objects.update(preferred_language="en")


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_for(user: User, scope: str = "write") -> str:
    return account_services.api_token_create(user=user, name="script", scope=scope)[1]


def send(client: Client, method: str, url: str, payload: dict | None = None, **extra):
    call = getattr(client, method)
    return call(url, json.dumps(payload or {}), content_type="application/json", **extra)


def post(client: Client, url: str, payload: dict | None = None, **extra):
    return send(client, "post", url, payload, **extra)


def problem(response, status: int):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body["detail"]


def new_article(**overrides) -> dict:
    payload = {
        "title": "Lessen uit een DDoS-aanval",
        "summary": "Wat hielp, wat niet.",
        "body": "## Maatregelen\n\nSchakel de scrubbing-dienst eerder in.",
        "kind": "research",
        "tags": ["DDoS", "netwerk"],
        "tlp": "green",
    }
    payload.update(overrides)
    return payload


def update_of(article: Article, **overrides) -> dict:
    payload = {
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "kind": article.kind,
        "language": article.language,
        "tags": [tag.name for tag in article.tags.all()],
        "base_number": article.number,
    }
    payload.update(overrides)
    return payload


# --- reading ------------------------------------------------------------------------------


def test_the_list_shows_published_articles_i_may_read(personas, client_for):
    public = publish(personas, write(personas.member_admin, tlp=TLP.CLEAR, title="Openbaar"))
    publish(personas, write(personas.member_admin, title="Voor leden"))
    write(personas.member_admin, title="Concept")
    anonymous = client_for("anonymous").get("/api/v1/articles").json()
    assert [a["title"] for a in anonymous["results"]] == ["Openbaar"]
    assert anonymous["count"] == 1
    first = anonymous["results"][0]
    assert first["id"] == public.pk
    assert first["tags"] == [
        {"name": "ransomware", "slug": "ransomware"},
        {"name": "ziekenhuizen", "slug": "ziekenhuizen"},
    ]
    assert first["organisation"] == {
        "id": personas.member_company.pk,
        "name": "Veilig Netwerk B.V.",
    }
    assert first["status"] == "published"
    assert first["url"] == f"/knowledge/{public.pk}/"
    outsider = client_for("outsider").get("/api/v1/articles").json()
    assert {a["title"] for a in outsider["results"]} == {"Openbaar", "Voor leden"}


def test_the_list_filters_and_pages(personas, client_for):
    for number in range(5):
        publish(
            personas,
            write(
                personas.member_admin,
                title=f"Gids {number}",
                kind="guide" if number % 2 else "checklist",
                tags=["vpn"] if number < 2 else ["backups"],
            ),
        )
    client = client_for("expert")
    assert client.get("/api/v1/articles", {"tag": "vpn"}).json()["count"] == 2
    assert client.get("/api/v1/articles", {"kind": "guide"}).json()["count"] == 2
    both = client.get("/api/v1/articles", {"kind": "guide", "tag": "vpn"}).json()
    assert [a["title"] for a in both["results"]] == ["Gids 1"]
    page = client.get("/api/v1/articles", {"limit": 2, "page": 3}).json()
    assert (page["count"], page["page"], len(page["results"])) == (5, 3, 1)
    for bad in ({"limit": 0}, {"limit": 101}, {"page": 0}, {"kind": "advertorial"}):
        problem(client.get("/api/v1/articles", bad), 422)


def test_my_organisations_drafts_by_status(personas, client_for):
    write(personas.member_admin, title="Ons concept")
    write(personas.outsider, title="Hun concept")
    drafts = client_for("expert").get("/api/v1/articles", {"status": "draft"}).json()
    assert [a["title"] for a in drafts["results"]] == ["Ons concept"]
    assert (
        client_for("coordinator").get("/api/v1/articles", {"status": "draft"}).json()["count"] == 0
    )


def test_one_article_in_full(personas, client_for):
    article = publish(
        personas,
        write(
            personas.member_admin,
            tlp=TLP.AMBER,
            organisations=[personas.member_company],
            body="Zie [link](javascript:alert(1)) <script>x</script>",
        ),
    )
    body = client_for("requester").get(f"/api/v1/articles/{article.pk}").json()
    assert body["tlp"] == "amber"
    assert body["body"].startswith("Zie [link]")
    assert "<script>" not in body["body_html"]
    assert 'href="javascript:' not in body["body_html"]
    assert body["shared_with_organisations"] == [
        {"id": personas.member_company.pk, "name": "Veilig Netwerk B.V."}
    ]
    assert body["may_edit"] is False
    assert body["author"] == "Mehmet Admin"
    assert AuditEvent.objects.filter(
        actor=personas.requester, action="view", object_id=str(article.pk)
    ).exists()
    assert client_for("expert").get(f"/api/v1/articles/{article.pk}").json()["may_edit"] is True
    for persona in ("outsider", "umbrella", "anonymous"):
        problem(client_for(persona).get(f"/api/v1/articles/{article.pk}"), 404)
    problem(client_for("expert").get("/api/v1/articles/987654"), 404)


def test_related_articles_pass_the_policy(personas, client_for):
    article = publish(personas, write(personas.member_admin, tags=["malware"]))
    publish(personas, write(personas.member_admin, title="Groen buur", tags=["malware"]))
    publish(
        personas,
        write(
            personas.coordinator,
            title="Rood buur",
            tags=["malware"],
            tlp=TLP.RED,
            people=[personas.expert],
        ),
    )
    titles = {
        name: [
            a["title"]
            for a in client_for(name).get(f"/api/v1/articles/{article.pk}/related").json()
        ]
        for name in ("expert", "outsider")
    }
    assert set(titles["expert"]) == {"Groen buur", "Rood buur"}
    assert titles["outsider"] == ["Groen buur"]


# --- writing ------------------------------------------------------------------------------


def test_writing_through_the_api(personas):
    token = token_for(personas.expert)
    response = post(Client(), "/api/v1/articles", new_article(), **bearer(token))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["number"] == 1
    assert body["organisation"]["id"] == personas.member_company.pk
    assert [t["slug"] for t in body["tags"]] == ["ddos", "netwerk"]
    article = Article.objects.get()
    assert article.created_by == personas.expert
    assert article.revisions.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"title": "x" * 201}, 400, "title"),
        ({"summary": "x" * 601}, 400, "summary"),
        ({"body": "x" * 100_001}, 400, "body"),
        ({"title": "  "}, 400, "title"),
        ({"tags": [f"t{n}" for n in range(11)]}, 400, "tags"),
        ({"tlp": "red"}, 400, "tlp"),
        ({"tlp": "red", "people": ["niemand@example.test"]}, 400, "people"),
        ({"tlp": "amber+strict"}, 400, "tlp"),
        ({"organisation_id": 987654}, 400, "organisation_id"),
        ({"kind": "advertorial"}, 422, None),
        ({"title": None}, 422, None),
        ({"body": "nul\x00"}, 422, None),
    ],
)
def test_bad_articles_are_refused_and_change_nothing(personas, change, status, field):
    token = token_for(personas.member_admin)
    detail = problem(
        post(Client(), "/api/v1/articles", new_article(**change), **bearer(token)), status
    )
    if field:
        assert field in detail
    assert not Article.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="article.").exists()


def test_who_may_write_through_the_api(personas, client_for):
    problem(post(client_for("anonymous"), "/api/v1/articles", new_article()), 401)
    read_only = token_for(personas.member_admin, scope="read")
    problem(post(Client(), "/api/v1/articles", new_article(), **bearer(read_only)), 403)
    from ttc.core.testing import make_user

    visitor = make_user("bezoeker@example.test", mfa=False)
    problem(post(Client(), "/api/v1/articles", new_article(), **bearer(token_for(visitor))), 403)
    assert not Article.objects.exists()
    coordinator = post(
        Client(), "/api/v1/articles", new_article(), **bearer(token_for(personas.coordinator))
    )
    assert coordinator.status_code == 201
    assert coordinator.json()["organisation"] is None


def test_an_update_names_the_revision_it_started_from(personas, client_for):
    article = publish(personas, write(personas.member_admin, body="Oud"))
    expert = bearer(token_for(personas.expert))
    response = send(
        Client(),
        "put",
        f"/api/v1/articles/{article.pk}",
        update_of(article, body="Nieuw", note="Bijgewerkt"),
        **expert,
    )
    assert response.status_code == 200, response.content
    assert (response.json()["number"], response.json()["body"]) == (2, "Nieuw")
    # Sent again from revision 1: a conflict, and nothing is saved.
    stale = send(
        Client(HTTP_ACCEPT_LANGUAGE="en"),
        "put",
        f"/api/v1/articles/{article.pk}",
        update_of(article, body="Ander werk", base_number=1),
        **expert,
    )
    assert "Someone else saved a newer version (revision 2)" in problem(stale, 409)
    article.refresh_from_db()
    assert (article.number, article.body) == (2, "Nieuw")
    # Only the author's side changes the label; outsiders may not edit at all.
    relabel = update_of(article, sharing={"tlp": "clear"})
    problem(
        send(
            Client(),
            "put",
            f"/api/v1/articles/{article.pk}",
            relabel,
            **bearer(token_for(personas.coordinator)),
        ),
        403,
    )
    problem(
        send(
            Client(),
            "put",
            f"/api/v1/articles/{article.pk}",
            update_of(article, body="Van buiten"),
            **bearer(token_for(personas.outsider)),
        ),
        403,
    )
    response = send(Client(), "put", f"/api/v1/articles/{article.pk}", relabel, **expert)
    assert response.json()["tlp"] == "clear"


def test_the_editorial_flow_through_the_api(personas):
    author = bearer(token_for(personas.member_admin))
    coordinator = bearer(token_for(personas.coordinator))
    article_id = post(Client(), "/api/v1/articles", new_article(), **author).json()["id"]
    url = f"/api/v1/articles/{article_id}"

    problem(post(Client(), f"{url}/publish", **coordinator), 404)  # a draft is not theirs yet
    assert post(Client(), f"{url}/submit", **author).json()["status"] == "in_review"
    problem(post(Client(), f"{url}/submit", **author), 400)
    problem(post(Client(), f"{url}/publish", **author), 403)
    problem(post(Client(), f"{url}/return", {"reason": ""}, **coordinator), 400)
    assert post(Client(), f"{url}/return", {"reason": "Bronnen"}, **coordinator).status_code == 204
    assert Article.objects.get().status == ArticleStatus.DRAFT
    post(Client(), f"{url}/submit", **author)
    published = post(Client(), f"{url}/publish", **coordinator).json()
    assert published["status"] == "published"
    assert published["published_at"]

    problem(post(Client(), f"{url}/flag", {"reason": "Reclame"}, **author), 403)
    flagged = post(Client(), f"{url}/flag", {"reason": "Reclame"}, **coordinator).json()
    assert flagged["flagged_commercial"] is True
    assert flagged["flag_reason"] == "Reclame"
    outsider = bearer(token_for(personas.outsider))
    problem(Client().get(url, **outsider), 404)
    assert Client().get("/api/v1/articles", **outsider).json()["count"] == 0
    own_side = Client().get(url, **bearer(token_for(personas.expert))).json()
    assert own_side["flag_reason"] == "Reclame"
    problem(post(Client(), f"{url}/flag", {"reason": "Nog eens"}, **coordinator), 400)
    republished = post(Client(), f"{url}/publish", **coordinator).json()
    assert republished["flagged_commercial"] is False
    assert Client().get("/api/v1/articles", **outsider).json()["count"] == 1
    actions = list(
        AuditEvent.objects.filter(object_id=str(article_id), action__startswith="article.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "article.create",
        "article.submit",
        "article.return",
        "article.submit",
        "article.publish",
        "article.flag_commercial",
        "article.publish",
    ]


# --- versions -----------------------------------------------------------------------------


def test_revisions_compare_and_revert(personas, client_for):
    article = publish(personas, write(personas.member_admin, body="Een twee drie"))
    services.article_update(
        article=article,
        actor=personas.expert,
        content=content(body="Een vier drie"),
        base_number=1,
        note="Getal",
    )
    client = client_for("expert")
    url = f"/api/v1/articles/{article.pk}"
    revisions = client.get(f"{url}/revisions").json()
    assert [(r["number"], r["note"], r["author"]) for r in revisions] == [
        (2, "Getal", "Eva Expert"),
        (1, "", "Mehmet Admin"),
    ]
    first = client.get(f"{url}/revisions/1").json()
    assert first["body"] == "Een twee drie"
    problem(client.get(f"{url}/revisions/9"), 404)
    compared = client.get(f"{url}/compare").json()
    assert (compared["old"], compared["new"]) == (1, 2)
    assert compared["title"]["changed"] is False
    assert {"op": "delete", "text": "twee"} in compared["body"]["inline"]
    assert {"op": "insert", "text": "vier"} in compared["body"]["inline"]
    row = compared["body"]["side_by_side"][0]
    assert row["changed"] is True
    assert {"op": "delete", "text": "twee"} in row["old"]
    assert client.get(f"{url}/compare", {"old": 2, "new": 2}).json()["body"]["changed"] is False

    token = bearer(token_for(personas.expert))
    problem(post(Client(), f"{url}/revert", {"number": 1, "base_number": 1}, **token), 409)
    reverted = post(Client(), f"{url}/revert", {"number": 1, "base_number": 2}, **token).json()
    assert (reverted["number"], reverted["body"]) == (3, "Een twee drie")
    problem(post(Client(), f"{url}/revert", {"number": 3}, **token), 400)

    # Readers who are not editors see the current text only; non-readers nothing.
    for path in ("revisions", "revisions/1", "compare"):
        problem(client_for("outsider").get(f"{url}/{path}"), 403)
        problem(client_for("anonymous").get(f"{url}/{path}"), 401)


def test_a_red_articles_versions_stay_with_the_named(personas, client_for):
    red = write(personas.coordinator, tlp=TLP.RED, people=[personas.expert])
    services.article_publish(article=red, actor=personas.coordinator)
    for persona in ("member_admin", "requester", "outsider"):
        for path in ("", "/revisions", "/revisions/1", "/compare", "/related"):
            problem(client_for(persona).get(f"/api/v1/articles/{red.pk}{path}"), 404)


SECRET = "Het beheerwachtwoord is Vlinder-Kompas-42"


def relabelled_red(personas) -> Article:
    """RED naming only its author, with a secret; revision 2 drops the secret
    and relabels the article TLP:CLEAR (the security review's reproduction)."""
    admin = personas.member_admin
    article = publish(
        personas,
        write(admin, tlp=TLP.RED, people=[admin], body=f"Interne notitie.\n\n{SECRET}"),
    )
    return services.article_update(
        article=article,
        actor=admin,
        content=content(body="Interne notitie."),
        base_number=1,
        sharing=services.Sharing(tlp=TLP.CLEAR),
    )


def test_an_older_red_revision_stays_with_its_named_people(personas):
    article = relabelled_red(personas)
    url = f"/api/v1/articles/{article.pk}"
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}

    def get(persona: str | None, path: str):
        auth = bearer(token_for(personas.get(persona), "read")) if persona else {}
        response = Client().get(f"{url}{path}", **auth, **english)
        assert SECRET not in response.content.decode() or persona in ("member_admin", "coordinator")
        return response

    # The current text is public; the RED revision is not, for the colleague either.
    assert get(None, "").json()["body"] == "Interne notitie."
    for persona in ("expert", "outsider"):
        for path in ("/revisions/1", "/compare?old=1", "/compare?new=1", "/compare?old=1&new=2"):
            assert "no revision 1 that you may read" in problem(get(persona, path), 404)
    problem(get("outsider", "/revisions/2"), 403)
    for path in ("/revisions", "/revisions/1", "/compare"):
        problem(get(None, path), 401)
    colleague = get("expert", "/revisions").json()
    assert [(r["number"], r["tlp"]) for r in colleague] == [(2, "clear")]
    compared = get("expert", "/compare").json()
    assert (compared["old"], compared["new"], compared["tlp"]) == (2, 2, "clear")
    # The author, named in revision 1, reads it; comparing takes the narrower label.
    assert [r["number"] for r in get("member_admin", "/revisions").json()] == [2, 1]
    compared = get("member_admin", "/compare").json()
    assert (compared["old"], compared["new"], compared["tlp"]) == (1, 2, "red")
    assert not AuditEvent.objects.filter(action="view.beyond_rule").exists()
    # A coordinator may look, and that is on the record.
    first = get("coordinator", "/revisions/1").json()
    assert SECRET in first["body"]
    assert first["tlp"] == "red"
    event = AuditEvent.objects.get(
        action="view.beyond_rule", object_type="knowledge.articlerevision"
    )
    assert (event.actor, event.object_id, event.data) == (
        personas.coordinator,
        str(article.revisions.get(number=1).pk),
        {"surface": "api revision"},
    )


def test_an_older_revision_under_another_label_is_not_reverted_through_the_api(personas):
    article = relabelled_red(personas)
    url = f"/api/v1/articles/{article.pk}/revert"
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    for persona in ("member_admin", "coordinator"):
        auth = bearer(token_for(personas.get(persona)))
        detail = problem(
            post(Client(), url, {"number": 1, "base_number": 2}, **auth, **english), 400
        )
        assert "Revision 1 was written under another label" in json.dumps(detail)
    auth = bearer(token_for(personas.expert))
    detail = problem(post(Client(), url, {"number": 1, "base_number": 2}, **auth, **english), 400)
    assert "Choose an earlier revision." in json.dumps(detail)
    article.refresh_from_db()
    assert (article.number, article.tlp, article.body) == (2, TLP.CLEAR, "Interne notitie.")
    assert SECRET not in Client().get(f"/api/v1/articles/{article.pk}").content.decode()


def test_authors_are_named_never_by_e_mail_address(personas, client_for):
    from ttc.core.testing import make_user
    from ttc.members.models import Membership

    nameless = make_user("naamloos@veilignetwerk.test")
    Membership.objects.create(user=nameless, organisation=personas.member_company, role="member")
    article = publish(personas, write(nameless))
    client = client_for("expert")
    for path in ("", "/revisions", "/revisions/1"):
        response = client.get(f"/api/v1/articles/{article.pk}{path}")
        assert response.status_code == 200, path
        assert "naamloos@" not in response.content.decode(), path
    assert client.get(f"/api/v1/articles/{article.pk}").json()["author"] == nameless.public_name
    revisions = client.get(f"/api/v1/articles/{article.pk}/revisions").json()
    assert [r["author"] for r in revisions] == [nameless.public_name]


def test_the_tag_filter_finds_nothing_for_a_tag_on_unreadable_articles(personas, client_for):
    publish(
        personas,
        write(personas.member_admin, tlp=TLP.RED, people=[personas.expert], tags=["Nachtvlinder"]),
    )
    for persona in ("anonymous", "outsider"):
        body = client_for(persona).get("/api/v1/articles", {"tag": "nachtvlinder"}).json()
        assert (body["count"], body["results"]) == (0, [])
    assert (
        client_for("expert").get("/api/v1/articles", {"tag": "nachtvlinder"}).json()["count"] == 1
    )


# --- queries and OpenAPI --------------------------------------------------------------


def test_the_list_answers_in_a_fixed_number_of_queries(personas, client_for):
    client = client_for("expert")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/api/v1/articles", {"limit": 100}).status_code == 200
        return len(context.captured_queries)

    def add(number: int) -> None:
        for index in range(number):
            publish(
                personas,
                write(
                    personas.member_admin,
                    tlp=TLP.AMBER if index % 2 else TLP.GREEN,
                    organisations=[personas.member_company] if index % 2 else [],
                    tags=[f"t{index}", "gedeeld"],
                ),
            )

    add(2)
    client.get("/api/v1/articles")
    few = queries()
    add(12)
    assert queries() == few


def test_openapi_describes_every_article_path(personas):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/articles": {"get", "post"},
        "/api/v1/articles/{article_id}": {"get", "put"},
        "/api/v1/articles/{article_id}/related": {"get"},
        "/api/v1/articles/{article_id}/submit": {"post"},
        "/api/v1/articles/{article_id}/publish": {"post"},
        "/api/v1/articles/{article_id}/return": {"post"},
        "/api/v1/articles/{article_id}/flag": {"post"},
        "/api/v1/articles/{article_id}/revert": {"post"},
        "/api/v1/articles/{article_id}/revisions": {"get"},
        "/api/v1/articles/{article_id}/revisions/{number}": {"get"},
        "/api/v1/articles/{article_id}/compare": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            codes = set(operation["responses"])
            assert {"401", "404", "422"} <= codes, (path, method, codes)
            if method != "get" or "revisions" in path or "compare" in path:
                assert {"400", "403"} <= codes, (path, method, codes)
    assert "409" in paths["/api/v1/articles/{article_id}"]["put"]["responses"]
    components = schema["components"]["schemas"]
    for name in ("ArticleIn", "ArticleOut", "ArticleUpdateIn", "CompareOut", "RevisionOut"):
        assert name in components, name
    for name in ("ArticleIn", "ArticleUpdateIn"):
        assert components[name]["properties"]["title"]["maxLength"] == 200
        assert components[name]["properties"]["body"]["maxLength"] == 100_000
