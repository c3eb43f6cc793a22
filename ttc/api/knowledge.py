"""The knowledge base in the API: reading, writing, editorial review and versions.

Every write calls the same service as the pages. Every read goes through
`Article.objects.readable_by`, and content under a confidential label is
written to the audit log. An article the person may not read answers 404,
whatever they ask of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AfterValidator

from ttc.api.auth import auth_or_anonymous, require_write
from ttc.api.schemas import OrganisationRef
from ttc.api.types import AuthedRequest, PublicRequest
from ttc.core import access
from ttc.core.tlp import TLP, most_restrictive
from ttc.knowledge import services
from ttc.knowledge.models import (
    BODY_MAX,
    SUMMARY_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Article,
    ArticleKind,
    ArticleLanguage,
    ArticleQuerySet,
    ArticleRevision,
    ArticleStatus,
)
from ttc.lib import textdiff
from ttc.lib.markdown import render
from ttc.members.models import Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

    AnyUser = User | AnonymousUser

router = Router(tags=["knowledge base"])

#: Database ids are 32-bit on every backend we run.
MAX_ID = 2**31 - 1


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; refuse it here with a message, not a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- schemas ------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str | list[Any] | dict[str, list[str]] = Field(
        description="What went wrong: a message, a list of messages, or messages per field"
    )


#: The errors every operation may answer, besides its own success codes.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: ErrorOut, 403: ErrorOut}


class TagOut(Schema):
    name: str
    slug: str = Field(description="Filter the list with ?tag=<slug>")


class ArticleSummaryOut(Schema):
    id: int
    title: str
    summary: str = Field(description="Markdown, as written")
    kind: ArticleKind
    language: ArticleLanguage
    tlp: TLP
    status: ArticleStatus
    flagged_commercial: bool = Field(
        description="Hidden as advertising until revised and published again"
    )
    tags: list[TagOut]
    organisation: OrganisationRef | None = Field(description="The author organisation")
    number: int = Field(description="The number of the latest revision")
    published_at: datetime | None
    updated_at: datetime
    url: str


class ArticleOut(ArticleSummaryOut):
    summary_html: str = Field(description="The summary rendered and sanitised")
    body: str = Field(description="Markdown, as written")
    body_html: str = Field(description="The text rendered and sanitised")
    author: str
    created_at: datetime
    shared_with_people: list[str] = Field(description="TLP:RED: the named people")
    shared_with_organisations: list[OrganisationRef] = Field(
        description="TLP:AMBER and TLP:AMBER+STRICT: the named organisations"
    )
    may_edit: bool = Field(description="Whether you may change it")
    flag_reason: str = Field(
        description="Why it is hidden as advertising (for its editors and coordinators only)"
    )


class ArticlePage(Schema):
    count: int
    page: int
    results: list[ArticleSummaryOut]


class ArticleQuery(Schema):
    tag: str = Field("", max_length=60, description="A tag's slug")
    kind: ArticleKind | None = None
    status: ArticleStatus | None = Field(
        None,
        description="Left out: published articles. Given: the articles with this status "
        "that you may read, such as your organisation's drafts",
    )
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class SharingIn(Schema):
    tlp: TLP = Field(description="Who may read it")
    people: list[Annotated[str, Field(max_length=254)]] = Field(
        default_factory=list, max_length=200, description="TLP:RED: e-mail addresses"
    )
    organisation_ids: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="TLP:AMBER and TLP:AMBER+STRICT: approved organisations",
    )


class ContentIn(Schema):
    """The rules (lengths, the number of tags) are the service's: breaking one
    answers 400 naming the field; a missing field or a wrong type is 422."""

    title: Text = Field(json_schema_extra={"maxLength": TITLE_MAX})
    summary: Text = Field(description="Markdown", json_schema_extra={"maxLength": SUMMARY_MAX})
    body: Text = Field(description="Markdown", json_schema_extra={"maxLength": BODY_MAX})
    kind: ArticleKind
    language: ArticleLanguage = ArticleLanguage.DUTCH
    tags: list[Annotated[Text, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=100,
        description=f"At most {TAGS_MAX}; an existing tag is reused whatever its case",
    )


class ArticleIn(ContentIn, SharingIn):
    organisation_id: Id | None = Field(
        None,
        description="The approved organisation you write for; may be left out when you "
        "belong to one only. Coordinators may write for none.",
    )
    tlp: TLP = Field(TLP.GREEN, description="Who may read it; GREEN by default")


class ArticleUpdateIn(ContentIn):
    base_number: int = Field(
        ge=1,
        description="The revision you edited. When someone saved a newer one meanwhile, "
        "nothing is saved and the answer is 409.",
    )
    note: Text = Field("", max_length=services.NOTE_MAX, description="What changed")
    sharing: SharingIn | None = Field(
        None, description="A new label (the author's organisation only); left out: unchanged"
    )


class ReasonIn(Schema):
    reason: Text = Field(max_length=services.REASON_MAX)


class RevertIn(Schema):
    number: int = Field(ge=1, description="The earlier revision whose text comes back")
    base_number: int | None = Field(
        None, ge=1, description="The current revision as you saw it; 409 when it moved on"
    )


class RevisionSummaryOut(Schema):
    number: int
    author: str = Field(description="Who saved it (a name, never an e-mail address)")
    tlp: TLP = Field(
        description="The label the article had when this revision was saved: "
        "it decides who may read this revision"
    )
    note: str
    reverted_to: int | None = Field(description="Set when this revision brought back another")
    created_at: datetime
    url: str


class RevisionOut(RevisionSummaryOut):
    title: str
    summary: str
    body: str
    body_html: str


class PieceOut(Schema):
    op: Literal["equal", "insert", "delete"]
    text: str


class RowOut(Schema):
    old: list[PieceOut]
    new: list[PieceOut]
    changed: bool


class DiffOut(Schema):
    changed: bool
    inline: list[PieceOut] = Field(description="The new text, with removed and added words")
    side_by_side: list[RowOut] = Field(description="Old and new, line by line")


class CompareOut(Schema):
    old: int = Field(description="The revision compared from")
    new: int = Field(description="The revision compared with")
    tlp: TLP = Field(description="The narrower label of the two revisions")
    title: DiffOut
    summary: DiffOut
    body: DiffOut


class CompareQuery(Schema):
    old: int | None = Field(
        None, ge=1, le=MAX_ID, description="Left out: the revision I may read before `new`"
    )
    new: int | None = Field(
        None, ge=1, le=MAX_ID, description="Left out: the latest revision I may read"
    )


# --- helpers ------------------------------------------------------------------------------


def _org_ref(organisation: Organisation | None) -> dict | None:
    return {"id": organisation.pk, "name": organisation.name} if organisation else None


def _summary(article: Article) -> dict:
    return {
        "id": article.pk,
        "title": article.title,
        "summary": article.summary,
        "kind": article.kind,
        "language": article.language,
        "tlp": article.tlp,
        "status": article.status,
        "flagged_commercial": article.is_flagged_commercial,
        "tags": [{"name": tag.name, "slug": tag.slug} for tag in article.tags.all()],
        "organisation": _org_ref(article.organisation),
        "number": article.number,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "url": article.get_absolute_url(),
    }


def _readable(user: AnyUser) -> ArticleQuerySet:
    return (
        Article.objects.readable_by(user)
        .select_related("organisation", "created_by")
        .prefetch_related("tags")
    )


def _visible_article(user: AnyUser, article_id: int) -> Article:
    """The article, or 404 when it does not exist or this person may not read it."""
    article = _readable(user).filter(pk=article_id).first()
    if article is None:
        raise Http404
    return article


def _require_editor(user: User, article: Article) -> None:
    if not article.may_edit(user):
        raise PermissionDenied(_("Only the author's organisation and coordinators change it."))


def _editable_article(user: User, article_id: int) -> Article:
    article = _visible_article(user, article_id)
    _require_editor(user, article)
    return article


def _article_out(user: AnyUser, article: Article, *, surface: str = "api") -> dict:
    """The whole article, for someone who may read it: audited."""
    access.record_views(user, [article], surface=surface)
    editor = article.may_edit(user)
    coordinator = user.is_authenticated and user.is_coordinator
    return {
        **_summary(article),
        "summary_html": article.summary_html(),
        "body": article.body,
        "body_html": article.body_html(),
        "author": article.created_by.public_name,
        "created_at": article.created_at,
        "shared_with_people": [person.public_name for person in article.recipient_people.all()],
        "shared_with_organisations": [
            _org_ref(organisation) for organisation in article.recipient_orgs.all()
        ],
        "may_edit": editor,
        "flag_reason": article.flagged_commercial_reason if editor or coordinator else "",
    }


def _refreshed(user: AnyUser, article: Article) -> dict:
    return _article_out(user, _visible_article(user, article.pk))


def _sharing(payload: SharingIn) -> services.Sharing:
    """Named people and organisations, looked up as the form does."""
    from ttc.core.forms import LabelledForm

    form = LabelledForm(
        {
            "tlp": payload.tlp.value,
            "people": "\n".join(payload.people),
            "organisations": payload.organisation_ids,
        }
    )
    if not form.is_valid():
        raise ValidationError(
            {field: [str(error) for error in errors] for field, errors in form.errors.items()}
        )
    return services.Sharing(
        tlp=form.cleaned_data["tlp"],
        people=form.cleaned_data["people"],
        organisations=list(form.cleaned_data["organisations"]),
    )


def _content(payload: ContentIn) -> services.ArticleContent:
    return services.ArticleContent(
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
        kind=payload.kind,
        language=payload.language,
        tags=payload.tags,
    )


def _conflicts_answer_409(run: Any) -> Any:
    """An edit that lost the race is a conflict, not a bad request."""
    try:
        return run()
    except ValidationError as error:
        if getattr(error, "code", None) == "conflict":
            raise HttpError(409, error.messages[0]) from None
        raise


def _revision_summary(revision: ArticleRevision) -> dict:
    return {
        "number": revision.number,
        "author": revision.created_by.public_name,
        "tlp": revision.tlp,
        "note": revision.note,
        "reverted_to": revision.reverted_to,
        "created_at": revision.created_at,
        "url": revision.get_absolute_url(),
    }


def _revision(user: AnyUser, article: Article, number: int) -> ArticleRevision:
    """One revision the person may read: each keeps the label it was written
    under. One they may not read answers 404, like one that does not exist."""
    revision = services.revisions_for(article, user).filter(number=number).first()
    if revision is None:
        raise HttpError(
            404, _("There is no revision %(number)s that you may read.") % {"number": number}
        )
    return revision


def _pieces(pieces: Any) -> list[dict]:
    return [{"op": piece.op, "text": piece.text} for piece in pieces]


def _diff(before: str, after: str) -> dict:
    return {
        "changed": before != after,
        "inline": _pieces(textdiff.inline(before, after)),
        "side_by_side": [
            {"old": _pieces(row.old), "new": _pieces(row.new), "changed": row.changed}
            for row in textdiff.side_by_side(before, after)
        ],
    }


# --- reading ------------------------------------------------------------------------------


@router.get(
    "",
    response={200: ArticlePage, **READ_ERRORS},
    auth=auth_or_anonymous,
    summary="Articles I may read, newest first (TLP:CLEAR ones without signing in)",
)
def article_list(request: PublicRequest, query: Query[ArticleQuery]) -> dict:
    user = request.auth
    found = _readable(user)
    # Without a status: what readers read. With one: also what the person's side writes.
    found = found.published() if query.status is None else found.filter(status=query.status)
    if query.tag:
        found = found.filter(tags__slug=query.tag)
    if query.kind:
        found = found.filter(kind=query.kind)
    start = (query.page - 1) * query.limit
    results = list(found[start : start + query.limit])
    access.record_views(user, results, surface="api list")
    return {
        "count": found.count(),
        "page": query.page,
        "results": [_summary(article) for article in results],
    }


@router.get(
    "/{int:article_id}",
    response={200: ArticleOut, **READ_ERRORS},
    auth=auth_or_anonymous,
    summary="One article",
)
def article_detail(request: PublicRequest, article_id: int) -> dict:
    return _article_out(request.auth, _visible_article(request.auth, article_id))


@router.get(
    "/{int:article_id}/related",
    response={200: list[ArticleSummaryOut], **READ_ERRORS},
    auth=auth_or_anonymous,
    summary="Published articles I may read that share the most tags with this one",
)
def article_related(request: PublicRequest, article_id: int) -> list[dict]:
    article = _visible_article(request.auth, article_id)
    related = services.related_articles(article, request.auth)
    access.record_views(request.auth, related, surface="api related")
    return [_summary(other) for other in related]


# --- writing ------------------------------------------------------------------------------


@router.post(
    "",
    response={201: ArticleOut, **WRITE_ERRORS},
    summary="Write an article, saved as a draft (people of an approved organisation, write scope)",
)
def article_create(request: AuthedRequest, payload: ArticleIn) -> Status:
    require_write(request)
    user = request.auth
    if not services.may_write(user):
        raise PermissionDenied(_("Only people of an approved organisation write articles."))
    organisations = services.writing_organisations(user)
    if payload.organisation_id is not None:
        organisation = organisations.filter(pk=payload.organisation_id).first()
        if organisation is None:
            raise ValidationError(
                {"organisation_id": [_("Choose one of your own approved organisations.")]}
            )
    elif user.is_coordinator or organisations.count() != 1:
        organisation = None
    else:
        organisation = organisations.first()
    article = services.article_create(
        author=user,
        organisation=organisation,
        content=_content(payload),
        sharing=_sharing(payload),
    )
    return Status(201, _refreshed(user, article))


@router.put(
    "/{int:article_id}",
    response={200: ArticleOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Save a new revision (the author's organisation and coordinators, write scope)",
)
def article_update(request: AuthedRequest, article_id: int, payload: ArticleUpdateIn) -> dict:
    require_write(request)
    user = request.auth
    article = _editable_article(user, article_id)
    sharing = _sharing(payload.sharing) if payload.sharing is not None else None
    _conflicts_answer_409(
        lambda: services.article_update(
            article=article,
            actor=user,
            content=_content(payload),
            base_number=payload.base_number,
            note=payload.note,
            sharing=sharing,
        )
    )
    return _refreshed(user, article)


@router.post(
    "/{int:article_id}/submit",
    response={200: ArticleOut, **WRITE_ERRORS},
    summary="Send a draft for review (the author's organisation, write scope)",
)
def article_submit(request: AuthedRequest, article_id: int) -> dict:
    require_write(request)
    article = _editable_article(request.auth, article_id)
    services.article_submit(article=article, actor=request.auth)
    return _refreshed(request.auth, article)


@router.post(
    "/{int:article_id}/publish",
    response={200: ArticleOut, **WRITE_ERRORS},
    summary="Publish an article in review, or publish a flagged one again "
    "(coordinators, write scope)",
)
def article_publish(request: AuthedRequest, article_id: int) -> dict:
    require_write(request)
    article = _visible_article(request.auth, article_id)
    services.article_publish(article=article, actor=request.auth)
    return _refreshed(request.auth, article)


@router.post(
    "/{int:article_id}/return",
    response={204: None, **WRITE_ERRORS},
    summary="Send an article in review back to draft, with the reason (coordinators, write scope)",
)
def article_return(request: AuthedRequest, article_id: int, payload: ReasonIn) -> Status:
    require_write(request)
    article = _visible_article(request.auth, article_id)
    services.article_return(article=article, actor=request.auth, reason=payload.reason)
    # A draft belongs to its author's side: the coordinator no longer reads it.
    return Status(204, None)


@router.post(
    "/{int:article_id}/flag",
    response={200: ArticleOut, **WRITE_ERRORS},
    summary="Hide an article as advertising, with the reason (coordinators, write scope)",
)
def article_flag(request: AuthedRequest, article_id: int, payload: ReasonIn) -> dict:
    require_write(request)
    article = _visible_article(request.auth, article_id)
    services.article_flag_commercial(article=article, actor=request.auth, reason=payload.reason)
    return _refreshed(request.auth, article)


@router.post(
    "/{int:article_id}/revert",
    response={200: ArticleOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Bring back the text of an earlier revision, as a new revision (write scope)",
)
def article_revert(request: AuthedRequest, article_id: int, payload: RevertIn) -> dict:
    require_write(request)
    article = _editable_article(request.auth, article_id)
    _conflicts_answer_409(
        lambda: services.article_revert(
            article=article,
            actor=request.auth,
            number=payload.number,
            base_number=payload.base_number,
        )
    )
    return _refreshed(request.auth, article)


# --- versions -----------------------------------------------------------------------------


@router.get(
    "/{int:article_id}/revisions",
    response={200: list[RevisionSummaryOut], **WRITE_ERRORS},
    summary="The revisions I may read, newest first (the article's editors)",
)
def revision_list(request: AuthedRequest, article_id: int) -> list[dict]:
    article = _editable_article(request.auth, article_id)
    access.record_views(request.auth, [article], surface="api history")
    revisions = list(services.revisions_for(article, request.auth))
    # The notes say what changed: under a confidential label they are content too.
    access.record_views(request.auth, revisions, surface="api history")
    return [_revision_summary(revision) for revision in revisions]


@router.get(
    "/{int:article_id}/revisions/{int:number}",
    response={200: RevisionOut, **WRITE_ERRORS},
    summary="One revision's text (the article's editors)",
)
def revision_detail(request: AuthedRequest, article_id: int, number: int) -> dict:
    article = _visible_article(request.auth, article_id)
    # A revision the person may not read is not there for them (404), editor or not.
    revision = _revision(request.auth, article, number)
    _require_editor(request.auth, article)
    access.record_views(request.auth, [revision], surface="api revision")
    return {
        **_revision_summary(revision),
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body,
        "body_html": render(revision.body),
    }


@router.get(
    "/{int:article_id}/compare",
    response={200: CompareOut, **WRITE_ERRORS},
    summary="Two revisions I may read compared word by word, inline and side by side "
    "(the article's editors)",
)
def revision_compare(request: AuthedRequest, article_id: int, query: Query[CompareQuery]) -> dict:
    user = request.auth
    article = _visible_article(user, article_id)
    numbers = list(services.revisions_for(article, user).values_list("number", flat=True))
    if not numbers:
        raise Http404
    # A revision the person may not read is not there for them (404), editor or not.
    new = _revision(user, article, query.new or numbers[0])
    earlier = next((number for number in numbers if number < new.number), new.number)
    old = _revision(user, article, query.old or earlier)
    _require_editor(user, article)
    access.record_views(user, [old, new] if old.pk != new.pk else [new], surface="api compare")
    return {
        "old": old.number,
        "new": new.number,
        "tlp": most_restrictive(old.tlp, new.tlp),
        "title": _diff(old.title, new.title),
        "summary": _diff(old.summary, new.summary),
        "body": _diff(old.body, new.body),
    }
