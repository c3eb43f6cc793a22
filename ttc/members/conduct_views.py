"""The Code of Conduct, staying compliant, and reports of suspected breaches."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import audit
from ttc.core.decorators import coordinator_required
from ttc.core.http import AuthenticatedHttpRequest
from ttc.core.pagination import paginate
from ttc.lib.markdown import render as render_markdown
from ttc.members import breaches, compliance
from ttc.members.breaches import oversees
from ttc.members.conduct_forms import (
    BreachDecisionForm,
    BreachReportForm,
    BreachResponseForm,
    CodePublishForm,
    TaxStatementForm,
)
from ttc.members.models import (
    BreachReport,
    CodeOfConduct,
    MemberStatus,
    Organisation,
    OrganisationKind,
    TaxStatement,
)
from ttc.members.templatetags.compliance_tags import MEMBER_OUTCOMES

# The Code of Conduct ---------------------------------------------------------


def _render_code(request: HttpRequest, code: CodeOfConduct | None) -> HttpResponse:
    history = list(CodeOfConduct.objects.published().only("version", "summary", "published_at"))
    current = history[0] if history else None
    return render(
        request,
        "members/conduct/code.html",
        {
            "code": code,
            "current": current,
            "is_current": code is not None and current is not None and code.pk == current.pk,
            "criteria": code.criteria.all() if code is not None else [],
            "history": history,
        },
    )


def code_of_conduct(request: HttpRequest) -> HttpResponse:
    """Public: the current version, its criteria and the history of versions."""
    return _render_code(request, CodeOfConduct.objects.current())


def code_version(request: HttpRequest, version: int) -> HttpResponse:
    """Public: one published version. A draft is not there for anyone."""
    return _render_code(
        request, get_object_or_404(CodeOfConduct.objects.published(), version=version)
    )


@coordinator_required
def code_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = CodeOfConduct.objects.current()
    initial: dict[str, Any] = {}
    if current is not None:
        # A new version usually changes a few lines of the current one.
        initial = {
            "body": current.body,
            "criteria": "\n".join(criterion.text for criterion in current.criteria.all()),
            "acceptance_days": current.acceptance_days,
        }
    form = CodePublishForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = {"body_html": render_markdown(data["body"]), "criteria": data["criteria"]}
        else:
            try:
                code = compliance.code_publish(
                    actor=request.user,
                    summary=data["summary"],
                    body=data["body"],
                    criteria=data["criteria"],
                    acceptance_days=data["acceptance_days"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "Version %(version)s of the Code of Conduct is published. The admins "
                        "of every member were asked to accept it."
                    )
                    % {"version": code.version},
                )
                return redirect("code_version", version=code.version)
    return render(
        request,
        "members/conduct/new.html",
        {"form": form, "preview": preview, "next_version": (current.version + 1) if current else 1},
    )


# Staying compliant -----------------------------------------------------------


def _get_member_for_user(request: AuthenticatedHttpRequest, pk: int) -> Organisation:
    """A member organisation the person belongs to (coordinators: any member)."""
    organisation = get_object_or_404(Organisation.objects.members(), pk=pk)
    if not request.user.is_coordinator and pk not in request.user.organisation_ids:
        raise Http404
    return organisation


@login_required
@require_POST
def code_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_member_for_user(request, pk)
    current = CodeOfConduct.objects.current()
    if current is not None and request.POST.get("version") != str(current.version):
        # The page showed an older version than the one that would be accepted.
        messages.error(
            request,
            _(
                "A newer version of the Code of Conduct was published: "
                "read version %(version)s first."
            )
            % {"version": current.version},
        )
        return redirect("my_membership", pk=pk)
    try:
        compliance.code_accept(user=request.user, organisation=organisation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s accepted version %(version)s of the Code of Conduct.")
            % {"name": organisation.name, "version": current.version if current else ""},
        )
    return redirect("my_membership", pk=pk)


@login_required
def tax_statement_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_member_for_user(request, pk)
    if organisation.kind != OrganisationKind.MEMBER_COMPANY:
        raise Http404
    if pk not in request.user.admin_organisation_ids:
        raise PermissionDenied
    form = TaxStatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                compliance.tax_statement_upload(
                    user=request.user,
                    organisation=organisation,
                    file=form.cleaned_data["file"],
                    issued_on=form.cleaned_data["issued_on"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The tax statement is saved."))
                return redirect("my_membership", pk=pk)
        # Browsers never fill in a file input again.
        form.add_error(
            None,
            _("Nothing was saved. Choose the file again: it is not kept after an error."),
        )
    return render(
        request,
        "members/conduct/tax_statement_form.html",
        {"form": form, "organisation": organisation},
    )


@login_required
def tax_statement_download(
    request: AuthenticatedHttpRequest, pk: int, statement_pk: int
) -> FileResponse:
    if not (request.user.is_coordinator or pk in request.user.admin_organisation_ids):
        raise Http404
    statement = get_object_or_404(
        TaxStatement.objects.select_related("organisation"), pk=statement_pk, organisation_id=pk
    )
    try:
        handle = statement.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit.record(
        actor=request.user,
        action="tax.download",
        obj=statement.organisation,
        summary=f"{statement.organisation.name}: tax statement of "
        f"{statement.issued_on.isoformat()} downloaded",
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"verklaring-betalingsgedrag-{statement.issued_on.isoformat()}.pdf",
        content_type="application/pdf",
    )


# Breach reports --------------------------------------------------------------


@login_required
def breach_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(
        Organisation.objects.members().filter(
            status__in=(MemberStatus.APPROVED, MemberStatus.SUSPENDED)
        ),
        pk=pk,
    )
    form = BreachReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breaches.breach_report(
                reporter=request.user,
                organisation=organisation,
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Thank you. The coordinators will look into your report; "
                    "%(name)s is never told who reported it."
                )
                % {"name": organisation.name},
            )
            return redirect("dashboard")
    return render(
        request, "members/breaches/new.html", {"form": form, "organisation": organisation}
    )


@coordinator_required
def breach_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    reports = (
        BreachReport.objects.exclude(organisation_id__in=request.user.organisation_ids)
        .select_related("organisation")
        .annotate(
            handled=Case(
                When(outcome=BreachReport.Outcome.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        # Open reports oldest first, like a queue; handled ones newest first.
        .order_by("handled", "-decided_at", "created_at", "pk")
    )
    return render(request, "members/breaches/list.html", {"page": paginate(request, reports)})


def _get_report_for_user(request: AuthenticatedHttpRequest, pk: int) -> BreachReport:
    """Coordinators see every report; the member's admins only a decision they
    were told about, and never who reported it. Everyone else: not found."""
    report = get_object_or_404(
        BreachReport.objects.select_related("organisation", "reporter", "decided_by"), pk=pk
    )
    if oversees(request.user, report.organisation):
        return report
    if (
        report.organisation_id in request.user.admin_organisation_ids
        and report.outcome in MEMBER_OUTCOMES
    ):
        return report
    raise Http404


def _render_report(
    request: AuthenticatedHttpRequest,
    report: BreachReport,
    *,
    decision_form: BreachDecisionForm | None = None,
    response_form: BreachResponseForm | None = None,
) -> HttpResponse:
    coordinator = oversees(request.user, report.organisation)
    if coordinator and report.outcome == BreachReport.Outcome.OPEN and decision_form is None:
        decision_form = BreachDecisionForm()
    may_respond = report.organisation_id in request.user.admin_organisation_ids and (
        report.outcome in MEMBER_OUTCOMES
    )
    if may_respond and response_form is None:
        response_form = BreachResponseForm(initial={"response": report.member_response})
    return render(
        request,
        "members/breaches/detail.html",
        {
            "report": report,
            "organisation": report.organisation,
            "coordinator_view": coordinator,
            # Only coordinators learn who reported: the member's people never do.
            "reporter": report.reporter if coordinator else None,
            "decision_form": decision_form if coordinator else None,
            "response_form": response_form if may_respond else None,
        },
    )


@login_required
def breach_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_report(request, _get_report_for_user(request, pk))


@coordinator_required
@require_POST
def breach_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _get_report_for_user(request, pk)
    form = BreachDecisionForm(request.POST)
    if form.is_valid():
        try:
            breaches.breach_decide(
                actor=request.user,
                report=report,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                suspended_until=form.cleaned_data["suspended_until"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The decision is saved."))
            return redirect("breach_detail", pk=pk)
    report.refresh_from_db()
    return _render_report(request, report, decision_form=form)


@login_required
@require_POST
def breach_respond(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _get_report_for_user(request, pk)
    form = BreachResponseForm(request.POST)
    if form.is_valid():
        try:
            breaches.breach_respond(
                user=request.user, report=report, response=form.cleaned_data["response"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your response is sent to the coordinators."))
            return redirect("breach_detail", pk=pk)
    return _render_report(request, report, response_form=form)
