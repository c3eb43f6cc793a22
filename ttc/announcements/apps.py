from __future__ import annotations

from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    name = "ttc.announcements"
    label = "announcements"
