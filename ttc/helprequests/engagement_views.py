"""Pages for members: proposals to answer, engagements to work, conflicts of interest."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.http import AuthenticatedHttpRequest
from ttc.helprequests import engagements as work
from ttc.helprequests.forms import ConflictForm, FeedbackForm, HoursForm, TextForm
from ttc.helprequests.models import (
    ConflictOfInterest,
    Engagement,
    EngagementStatus,
    Proposal,
)
from ttc.helprequests.services import is_requester
from ttc.helprequests.views import act, flash_form_errors
from ttc.members.models import MEMBER_KINDS, Organisation


def _proposal_for_user(request: AuthenticatedHttpRequest, pk: int) -> Proposal:
    proposal = get_object_or_404(
        Proposal.objects.select_related("request", "organisation", "expert"), pk=pk
    )
    if not (request.user.is_coordinator or work.may_respond(request.user, proposal)):
        raise Http404
    return proposal


@login_required
def proposal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    proposals = list(
        Proposal.objects.for_responder(request.user).select_related(
            "request", "organisation", "expert"
        )[:100]
    )
    access.record_views(request.user, [p.request for p in proposals], surface="proposals")
    return render(request, "helprequests/proposals.html", {"proposals": proposals})


@login_required
def proposal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """What a candidate may know before accepting: the full request only where its
    label already lets them read it; otherwise title, category, urgency and effort."""
    proposal = _proposal_for_user(request, pk)
    full = access.can_view(request.user, proposal.request)
    if full:
        access.record_views(request.user, [proposal.request], surface="proposal")
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "accept":
                engagement = work.proposal_accept(proposal=proposal, actor=request.user)
                messages.success(
                    request, _("Thank you! You can now read the request and talk to the requester.")
                )
                return redirect(engagement)
            if decision == "decline":
                work.proposal_decline(
                    proposal=proposal,
                    actor=request.user,
                    reason=request.POST.get("text", "")[:2_001],
                )
                messages.success(request, _("Declined. The coordinators ask someone else."))
                return redirect("proposal_list")
            raise Http404
        except (ValidationError, PermissionDenied) as error:
            for message in getattr(error, "messages", [str(error)]):
                messages.error(request, message)
    return render(
        request,
        "helprequests/proposal.html",
        {
            "proposal": proposal,
            "full": full,
            "help_request": proposal.request,
            "decline_form": TextForm(
                max_length=2_000,
                label=_("Why can you not take it on?"),
                required_message=_("Say briefly why, so the coordinators can learn from it."),
            ),
        },
    )


@login_required
def engagement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    engagements = list(
        Engagement.objects.for_user(request.user)
        .select_related("request", "organisation", "expert")
        .order_by("status", "-started_at")[:200]
    )
    access.record_views(request.user, [e.request for e in engagements], surface="list")
    return render(request, "helprequests/engagements.html", {"engagements": engagements})


def _engagement_for_user(request: AuthenticatedHttpRequest, pk: int) -> Engagement:
    engagement = get_object_or_404(
        Engagement.objects.select_related("request", "organisation", "expert", "proposal"), pk=pk
    )
    if not work.may_view_engagement(request.user, engagement):
        raise Http404
    return engagement


@login_required
def engagement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement_for_user(request, pk)
    user = request.user
    access.record_views(user, [engagement.request], surface="engagement")
    member = work.is_engaged_member(user, engagement)
    requester = is_requester(user, engagement.request)
    open_ = engagement.status != EngagementStatus.CLOSED
    return render(
        request,
        "helprequests/engagement.html",
        {
            "engagement": engagement,
            "help_request": engagement.request,
            "thread": engagement.messages.select_related("author"),
            "hours": engagement.hours.select_related("person"),
            "hours_total": engagement.hours_total(),
            "feedback": getattr(engagement, "feedback", None),
            "is_member": member,
            "is_requester": requester,
            "message_form": TextForm(label=_("Message"), required_message=_("Write a message."))
            if open_ and (member or requester)
            else None,
            "hours_form": HoursForm() if open_ and member else None,
            "feedback_form": FeedbackForm() if open_ and requester else None,
        },
    )


@login_required
@require_POST
def engagement_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement_for_user(request, pk)
    return act(
        request,
        engagement,
        lambda: work.engagement_message(
            engagement=engagement, author=request.user, body=request.POST.get("text", "")[:20_000]
        ),
        _("Message sent."),
    )


@login_required
@require_POST
def engagement_hours(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement_for_user(request, pk)
    form = HoursForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect(engagement)
    return act(
        request,
        engagement,
        lambda: work.hours_log(
            engagement=engagement,
            person=request.user,
            worked_on=form.cleaned_data["worked_on"],
            hours=form.cleaned_data["hours"],
            note=form.cleaned_data["note"],
        ),
        _("Hours logged. Thank you!"),
    )


@login_required
@require_POST
def engagement_deliver(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement_for_user(request, pk)
    return act(
        request,
        engagement,
        lambda: work.engagement_deliver(engagement=engagement, actor=request.user),
        _("Marked as delivered. The requester is asked to close it with feedback."),
    )


@login_required
@require_POST
def engagement_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement_for_user(request, pk)
    return act(
        request,
        engagement,
        lambda: work.engagement_reopen(engagement=engagement, actor=request.user),
        _("The work is reopened."),
    )


@login_required
@require_POST
def engagement_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    engagement = _engagement_for_user(request, pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect(engagement)
    return act(
        request,
        engagement,
        lambda: work.engagement_close(
            engagement=engagement,
            actor=request.user,
            helped=form.cleaned_data["helped"],
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        ),
        _("Closed. Thank you for your feedback."),
    )


# Conflicts of interest --------------------------------------------------------------


def _admin_members(request: AuthenticatedHttpRequest) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            pk__in=request.user.admin_organisation_ids, kind__in=MEMBER_KINDS
        )
    )


@login_required
def conflict_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    members = _admin_members(request)
    if not members:
        raise PermissionDenied(_("Only admins of a member declare relationships."))
    member = members[0]
    if len(members) > 1 and request.GET.get("member", "").isdigit():
        member = next((m for m in members if m.pk == int(request.GET["member"])), member)
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            work.conflict_declare(
                actor=request.user,
                member=member,
                public_party=form.cleaned_data["public_party"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Declared. You will not be proposed for their requests."))
            return redirect("conflict_list")
    return render(
        request,
        "helprequests/conflicts.html",
        {
            "member": member,
            "members": members,
            "conflicts": ConflictOfInterest.objects.filter(member=member).select_related(
                "public_party", "declared_by"
            ),
            "form": form,
        },
    )


@login_required
@require_POST
def conflict_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(
        ConflictOfInterest.objects.select_related("member", "public_party"),
        pk=pk,
        member_id__in=request.user.admin_organisation_ids,
    )
    work.conflict_remove(actor=request.user, conflict=conflict)
    messages.success(request, _("The relationship is removed."))
    return redirect("conflict_list")
