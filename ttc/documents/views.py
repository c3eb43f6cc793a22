"""Pages for reading working documents, proposing changes and discussing them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.decorators import coordinator_required
from ttc.core.forms import add_service_errors
from ttc.core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from ttc.core.ratelimit import allow, client_address, mailbox
from ttc.documents import selectors, services
from ttc.documents.forms import CommentForm, DocumentForm, EditorsForm, ProposalForm
from ttc.documents.models import Comment, Document, Proposal, Section


def get_document_for_user(request: HttpRequest, slug: str) -> Document:
    document = get_object_or_404(Document, slug=slug)
    if not access.can_view(request.user, document):
        # Not 403: whether an internal document exists is itself confidential.
        raise Http404
    return document


def get_section_for_user(request: HtmxHttpRequest, slug: str, section_pk: int) -> Section:
    document = get_document_for_user(request, slug)
    section = get_object_or_404(Section, pk=section_pk, document=document)
    section.document = document
    return section


def document_list(request: HtmxHttpRequest) -> HttpResponse:
    documents = list(
        access.visible_to(Document.objects.all(), request.user).annotate(
            section_count=Count("sections", distinct=True)
        )
    )
    access.record_views(request.user, documents, surface="list")
    pending = 0
    if request.user.is_authenticated:
        pending = Proposal.objects.moderated_by(request.user).pending().count()
    return render(
        request, "documents/list.html", {"documents": documents, "pending_count": pending}
    )


def document_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    document = get_document_for_user(request, slug)
    access.record_views(request.user, [document], surface="detail")
    sections = document.sections.annotate(
        comment_count=Count("comments", filter=Q(comments__removed_at__isnull=True))
    )
    is_editor = document.is_editor(request.user)
    credits, anonymous_credits = selectors.credits(document)
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "sections": sections,
            "is_editor": is_editor,
            "pending_count": document.proposals.pending().count() if is_editor else 0,
            "credits": credits,
            "anonymous_credits": anonymous_credits,
        },
    )


def section_detail(request: HtmxHttpRequest, slug: str, section_pk: int) -> HttpResponse:
    section = get_section_for_user(request, slug, section_pk)
    access.record_views(request.user, [section.document], surface="detail")
    return _section_page(request, section, CommentForm())


def _section_page(
    request: HtmxHttpRequest, section: Section, form: CommentForm, status: int = 200
) -> HttpResponse:
    document = section.document
    comments = section.comments.select_related("author")
    return render(
        request,
        "documents/section.html",
        {
            "document": document,
            "section": section,
            "comments": comments,
            "form": form,
            "is_editor": document.is_editor(request.user),
            "may_comment": request.user.is_authenticated,
        },
        status=status,
    )


def _allowed_to_propose(request: HtmxHttpRequest, email: str) -> bool:
    """Rate limits against spam: per person when signed in; per address and per
    e-mail address for visitors."""
    if request.user.is_authenticated:
        return allow("proposal:person", str(request.user.pk), settings.TTC_PROPOSAL_RATE_PERSON)
    rate = settings.TTC_PROPOSAL_RATE_VISITOR
    return allow("proposal:address", client_address(request), rate) and allow(
        "proposal:email", mailbox(email), rate
    )


def proposal_new(
    request: HtmxHttpRequest, slug: str, section_pk: int | None = None
) -> HttpResponse:
    """Propose a change to a section, or (without a section) a new section."""
    document = get_document_for_user(request, slug)
    section = None
    if section_pk is not None:
        section = get_object_or_404(Section, pk=section_pk, document=document)
    visitor = not request.user.is_authenticated
    initial = {}
    if section is not None:
        initial = {"title": section.title, "body": section.body, "base_number": section.number}
    form = ProposalForm(request.POST or None, initial=initial, visitor=visitor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if visitor and data.get("website"):
            form.add_error(
                "website",
                _("This field must stay empty. Empty it and send your proposal again."),
            )
        elif not _allowed_to_propose(request, data.get("email", "")):
            form.add_error(
                None,
                _(
                    "You sent many proposals in a short time. Keep your text and try "
                    "again in an hour."
                ),
            )
        else:
            try:
                proposal = services.proposal_submit(
                    document=document,
                    section=section,
                    base_number=data.get("base_number"),
                    title=data["title"],
                    body=data["body"],
                    reason=data["reason"],
                    anonymous=data["anonymous"],
                    contributor=None if visitor else request.user,  # type: ignore[arg-type]
                    email=data.get("email", ""),
                    name=data.get("name", ""),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if visitor:
                    return render(
                        request,
                        "documents/proposal_sent.html",
                        {"document": document, "email": proposal.email},
                    )
                messages.success(
                    request, _("Thank you. An editor looks at your proposal and lets you know.")
                )
                return redirect(proposal)
    return render(
        request,
        "documents/proposal_new.html",
        {"document": document, "section": section, "form": form, "visitor": visitor},
        status=400 if form.errors else 200,
    )


def proposal_confirm(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail. Confirming takes a press of a button, because
    mail filters open links by themselves."""
    if request.method == "POST":
        try:
            proposal = services.proposal_confirm(token=token)
        except ValidationError as error:
            return render(
                request, "documents/proposal_confirm.html", {"error": error.messages[0]}, status=400
            )
        return render(
            request, "documents/proposal_confirm.html", {"confirmed": True, "proposal": proposal}
        )
    return render(request, "documents/proposal_confirm.html", {"token": token})


@login_required
@require_POST
def comment_add(request: AuthenticatedHttpRequest, slug: str, section_pk: int) -> HttpResponse:
    section = get_section_for_user(request, slug, section_pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                section=section, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your comment is placed."))
            return redirect(section.get_absolute_url() + "#comments")
    return _section_page(request, section, form, status=400)


@login_required
@require_POST
def comment_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("section__document"), pk=pk)
    section = get_section_for_user(request, comment.section.document.slug, comment.section_id)
    services.comment_remove(comment=comment, editor=request.user)
    messages.success(request, _("The comment is removed."))
    return redirect(section.get_absolute_url() + "#comments")


@coordinator_required
def document_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.document_create(
                author=request.user,
                title=data["title"],
                slug=data["slug"],
                summary=data["summary"],
                tlp=data["tlp"],
                people=data["people"],
                organisations=list(data["organisations"]),
                sections=data["text"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The document is online."))
            return redirect(document)
    return render(request, "documents/new.html", {"form": form}, status=400 if form.errors else 200)


@coordinator_required
def document_editors(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    document = get_document_for_user(request, slug)
    current = "\n".join(document.editors.values_list("email", flat=True))
    form = EditorsForm(request.POST or None, initial={"editors": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.document_set_editors(
                document=document, coordinator=request.user, editors=form.cleaned_data["editors"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The editors are saved."))
            return redirect(document)
    return render(
        request,
        "documents/editors.html",
        {"document": document, "form": form},
        status=400 if form.errors else 200,
    )


def may_moderate(request: HtmxHttpRequest, document: Document) -> None:
    if not document.is_editor(request.user):
        raise PermissionDenied(_("Only this document's editors may do this."))
