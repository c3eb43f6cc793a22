"""Applying to join: companies, independent experts and public parties; and the
applicant's own membership page, where they follow the review, answer the
coordinators' questions or withdraw."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core.http import AuthenticatedHttpRequest
from ttc.members import vetting
from ttc.members.apply_forms import (
    CHOOSE_FILE_AGAIN,
    AmendForm,
    CompanyApplicationForm,
    IndependentApplicationForm,
    MemberApplicationForm,
    PublicPartyForm,
    WithdrawForm,
)
from ttc.members.consents import (
    CHATHAM_HOUSE_TEXT,
    CHATHAM_HOUSE_VERSION,
    PLEDGE_TEXT,
    PLEDGE_VERSION,
)
from ttc.members.models import (
    Application,
    CodeOfConduct,
    Consent,
    MemberStatus,
    Organisation,
)


@login_required
def apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "members/apply/index.html")


def _agreements() -> dict[str, Any]:
    return {
        "code": CodeOfConduct.objects.current(),
        "chatham_house_text": CHATHAM_HOUSE_TEXT,
        "chatham_house_version": CHATHAM_HOUSE_VERSION,
        "pledge_text": PLEDGE_TEXT,
        "pledge_version": PLEDGE_VERSION,
    }


def _submit(request: AuthenticatedHttpRequest, form: MemberApplicationForm) -> Organisation | None:
    """The organisation when the application went in; None when the form must
    come back with its messages."""
    if not form.is_valid():
        return None
    try:
        return vetting.application_submit(applicant=request.user, data=form.application_data())
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _applied(request: AuthenticatedHttpRequest, organisation: Organisation) -> HttpResponse:
    messages.success(
        request,
        _("Thank you. We received your application; follow its progress on this page."),
    )
    return redirect("my_membership", pk=organisation.pk)


@login_required
def apply_company(request: AuthenticatedHttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = CompanyApplicationForm(
        request.POST if posted else None, request.FILES if posted else None
    )
    if posted:
        organisation = _submit(request, form)
        if organisation is not None:
            return _applied(request, organisation)
        if "tax_statement" not in form.errors:
            form.add_error("tax_statement", CHOOSE_FILE_AGAIN)
    return render(request, "members/apply/company.html", {"form": form, **_agreements()})


@login_required
def apply_independent(request: AuthenticatedHttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = IndependentApplicationForm(
        request.POST if posted else None,
        initial={"name": request.user.full_name},
    )
    if posted:
        organisation = _submit(request, form)
        if organisation is not None:
            return _applied(request, organisation)
    return render(request, "members/apply/independent.html", {"form": form, **_agreements()})


@login_required
def register_public_party(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PublicPartyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = vetting.public_party_register(
                applicant=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Thank you. A coordinator verifies your organisation; we let you know."),
            )
            return redirect("my_membership", pk=organisation.pk)
    return render(request, "members/apply/public_party.html", {"form": form})


# --- the applicant's membership page -----------------------------------------------


def _get_own_organisation(request: AuthenticatedHttpRequest, pk: int) -> Organisation:
    """The organisation's own people see its membership page; coordinators too.
    To anyone else it does not exist."""
    user = request.user
    if not user.is_coordinator and pk not in user.organisation_ids:
        raise Http404
    return get_object_or_404(Organisation, pk=pk)


def _application_of(organisation: Organisation) -> Application | None:
    return (
        Application.objects.select_related("code_of_conduct")
        .filter(organisation=organisation)
        .first()
    )


def _may_withdraw(request: AuthenticatedHttpRequest, organisation: Organisation) -> bool:
    return (
        organisation.is_member
        and organisation.pk in request.user.admin_organisation_ids
        and organisation.may_move_to(MemberStatus.WITHDRAWN)
    )


def _membership_page(
    request: AuthenticatedHttpRequest,
    organisation: Organisation,
    *,
    amend_form: AmendForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    application = _application_of(organisation)
    is_admin = organisation.pk in request.user.admin_organisation_ids
    may_amend = (
        application is not None and is_admin and organisation.status == MemberStatus.INFO_REQUESTED
    )
    if may_amend and amend_form is None:
        assert application is not None
        amend_form = AmendForm(
            initial={
                "privacy_statement": application.privacy_statement,
                "privacy_policy_url": application.privacy_policy_url,
                "signs_processor_agreement": application.signs_processor_agreement,
            }
        )
    may_withdraw = _may_withdraw(request, organisation)
    since = application.submitted_at if application is not None else organisation.created_at
    accepted_code = (
        Consent.objects.filter(organisation=organisation, kind=Consent.Kind.CODE_OF_CONDUCT)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    context = {
        "organisation": organisation,
        "application": application,
        "days_since": (timezone.localdate() - timezone.localdate(since)).days,
        "accepted_code": accepted_code,
        "thread": list(application.messages.all()) if application is not None else [],
        "rejection_reason": vetting.rejection_reason(organisation),
        "amend_form": amend_form if may_amend else None,
        "withdraw_form": (withdraw_form or WithdrawForm()) if may_withdraw else None,
        "approvals_required": settings.TTC_APPROVALS_REQUIRED,
    }
    return render(request, "members/apply/membership.html", context, status=status)


@login_required
def my_membership(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _membership_page(request, _get_own_organisation(request, pk))


def _get_administered_organisation(request: AuthenticatedHttpRequest, pk: int) -> Organisation:
    organisation = _get_own_organisation(request, pk)
    if organisation.pk not in request.user.admin_organisation_ids:
        raise PermissionDenied
    return organisation


@login_required
@require_POST
def membership_amend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_administered_organisation(request, pk)
    application = _application_of(organisation)
    if application is None or organisation.status != MemberStatus.INFO_REQUESTED:
        messages.error(request, _("There is no question to answer."))
        return redirect("my_membership", pk=pk)
    form = AmendForm(request.POST)
    if not form.is_valid():
        return _membership_page(request, organisation, amend_form=form)
    try:
        vetting.application_amend(
            applicant=request.user,
            organisation=organisation,
            reply=form.cleaned_data["reply"],
            changes=form.changes(application),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your answer is sent. The coordinators review again."))
    return redirect("my_membership", pk=pk)


@login_required
@require_POST
def membership_renew(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_administered_organisation(request, pk)
    try:
        vetting.membership_renew(actor=request.user, organisation=organisation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Coordinators review %(name)s again.") % {"name": organisation.name}
        )
    return redirect("my_membership", pk=pk)


@login_required
@require_POST
def membership_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_administered_organisation(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        if _may_withdraw(request, organisation):
            return _membership_page(request, organisation, withdraw_form=form)
        messages.error(request, _("%(name)s cannot be withdrawn.") % {"name": organisation.name})
        return redirect("my_membership", pk=pk)
    try:
        vetting.membership_withdraw(actor=request.user, organisation=organisation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is withdrawn.") % {"name": organisation.name})
    return redirect("my_membership", pk=pk)
