"""Full-text search over knowledge articles and working-document sections.

The index is kept by the database (see the `0002_search` migrations of
knowledge and documents), so saving an article or a section through any code
path keeps it current:

* PostgreSQL: a `search_vector` column filled by a trigger (title weight A,
  summary B, body C; Dutch and English stemming, accents folded), matched with
  `websearch_to_tsquery` in both languages, ranked with `ts_rank_cd`, with
  `ts_headline` snippets. When nothing matches exactly, trigram word similarity
  on the titles (and article summaries) finds near misses such as typos.
* SQLite: FTS5 external-content tables with the (English) porter stemmer over
  `unicode61 remove_diacritics 2`, ranked with `bm25()`, with `snippet()`.
  Every word also matches as the start of a longer word, which covers most
  Dutch plurals and verb forms, and words still being typed.

Access is decided in the same SQL statement that pages and counts: the index
finds the matching rows, and the access policy's own querysets
(`Article.objects.readable_by`, `access.visible_to` for documents) keep those
the person may read. Pages and counts never include anything else, and the
policy only looks at matching rows, not at the whole table.

The SQL below is assembled from table names, constants and SQL that Django
compiled; the person's text is always passed as a parameter (hence the
`noqa: S608/S611`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ttc.core import access
from ttc.documents.models import Document, Section
from ttc.knowledge.models import Article, ArticleQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

    AnyUser = User | AnonymousUser

Kind = Literal["article", "section"]
KINDS: tuple[Kind, ...] = ("article", "section")
MAX_QUERY_LENGTH = 200
PER_PAGE = 20
MAX_PER_PAGE = 100
#: Words of a query that take part on SQLite; a longer query is cut here.
MAX_TERMS = 12
#: Words that typo tolerance looks at (each is one trigram index probe).
MAX_FUZZY_TERMS = 5

# The database marks highlights with these private-use characters; everything
# else in a snippet is escaped, and only the marks become <mark> elements.
_START, _STOP = "\ue000", "\ue001"
_WORD = re.compile(r"[^\W_]+")

# Words too common to narrow a search. PostgreSQL's Dutch and English
# configurations drop their own; SQLite needs a list, and typo tolerance
# should not chase them either.
_STOPWORDS = """
    aan al als bij dan dat de der deze die dit door een en er het hij hoe ik
    in is je kan met na naar niet nog of om ons ook op over te tot uit van
    voor was wat we welke wie wij wordt worden zijn ze zich zo
    a an and are as at be by for from how in is it of on or the to what with
