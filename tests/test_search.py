"""Search over knowledge articles and working-document sections.

Runs on SQLite (FTS5) and on PostgreSQL; only stemming of Dutch and typo
tolerance are PostgreSQL's alone. Content is made straight through the ORM, so
that these tests depend only on the models and on the index the database keeps.

The access expectations are written out by hand from DESIGN.md §5, as in
tests/test_leaks.py: RED names the expert; AMBER+STRICT names the hospital;
AMBER names the member company, which declares the hospital as a client.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ttc.core.models import AuditEvent
from ttc.core.testing import PERSONA_NAMES, SEES, label_recipients
from ttc.core.tlp import TLP
from ttc.documents.models import Document, Section
from ttc.knowledge.models import Article
from ttc.knowledge.search import MAX_QUERY_LENGTH, highlight, search

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's Dutch stemming and pg_trgm"
)
# PostgreSQL stems instead, and finds partial words through typo tolerance.
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 prefix matching")


# Unrelated articles, so that a searched word is rare (as it is in a real
# knowledge base) and ranking by term weight means something.
FILLER = [
    "Thuiswerken met een VPN",
    "Wachtwoordbeleid voor gemeenten",
    "Back-ups testen",
    "Videobellen in de zorg",
    "Phishing herkennen",
    "Logbestanden bewaren",
    "Toegang op afstand",
    "Patchbeheer plannen",
]


def make_article(
    author,
    title: str,
    *,
    summary: str = "Een korte samenvatting.",
    body: str = "De tekst van het artikel.",
    tlp: str = TLP.CLEAR,
    status: str = "published",
    people=(),
    organisations=(),
    **fields,
) -> Article:
    article = Article.objects.create(
        title=title,
        summary=summary,
        body=body,
        kind="guide",
        tlp=tlp,
        status=status,
        published_at=timezone.now() if status == "published" else None,
        created_by=author,
        **fields,
    )
    article.recipient_people.set(people)
    article.recipient_orgs.set(organisations)
    return article


def make_section(
    author, title: str, body: str, *, tlp: str = TLP.CLEAR, people=(), organisations=()
) -> Section:
    document = Document.objects.create(
        slug=f"doc-{Document.objects.count() + 1}",
        title=f"Werkdocument over {title.lower()}",
        tlp=tlp,
        created_by=author,
    )
    document.recipient_people.set(people)
    document.recipient_orgs.set(organisations)
    return Section.objects.create(document=document, title=title, body=body)


def found(user, query: str, **kwargs) -> list:
    return [hit.object for hit in search(user=user, query=query, **kwargs).hits]


@pytest.fixture
def author(personas):
    return personas.coordinator


@pytest.fixture
def filler(author):
    return [make_article(author, title) for title in FILLER]


# --- matching ---------------------------------------------------------------------------------


def test_finds_words_in_title_summary_and_body(personas, author):
    in_title = make_article(author, "Ransomware voorkomen")
    in_summary = make_article(author, "Draaiboek", summary="Wat te doen bij ransomware.")
    in_body = make_article(author, "Incidentrespons", body="Ransomware versleutelt bestanden.")
    section = make_section(author, "Aanpak", "Bij ransomware eerst isoleren.")
    make_article(author, "Iets anders")

    result = search(user=personas.anonymous, query="ransomware")

    assert {hit.object for hit in result.hits} == {in_title, in_summary, in_body, section}
    assert result.total == 4
    assert result.backend == ("postgresql" if connection.vendor == "postgresql" else "sqlite-fts5")


def test_title_hit_ranks_above_summary_and_body_hits(personas, author, filler):
    in_body = make_article(author, "Incidentrespons", body="Wat te doen bij een datalek.")
    in_summary = make_article(author, "Meldplicht", summary="Een datalek melden.")
    in_title = make_article(author, "Datalek melden bij de AP")

    assert found(personas.anonymous, "datalek") == [in_title, in_summary, in_body]


def test_diacritics_are_folded_both_ways(personas, author, filler):
    with_accent = make_article(author, "Coördinatie van de zorg")
    without_accent = make_article(author, "Coordinatie van vrijwilligers")

    assert set(found(personas.anonymous, "coordinatie")) == {with_accent, without_accent}
    assert set(found(personas.anonymous, "coördinatie")) == {with_accent, without_accent}


def test_english_plural_and_singular_find_each_other(personas, author, filler):
    plural = make_article(author, "Phishing attacks on hospitals", language="en")
    singular = make_article(author, "One attack, many lessons", language="en")

    assert set(found(personas.anonymous, "attacks")) == {plural, singular}
    assert set(found(personas.anonymous, "attack")) == {plural, singular}


@on_postgresql
def test_dutch_plural_and_singular_find_each_other(personas, author, filler):
    plural = make_article(author, "Sterke wachtwoorden kiezen")
    singular = make_article(author, "Een wachtwoord delen")
    leaks = make_article(author, "Datalekken in de zorg")

    assert set(found(personas.anonymous, "wachtwoord")) == {plural, singular}
    assert set(found(personas.anonymous, "wachtwoorden")) == {plural, singular}
    assert found(personas.anonymous, "datalek") == [leaks]


@on_postgresql
def test_typos_and_word_variants_find_similar_words(personas, author, filler):
    ransomware = make_article(author, "Ransomware in de zorg")
    hospital = make_article(author, "Hoe een ziekenhuis zich voorbereidt")

    typo = search(user=personas.anonymous, query="ransomwear")
    assert [hit.object for hit in typo.hits] == [ransomware]
    assert typo.fuzzy
    assert found(personas.anonymous, "ziekenhuizen") == [hospital]
    exact = search(user=personas.anonymous, query="ransomware")
    assert not exact.fuzzy


@on_sqlite
def test_words_match_the_start_of_longer_words_on_sqlite(personas, author, filler):
    article = make_article(author, "Datalekken melden bij ziekenhuisnetwerken")
    assert found(personas.anonymous, "meld datalek") == [article]
    assert found(personas.anonymous, "ziekenhuisnet") == [article]


@on_postgresql
def test_the_planner_setting_for_index_scans_does_not_outlive_the_search(personas, author):
    make_article(author, "Ransomware in de zorg")
    search(user=personas.anonymous, query="ransomware")
    search(user=personas.anonymous, query="ransomwear")
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


def test_filter_by_kind(personas, author):
    article = make_article(author, "Mondkapjes verdelen")
    section = make_section(author, "Mondkapjes", "Verdeling van mondkapjes.")

    assert found(personas.anonymous, "mondkapjes", kinds=("article",)) == [article]
    assert found(personas.anonymous, "mondkapjes", kinds=("section",)) == [section]
    assert set(found(personas.anonymous, "mondkapjes")) == {article, section}
    assert found(personas.anonymous, "mondkapjes", kinds=()) == []


# --- hostile and empty input ------------------------------------------------------------------


def test_snippet_escapes_everything_but_the_marks(personas, author, filler):
    make_article(
        author,
        "Ransomware <script>alert('titel')</script>",
        body=(
            "Bij ransomware: <script>alert('x')</script> <img src=x onerror=alert(1)> "
            'Tom & "Jerry" a < b > c \ue000nep\ue001 einde.'
        ),
    )
    hit = search(user=personas.anonymous, query="ransomware").hits[0]
    snippet = str(hit.snippet)

    assert "<mark>" in snippet
    assert set(re.findall(r"</?[a-zA-Z][^>]*>", snippet)) <= {"<mark>", "</mark>"}
    assert "<script" not in snippet and "<img" not in snippet
    assert "&amp;" in snippet and "&lt; b &gt;" in snippet


def test_highlight_keeps_markup_well_formed():
    assert highlight("a \ue000b<i>\ue001 c") == "a <mark>b&lt;i&gt;</mark> c"
    assert highlight("\ue001x\ue000y") == "x<mark>y</mark>"
    assert highlight("\ue000\ue000x\ue001\ue001y") == "<mark>x</mark>y"
    assert highlight("") == ""


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND OR (",
        "*",
        "NEAR(a b)",
        "title:ransomware",
        "-",
        "'",
        "\\",
        "ransom\x00ware",
        "%",
        "_",
        "ransomware OR",
        '"ransomware',
        "^ransomware",
        "{title body}: x",
        ":*",
        "!! && ||",
        "ransom*",
        "a" * MAX_QUERY_LENGTH,
        "e\u0301",
    ],
)
def test_hostile_query_syntax_never_fails(personas, client_for, author, query):
    make_article(author, "Ransomware in de zorg")

    result = search(user=personas.anonymous, query=query)

    assert result.total == len(result.hits)
    client = client_for("anonymous")
    printable = query.replace("\x00", "")
    assert client.get("/search/", {"q": printable}).status_code == 200
    assert client.get("/api/v1/search", {"q": printable}).status_code == 200


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_query_finds_nothing(personas, author, query):
    make_article(author, "Ransomware in de zorg")

    result = search(user=personas.coordinator, query=query)

    assert (result.hits, result.total) == ([], 0)


def test_a_query_that_is_too_long_is_refused_with_a_message(personas, client_for):
    too_long = "ransomware " * 20
    with pytest.raises(ValidationError):
        search(user=personas.anonymous, query=too_long)

    response = client_for("anonymous").get("/search/", {"q": too_long})
    assert response.status_code == 200
    # The message names the limit and the length given, in either language.
    message = re.search(
        r'<div id="search-error" role="alert"[^>]*>(.*?)</div>', response.content.decode(), re.S
    )
    assert message is not None
    assert str(MAX_QUERY_LENGTH) in message[1] and str(len(too_long.strip())) in message[1]
    api = client_for("anonymous").get("/api/v1/search", {"q": too_long})
    assert api.status_code == 422


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_nobody_finds_or_counts_what_the_label_forbids(
    personas, client_for, author, label, persona
):
    article = make_article(
        author,
        "Geheimwoord artikel",
        body=f"{label} secret body",
        tlp=label,
        **label_recipients(personas, label),
    )
    section = make_section(
        author,
        "Geheimwoord sectie",
        f"{label} secret body",
        tlp=label,
        **label_recipients(personas, label),
    )
    user = personas.get(persona)
    allowed = persona in SEES[label]

    result = search(user=user, query="geheimwoord")
    assert {hit.object for hit in result.hits} == ({article, section} if allowed else set())
    assert result.total == (2 if allowed else 0)
    for kind, obj in (("article", article), ("section", section)):
        assert search(user=user, query="geheimwoord", kinds=(kind,)).total == int(allowed)
        assert found(user, obj.title) == ([obj] if allowed else [])

    client = client_for(persona)
    page = client.get("/search/", {"q": "geheimwoord"}).content.decode()
    assert ("Geheimwoord" in page) == allowed
    assert (f"{label} secret body" in page) == allowed
    api = client.get("/api/v1/search", {"q": "geheimwoord"}).json()
    assert api["count"] == (2 if allowed else 0)
    assert {(r["kind"], r["id"]) for r in api["results"]} == (
        {("article", article.pk), ("section", section.pk)} if allowed else set()
    )


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_drafts_and_flagged_articles_stay_with_their_organisation(personas, persona):
    expert = personas.expert
    draft = make_article(
        expert, "Conceptwoord", tlp=TLP.GREEN, status="draft", organisation=personas.member_company
    )
    flagged = make_article(
        expert,
        "Reclamewoord",
        tlp=TLP.GREEN,
        organisation=personas.member_company,
        flagged_commercial_at=timezone.now(),
    )
    user = personas.get(persona)
    own_organisation = persona in ("expert", "member_admin")

    assert found(user, "conceptwoord") == ([draft] if own_organisation else [])
    # Coordinators review flagged articles; drafts are the author's own business.
    sees_flagged = own_organisation or persona == "coordinator"
    assert found(user, "reclamewoord") == ([flagged] if sees_flagged else [])


def test_confidential_results_shown_are_audited(personas, client_for, author):
    article = make_article(author, "Auditwoord", tlp=TLP.RED, people=[personas.expert])
    section = make_section(
        author, "Auditwoord", "Tekst.", tlp=TLP.AMBER, organisations=[personas.member_company]
    )
    make_article(author, "Auditwoord openbaar")

    client_for("expert").get("/search/", {"q": "auditwoord"})
    client_for("expert").get("/api/v1/search", {"q": "auditwoord"})

    events = AuditEvent.objects.filter(actor=personas.expert, action="view")
    assert sorted((e.object_type, e.object_id, e.data["surface"]) for e in events) == sorted(
        [
            ("knowledge.article", str(article.pk), "search"),
            ("documents.document", str(section.document.pk), "search"),
            ("knowledge.article", str(article.pk), "api search"),
            ("documents.document", str(section.document.pk), "api search"),
        ]
    )


# --- the index follows the content ------------------------------------------------------------


def test_the_index_follows_changes_and_deletions(personas, author):
    article = make_article(author, "Oudtitel artikel")
    section = make_section(author, "Oudtitel sectie", "Oude tekst.")
    assert set(found(personas.anonymous, "oudtitel")) == {article, section}

    article.title = "Nieuwtitel artikel"
    article.save()
    section.title = "Nieuwtitel sectie"
    section.save(update_fields=["title"])
    assert found(personas.anonymous, "oudtitel") == []
    assert set(found(personas.anonymous, "nieuwtitel")) == {article, section}

    Article.objects.filter(pk=article.pk).update(body="Bijgewerkte lichaamstekst.")
    assert found(personas.anonymous, "lichaamstekst") == [article]

    article.delete()
    section.document.delete()
    assert found(personas.anonymous, "nieuwtitel") == []
    assert found(personas.anonymous, "lichaamstekst") == []


def test_bulk_created_content_is_indexed(personas, author):
    Article.objects.bulk_create(
        Article(
            title=f"Bulkwoord {i}",
            summary="",
            body="",
            kind="guide",
            tlp=TLP.CLEAR,
            status="published",
            published_at=timezone.now(),
            created_by=author,
        )
        for i in range(3)
    )
    assert search(user=personas.anonymous, query="bulkwoord").total == 3


# --- pages ------------------------------------------------------------------------------------


def test_pages_and_the_last_page(personas, author):
    for i in range(25):
        make_article(author, f"Paginawoord {i}")

    third = search(user=personas.anonymous, query="paginawoord", page=3, per_page=10)
    assert (len(third.hits), third.total, third.page, third.num_pages) == (5, 25, 3, 3)
    beyond = search(user=personas.anonymous, query="paginawoord", page=99, per_page=10)
    assert (len(beyond.hits), beyond.page) == (5, 3)
    all_ids = {
        hit.object.pk
        for page in (1, 2, 3)
        for hit in search(user=personas.anonymous, query="paginawoord", page=page, per_page=10).hits
    }
    assert len(all_ids) == 25


def test_the_number_of_queries_does_not_grow_with_the_results(personas, author):
    def queries(count: int) -> int:
        Article.objects.all().delete()
        Document.objects.all().delete()
        for i in range(count):
            make_article(author, f"Telwoord {i}")
            make_section(author, f"Telwoord {i}", "Tekst.")
        search(user=personas.expert, query="telwoord")  # the person's memberships are cached
        with CaptureQueriesContext(connection) as context:
            search(user=personas.expert, query="telwoord")
        return len(context.captured_queries)

    assert queries(2) == queries(10)


def test_the_search_page(personas, client_for, author):
    article = make_article(author, "Paginaweergave van een artikel", body="Over <b>vet</b> werk.")
    section = make_section(author, "Paginaweergave", "Tekst over paginaweergave.")
    client = client_for("outsider")

    empty = client.get("/search/")
    assert empty.status_code == 200
    assert 'role="search"' in empty.content.decode()

    response = client.get("/search/", {"q": "paginaweergave"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "2 results" in content or "2 resultaten" in content
    assert "TLP:CLEAR" in content
    assert "<mark>" in content
    assert "<b>vet</b>" not in content
    assert f'href="{article.get_absolute_url()}"' in content
    assert f"#section-{section.pk}" in content

    partial = client.get(
        "/search/", {"q": "paginaweergave"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<mark>" in partial
    assert "<html" not in partial
    assert 'id="results"' not in partial, "the live region stays on the page; htmx fills it"

    only_documents = client.get("/search/", {"q": "paginaweergave", "kind": "section"})
    assert article.title not in only_documents.content.decode()


def test_the_search_page_links_to_the_next_page_with_the_filter(personas, client_for, author):
    for i in range(25):
        make_article(author, f"Bladerwoord {i}")
    content = (
        client_for("anonymous")
        .get("/search/", {"q": "bladerwoord", "kind": "article"})
        .content.decode()
    )
    assert "?" + urlencode({"q": "bladerwoord"}) + "&amp;kind=article&amp;page=2" in content


def test_the_api(personas, client_for, author):
    article = make_article(author, "Apiwoord", body="Over het apiwoord.")
    make_article(author, "Apiwoord groen", tlp=TLP.GREEN)
    section = make_section(author, "Apiwoord", "Tekst.")

    anonymous = client_for("anonymous").get("/api/v1/search", {"q": "apiwoord"}).json()
    assert anonymous["count"] == 2
    assert {(r["kind"], r["id"]) for r in anonymous["results"]} == {
        ("article", article.pk),
        ("section", section.pk),
    }
    first = next(r for r in anonymous["results"] if r["kind"] == "section")
    assert first["document"]["slug"] == section.document.slug
    assert first["tlp"] == "clear"

    member = client_for("expert").get("/api/v1/search", {"q": "apiwoord", "kind": "article"})
    assert member.json()["count"] == 2
    assert {r["kind"] for r in member.json()["results"]} == {"article"}

    assert client_for("expert").get("/api/v1/search", {"kind": "other"}).status_code == 422
    empty = client_for("expert").get("/api/v1/search").json()
    assert (empty["count"], empty["results"]) == (0, [])

    schema = client_for("anonymous").get("/api/v1/openapi.json").json()
    assert "/api/v1/search" in schema["paths"]
    assert "SearchHitOut" in schema["components"]["schemas"]
