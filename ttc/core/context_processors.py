from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ttc.accounts.models import Role
from ttc.core.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu for the person's role, and their unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "nav_items": [
                (_("Home"), reverse("home")),
                (_("Documents"), reverse("document_list")),
                (_("Members"), reverse("directory")),
                (_("Knowledge base"), reverse("article_list")),
                (_("Search"), reverse("search")),
                (_("Join"), reverse("apply")),
            ],
            "unread_count": 0,
        }
    items = [
        (_("Dashboard"), reverse("dashboard")),
        (_("Announcements"), reverse("announcement_list")),
        (_("Documents"), reverse("document_list")),
        (_("Members"), reverse("directory")),
        (_("Knowledge base"), reverse("article_list")),
        (_("Search"), reverse("search")),
    ]
    if user.role == Role.VISITOR:
        items.append((_("Join"), reverse("apply")))
    else:
        items.append((_("Organisations"), reverse("organisation_list")))
        items.append((_("Help requests"), reverse("helprequest_list")))
        items.append((_("Incidents"), reverse("incident_list")))
    if user.role in (Role.MEMBER_ADMIN, Role.EXPERT):
        items.append((_("Requests for you"), reverse("proposal_list")))
    if user.is_coordinator:
        items.append((_("Triage"), reverse("triage_queue")))
        items.append((_("Review articles"), reverse("article_review_queue")))
        items.append((_("Vetting"), reverse("review_queue")))
        items.append((_("Breach reports"), reverse("breach_list")))
        items.append((_("Audit log"), reverse("audit_log")))
        if settings.TTC_EMAIL_OUTBOX:
            items.append((_("Outbox"), reverse("outbox")))
    return {
        "nav_items": items,
        "unread_count": Notification.objects.for_user(user).unread().count(),
    }
