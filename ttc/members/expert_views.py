"""Experts: invitations by a member's admins, joining through the link, the
expert's own profile and consent, and what a member offers."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core.http import AuthenticatedHttpRequest
from ttc.members import experts, services
from ttc.members.expert_forms import (
    ExpertConsentForm,
    ExpertProfileForm,
    InviteForm,
    MemberOfferForm,
    taxonomy,
)
from ttc.members.models import (
    CodeOfConduct,
    ExpertProfile,
    ExpertSkill,
    MemberStatus,
    Organisation,
)
from ttc.members.templatetags.compliance_tags import issue_text


def _my_member_organisation(request: AuthenticatedHttpRequest, pk: int) -> Organisation:
    """A member organisation the person belongs to; any other is not found."""
    if pk not in request.user.organisation_ids:
        raise Http404
    return get_object_or_404(Organisation.objects.members(), pk=pk)


def _administered_member(request: AuthenticatedHttpRequest, pk: int) -> Organisation:
    organisation = _my_member_organisation(request, pk)
    if pk not in request.user.admin_organisation_ids:
        raise PermissionDenied
    return organisation


# Invitations ------------------------------------------------------------------------------


@login_required
def expert_invite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The invitation form; the membership page's panel posts here too. A failed
    invitation comes back here with what was typed."""
    organisation = _administered_member(request, pk)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            experts.expert_invite(actor=request.user, organisation=organisation, email=email)
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("The invitation is on its way to %(email)s. It is valid for 14 days.")
                % {"email": email.lower()},
            )
            return redirect("my_membership", pk=pk)
    return render(
        request,
        "members/experts/invite.html",
        {
            "organisation": organisation,
            "form": form,
            "may_invite": organisation.status == MemberStatus.APPROVED,
        },
    )


