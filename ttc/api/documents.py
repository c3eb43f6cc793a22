"""Open working documents in the API: documents and their sections, the
revision history, comparisons, comments, and proposals with their moderation.

Every write calls the same service as the pages. Every read passes the access
policy, and a read of a document under a confidential label is written to the
audit log. A document the caller may not read answers 404 on every path under
it (sections, revisions, comments, proposals), so that its existence does not
leak.

Proposals live under `/document-proposals`: `/proposals` belongs to the help
requests' matching. Through the API only signed-in people propose; a visitor
without an account uses the web page, which confirms their e-mail address first.

Who wrote an anonymous contribution never appears: its credit is empty for
everyone, and only coordinators, who moderate, see any contributor's identity.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema, Status
from ninja.errors import Throttled

from ttc.api.auth import auth_or_anonymous, require_write
from ttc.api.helprequests import MAX_ID, Id, PageOnly, Text
from ttc.api.types import AuthedRequest, PublicRequest
from ttc.core import access
from ttc.core.forms import MAX_NAMED_PEOPLE, LabelledForm
from ttc.core.ratelimit import allow
from ttc.core.tlp import TLP
from ttc.documents import selectors, services
from ttc.documents.models import (
    COMMENT_MAX,
    REASON_MAX,
    SECTION_BODY_MAX,
    TITLE_MAX,
    Comment,
    Document,
    Proposal,
    ProposalStatus,
    RevisionKind,
    Section,
    SectionRevision,
)
from ttc.lib import textdiff
from ttc.lib.markdown import render

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

    AnyUser = User | AnonymousUser

router = Router(tags=["documents"])
proposals_router = Router(tags=["documents"])

SUMMARY_MAX = 2_000
MAX_SECTIONS = 100
MAX_EDITORS = 100


# --- schemas ------------------------------------------------------------------------------


class DocumentProblem(Schema):
    """Every error: a message, a list of messages, or messages per field."""

    detail: str | list[Any] | dict[str, list[str]] = Field(
        description="What went wrong: a message, a list of messages (422: one per invalid "
        "field, with its location), or messages per field (400)"
    )


def _errors(*codes: int) -> dict[int, type[Schema]]:
    return dict.fromkeys(codes, DocumentProblem)


#: Errors any operation may answer: no or a bad sign-in (a bad token is refused
#: even where no sign-in is needed), too many calls.
_AUTHED = (401, 429)


class DocumentQuery(Schema):
    q: str = Field("", max_length=200, description="Part of the title")
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class DocumentSummaryOut(Schema):
    id: int
    slug: str
    title: str
    summary: str
    tlp: TLP
    version: int = Field(description="Raised by one for every accepted change")
    updated_at: datetime
    url: str


class DocumentPage(Schema):
    count: int
    page: int
    results: list[DocumentSummaryOut]


class SectionSummaryOut(Schema):
    id: int
    position: int
    title: str
    body: str = Field(description="Markdown, as accepted")
    number: int = Field(description="The number of the section's latest revision")
    updated_at: datetime
    url: str


class SectionOut(SectionSummaryOut):
    document: str = Field(description="The document's slug")
    body_html: str = Field(description="The text rendered and sanitised")
    credit: str = Field(
        description="Who wrote the latest revision; empty for an anonymous contribution and "
        "for a person without a public name"
    )
    comments: int = Field(description="Comments on the section, removed ones included")


class DocumentOut(DocumentSummaryOut):
    summary_html: str
    created_at: datetime
    may_moderate: bool = Field(description="Whether you decide on its proposals")
    sections: list[SectionSummaryOut]


class MarkdownQuery(Schema):
    version: int | None = Field(
        None, ge=0, le=MAX_ID, description="The document as it stood then; now when left out"
    )


class MarkdownOut(Schema):
    slug: str
    version: int
    markdown: str


class SectionIn(Schema):
    title: Text = Field(json_schema_extra={"maxLength": TITLE_MAX})
    body: Text = Field(
        "", description="Markdown", json_schema_extra={"maxLength": SECTION_BODY_MAX}
    )


class DocumentIn(Schema):
    """The limits are the service's: breaking one answers 400 naming the field;
    a missing field or a wrong type is 422."""

    title: Text = Field(json_schema_extra={"maxLength": TITLE_MAX})
    summary: Text = Field("", description="Markdown", json_schema_extra={"maxLength": SUMMARY_MAX})
    slug: str = Field("", max_length=80, description="The web address; made from the title")
    tlp: TLP = Field(TLP.CLEAR, description="TLP:CLEAR makes it public; any other, internal")
    people: list[str] = Field(
        default_factory=list,
        max_length=MAX_NAMED_PEOPLE,
        description="E-mail addresses of the named people (TLP:RED)",
    )
    organisation_ids: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="The named organisations (TLP:AMBER, TLP:AMBER+STRICT)",
    )
    sections: list[SectionIn] = Field(default_factory=list, max_length=MAX_SECTIONS)


class EditorsIn(Schema):
    editors: list[str] = Field(
        max_length=MAX_EDITORS,
        description="E-mail addresses of the members who moderate; [] leaves it to the "
        "coordinators",
    )


class PersonOut(Schema):
    id: int
    name: str
    email: str


class EditorsOut(Schema):
    editors: list[PersonOut]


class PieceOut(Schema):
    op: Literal["equal", "insert", "delete"]
    text: str


class RowOut(Schema):
    old: list[PieceOut]
    new: list[PieceOut]
    changed: bool


class DiffOut(Schema):
    title_from: str
    title_to: str
    added: int = Field(description="Words added")
    removed: int = Field(description="Words removed")
    inline: list[PieceOut] = Field(description="The new text, word by word, with what changed")
    rows: list[RowOut] = Field(description="Old and new side by side, line by line")


class CompareQuery(Schema):
    from_: int | None = Field(
        None,
        alias="from",
        ge=0,
        le=MAX_ID,
        description="The older revision; 0 is the empty text. Default: the one before `to`",
    )
    to: int | None = Field(None, ge=1, le=MAX_ID, description="Default: the latest revision")


class CompareOut(DiffOut):
    from_number: int
    to_number: int


class RevisionSummaryOut(Schema):
    section_id: int
    number: int = Field(description="The revision's number within its section")
    document_version: int = Field(description="The document's version this revision made")
    title: str
    kind: RevisionKind
    kind_label: str
    note: str
    credit: str = Field(
        description="Who wrote it; empty for an anonymous contribution and for a person "
        "without a public name"
    )
    editor: str = Field(description="Who accepted it")
    reverted_to: int | None
    created_at: datetime
    url: str


class RevisionOut(RevisionSummaryOut):
    body: str
    body_html: str


class RevisionPage(Schema):
    count: int
    page: int
    results: list[RevisionSummaryOut]


class RevertIn(Schema):
    number: Id = Field(description="The revision whose text comes back")
    note: Text = Field("", json_schema_extra={"maxLength": REASON_MAX})


class CommentOut(Schema):
    id: int
    section_id: int
    author: str
    body: str = Field(description="Empty once an editor removed it")
    body_html: str
    created_at: datetime
    removed: bool


class CommentIn(Schema):
    body: Text = Field(description="Markdown", json_schema_extra={"maxLength": COMMENT_MAX})


class DocumentRef(Schema):
    slug: str
    title: str
    tlp: TLP


class ProposalIn(Schema):
    section_id: Id | None = Field(None, description="Empty: a new section at the end")
    base_number: Id | None = Field(
        None, description="The revision you started from; the latest when left out"
    )
    title: Text = Field(json_schema_extra={"maxLength": TITLE_MAX})
    body: Text = Field(description="Markdown", json_schema_extra={"maxLength": SECTION_BODY_MAX})
    reason: Text = Field("", json_schema_extra={"maxLength": REASON_MAX})
    anonymous: bool = Field(False, description="List the contribution without your name")


class ProposalQuery(PageOnly):
    queue: bool = Field(
        False,
        description="The proposals on documents you moderate (pending ones unless `status` "
        "says otherwise) instead of your own",
    )
    status: ProposalStatus | None = None
    document: str = Field("", max_length=80, description="One document's slug")


class ProposalSummaryOut(Schema):
    id: int
    document: DocumentRef
    section_id: int | None = Field(description="Empty for a new section not yet accepted")
    base_number: int | None = Field(description="The revision the contributor started from")
    title: str
    status: ProposalStatus
    status_label: str
    credit: str = Field(
        description="Empty for an anonymous contribution and for a person without a public name"
    )
    anonymous: bool
    mine: bool = Field(description="Whether you wrote it")
    created_at: datetime
    decided_at: datetime | None
    url: str


class ProposalPage(Schema):
    count: int
    page: int
    results: list[ProposalSummaryOut]


class PreviewOut(Schema):
    clean: bool = Field(description="Whether accepting now merges without a conflict")
    moved_on: bool = Field(description="Whether the section changed since the proposal's base")
    base_number: int
    head_number: int | None = Field(description="The latest revision; empty for a new section")
    title: str = Field(description="The title accepting would write; empty on a title conflict")
    body: str = Field(description="The text accepting would write; empty on a conflict")
    text_to_resolve: str = Field(description="On a conflict: both versions between markers")


class ContributorOut(Schema):
    name: str
    email: str


class ProposalOut(ProposalSummaryOut):
    body: str
    reason: str
    decision_note: str
    decided_by: str | None
    contributor: ContributorOut | None = Field(
        description="Who proposed it: for coordinators only, for moderation"
    )
    diff: DiffOut = Field(description="The proposal against the revision it started from")
    preview: PreviewOut | None = Field(description="For open proposals: what accepting would do")


class AcceptIn(Schema):
    title: Text | None = Field(None, json_schema_extra={"maxLength": TITLE_MAX})
    body: Text | None = Field(
        None,
        description="Your edit of the proposal, or your resolution of a conflict",
        json_schema_extra={"maxLength": SECTION_BODY_MAX},
    )
    based_on: Id | None = Field(
        None,
        description="The revision your edit was written against: after a 409, its `head_number`",
    )
    note: Text = Field("", json_schema_extra={"maxLength": REASON_MAX})


class AcceptedOut(Schema):
    proposal: ProposalOut
    revision: RevisionOut


class MergeConflictOut(Schema):
    detail: str
    head_number: int = Field(description="Send it back as `based_on` with your resolution")
    title: str = Field(description="The merged title; empty when the titles conflict too")
    text_to_resolve: str = Field(description="The text with both versions of each conflict")


class DeclineIn(Schema):
    reason: Text = Field(
        description="The contributor reads it", json_schema_extra={"maxLength": REASON_MAX}
    )


# --- documents ----------------------------------------------------------------------------


def _public_name(person: User | None) -> str:
    return person.credit if person is not None else ""


def _visible_document(user: AnyUser, slug: str) -> Document:
    """The document, or 404 when it does not exist or the policy hides it."""
    document = Document.objects.filter(slug=slug).first()
    if document is None or not access.can_view(user, document):
        raise Http404
    return document


def _read_document(user: AnyUser, slug: str, surface: str) -> Document:
    document = _visible_document(user, slug)
    access.record_views(user, [document], surface=surface)
    return document


def _document_summary(document: Document) -> dict:
    return {
        "id": document.pk,
        "slug": document.slug,
        "title": document.title,
        "summary": document.summary,
        "tlp": document.tlp,
        "version": document.version,
        "updated_at": document.updated_at,
        "url": document.get_absolute_url(),
    }


def _section_summary(section: Section) -> dict:
    return {
        "id": section.pk,
        "position": section.position,
        "title": section.title,
        "body": section.body,
        "number": section.number,
        "updated_at": section.updated_at,
        "url": section.get_absolute_url(),
    }


def _document_out(user: AnyUser, document: Document) -> dict:
    sections = list(document.sections.all())
    for section in sections:
        section.document = document  # for the urls, without a query each
    return {
        **_document_summary(document),
        "summary_html": document.summary_html(),
        "created_at": document.created_at,
        "may_moderate": document.is_editor(user),
        "sections": [_section_summary(section) for section in sections],
    }


@router.get(
    "",
    response={200: DocumentPage, **_errors(422, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="Working documents I may read, by title (TLP:CLEAR ones without signing in)",
)
def document_list(request: PublicRequest, query: Query[DocumentQuery]) -> dict:
    documents = access.visible_to(Document.objects.all(), request.auth)
    if query.q:
        documents = documents.filter(title__icontains=query.q)
    start = (query.page - 1) * query.limit
    results = list(documents[start : start + query.limit])
    access.record_views(request.auth, results, surface="api list")
    return {
        "count": documents.count(),
        "page": query.page,
        "results": [_document_summary(document) for document in results],
    }


@router.get(
    "/{slug:slug}",
    response={200: DocumentOut, **_errors(404, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="One working document with its sections as they read now",
)
def document_detail(request: PublicRequest, slug: str) -> dict:
    return _document_out(request.auth, _read_document(request.auth, slug, "api"))


@router.get(
    "/{slug:slug}/markdown",
    response={200: MarkdownOut, **_errors(400, 404, 422, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="The whole document as one Markdown text, now or at an earlier version",
)
def document_markdown(request: PublicRequest, slug: str, query: Query[MarkdownQuery]) -> dict:
    document = _read_document(request.auth, slug, "api markdown")
    version = document.version if query.version is None else query.version
    if version > document.version:
        raise ValidationError(
            {"version": [_("The document has no version %(number)d yet.") % {"number": version}]}
        )
    chapters = selectors.chapters_at(document, version)
    return {
        "slug": document.slug,
        "version": version,
        "markdown": selectors.as_markdown(document, chapters),
    }


def _named_people(addresses: list[str], field: str) -> list[User]:
    """Active people by e-mail address; an unknown address is refused by name."""
    wanted = {address.strip().lower() for address in addresses if address.strip()}
    people = list(
        get_user_model().objects.filter(email__in=wanted, is_active=True, deleted_at__isnull=True)
    )
    unknown = sorted(wanted - {person.email for person in people})
    if unknown:
        raise ValidationError(
            {
                field: [
                    _("No one on the platform has this address: %(list)s")
                    % {"list": ", ".join(unknown)}
                ]
            }
        )
    return people


@router.post(
    "",
    response={201: DocumentOut, **_errors(400, 403, 422, *_AUTHED)},
    summary="Start a working document with its first sections (coordinators, write scope)",
)
def document_create(request: AuthedRequest, payload: DocumentIn) -> Status:
    require_write(request)
    if not request.auth.is_coordinator:
        raise PermissionDenied(_("Only coordinators start working documents."))
    form = LabelledForm(
        {
            "tlp": payload.tlp.value,
            "people": "\n".join(payload.people),
            "organisations": payload.organisation_ids,
        }
    )
    if not form.is_valid():
        raise ValidationError(
            {field: [str(e) for e in errors] for field, errors in form.errors.items()}
        )
    document = services.document_create(
        author=request.auth,
        title=payload.title,
        summary=payload.summary,
        tlp=form.cleaned_data["tlp"],
        slug=payload.slug,
        people=form.cleaned_data["people"],
        organisations=list(form.cleaned_data["organisations"]),
        sections=[(section.title, section.body) for section in payload.sections],
    )
    return Status(201, _document_out(request.auth, document))


@router.put(
    "/{slug:slug}/editors",
    response={200: EditorsOut, **_errors(400, 403, 404, 422, *_AUTHED)},
    summary="Appoint the members who moderate the document's proposals (coordinators, write scope)",
)
def document_editors(request: AuthedRequest, slug: str, payload: EditorsIn) -> dict:
    require_write(request)
    document = _visible_document(request.auth, slug)
    if not request.auth.is_coordinator:
        raise PermissionDenied(_("Only coordinators appoint editors."))
    editors = _named_people(payload.editors, "editors")
    services.document_set_editors(document=document, coordinator=request.auth, editors=editors)
    return {
        "editors": [
            {"id": person.pk, "name": person.display_name, "email": person.email}
            for person in document.editors.order_by("full_name", "email")
        ]
    }


# --- sections, revisions, comments --------------------------------------------------------


def _section(document: Document, section_id: int) -> Section:
    section = document.sections.filter(pk=section_id).first()
    if section is None:
        raise Http404
    section.document = document
    return section


def _revision_summary(revision: SectionRevision, document: Document) -> dict:
    revision.document = document
    return {
        "section_id": revision.section_id,
        "number": revision.number,
        "document_version": revision.document_version,
        "title": revision.title,
        "kind": revision.kind,
        "kind_label": revision.get_kind_display(),
        "note": revision.note,
        "credit": revision.credit,
        "editor": _public_name(revision.editor),
        "reverted_to": revision.reverted_to,
        "created_at": revision.created_at,
        "url": revision.get_absolute_url(),
    }


def _revision_out(revision: SectionRevision, document: Document) -> dict:
    return {
        **_revision_summary(revision, document),
        "body": revision.body,
        "body_html": render(revision.body),
    }


def _revision_page(
    revisions: QuerySet[SectionRevision], document: Document, query: PageOnly
) -> dict:
    start = (query.page - 1) * query.limit
    return {
        "count": revisions.count(),
        "page": query.page,
        "results": [
            _revision_summary(revision, document)
            for revision in revisions[start : start + query.limit]
        ],
    }


@router.get(
    "/{slug:slug}/revisions",
    response={200: RevisionPage, **_errors(404, 422, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="Every accepted change to the document, newest first",
)
def document_revisions(request: PublicRequest, slug: str, query: Query[PageOnly]) -> dict:
    document = _read_document(request.auth, slug, "api history")
    return _revision_page(selectors.document_history(document), document, query)


@router.get(
    "/{slug:slug}/sections/{int:section_id}",
    response={200: SectionOut, **_errors(404, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="One section as it reads now",
)
def section_detail(request: PublicRequest, slug: str, section_id: int) -> dict:
    document = _read_document(request.auth, slug, "api section")
    section = _section(document, section_id)
    return {
        **_section_summary(section),
        "document": document.slug,
        "body_html": section.body_html(),
        "credit": section.head().credit,
        "comments": section.comments.count(),
    }


@router.get(
    "/{slug:slug}/sections/{int:section_id}/revisions",
    response={200: RevisionPage, **_errors(404, 422, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="A section's revisions, newest first",
)
def section_revisions(
    request: PublicRequest, slug: str, section_id: int, query: Query[PageOnly]
) -> dict:
    document = _read_document(request.auth, slug, "api section history")
    section = _section(document, section_id)
    return _revision_page(selectors.section_history(section), document, query)


def _revision(section: Section, number: int) -> SectionRevision:
    revision = section.revisions.select_related("editor").filter(number=number).first()
    if revision is None:
        raise Http404
    return revision


@router.get(
    "/{slug:slug}/sections/{int:section_id}/revisions/{int:number}",
    response={200: RevisionOut, **_errors(404, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="One revision of a section, with its whole text",
)
def section_revision(request: PublicRequest, slug: str, section_id: int, number: int) -> dict:
    document = _read_document(request.auth, slug, "api revision")
    return _revision_out(_revision(_section(document, section_id), number), document)


def _diff(title_from: str, body_from: str, title_to: str, body_to: str) -> dict:
    added, removed = textdiff.changed(body_from, body_to)

    def pieces(items: tuple[textdiff.Piece, ...] | list[textdiff.Piece]) -> list[dict]:
        return [{"op": piece.op, "text": piece.text} for piece in items]

    return {
        "title_from": title_from,
        "title_to": title_to,
        "added": added,
        "removed": removed,
        "inline": pieces(textdiff.inline(body_from, body_to)),
        "rows": [
            {"old": pieces(row.old), "new": pieces(row.new), "changed": row.changed}
            for row in textdiff.side_by_side(body_from, body_to)
        ],
    }


@router.get(
    "/{slug:slug}/sections/{int:section_id}/compare",
    response={200: CompareOut, **_errors(400, 404, 422, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="Compare two revisions of a section: inline, and side by side",
)
def section_compare(
    request: PublicRequest, slug: str, section_id: int, query: Query[CompareQuery]
) -> dict:
    document = _read_document(request.auth, slug, "api compare")
    section = _section(document, section_id)
    to_number = section.number if query.to is None else query.to
    from_number = max(to_number - 1, 0) if query.from_ is None else query.from_
    found = {
        revision.number: revision
        for revision in section.revisions.filter(number__in=[from_number, to_number])
    }
    for field, number in (("to", to_number), ("from", from_number)):
        if number and number not in found:
            raise ValidationError(
                {field: [_("The section has no revision %(number)d.") % {"number": number}]}
            )
    old, new = found.get(from_number), found[to_number]
    return {
        **_diff(old.title if old else "", old.body if old else "", new.title, new.body),
        "from_number": from_number,
        "to_number": to_number,
    }


@router.post(
    "/{slug:slug}/sections/{int:section_id}/revert",
    response={201: RevisionOut, **_errors(400, 403, 404, 422, *_AUTHED)},
    summary="Bring back the text of an earlier revision, as a new revision (editors, write scope)",
)
def section_revert(request: AuthedRequest, slug: str, section_id: int, payload: RevertIn) -> Status:
    require_write(request)
    document = _visible_document(request.auth, slug)
    section = _section(document, section_id)
    revision = services.section_revert(
        section=section, number=payload.number, editor=request.auth, note=payload.note
    )
    revision = SectionRevision.objects.select_related("editor").get(pk=revision.pk)
    return Status(201, _revision_out(revision, document))


def _comment_out(comment: Comment) -> dict:
    removed = comment.removed_at is not None
    return {
        "id": comment.pk,
        "section_id": comment.section_id,
        "author": _public_name(comment.author),
        "body": "" if removed else comment.body,
        "body_html": "" if removed else comment.body_html(),
        "created_at": comment.created_at,
        "removed": removed,
    }


@router.get(
    "/{slug:slug}/sections/{int:section_id}/comments",
    response={200: list[CommentOut], **_errors(404, *_AUTHED)},
    auth=auth_or_anonymous,
    summary="The discussion on a section, oldest first",
)
def section_comments(request: PublicRequest, slug: str, section_id: int) -> list[dict]:
    document = _read_document(request.auth, slug, "api comments")
    section = _section(document, section_id)
    return [_comment_out(comment) for comment in section.comments.select_related("author")]


@router.post(
    "/{slug:slug}/sections/{int:section_id}/comments",
    response={201: CommentOut, **_errors(400, 403, 404, 422, *_AUTHED)},
    summary="Take part in the discussion on a section (write scope)",
)
def section_comment_add(
    request: AuthedRequest, slug: str, section_id: int, payload: CommentIn
) -> Status:
    require_write(request)
    section = _section(_visible_document(request.auth, slug), section_id)
    comment = services.comment_add(section=section, author=request.auth, body=payload.body)
    return Status(201, _comment_out(comment))


@router.delete(
    "/comments/{int:comment_id}",
    response={204: None, **_errors(403, 404, *_AUTHED)},
    summary="Remove a comment that breaks the Code of Conduct (editors, write scope)",
)
def comment_remove(request: AuthedRequest, comment_id: int) -> Status:
    require_write(request)
    comment = Comment.objects.select_related("section__document").filter(pk=comment_id).first()
    if comment is None or not access.can_view(request.auth, comment.section.document):
        raise Http404
    services.comment_remove(comment=comment, editor=request.auth)
    return Status(204, None)


# --- proposals ----------------------------------------------------------------------------


def _proposals() -> QuerySet[Proposal]:
    return Proposal.objects.select_related(
        "document", "section", "base_revision", "contributor", "decided_by"
    )


def _visible_proposals(user: AnyUser) -> QuerySet[Proposal]:
    """A person's own proposals and those they moderate, on documents they may read."""
    own = Proposal.objects.by_contributor(user).values("pk")
    moderated = Proposal.objects.moderated_by(user).values("pk")
    return _proposals().filter(Q(pk__in=own) | Q(pk__in=moderated))


