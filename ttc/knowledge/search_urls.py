from __future__ import annotations

from django.urls import path

from ttc.knowledge import search_views

urlpatterns = [
    path("", search_views.search_page, name="search"),
]
