from __future__ import annotations

from django.apps import AppConfig


class HelpRequestsConfig(AppConfig):
    name = "ttc.helprequests"
    label = "helprequests"