def _visible_proposal(user: AnyUser, proposal_id: int) -> Proposal:
    proposal = _visible_proposals(user).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    return proposal


def _proposal_summary(user: AnyUser, proposal: Proposal) -> dict:
    document = proposal.document
    return {
        "id": proposal.pk,
        "document": {"slug": document.slug, "title": document.title, "tlp": document.tlp},
        "section_id": proposal.section_id,
        "base_number": proposal.base_revision.number if proposal.base_revision else None,
        "title": proposal.title,
        "status": proposal.status,
        "status_label": proposal.get_status_display(),
        "credit": proposal.credit,
        "anonymous": proposal.anonymous,
        "mine": proposal.is_contributor(user),
        "created_at": proposal.created_at,
        "decided_at": proposal.decided_at,
        "url": proposal.get_absolute_url(),
    }


def _preview_out(proposal: Proposal) -> dict | None:
    if not proposal.is_open:
        return None
    preview = services.proposal_preview(proposal)
    return {
        "clean": preview.clean,
        "moved_on": preview.moved_on,
        "base_number": preview.base_number,
        "head_number": preview.head.number if preview.head else None,
        "title": preview.title,
        "body": preview.body,
        "text_to_resolve": "" if preview.result.clean else preview.text_to_resolve(),
    }


