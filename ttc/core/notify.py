"""Notifications: in-app and e-mail, each to an audience the access policy chose."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
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
    target: Model | None = None,
) -> int:
    """Tell `recipients` in the app and by e-mail.

    `recipients` must come from `access.audience` of `target`, the labelled
    content the notification is about. The subject and body are
    callables so they render in each recipient's language; `email_detail`
    (the content itself) is left out whenever the label is confidential.
    """
    people = list(recipients)
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    Notification.objects.bulk_create(
        Notification(
            recipient=person,
            title=title[:200],
            url=url,
            tlp=tlp,
            target_type=target_type,
            target_id=target.pk if target is not None else None,
        )
        for person in people
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


def notify_people(
    *,
    recipients: Iterable[User],
    title: str,
    url: str,
    email_subject: Callable[[], str],
    email_body: Callable[[], str],
) -> int:
    """A personal message to named people (an applicant, a member's admins):
    like TLP:RED, the e-mail holds only the text and the link."""
    from ttc.core.tlp import TLP

    return notify(
        recipients=recipients,
        title=title,
        url=url,
        tlp=TLP.RED,
        email_subject=email_subject,
        email_body=email_body,
    )
