from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest
from django.utils import timezone

from ttc.core import audit


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            audit.record(actor=user, action="account.signup", obj=user, summary="Signed up")
        return user

    def send_notification_mail(
        self,
        template_prefix: str,
        user: Any,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        """Security changes (password, e-mail, second factor) are mailed to the
        person and written to the audit log."""
        super().send_notification_mail(template_prefix, user, context, email)
        action = template_prefix.rsplit("/", 1)[-1]
        audit.record(actor=user, action=f"security.{action}", obj=user, summary=action)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """A person the platform sends to set up a first second factor right after
        signing in is not asked again for the password they just typed, for that
        set-up only (the authenticator and its recovery codes). Any later change
        to their second factor asks for it again."""
        if app == "allauth.mfa" and self._signed_in_just_now() and self._first_set_up():
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    @staticmethod
    def _first_set_up() -> bool:
        window = timedelta(seconds=app_settings.REAUTHENTICATION_TIMEOUT)
        authenticators = Authenticator.objects.filter(user=context.request.user)
        return not authenticators.filter(created_at__lt=timezone.now() - window).exists()

    @staticmethod
    def _signed_in_just_now() -> bool:
        request = context.request
        if request is None or not request.user.is_authenticated:
            return False
        records = get_authentication_records(request, request.user)
        return bool(records) and (
            time.time() - records[-1]["at"] < app_settings.REAUTHENTICATION_TIMEOUT
        )


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Whoever must use two-factor authentication cannot switch it off."""
        user = authenticator.user
        if authenticator.type == Authenticator.Type.RECOVERY_CODES or not user.requires_mfa():
            return True
        other_factors = (
            Authenticator.objects.filter(user=user)
            .exclude(pk=authenticator.pk)
            .exclude(type=Authenticator.Type.RECOVERY_CODES)
        )
        return other_factors.exists()
