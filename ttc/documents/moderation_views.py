"""The editors' side: the moderation queue, a proposal as a diff, and the decision."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.forms import add_service_errors
from ttc.core.http import AuthenticatedHttpRequest
from ttc.core.pagination import paginate
from ttc.documents import services
from ttc.documents.forms import AcceptForm, DeclineForm
from ttc.documents.models import Document, Proposal, ProposalStatus
from ttc.documents.views import may_moderate
from ttc.lib import textdiff


@login_required
def proposal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """For editors the queue of proposals waiting for them; for everyone their own."""
    queue = (
        Proposal.objects.moderated_by(request.user)
        .pending()
        .select_related("document", "section", "contributor")
    )
    document_slug = request.GET.get("document", "")
    if document_slug:
        queue = queue.filter(document__slug=document_slug)
    own = (
        Proposal.objects.by_contributor(request.user)
        .select_related("document", "section")
        .order_by("-created_at")
    )
    page = paginate(request, queue)
    return render(
        request,
        "documents/proposals.html",
        {
            "page": page,
            "own": own[:50],
            "documents": Document.objects.editable_by(request.user),
            "document_slug": document_slug,
            "is_editor": Document.objects.editable_by(request.user).exists(),
        },
    )


def _get_proposal_for_user(request: AuthenticatedHttpRequest, pk: int) -> Proposal:
    """The contributor and the document's editors see a proposal; nobody else."""
    proposal = get_object_or_404(
        Proposal.objects.select_related("document", "section", "base_revision", "contributor"),
        pk=pk,
    )
    document = proposal.document
    if not access.can_view(request.user, document):
        raise Http404
    if not (proposal.is_contributor(request.user) or document.is_editor(request.user)):
        raise Http404
    return proposal


def _page(
    request: AuthenticatedHttpRequest,
    proposal: Proposal,
    *,
    accept_form: AcceptForm | None = None,
    decline_form: DeclineForm | None = None,
    conflict: services.MergeConflict | None = None,
    status: int = 200,
) -> HttpResponse:
    document = proposal.document
    is_editor = document.is_editor(request.user)
    base = proposal.base_revision
    old_title, old_body = (base.title, base.body) if base else ("", "")
    context: dict = {
        "document": document,
        "proposal": proposal,
        "is_editor": is_editor,
        # Who sent a contribution (their account or e-mail address) is known to
        # coordinators only; other editors see the public credit.
        "show_identity": request.user.is_coordinator,
        "title_changed": proposal.title != old_title,
        "old_title": old_title,
        "inline": textdiff.inline(old_body, proposal.body),
        "rows": textdiff.side_by_side(old_body, proposal.body),
        "words": textdiff.changed(old_body, proposal.body),
        "view": "inline" if request.GET.get("view") == "inline" else "side",
        "conflict": conflict,
    }
    if is_editor and proposal.status == ProposalStatus.PENDING:
        preview = services.proposal_preview(proposal)
        if accept_form is None:
            initial: dict[str, object] = {"title": proposal.title, "body": proposal.body}
            if proposal.section is not None and preview.head is not None:
                body = preview.body if preview.clean else preview.text_to_resolve()
                initial = {
                    "title": preview.title or proposal.title,
                    "body": body,
                    "based_on": preview.head.number,
                }
            accept_form = AcceptForm(initial=initial)
        head = conflict.head if conflict else preview.head
        title_clash = (conflict.title if conflict else preview.title) == ""
        context.update(
            title_clash=title_clash and head is not None,
            head_title=head.title if head else "",
            preview=preview,
            accept_form=accept_form,
            decline_form=decline_form or DeclineForm(),
        )
    return render(request, "documents/proposal.html", context, status=status)


@login_required
def proposal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal_for_user(request, pk)
    access.record_views(request.user, [proposal.document], surface="proposal")
    return _page(request, proposal)


@login_required
@require_POST
def proposal_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Accept as written ("as-is"), or the editor's version from the form."""
    proposal = _get_proposal_for_user(request, pk)
    may_moderate(request, proposal.document)
    edited = request.POST.get("mode") == "edited"
    form = AcceptForm(request.POST) if edited else None
    if form is not None and not form.is_valid():
        return _page(request, proposal, accept_form=form, status=400)
    data = form.cleaned_data if form is not None else {}
    try:
        revision = services.proposal_accept(
            proposal=proposal,
            editor=request.user,
            title=data.get("title"),
            body=data.get("body"),
            based_on=data.get("based_on"),
            note=data.get("note", ""),
        )
    except services.MergeConflict as conflict:
        resolve = AcceptForm(
            initial={
                "title": conflict.title or proposal.title,
                "body": conflict.text_to_resolve(),
                "based_on": conflict.head.number,
                "note": data.get("note", ""),
            }
        )
        return _page(request, proposal, accept_form=resolve, conflict=conflict, status=409)
    except ValidationError as error:
        if form is None:
            messages.error(request, " ".join(error.messages))
            return redirect(proposal)
        add_service_errors(form, error)
        return _page(request, proposal, accept_form=form, status=400)
    if revision.number == 1:
        messages.success(request, _("Accepted: the new section is added to the document."))
    else:
        messages.success(
            request,
            _("Accepted: the section now reads as revision %(number)s.")
            % {"number": revision.number},
        )
    return redirect(_next_in_queue(request, proposal) or revision.section.get_absolute_url())


def _next_in_queue(request: AuthenticatedHttpRequest, decided: Proposal) -> str | None:
    """After a decision the editor goes on with the next proposal of the document."""
    following = (
        Proposal.objects.moderated_by(request.user)
        .pending()
        .filter(document=decided.document)
        .first()
    )
    return following.get_absolute_url() if following else None


@login_required
@require_POST
def proposal_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal_for_user(request, pk)
    may_moderate(request, proposal.document)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_decline(
                proposal=proposal, editor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Declined. The contributor is told why."))
            return redirect(_next_in_queue(request, proposal) or proposal.get_absolute_url())
    return _page(request, proposal, decline_form=form, status=400)
