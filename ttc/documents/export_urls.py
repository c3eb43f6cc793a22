"""Exports and feeds; mounted under /documents/ beside the reading pages.

The all-documents feed lives at `feed.atom`: a dot never occurs in a slug, so
no document's address can ever shadow it (or be shadowed by it).
"""

from __future__ import annotations

from django.urls import path, re_path

from ttc.documents import export_views, feeds

urlpatterns = [
    path("feed.atom", feeds.DocumentsFeed(), name="documents_feed"),
    path("<slug:slug>/feed/", feeds.DocumentFeed(), name="document_feed"),
    re_path(
        r"^(?P<slug>[-a-zA-Z0-9_]+)/export\.(?P<fmt>md|html|pdf)$",
        export_views.document_export,
        name="document_export",
    ),
]
