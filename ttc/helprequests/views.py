"""Pages for requesters and coordinators: asking, following, triage and matching."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.decorators import coordinator_required
from ttc.core.forms import add_service_errors
from ttc.core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from ttc.core.pagination import paginate
from ttc.helprequests import matching, services
from ttc.helprequests.forms import HelpRequestForm, MergeForm, TextForm
from ttc.helprequests.models import (
    STALE_WATCHED,
    CloseReason,
    Engagement,
    HelpRequest,
    Proposal,
    ProposalStatus,
    RequestStatus,
    Urgency,
)


def _get_request_for_user(request: HtmxHttpRequest, pk: int) -> HelpRequest:
    help_request = get_object_or_404(
        HelpRequest.objects.select_related("organisation", "submitted_via", "created_by"), pk=pk
    )
    if not access.can_view(request.user, help_request):
        # Not 403: whether a confidential request exists is itself confidential.
        raise Http404
    return help_request


def helprequest_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    status = request.GET.get("status", "")
    urgency = request.GET.get("urgency", "")
    requests = access.visible_to(
        HelpRequest.objects.select_related("organisation"), request.user
    ).search(query)
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    if urgency.isdigit() and int(urgency) in Urgency.values:
        requests = requests.filter(urgency=int(urgency))
    page = paginate(request, requests)
    access.record_views(request.user, page.object_list, surface="list")
    may_ask = request.user.is_authenticated and (
        services.organisations_for_requester(request.user).exists()
    )
    context = {
        "page": page,
        "query": query,
        "status": status,
        "statuses": RequestStatus.choices,
        "urgency": int(urgency) if urgency.isdigit() else None,
        "urgencies": Urgency.choices,
        "may_ask": may_ask,
    }
    template = "helprequests/list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@login_required
def helprequest_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisations = services.organisations_for_requester(request.user)
    if not organisations.exists():
        raise PermissionDenied(services.MAY_NOT_ASK)
    form = HelpRequestForm(
        request.POST or None,
        organisations=organisations,
        initial={"submission_key": uuid.uuid4(), "organisation": organisations.first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            help_request = services.helprequest_submit(
                author=request.user,
                organisation=form.cleaned_data["organisation"],
                data=form.request_data(),
                submission_key=form.cleaned_data["submission_key"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your request is in. A coordinator looks at it soon; follow it on this page."),
            )
            return redirect(help_request)
    return render(request, "helprequests/new.html", {"form": form})


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    when: datetime | None = None
    detail: str = ""


def progress(help_request: HelpRequest, engagements: list[Engagement]) -> list[Step]:
    """Where the request stands, as the requester reads it."""
    pending = [p for p in help_request.proposals.all() if p.status == ProposalStatus.PROPOSED]
    accepted = [e for e in engagements]
    delivered = [e for e in engagements if e.delivered_at]
    steps = [
        Step(_("Submitted"), True, help_request.created_at),
        Step(
            _("Accepted by a coordinator"),
            help_request.triaged_at is not None,
            help_request.triaged_at,
            _("A coordinator asked you a question; see below.")
            if help_request.status == RequestStatus.NEEDS_INFO
            else "",
        ),
        Step(
            _("Members asked"),
            bool(pending or accepted),
            min((p.proposed_at for p in help_request.proposals.all()), default=None),
            _("%(count)s asked, waiting for their answer.") % {"count": len(pending)}
            if pending
            else "",
        ),
        Step(_("A member is at work"), bool(accepted), help_request.first_match_at),
        Step(
            _("Work delivered"),
            bool(delivered),
            max((e.delivered_at for e in delivered if e.delivered_at), default=None),
        ),
        Step(
            _("Closed"),
            help_request.status
            in (RequestStatus.CLOSED, RequestStatus.REJECTED, RequestStatus.MERGED),
            help_request.closed_at,
            help_request.get_close_reason_display() if help_request.close_reason else "",
        ),
    ]
    return steps


def helprequest_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    help_request = _get_request_for_user(request, pk)
    access.record_views(request.user, [help_request], surface="page")
    user = request.user
    is_requester = user.is_authenticated and services.is_requester(user, help_request)
    coordinator = user.is_authenticated and user.is_coordinator
    engagements = list(
        Engagement.objects.for_user(user)
        .filter(request=help_request)
        .select_related("organisation", "expert", "proposal")
    )
    context: dict[str, Any] = {
        "help_request": help_request,
        "skills": help_request.skills.all(),
        "is_requester": is_requester,
        "engagements": engagements,
        "progress": progress(help_request, engagements) if is_requester or coordinator else [],
        "conversation": help_request.messages.select_related("author")
        if is_requester or coordinator
        else [],
    }
    if is_requester:
        context["answer_form"] = TextForm(
            auto_id="answer_%s",
            label=_("Your answer or addition"),
            required_message=_("Write your answer."),
        )
    if coordinator:
        merge_form = MergeForm(request=help_request)
        context.update(
            proposals=help_request.proposals.select_related(
                "organisation", "expert", "proposed_by"
            ),
            ask_form=TextForm(
                auto_id="ask_%s",
                label=_("Question to the requester"),
                required_message=_("Write the question."),
            ),
            reject_form=TextForm(
                auto_id="reject_%s",
                label=_("Reason"),
                required_message=_("Tell the requester why."),
            ),
            close_form=TextForm(
                auto_id="close_%s",
                label=_("Note to the requester"),
                required_message=_("Tell the requester why."),
            ),
            merge_form=merge_form,
            open_slots=matching.open_slots(help_request),
        )
        # The merge choices show other requests' titles: views like any other.
        choices = list(merge_form.fields["into"].queryset)  # type: ignore[attr-defined]
        access.record_views(user, choices, surface="merge")
    return render(request, "helprequests/detail.html", context)


def flash_form_errors(request: HtmxHttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))


def _attempt(request: AuthenticatedHttpRequest, action: Any, success: str) -> bool:
    """Run a service; say what happened in a message either way."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