"""
STOPWORDS = frozenset(_STOPWORDS.split())


@dataclass(frozen=True)
class Hit:
    kind: Kind
    object: Article | Section
    #: The text around the match: escaped, with only <mark> elements as markup.
    snippet: SafeString
    rank: float

    @property
    def title(self) -> str:
        return self.object.title

    @property
    def labelled(self) -> Article | Document:
        """What carries the label: the article, or the section's document."""
        if isinstance(self.object, Section):
            return self.object.document
        return self.object

    @property
    def document(self) -> Document | None:
        return self.object.document if isinstance(self.object, Section) else None

    @property
    def tlp(self) -> str:
        return self.labelled.tlp

    @property
    def url(self) -> str:
        """The page to read it on; empty while that page does not exist."""
        try:
            if isinstance(self.object, Section):
                document = self.object.document
                return reverse("document_detail", args=[document.slug]) + f"#{self.object.anchor}"
            return self.object.get_absolute_url()
        except NoReverseMatch:
            return ""


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[Hit]
    #: Everything that matches and the person may read, over all pages.
    total: int
    page: int
    per_page: int
    #: "postgresql" or "sqlite-fts5".
    backend: str
    #: Nothing matched exactly; these hits are similar words (PostgreSQL only).
    fuzzy: bool = False

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def search(
    *,
    user: AnyUser,
    query: str,
    kinds: Iterable[str] = KINDS,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchPage:
    """One page of what `user` may read that matches `query`, best match first.

    An empty query finds nothing. A query longer than `MAX_QUERY_LENGTH` is
    refused with a `ValidationError`. A page past the last gives the last page.
    Any text is a valid query: words are always passed to the database as
    data, never as query syntax it could fail on.
    """
    query = " ".join(unicodedata.normalize("NFC", query).replace("\x00", " ").split())
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(
            _("Search for at most %(limit)d characters."),
            code="too_long",
            params={"limit": MAX_QUERY_LENGTH},
        )
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    engine: _Engine = _Postgres(query) if connection.vendor == "postgresql" else _Sqlite(query)
    sources = [SOURCES[kind] for kind in KINDS if kind in set(kinds)]
    result = SearchPage(query, [], 0, 1, per_page, engine.backend)
    if not sources or not engine.searchable:
        return result
    rows, total, page = _fetch(engine, sources, user, page, per_page)
    fuzzy = False
    if not total and isinstance(engine, _Postgres) and engine.similar is not None:
        rows, total, page = _fetch(engine.similar, sources, user, page, per_page)
        fuzzy = bool(total)
    hits = _hits(engine, rows)
    return SearchPage(query, hits, total, page, per_page, engine.backend, fuzzy)


def record_views(user: AnyUser, result: SearchPage, *, surface: str) -> None:
    """Audit the confidential results shown: articles, and the documents of sections."""
    articles = [hit.object for hit in result.hits if isinstance(hit.object, Article)]
    access.record_views(user, articles, surface=surface)
    documents = {hit.labelled.pk: hit.labelled for hit in result.hits if hit.kind == "section"}
    access.record_views(user, documents.values(), surface=surface)


# --- what is searched ------------------------------------------------------------------------


def _readable_articles(candidates: ArticleQuerySet, user: AnyUser) -> QuerySet:
    return candidates.readable_by(user)


def _readable_sections(candidates: QuerySet, user: AnyUser) -> QuerySet:
    return candidates.filter(document__in=access.visible_to(Document.objects.all(), user))


@dataclass(frozen=True)
class _Source:
    kind: Kind
    model: type[Article] | type[Section]
    #: Of the candidates (the rows that match), those the person may read.
    readable: Callable[[Any, AnyUser], QuerySet]
    #: SQLite: bm25() weights per FTS column, and the columns a snippet may come from.
    bm25_weights: str
    snippet_columns: tuple[int, ...]
    #: PostgreSQL: the snippet's text and configuration, and what typos are matched against
    #: (the same expression as the trigram index, so the index serves it).
    headline_text: str
    headline_config: str
    trigram_text: str

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def matches(self) -> str:
        """The name of the statement's table of matching rows (a CTE)."""
        return f"{self.kind}_matches"

    def readable_sql(self, user: AnyUser) -> _Sql | None:
        """The SQL of the matching rows the person may read; None when there are none.

        The policy's queryset is applied to the matching rows only, so the
        database decides access for a few rows instead of for the whole table."""
        matching = self.model._default_manager.filter(
            pk__in=RawSQL(f"SELECT id FROM {self.matches}", [])  # noqa: S608, S611
        )
        try:
            sql, params = (
                self.readable(matching, user).order_by().values("pk").query.sql_with_params()
            )
        except EmptyResultSet:  # the person may read nothing of this kind
            return None
        return sql, list(params)


SOURCES: dict[str, _Source] = {
    "article": _Source(
        kind="article",
        model=Article,
        readable=_readable_articles,
        bm25_weights="10.0, 4.0, 1.0",
        snippet_columns=(1, 2),
        headline_text="t.summary || ' … ' || t.body",
        headline_config="(CASE WHEN t.language = 'en' THEN 'ttc_english' ELSE 'ttc_dutch' END)",
        trigram_text="(t.title || ' ' || t.summary)",
    ),
    "section": _Source(
        kind="section",
        model=Section,
        readable=_readable_sections,
        bm25_weights="10.0, 1.0",
        snippet_columns=(1,),
        headline_text="t.body",
        headline_config="'ttc_dutch'",
        trigram_text="t.title",
    ),
}

type _Sql = tuple[str, list[Any]]
type _Row = tuple[Kind, int, float]


class _Matcher(ABC):
    """How rows are found and ranked: by their words, or by similar words."""

    @abstractmethod
    def matches(self, source: _Source) -> _Sql:
        """SELECT id, rank of every matching row of `source`, readable or not
        (an index lookup; the access policy is applied to its result)."""


class _Engine(_Matcher):
    backend = ""
    #: Whether the query has any word to look for.
    searchable = False

    @abstractmethod
    def snippets(self, source: _Source, ids: list[int]) -> dict[int, str]:
        """The text around the match with the marks, by id."""


_TSQUERY = "(websearch_to_tsquery('ttc_dutch', %s) || websearch_to_tsquery('ttc_english', %s))"


class _Postgres(_Engine):
    backend = "postgresql"

    def __init__(self, query: str) -> None:
        self.query = query
        self.searchable = bool(_WORD.search(query))
        words = [w for w in _WORD.findall(query.lower()) if len(w) >= 3 and w not in STOPWORDS]
        terms = list(dict.fromkeys(words))[:MAX_FUZZY_TERMS]
        self.similar = _Similar(terms) if terms else None

    def matches(self, source: _Source) -> _Sql:
        return (
            f"SELECT id, ts_rank_cd(search_vector, {_TSQUERY}, 32) AS rank "  # noqa: S608
            f"FROM {source.table} WHERE search_vector @@ {_TSQUERY}",
            [self.query] * 4,
        )

    def snippets(self, source: _Source, ids: list[int]) -> dict[int, str]:
        options = (
            f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=35, MinWords=15, '
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.id, ts_headline({source.headline_config}::regconfig, "  # noqa: S608
                f"{source.headline_text}, {_TSQUERY}, %s) "
                f"FROM {source.table} t WHERE t.id = ANY(%s)",
                [self.query, self.query, options, ids],
            )
            return dict(cursor.fetchall())


class _Similar(_Matcher):
    """PostgreSQL's typo tolerance: rows with words similar to any of the terms."""

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms

    def matches(self, source: _Source) -> _Sql:
        text = source.trigram_text
        similarity = " + ".join(f"word_similarity(%s, {text})" for _ in self.terms)
        near = " OR ".join(f"{text} %%> %s" for _ in self.terms)
        return (
            f"SELECT t.id, ({similarity}) AS rank FROM {source.table} t WHERE {near}",  # noqa: S608
            [*self.terms, *self.terms],
        )


class _Sqlite(_Engine):
    backend = "sqlite-fts5"

    def __init__(self, query: str) -> None:
        words = _WORD.findall(query.lower())
        terms = [w for w in words if w not in STOPWORDS] or words
        terms = list(dict.fromkeys(terms))[:MAX_TERMS]
        self.searchable = bool(terms)
        # Every word is quoted, so FTS5 reads it as a plain word, never as syntax.
        # Without a Dutch stemmer, a word also matches as the start of a longer
        # one: "meld datalek" finds "datalekken melden", and words being typed.
        self.match = " AND ".join(f'"{term}"' + ("*" if len(term) >= 3 else "") for term in terms)

    def matches(self, source: _Source) -> _Sql:
        fts = f"{source.table}_fts"
        return (
            f"SELECT rowid AS id, -bm25({fts}, {source.bm25_weights}) AS rank "  # noqa: S608
            f"FROM {fts} WHERE {fts} MATCH %s",
            [self.match],
        )

    def snippets(self, source: _Source, ids: list[int]) -> dict[int, str]:
        fts = f"{source.table}_fts"
        columns = ", ".join(
            f"snippet({fts}, {column}, %s, %s, '…', 24)" for column in source.snippet_columns
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, {columns} FROM {fts} WHERE {fts} MATCH %s "  # noqa: S608
                f"AND rowid IN ({', '.join(['%s'] * len(ids))})",
                [*[_START, _STOP] * len(source.snippet_columns), self.match, *ids],
            )
            # The first column with a match; otherwise the first with any text.
            return {
                pk: next((s for s in texts if _START in s), next((s for s in texts if s), ""))
                for pk, *texts in cursor.fetchall()
            }


# --- running it ------------------------------------------------------------------------------


def _fetch(
    matcher: _Matcher, sources: list[_Source], user: AnyUser, page: int, per_page: int
) -> tuple[list[_Row], int, int]:
    """The rows of one page, the total and the page number (at most the last page).

    One statement: the matching rows of each kind are found once (a CTE), the
    access policy keeps those the person may read, and the rest is counted,
    ranked and paged."""
    tables: list[str] = []
    branches: list[str] = []
    params: list[Any] = []
    branch_params: list[Any] = []
    for source in sources:
        readable = source.readable_sql(user)
        if readable is None:
            continue
        matches_sql, matches_params = matcher.matches(source)
        tables.append(f"{source.matches} AS MATERIALIZED ({matches_sql})")
        params += matches_params
        readable_sql, readable_params = readable
        branches.append(
            f"SELECT '{source.kind}' AS kind, m.id, m.rank FROM {source.matches} m "  # noqa: S608
            f"WHERE m.id IN ({readable_sql})"
        )
        branch_params += readable_params
    if not branches:
        return [], 0, 1
    params += branch_params
    with_tables = f"WITH {', '.join(tables)} "
    hits = " UNION ALL ".join(branches)
    page_sql = (
        f"{with_tables}SELECT kind, id, rank, COUNT(*) OVER () FROM ({hits}) hits "  # noqa: S608
        "ORDER BY rank DESC, kind, id DESC LIMIT %s OFFSET %s"
    )
    with _index_scans(), connection.cursor() as cursor:
        cursor.execute(page_sql, [*params, per_page, (page - 1) * per_page])
        rows = cursor.fetchall()
        if not rows and page > 1:
            cursor.execute(f"{with_tables}SELECT COUNT(*) FROM ({hits}) hits", params)  # noqa: S608
            total = cursor.fetchone()[0]
            if not total:
                return [], 0, 1
            page = math.ceil(total / per_page)
            cursor.execute(page_sql, [*params, per_page, (page - 1) * per_page])
            rows = cursor.fetchall()
    total = rows[0][3] if rows else 0
    return [(kind, pk, rank) for kind, pk, rank, _total in rows], total, page


@contextmanager
def _index_scans() -> Iterator[None]:
    """On PostgreSQL, have the statements inside use the search indexes.

    The planner does not count reading the (TOASTed) search vectors nor the
    trigram similarity of every row, so on a default configuration it scans
    the whole table for common words: 10 to 20 times slower than the GIN
    indexes, which answer these lookups exactly. The setting holds for these
    statements only."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
        )
        previous = cursor.fetchone()[0]
        yield
        # Within an outer transaction, SET LOCAL would outlive this savepoint.
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])


def _hits(engine: _Engine, rows: list[_Row]) -> list[Hit]:
    by_kind: dict[Kind, list[int]] = {}
    for kind, pk, _rank in rows:
        by_kind.setdefault(kind, []).append(pk)
    objects: dict[tuple[str, int], Article | Section] = {}
    snippets: dict[tuple[str, int], str] = {}
    for kind, ids in by_kind.items():
        source = SOURCES[kind]
        manager = source.model._default_manager
        found = (manager.select_related("document") if kind == "section" else manager).in_bulk(ids)
        objects.update({(kind, pk): obj for pk, obj in found.items()})
        texts = engine.snippets(source, ids)
        snippets.update({(kind, pk): text for pk, text in texts.items()})
    return [
        Hit(kind, objects[kind, pk], highlight(snippets.get((kind, pk), "")), rank)
        for kind, pk, rank in rows
        if (kind, pk) in objects  # deleted in the meantime
    ]


def highlight(text: str) -> SafeString:
    """The snippet as HTML: the text escaped, the database's marks as <mark> elements.

    Stray or unbalanced marks (the text itself may contain the characters) are
    dropped, so the markup is always well formed. Line breaks become spaces."""
    segments: list[tuple[str, bool]] = []
    marked = False
    for piece in re.split(f"([{_START}{_STOP}])", text):
        if piece in (_START, _STOP):
            marked = piece == _START
        elif piece:
            segments.append((re.sub(r"\s+", " ", piece), marked))
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<mark>{}</mark>", piece) if marked else piece,)
            for piece, marked in segments
        ),
    )