def _proposal_out(user: AnyUser, proposal: Proposal) -> dict:
    """The whole proposal, for its contributor and its moderators: audited."""
    access.record_views(user, [proposal.document], surface="api proposal")
    base = proposal.base_revision
    coordinator = user.is_authenticated and user.is_coordinator
    return {
        **_proposal_summary(user, proposal),
        "body": proposal.body,
        "reason": proposal.reason,
        "decision_note": proposal.decision_note,
        "decided_by": _public_name(proposal.decided_by) or None,
        "contributor": {
            "name": proposal.contributor.display_name if proposal.contributor else proposal.name,
            "email": proposal.contributor_email,
        }
        if coordinator
        else None,
        "diff": _diff(
            base.title if base else "", base.body if base else "", proposal.title, proposal.body
        ),
        "preview": _preview_out(proposal),
    }


@router.post(
    "/{slug:slug}/proposals",
    response={201: ProposalOut, **_errors(400, 403, 404, 422, *_AUTHED)},
    summary="Propose a change to a section, or a new section (signed in, write scope)",
    description="Through the API only signed-in people propose. A visitor without an "
    "account proposes on the web page, which confirms their e-mail address first.",
)
def proposal_submit(request: AuthedRequest, slug: str, payload: ProposalIn) -> Status:
    require_write(request)
    document = _visible_document(request.auth, slug)
    # The same allowance as on the page: proposals cost editors' time.
    if not allow("proposal:person", str(request.auth.pk), settings.TTC_PROPOSAL_RATE_PERSON):
        raise Throttled(wait=3600)
    section = None
    if payload.section_id is not None:
        section = document.sections.filter(pk=payload.section_id).first()
        if section is None:
            raise ValidationError({"section_id": [_("This document has no such section.")]})
    proposal = services.proposal_submit(
        document=document,
        title=payload.title,
        body=payload.body,
        contributor=request.auth,
        section=section,
        base_number=payload.base_number,
        reason=payload.reason,
        anonymous=payload.anonymous,
    )
    return Status(201, _proposal_out(request.auth, _visible_proposal(request.auth, proposal.pk)))


