from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from ttc.announcements.forms import AnnouncementForm
from ttc.announcements.models import Announcement
from ttc.announcements.services import announcement_publish
from ttc.api.auth import auth_or_anonymous, require_write
from ttc.api.schemas import AnnouncementIn, AnnouncementOut, AnnouncementPage, PageQuery
from ttc.api.types import AuthedRequest, PublicRequest
from ttc.core import access

router = Router(tags=["announcements"])


def _out(announcement: Announcement) -> dict:
    return {
        "id": announcement.pk,
        "title": announcement.title,
        "body": announcement.body,
        "tlp": announcement.tlp,
        "author": announcement.created_by.display_name,
        "created_at": announcement.created_at,
        "url": announcement.get_absolute_url(),
    }


@router.get(
    "",
    response=AnnouncementPage,
    auth=auth_or_anonymous,
    summary="Announcements I may see, newest first",
)
def announcement_list(request: PublicRequest, query: Query[PageQuery]) -> dict:
    announcements = access.visible_to(
        Announcement.objects.select_related("created_by"), request.auth
    ).search(query.q)
    start = (query.page - 1) * query.limit
    results = list(announcements[start : start + query.limit])
    access.record_views(request.auth, results, surface="api list")
    return {
        "count": announcements.count(),
        "page": query.page,
        "results": [_out(a) for a in results],
    }


@router.get(
    "/{int:announcement_id}",
    response=AnnouncementOut,
    auth=auth_or_anonymous,
    summary="One announcement",
)
def announcement_detail(request: PublicRequest, announcement_id: int) -> dict:
    announcement = get_object_or_404(
        Announcement.objects.select_related("created_by"), pk=announcement_id
    )
    if not access.can_view(request.auth, announcement):
        raise Http404
    access.record_views(request.auth, [announcement], surface="api")
    return _out(announcement)


@router.post(
    "",
    response={201: AnnouncementOut},
    summary="Publish an announcement (coordinators, write scope)",
)
def announcement_create(request: AuthedRequest, payload: AnnouncementIn) -> Status:
    require_write(request)
    if not request.auth.is_coordinator:
        raise PermissionDenied(_("Only coordinators publish announcements."))
    form = AnnouncementForm(
        {
            "title": payload.title,
            "body": payload.body,
            "tlp": payload.tlp.value,
            "people": "\n".join(payload.people),
            "organisations": payload.organisation_ids,
        }
    )
    if not form.is_valid():
        raise ValidationError(
            {field: [str(e) for e in errors] for field, errors in form.errors.items()}
        )
    announcement = announcement_publish(
        author=request.auth,
        title=form.cleaned_data["title"],
        body=form.cleaned_data["body"],
        tlp=form.cleaned_data["tlp"],
        people=form.cleaned_data["people"],
        organisations=list(form.cleaned_data["organisations"]),
    )
    return Status(201, _out(announcement))
