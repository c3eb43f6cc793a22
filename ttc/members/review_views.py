"""The coordinators' review: the queue of applications and registrations, the
review page with its checklist and four-eyes decision, and the tax statement."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import audit
from ttc.core.decorators import coordinator_required
from ttc.core.http import AuthenticatedHttpRequest
from ttc.core.pagination import PAGE_SIZE, paginate
from ttc.members import vetting
from ttc.members.apply_forms import DecisionForm, MarkForm, PartyRejectForm
from ttc.members.models import (
    LANGUAGES,
    Application,
    ChecklistMark,
    Criterion,
    ExpertProfile,
    MemberStatus,
    Organisation,
    ReviewDecision,
)

WAITING = (MemberStatus.APPLIED, MemberStatus.UNDER_REVIEW, MemberStatus.INFO_REQUESTED)
DECIDABLE = (MemberStatus.APPLIED, MemberStatus.UNDER_REVIEW)


def _days_since(moment: Any) -> int:
    return (timezone.localdate() - timezone.localdate(moment)).days


@coordinator_required
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    approve = ReviewDecision.Decision.APPROVE
    approved_by_me = ReviewDecision.objects.filter(
        application=OuterRef("application__id"),
        round=OuterRef("application__round"),
        reviewer=request.user,
        decision=approve,
    )
    applications = (
        Organisation.objects.members()
        .filter(status__in=WAITING, application__isnull=False)
        .select_related("application")
        .annotate(
            approvals=Count(
                "application__decisions__reviewer",
                distinct=True,
                filter=Q(
                    application__decisions__decision=approve,
                    application__decisions__round=F("application__round"),
                ),
            ),
            approved_by_me=Exists(approved_by_me),
        )
        .order_by("application__submitted_at", "pk")
    )
    parties = (
        Organisation.objects.public_parties()
        .filter(status=MemberStatus.APPLIED)
        .order_by("created_at", "pk")
    )
    page = paginate(request, applications)
    parties_page = Paginator(parties, PAGE_SIZE).get_page(request.GET.get("parties"))
    return render(
        request,
        "members/review/queue.html",
        {
            "page": page,
            "applications": [
                (organisation, _days_since(organisation.application.submitted_at))
                for organisation in page
            ],
            "parties_page": parties_page,
            "parties": [
                (organisation, _days_since(organisation.created_at))
                for organisation in parties_page
            ],
            "approvals_required": settings.TTC_APPROVALS_REQUIRED,
        },
    )


def _get_review(pk: int) -> tuple[Organisation, Application | None]:
    organisation = get_object_or_404(Organisation, pk=pk)
    application = (
        Application.objects.select_related("applicant", "code_of_conduct")
        .filter(organisation=organisation)
        .first()
    )
    if organisation.is_member and application is None:
        raise Http404
    return organisation, application


def _criterion_row(
    criterion: Criterion, mark: ChecklistMark | None, form: MarkForm | None = None
) -> dict[str, Any]:
    if form is None:
        form = MarkForm(
            prefix=f"criterion-{criterion.pk}",
            initial={"value": mark.value, "note": mark.note} if mark else None,
        )
    return {"criterion": criterion, "mark": mark, "form": form}


def _criterion_rows(application: Application) -> list[dict[str, Any]]:
    marks = {mark.criterion_id: mark for mark in application.marks.select_related("marked_by")}
    return [
        _criterion_row(criterion, marks.get(criterion.pk))
        for criterion in application.code_of_conduct.criteria.all()
    ]


def _review_page(
    request: AuthenticatedHttpRequest,
    organisation: Organisation,
    application: Application | None,
    *,
    decision_form: DecisionForm | None = None,
    reject_form: PartyRejectForm | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "organisation": organisation,
        "application": application,
        "approvals_required": settings.TTC_APPROVALS_REQUIRED,
        "consents": organisation.consents.select_related("user").order_by("kind", "-version"),
        "expertise": organisation.expertise.select_related("parent").order_by(
            "parent__name", "name"
        ),
        "regions": organisation.region_labels(),
        "language_labels": [label for code, label in LANGUAGES if code in organisation.languages],
        "tax_statement": organisation.tax_statements.order_by("-issued_on").first(),
        "is_own": organisation.memberships.filter(user=request.user).exists(),
    }
    if application is not None:
        approvals = list(application.approvals().select_related("reviewer"))
        context.update(
            {
                "expert_profile": ExpertProfile.objects.filter(user=application.applicant).first(),
                "rows": _criterion_rows(application),
                "approvals": approvals,
                "approved_by_me": any(d.reviewer_id == request.user.pk for d in approvals),
                "decisions": application.decisions.select_related("reviewer"),
                "thread": application.messages.select_related("author"),
                "may_decide": organisation.status in DECIDABLE,
                "decision_form": decision_form or DecisionForm(),
            }
        )
    elif organisation.status == MemberStatus.APPLIED:
        context["reject_form"] = reject_form or PartyRejectForm()
        context["may_verify"] = True
    context["rejection_reason"] = vetting.rejection_reason(organisation)
    return render(request, "members/review/detail.html", context)


@coordinator_required
def review_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation, application = _get_review(pk)
    return _review_page(request, organisation, application)


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


@coordinator_required
@require_POST
def review_mark(request: AuthenticatedHttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    organisation, application = _get_review(pk)
    if application is None:
        raise Http404
    criterion = get_object_or_404(
        Criterion, pk=criterion_pk, code_of_conduct_id=application.code_of_conduct_id
    )
    form = MarkForm(request.POST, prefix=f"criterion-{criterion.pk}")
    refused = ""
    if form.is_valid():
        try:
            vetting.checklist_mark(
                reviewer=request.user,
                organisation=organisation,
                criterion=criterion,
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as problem:
            refused = _error_text(problem)
    if request.htmx:
        # The row alone: the bound form shows its own errors, the alert the service's.
        organisation.refresh_from_db()
        mark = (
            ChecklistMark.objects.select_related("marked_by")
            .filter(application=application, criterion=criterion)
            .first()
        )
        saved = form.is_valid() and not refused
        return render(
            request,
            "members/review/detail.html#criterion",
            {
                "organisation": organisation,
                "row": _criterion_row(criterion, mark, None if saved else form),
                "row_error": refused,
                "row_saved": saved,
                "may_decide": organisation.status in DECIDABLE,
            },
        )
    if not form.is_valid():
        refused = " ".join(str(message) for errors in form.errors.values() for message in errors)
    if refused:
        messages.error(request, f"{criterion.text}: {refused}")
    else:
        messages.success(request, _("The assessment is saved."))
    return redirect(reverse("review_detail", args=[pk]) + f"#criterion-{criterion.pk}")


@coordinator_required
@require_POST
def review_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation, application = _get_review(pk)
    if application is None:
        raise Http404
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            organisation = vetting.application_decide(
                reviewer=request.user,
                organisation=organisation,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _decided_message(organisation))
            return redirect("review_detail", pk=pk)
    organisation.refresh_from_db()
    return _review_page(request, organisation, application, decision_form=form)


def _decided_message(organisation: Organisation) -> str:
    if organisation.status == MemberStatus.APPROVED:
        return _("%(name)s is approved and is now a member.") % {"name": organisation.name}
    if organisation.status == MemberStatus.REJECTED:
        return _("%(name)s is rejected; the applicant reads your reason.") % {
            "name": organisation.name
        }
    if organisation.status == MemberStatus.INFO_REQUESTED:
        return _("Your question is sent to %(name)s.") % {"name": organisation.name}
    return _("Your approval is recorded; another coordinator must approve too.")


@coordinator_required
@require_POST
def review_verify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation, _application = _get_review(pk)
    try:
        vetting.public_party_verify(reviewer=request.user, organisation=organisation)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("%(name)s is verified and may ask for help.") % {"name": organisation.name}
        )
    return redirect("review_detail", pk=pk)


@coordinator_required
@require_POST
def review_reject_party(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation, application = _get_review(pk)
    form = PartyRejectForm(request.POST)
    if form.is_valid():
        try:
            vetting.public_party_reject(
                reviewer=request.user, organisation=organisation, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("%(name)s is rejected.") % {"name": organisation.name})
        return redirect("review_detail", pk=pk)
    return _review_page(request, organisation, application, reject_form=form)


@login_required
def review_tax_statement(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    if not request.user.is_coordinator:
        raise PermissionDenied
    organisation = get_object_or_404(Organisation, pk=pk)
    statement = organisation.tax_statements.order_by("-issued_on", "-uploaded_at").first()
    if statement is None:
        raise Http404
    audit.record(
        actor=request.user,
        action="review.tax_statement",
        obj=organisation,
        summary=f"Downloaded the tax statement of {organisation.name} ({statement.issued_on})",
    )
    return FileResponse(
        statement.file.open("rb"),
        as_attachment=True,
        filename=f"tax-statement-{organisation.pk}-{statement.issued_on.isoformat()}.pdf",
        content_type="application/pdf",
    )
