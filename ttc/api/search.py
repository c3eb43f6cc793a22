"""Search in the API: the same `search()` as the site's search page, so the same
access policy; anonymous callers find TLP:CLEAR content only."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Query, Router, Schema

from ttc.api.auth import auth_or_anonymous
from ttc.api.types import PublicRequest
from ttc.core.tlp import TLP
from ttc.knowledge.search import KINDS, MAX_QUERY_LENGTH, Hit, record_views, search

router = Router(tags=["search"])


class SearchQuery(Schema):
    q: str = Field(
        "",
        max_length=MAX_QUERY_LENGTH,
        description="Words to find, in Dutch or English. Quotes, OR and -word work on "
        "PostgreSQL; any text is accepted. Empty finds nothing.",
    )
    kind: Literal["article", "section"] | None = Field(
        None, description="Only knowledge articles, or only sections of working documents."
    )
    page: int = Field(1, ge=1, le=100_000, description="Past the last page gives the last page.")


class DocumentRef(Schema):
    id: int
    slug: str
    title: str


class SearchHitOut(Schema):
    kind: Literal["article", "section"]
    id: int
    title: str
    snippet: str = Field(
        description="HTML: the text around the match, escaped; only <mark> elements are markup."
    )
    tlp: TLP = Field(description="The article's label, or for a section its document's.")
    url: str = Field(description="The page to read it on.")
    document: DocumentRef | None = Field(description="For a section: its document.")
    rank: float = Field(description="Higher is a better match; only for ordering.")


class SearchPageOut(Schema):
    count: int = Field(description="All matches you may read, over all pages.")
    page: int
    pages: int
    per_page: int
    backend: Literal["postgresql", "sqlite-fts5"]
    similar: bool = Field(
        description="Nothing matched exactly: these results contain similar words."
    )
    results: list[SearchHitOut]


def _out(hit: Hit) -> dict:
    document = hit.document
    return {
        "kind": hit.kind,
        "id": hit.object.pk,
        "title": hit.title,
        "snippet": str(hit.snippet),
        "tlp": hit.tlp,
        "url": hit.url,
        "document": (
            {"id": document.pk, "slug": document.slug, "title": document.title}
            if document is not None
            else None
        ),
        "rank": hit.rank,
    }


@router.get(
    "",
    response=SearchPageOut,
    auth=auth_or_anonymous,
    summary="Search knowledge articles and working documents I may read, best match first",
)
def search_list(request: PublicRequest, query: Query[SearchQuery]) -> dict:
    result = search(
        user=request.auth,
        query=query.q,
        kinds=(query.kind,) if query.kind else KINDS,
        page=query.page,
    )
    record_views(request.auth, result, surface="api search")
    return {
        "count": result.total,
        "page": result.page,
        "pages": result.num_pages,
        "per_page": result.per_page,
        "backend": result.backend,
        "similar": result.fuzzy,
        "results": [_out(hit) for hit in result.hits],
    }