@proposals_router.get(
    "",
    response={200: ProposalPage, **_errors(422, *_AUTHED)},
    summary="My proposals to working documents, or (queue) those I moderate",
)
def proposal_list(request: AuthedRequest, query: Query[ProposalQuery]) -> dict:
    user = request.auth
    if query.queue:
        proposals = _proposals().filter(pk__in=Proposal.objects.moderated_by(user).values("pk"))
        proposals = proposals.filter(status=query.status or ProposalStatus.PENDING)
    else:
        proposals = _proposals().filter(pk__in=Proposal.objects.by_contributor(user).values("pk"))
        if query.status:
            proposals = proposals.filter(status=query.status)
    if query.document:
        proposals = proposals.filter(document__slug=query.document)
    start = (query.page - 1) * query.limit
    results = list(proposals[start : start + query.limit])
    documents = list({proposal.document_id: proposal.document for proposal in results}.values())
    access.record_views(user, documents, surface="api document proposals")
    return {
        "count": proposals.count(),
        "page": query.page,
        "results": [_proposal_summary(user, proposal) for proposal in results],
    }


@proposals_router.get(
    "/{int:proposal_id}",
    response={200: ProposalOut, **_errors(404, *_AUTHED)},
    summary="One proposal, with its changes and whether it still merges cleanly "
    "(its contributor and its editors)",
)
def proposal_detail(request: AuthedRequest, proposal_id: int) -> dict:
    return _proposal_out(request.auth, _visible_proposal(request.auth, proposal_id))


