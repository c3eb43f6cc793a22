from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.accounts import services
from ttc.accounts.forms import ApiTokenForm, DeleteAccountForm, ProfileForm
from ttc.core.http import AuthenticatedHttpRequest


def _account_page(request: AuthenticatedHttpRequest, **context: object) -> HttpResponse:
    user = request.user
    context.setdefault(
        "profile_form",
        ProfileForm(
            initial={"full_name": user.full_name, "preferred_language": user.preferred_language}
        ),
    )
    context.setdefault("token_form", ApiTokenForm())
    context.setdefault("delete_form", DeleteAccountForm(user=user))
    context["tokens"] = user.api_tokens.all()
    context["memberships"] = user.memberships.select_related("organisation")
    return render(request, "accounts/account.html", context)


@login_required
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.profile_update(user=request.user, **form.cleaned_data)
            translation.activate(form.cleaned_data["preferred_language"])
            messages.success(request, _("Your profile is saved."))
            return redirect("account")
        return _account_page(request, profile_form=form)
    return _account_page(request)


@login_required
@require_POST
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.api_token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _account_page(request, new_token=token, new_token_key=raw)
    return _account_page(request, token_form=form)


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("account")


@login_required
@require_POST
def account_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = services.account_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ttc-my-data-{stamp}.json"'
    return response


@login_required
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logout(request)
            messages.success(request, _("Your account is deleted."))
            return redirect("home")
    if request.method == "POST":
        return _account_page(request, delete_form=form)
    return redirect("account")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if request.user.is_authenticated:
        services.language_set(user=request.user, language=language)
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        httponly=True,
    )
    return response