def act(request: AuthenticatedHttpRequest, target: Any, action: Any, success: str) -> HttpResponse:
    """Run a service and go back to the page of `target`, saying what happened."""
    _attempt(request, action, success)
    return redirect(target)


@login_required
@require_POST
def helprequest_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    help_request = _get_request_for_user(request, pk)
    return act(
        request,
        help_request,
        lambda: services.helprequest_answer(
            request=help_request, actor=request.user, answer=request.POST.get("text", "")[:5_001]
        ),
        _("Your answer is sent to the coordinators."),
    )


@login_required
@require_POST
def helprequest_still_needed(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    help_request = _get_request_for_user(request, pk)
    return act(
        request,
        help_request,
        lambda: services.helprequest_still_needed(request=help_request, actor=request.user),
        _("Thank you: the request stays open."),
    )


@login_required
@require_POST
def helprequest_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    help_request = _get_request_for_user(request, pk)
    return act(
        request,
        help_request,
        lambda: services.helprequest_close(
            request=help_request, actor=request.user, reason=CloseReason.WITHDRAWN
        ),
        _("The request is withdrawn."),
    )


# Triage ------------------------------------------------------------------------


@coordinator_required
def triage_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    queue = list(HelpRequest.objects.triage_queue().select_related("organisation", "submitted_via"))
    looking = list(
        HelpRequest.objects.open().select_related("organisation").order_by("urgency", "created_at")
    )
    stale = HelpRequest.objects.filter(
        stale_asked_at__isnull=False,
        status__in=(RequestStatus.SUBMITTED, RequestStatus.NEEDS_INFO, RequestStatus.OPEN),
    ).count()
    access.record_views(request.user, [*queue, *looking], surface="triage")
    return render(
        request,
        "helprequests/triage.html",
        {"queue": queue, "looking": looking, "stale_asked": stale},
    )


@coordinator_required
@require_POST
def triage_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    help_request = get_object_or_404(HelpRequest, pk=pk)
    # One character over the limit at most: the service refuses an oversized
    # text with a message rather than the page cutting it silently.
    text = request.POST.get("text", "")[:5_001]
    actions: dict[str, tuple[Any, str]] = {
        "accept": (
            lambda: services.helprequest_accept(request=help_request, actor=request.user),
            _("Accepted. Now propose members from the ranking."),
        ),
        "ask": (
            lambda: services.helprequest_ask(
                request=help_request, actor=request.user, question=text
            ),
            _("The question is sent to the requester."),
        ),
        "reject": (
            lambda: services.helprequest_reject(
                request=help_request, actor=request.user, reason=text
            ),
            _("The request is rejected and the requester is told why."),
        ),
        "close": (
            lambda: services.helprequest_close(
                request=help_request, actor=request.user, reason=CloseReason.NO_MEMBER, note=text
            ),
            _("The request is closed and the requester is told."),
        ),
    }
    if action == "merge":
        form = MergeForm(request.POST, request=help_request)
        if not form.is_valid():
            flash_form_errors(request, form)
            return redirect(help_request)
        return act(
            request,
            help_request,
            lambda: services.helprequest_merge(
                request=help_request,
                into=form.cleaned_data["into"],
                actor=request.user,
                note=form.cleaned_data["note"],
            ),
            _("The request is merged."),
        )
    if action not in actions:
        raise Http404
    run, success = actions[action]
    if _attempt(request, run, success) and action == "accept":
        return redirect("helprequest_candidates", pk=help_request.pk)
    return redirect(help_request)


@coordinator_required
def helprequest_candidates(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    help_request = get_object_or_404(
        HelpRequest.objects.select_related("organisation", "submitted_via"), pk=pk
    )
    access.record_views(request.user, [help_request], surface="ranking")
    if request.method == "POST":
        keys = request.POST.getlist("candidate")[:50]
        try:
            proposals = matching.match_propose(
                request=help_request, candidate_keys=keys, actor=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s proposed. They have %(days)s working days to answer.",
                    "%(count)s proposed. They have %(days)s working days to answer.",
                    len(proposals),
                )
                % {"count": len(proposals), "days": settings.TTC_PROPOSAL_WORKING_DAYS},
            )
            return redirect(help_request)
    pool = matching.candidate_pool()
    ranked = matching.rank(help_request, pool=pool)
    names = matching.candidate_names([item.candidate.key for item in ranked])
    rows = [
        {
            "item": item,
            "name": names.get(item.candidate.key, item.candidate.key),
            "why": matching.explain(item),
        }
        for item in ranked
    ]
    return render(
        request,
        "helprequests/candidates.html",
        {
            "help_request": help_request,
            "rows": rows,
            "open_slots": matching.open_slots(help_request),
            "pool_size": len(pool),
            "matchable": help_request.status in (RequestStatus.OPEN, RequestStatus.MATCHED),
        },
    )


@coordinator_required
def surge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Surge mode: one optimal assignment over all open requests, previewed, then
    confirmed in whole or in part."""
    if request.method == "POST":
        try:
            proposals = matching.batch_confirm(
                tokens=request.POST.getlist("pair")[:5_000], actor=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                ngettext("%(count)s proposal sent.", "%(count)s proposals sent.", len(proposals))
                % {"count": len(proposals)},
            )
            return redirect("triage_queue")
    plan = matching.batch_plan()
    shown = [pair.request for pair in plan.pairs] + plan.unfilled
    access.record_views(request.user, shown, surface="surge")
    return render(
        request,
        "helprequests/surge.html",
        {
            "plan": plan,
            "cap": settings.TTC_FAIRNESS_CAP,
            "days": settings.TTC_FAIRNESS_WINDOW_DAYS,
        },
    )


def dashboard_panel(user: Any) -> dict[str, Any]:
    """What the dashboard shows of help requests for this person's role."""
    panel: dict[str, Any] = {}
    if user.is_coordinator:
        panel["triage_count"] = HelpRequest.objects.triage_queue().count()
        panel["looking_count"] = HelpRequest.objects.open().count()
        panel["stale_count"] = HelpRequest.objects.filter(
            stale_asked_at__isnull=False, status__in=STALE_WATCHED
        ).count()
        panel["pending_count"] = Proposal.objects.pending().count()
    own = user.approved_organisation_ids
    if own:
        mine = list(
            access.visible_to(HelpRequest.objects.active(), user)
            .for_organisations(own)
            .select_related("organisation")[:8]
        )
        access.record_views(user, mine, surface="dashboard")
        panel["my_requests"] = mine
        panel["proposals"] = list(
            Proposal.objects.for_responder(user).pending().select_related("request")[:8]
        )
        panel["engagements"] = list(
            Engagement.objects.for_user(user).current().select_related("request")[:8]
        )
        shown = [p.request for p in panel["proposals"]] + [e.request for e in panel["engagements"]]
        access.record_views(user, shown, surface="dashboard")
    return panel
