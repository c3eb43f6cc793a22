from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from ttc.announcements.forms import AnnouncementForm
from ttc.announcements.models import Announcement
from ttc.announcements.services import announcement_publish
from ttc.core import access
from ttc.core.decorators import coordinator_required
from ttc.core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from ttc.core.pagination import paginate


def _get_announcement_for_user(request: HttpRequest, pk: int) -> Announcement:
    announcement = get_object_or_404(Announcement.objects.select_related("created_by"), pk=pk)
    if not access.can_view(request.user, announcement):
        # Not 403: whether confidential content exists is itself confidential.
        raise Http404
    return announcement


def announcement_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    announcements = access.visible_to(
        Announcement.objects.select_related("created_by"), request.user
    ).search(query)
    page = paginate(request, announcements)
    # Titles are content too: reading confidential ones in a list is a view.
    access.record_views(request.user, page.object_list, surface="list")
    context = {"page": page, "query": query}
    template = "announcements/list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _get_announcement_for_user(request, pk)
    access.record_views(request.user, [announcement], surface="page")
    return render(
        request,
        "announcements/detail.html",
        {
            "announcement": announcement,
            "people": announcement.recipient_people.all(),
            "organisations": announcement.recipient_orgs.all(),
        },
    )


@coordinator_required
def announcement_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        announcement = announcement_publish(
            author=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            tlp=form.cleaned_data["tlp"],
            people=form.cleaned_data["people"],
            organisations=list(form.cleaned_data["organisations"]),
        )
        messages.success(request, _("The announcement is published."))
        return redirect(announcement)
    return render(request, "announcements/new.html", {"form": form})
