"""Notifications: in-app and e-mail, each to an audience the access policy chose."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation

from ttc.core.access import may_email_body
from ttc.core.models import Notification
from ttc.core.tasks import deliver_email

if TYPE_CHECKING:
    from ttc.accounts.models import User


def notify(
    *,
    recipients: Iterable[User],
    title: str,
    url: str,
    tlp: str,
    email_subject: Callable[[], str],
    email_body: Callable[[], str],
    email_detail: Callable[[], str] = lambda: "",
) -> int:
    """Tell `recipients` in the app and by e-mail.

    `recipients` must come from `access.audience`. The subject and body are
    callables so they render in each recipient's language; `email_detail`
    (the content itself) is left out whenever the label is confidential.
    """
    people = list(recipients)
    Notification.objects.bulk_create(
        Notification(recipient=person, title=title[:200], url=url, tlp=tlp) for person in people
    )
    by_language: dict[str, list[str]] = defaultdict(list)
    for person in people:
        by_language[person.preferred_language].append(person.email)
    link = settings.SITE_URL + url
    for language, addresses in by_language.items():
        with translation.override(language):
            parts = [email_body(), link]
            if may_email_body(tlp):
                parts.append(email_detail())
            deliver_email.enqueue(
                to=addresses,
                subject=f"[TTC] {email_subject()}",
                body="\n\n".join(part for part in parts if part),
            )
    return len(people)