@login_required
def invitation_accept(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """Where the invitation e-mail's link leads. Signed-out visitors sign up or
    sign in first and come back here."""
    invitation = experts.invitation_for(token)
    if invitation is None:
        raise Http404
    organisation = invitation.organisation
    error = ""
    status = 200
    if request.method == "POST":
        try:
            experts.invitation_accept(user=request.user, raw=token)
        except ValidationError as refused:
            error, status = " ".join(refused.messages), 410
        except PermissionDenied as refused:
            error, status = str(refused), 403
        else:
            messages.success(
                request,
                _("Welcome to %(name)s. Fill in your expert profile so that we can match you.")
                % {"name": organisation.name},
            )
            return redirect("expert_profile")
    already_in = (
        invitation.accepted_by_id == request.user.pk
        and organisation.pk in request.user.organisation_ids
    )
    if not error and not already_in:
        if not invitation.is_open():
            error, status = _("This invitation is no longer valid. Ask for a new one."), 410
        elif not EmailAddress.objects.filter(
            user=request.user, email__iexact=invitation.email, verified=True
        ).exists():
            error = _("This invitation is for %(email)s. Sign in with that (verified) address.") % {
                "email": invitation.email
            }
            status = 403
    return render(
        request,
        "members/experts/join.html",
        {
            "invitation": invitation,
            "organisation": organisation,
            "error": error,
            "wrong_account": status == 403,
            "already_in": already_in,
        },
        status=status,
    )


# The expert's own profile -----------------------------------------------------------------


def _profile_initial(profile: ExpertProfile | None, user_skills: list[ExpertSkill]) -> dict:
    if profile is None:
        return {}
    initial: dict = {
        "hours_per_week": profile.hours_per_week,
        "languages": profile.languages,
        "region": profile.region,
        "vog_date": profile.vog_date,
    }
    initial.update({f"skill_{s.skill_id}": str(s.level) for s in user_skills})
    return initial


def _not_eligible_because(
    profile: ExpertProfile | None,
    consented: bool,
    organisations: list[Organisation],
) -> list[str]:
    reasons = []
    if profile is None:
        reasons.append(_("You have not filled in your expert profile yet."))
    if not consented:
        reasons.append(
            _(
                "You have not yet accepted the current Code of Conduct and the Chatham House "
                "Rule yourself."
            )
        )
    if not any(organisation.is_compliant for organisation in organisations):
        for organisation in organisations:
            if not organisation.is_vetted:
                reasons.append(
                    _("%(name)s is not an approved member at the moment (its status: %(status)s).")
                    % {"name": organisation.name, "status": organisation.get_status_display()}
                )
            else:
                problems = " ".join(issue_text(code) for code in organisation.compliance_issues)
                reasons.append(
                    _("%(name)s does not meet the membership rules right now. %(problems)s")
                    % {"name": organisation.name, "problems": problems}
                )
    return reasons


def _render_profile(
    request: AuthenticatedHttpRequest,
    *,
    form: ExpertProfileForm | None = None,
    consent_form: ExpertConsentForm | None = None,
) -> HttpResponse:
    user = request.user
    organisations = list(Organisation.objects.members().filter(memberships__user=user))
    if not organisations:
        return render(request, "members/experts/profile.html", {"not_an_expert": True}, status=403)
    profile = ExpertProfile.objects.filter(user=user).first()
    user_skills = list(ExpertSkill.objects.filter(user=user).select_related("skill__parent"))
    if form is None:
        form = ExpertProfileForm(initial=_profile_initial(profile, user_skills), groups=taxonomy())
    code = CodeOfConduct.objects.current()
    consented = experts.has_personal_consent(user)
    if consent_form is None and not consented:
        consent_form = ExpertConsentForm(code=code)
    eligible = experts.expert_is_eligible(user)
    return render(
        request,
        "members/experts/profile.html",
        {
            "form": form,
            "consent_form": None if consented else consent_form,
            "code": code,
            "profile": profile,
            "organisations": organisations,
            "eligible": eligible,
            "reasons": [] if eligible else _not_eligible_because(profile, consented, organisations),
        },
    )


@login_required
def expert_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_profile(request)
    if not Organisation.objects.members().filter(memberships__user=request.user).exists():
        return _render_profile(request)
    form = ExpertProfileForm(request.POST, groups=taxonomy())
    if form.is_valid():
        data = form.cleaned_data
        try:
            experts.expert_profile_save(
                user=request.user,
                hours_per_week=data["hours_per_week"],
                languages=data["languages"],
                region=data["region"],
                skills=form.chosen_skills(),
                vog_date=data["vog_date"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your expert profile is saved."))
            return redirect("expert_profile")
    return _render_profile(request, form=form)


@login_required
@require_POST
def expert_consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not Organisation.objects.members().filter(memberships__user=request.user).exists():
        return _render_profile(request)
    consent_form = ExpertConsentForm(request.POST, code=CodeOfConduct.objects.current())
    if consent_form.is_valid():
        try:
            experts.expert_consent(user=request.user)
        except ValidationError as error:
            consent_form.add_error(None, error)
        else:
            messages.success(
                request, _("You accepted the Code of Conduct and the Chatham House Rule.")
            )
            return redirect("expert_profile")
    return _render_profile(request, consent_form=consent_form)


# What a member offers ---------------------------------------------------------------------


@login_required
def member_offer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _administered_member(request, pk)
    groups = taxonomy()
    initial = {
        "capacity_hours": organisation.capacity_hours,
        "expertise": [skill.pk for skill in organisation.expertise.all()],
        "regions": organisation.regions,
        "languages": organisation.languages,
    }
    form = MemberOfferForm(request.POST or None, initial=initial, groups=groups)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_offer_update(
                actor=request.user,
                organisation=organisation,
                capacity_hours=data["capacity_hours"],
                expertise=form.chosen_expertise(),
                regions=data["regions"],
                languages=data["languages"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("What %(name)s offers is saved.") % {"name": organisation.name}
            )
            return redirect("my_membership", pk=pk)
    return render(
        request,
        "members/experts/offer.html",
        {"organisation": organisation, "form": form},
    )
