from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ttc.core"
    label = "core"
    verbose_name = "TTC core"
