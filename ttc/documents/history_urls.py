"""History, comparing and reverting; mounted under /documents/ beside the
reading pages (every path here has a fixed part after the slug)."""

from __future__ import annotations

from django.urls import path

from ttc.documents import history_views as views

urlpatterns = [
    path("<slug:slug>/history/", views.document_history, name="document_history"),
    path("<slug:slug>/compare/", views.document_compare, name="document_compare"),
    path(
        "<slug:slug>/sections/<int:section_pk>/history/",
        views.section_history,
        name="section_history",
    ),
    path(
        "<slug:slug>/sections/<int:section_pk>/revisions/<int:number>/",
        views.section_revision,
        name="section_revision",
    ),
    path(
        "<slug:slug>/sections/<int:section_pk>/compare/",
        views.section_compare,
        name="section_compare",
    ),
    path(
        "<slug:slug>/sections/<int:section_pk>/revert/",
        views.section_revert,
        name="section_revert",
    ),
]