@proposals_router.post(
    "/{int:proposal_id}/accept",
    response={
        201: AcceptedOut,
        409: MergeConflictOut,
        **_errors(400, 403, 404, 422, *_AUTHED),
    },
    summary="Accept a proposal, as written or with your edits (editors, write scope)",
    description="Whatever was accepted since the proposal was written is merged in. When "
    "that collides, the answer is 409 with both versions between markers and nothing "
    "changes: resolve the text and accept again with it as `body` and the `head_number` as "
    "`based_on`.",
)
def proposal_accept(
    request: AuthedRequest, proposal_id: int, payload: Body[AcceptIn | None] = None
) -> Status:
    require_write(request)
    payload = payload or AcceptIn.model_validate({})
    proposal = _visible_proposal(request.auth, proposal_id)
    section = proposal.section
    if (
        payload.based_on is not None
        and section is not None
        and not section.revisions.filter(number=payload.based_on).exists()
    ):
        raise ValidationError(
            {
                "based_on": [
                    _("The section has no revision %(number)d.") % {"number": payload.based_on}
                ]
            }
        )
    try:
        revision = services.proposal_accept(
            proposal=proposal,
            editor=request.auth,
            title=payload.title,
            body=payload.body,
            based_on=payload.based_on,
            note=payload.note,
        )
    except services.MergeConflict as conflict:
        return Status(
            409,
            {
                "detail": _(
                    "The proposal collides with a change accepted since it was written. "
                    "Resolve the marked text and accept again with it as body, "
                    "head_number as based_on, and a title when the title is empty."
                ),
                "head_number": conflict.head.number,
                "title": conflict.title,
                "text_to_resolve": conflict.text_to_resolve(),
            },
        )
    revision = SectionRevision.objects.select_related("editor").get(pk=revision.pk)
    return Status(
        201,
        {
            "proposal": _proposal_out(request.auth, _visible_proposal(request.auth, proposal_id)),
            "revision": _revision_out(revision, proposal.document),
        },
    )


@proposals_router.post(
    "/{int:proposal_id}/decline",
    response={200: ProposalOut, **_errors(400, 403, 404, 422, *_AUTHED)},
    summary="Decline a proposal with the reason, which the contributor reads (editors, "
    "write scope)",
)
def proposal_decline(request: AuthedRequest, proposal_id: int, payload: DeclineIn) -> dict:
    require_write(request)
    proposal = _visible_proposal(request.auth, proposal_id)
    services.proposal_decline(proposal=proposal, editor=request.auth, reason=payload.reason)
    return _proposal_out(request.auth, _visible_proposal(request.auth, proposal_id))
