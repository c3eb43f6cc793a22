"""Announcements on every surface, for the leak test."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from ttc.announcements.models import Announcement
from ttc.announcements.services import announcement_publish
from ttc.core.testing import LabelledSurfaces, Personas, register_labelled


def make_announcement(
    personas: Personas, tlp: str, *, people: list[Any], organisations: list[Any]
) -> Announcement:
    return announcement_publish(
        author=personas.coordinator,
        title=f"Leak probe {tlp} title",
        body=f"Leak probe {tlp} secret body",
        tlp=tlp,
        people=people,
        organisations=organisations,
    )


register_labelled(
    LabelledSurfaces(
        model=Announcement,
        make=make_announcement,
        list_url=reverse("announcement_list"),
        detail_url=lambda obj: obj.get_absolute_url(),
        search_url=lambda obj: reverse("announcement_list") + "?" + urlencode({"q": "probe"}),
        api_list_url="/api/v1/announcements",
        api_detail_url=lambda obj: f"/api/v1/announcements/{obj.pk}",
    )
)
