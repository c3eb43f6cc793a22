from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from ttc.announcements.models import Announcement
from ttc.core import access, audit
from ttc.core.notify import notify
from ttc.core.tlp import validate_recipients

if TYPE_CHECKING:
    from ttc.accounts.models import User
    from ttc.members.models import Organisation


@transaction.atomic
def announcement_publish(
    *,
    author: User,
    title: str,
    body: str,
    tlp: str,
    people: Sequence[User] = (),
    organisations: Sequence[Organisation] = (),
) -> Announcement:
    """Publish an update to the coalition and tell everyone the label lets see it.

    Only coordinators publish. The e-mail of a confidential announcement holds
    the title and a link, never the message.
    """
    if not author.is_coordinator:
        raise PermissionDenied(_("Only coordinators publish announcements."))
    validate_recipients(tlp, people=len(people), organisations=len(organisations))
    access.check_named_people(people)
    announcement = Announcement.objects.create(
        title=title.strip(), body=body.strip(), tlp=tlp, created_by=author
    )
    announcement.recipient_people.set(people)
    announcement.recipient_orgs.set(organisations)
    audit.record(
        actor=author,
        action="announcement.publish",
        obj=announcement,
        summary=f"{announcement.get_tlp_display()} {announcement.title}",
        data={
            "people": [person.pk for person in people],
            "organisations": [org.pk for org in organisations],
        },
    )
    notify(
        recipients=access.audience(announcement).exclude(pk=author.pk),
        title=announcement.title,
        url=announcement.get_absolute_url(),
        tlp=announcement.tlp,
        email_subject=lambda: _("New announcement: %(title)s") % {"title": announcement.title},
        email_body=lambda: (
            _("The TTC core team posted an announcement (%(label)s). Read it on the platform:")
            % {"label": announcement.get_tlp_display()}
        ),
        email_detail=lambda: announcement.body,
        target=announcement,
    )
    return announcement
