from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.accounts.models import User
from ttc.core.decorators import coordinator_required
from ttc.core.http import AuthenticatedHttpRequest
from ttc.core.pagination import paginate
from ttc.members import services
from ttc.members.forms import (
    CoordinatorOrganisationForm,
    MembershipAddForm,
    MembershipRoleForm,
    NewOrganisationForm,
    OrganisationForm,
)
from ttc.members.models import Membership, Organisation, OrganisationKind


def _get_organisation_for_user(request: AuthenticatedHttpRequest, pk: int) -> Organisation:
    return get_object_or_404(
        Organisation.objects.visible_to(request.user).select_related("umbrella"), pk=pk
    )


def _get_managed_organisation(request: AuthenticatedHttpRequest, pk: int) -> Organisation:
    organisation = _get_organisation_for_user(request, pk)
    if not services.can_manage(request.user, organisation):
        raise PermissionDenied
    return organisation


@login_required
def organisation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    kind = request.GET.get("kind", "")
    organisations = (
        Organisation.objects.visible_to(request.user)
        .search(query)
        .annotate(people_count=Count("memberships"))
        .order_by("name")
    )
    if kind in OrganisationKind.values:
        organisations = organisations.filter(kind=kind)
    context = {
        "page": paginate(request, organisations),
        "query": query,
        "kind": kind,
        "kinds": OrganisationKind.choices,
    }
    template = "members/organisation_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@login_required
def organisation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_organisation_for_user(request, pk)
    may_manage = services.can_manage(request.user, organisation)
    shows_people = may_manage or pk in request.user.organisation_ids
    visible = Organisation.objects.visible_to(request.user)
    umbrella = organisation.umbrella
    return render(
        request,
        "members/organisation_detail.html",
        {
            "organisation": organisation,
            "may_manage": may_manage,
            "memberships": organisation.memberships.select_related("user")
            if shows_people
            else None,
            "umbrella": umbrella if umbrella and visible.filter(pk=umbrella.pk).exists() else None,
            "clients": organisation.clients.filter(pk__in=visible.values("pk")),
            "care_members": organisation.care_members.filter(pk__in=visible.values("pk")),
            "add_form": MembershipAddForm() if request.user.is_coordinator else None,
            "role_choices": Membership.Role.choices,
        },
    )


def _form_class(user: User) -> type[OrganisationForm]:
    return CoordinatorOrganisationForm if user.is_coordinator else OrganisationForm


@login_required
def organisation_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_managed_organisation(request, pk)
    form = _form_class(request.user)(request.POST or None, instance=organisation, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        clients = list(fields.pop("clients"))
        try:
            services.organisation_update(
                actor=request.user, organisation=organisation, clients=clients, **fields
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The organisation is saved."))
            return redirect("organisation_detail", pk=pk)
    # A failed form must not leave the unsaved values on the instance.
    organisation.refresh_from_db()
    return render(
        request, "members/organisation_form.html", {"form": form, "organisation": organisation}
    )


@coordinator_required
def organisation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = NewOrganisationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The organisation is added."))
        return redirect("organisation_detail", pk=organisation.pk)
    return render(request, "members/organisation_form.html", {"form": form})


@coordinator_required
@require_POST
def membership_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _get_managed_organisation(request, pk)
    form = MembershipAddForm(request.POST)
    if form.is_valid():
        try:
            services.membership_add(
                actor=request.user,
                organisation=organisation,
                person=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The person is added."))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(map(str, errors)))
    return redirect("organisation_detail", pk=pk)


def _get_membership(request: AuthenticatedHttpRequest, pk: int, membership_pk: int) -> Membership:
    organisation = _get_managed_organisation(request, pk)
    return get_object_or_404(
        organisation.memberships.select_related("user", "organisation"), pk=membership_pk
    )


@login_required
@require_POST
def membership_role(request: AuthenticatedHttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _get_membership(request, pk, membership_pk)
    form = MembershipRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("organisation_detail", pk=pk)
    try:
        services.membership_set_role(
            actor=request.user, membership=membership, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The role is changed."))
    return redirect("organisation_detail", pk=pk)


@login_required
@require_POST
def membership_remove(
    request: AuthenticatedHttpRequest, pk: int, membership_pk: int
) -> HttpResponse:
    membership = _get_membership(request, pk, membership_pk)
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The person is removed from the organisation."))
    return redirect("organisation_detail", pk=pk)
