from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ttc.announcements.models import Announcement
from ttc.core import access, services
from ttc.core.decorators import coordinator_required
from ttc.core.http import AuthenticatedHttpRequest
from ttc.core.models import AuditEvent, Notification, OutboxEmail
from ttc.core.pagination import paginate
from ttc.documents.models import Proposal as DocumentProposal
from ttc.helprequests.views import dashboard_panel as helprequest_panel
from ttc.incidents.views import dashboard_panel as incident_panel
from ttc.knowledge.services import review_queue


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    public = access.visible_to(Announcement.objects.all(), request.user)[:5]
    return render(request, "core/home.html", {"announcements": public})


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    announcements = list(
        access.visible_to(Announcement.objects.select_related("created_by"), user)[:8]
    )
    access.record_views(user, announcements, surface="dashboard")
    context: dict[str, Any] = {
        "announcements": announcements,
        "notifications": Notification.objects.for_user(user).unread()[:5],
        "organisations": user.organisations(),
    }
    if user.is_coordinator:
        # Changes, not the many recorded views: those are in the audit log.
        context["recent_events"] = AuditEvent.objects.select_related("actor").exclude(
            action__startswith="view"
        )[:8]
    context["help"] = helprequest_panel(user)
    context["incidents"] = incident_panel(user)
    context["proposals_waiting"] = DocumentProposal.objects.moderated_by(user).pending().count()
    if user.is_coordinator:
        context["articles_waiting"] = review_queue().count()
    return render(request, "core/dashboard.html", context)


@login_required
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    notifications = Notification.objects.for_user(request.user)
    return render(request, "core/notifications.html", {"page": paginate(request, notifications)})


@login_required
@require_POST
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    services.notifications_mark_read(user=request.user, notification_id=notification.pk)
    target = notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=set()):
        target = "notification_list"
    return redirect(target)


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("notification_list")


def _day_bound(raw: str, end: bool) -> datetime | None:
    day = parse_date(raw) if raw else None
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@coordinator_required
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip()[:100] for key in
               ("action", "actor", "object", "since", "until")}  # fmt: skip
    events = AuditEvent.objects.select_related("actor")
    if filters["action"]:
        events = events.filter(action__startswith=filters["action"])
    if filters["actor"]:
        events = events.filter(actor__email__icontains=filters["actor"])
    if filters["object"]:
        object_type, _, object_id = filters["object"].partition("#")
        events = events.filter(object_type=object_type)
        if object_id:
            events = events.filter(object_id=object_id)
    try:
        since = _day_bound(filters["since"], end=False)
        until = _day_bound(filters["until"], end=True)
    except ValueError:
        since = until = None
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lte=until)
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    context = {"page": paginate(request, events, per_page=50), "filters": filters,
               "actions": actions}  # fmt: skip
    template = "core/audit_log.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@coordinator_required
def outbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not settings.TTC_EMAIL_OUTBOX:
        raise Http404
    return render(
        request, "core/outbox.html", {"page": paginate(request, OutboxEmail.objects.all())}
    )


@coordinator_required
def outbox_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not settings.TTC_EMAIL_OUTBOX:
        raise PermissionDenied
    return render(
        request, "core/outbox_message.html", {"message": get_object_or_404(OutboxEmail, pk=pk)}
    )
