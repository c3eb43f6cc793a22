from __future__ import annotations

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "ttc.incidents"
    label = "incidents"
