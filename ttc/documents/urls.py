from __future__ import annotations

from django.urls import include, path

from ttc.documents import moderation_views, views

urlpatterns = [
    path("", include("ttc.documents.history_urls")),
    path("", include("ttc.documents.export_urls")),
    path("", views.document_list, name="document_list"),
    path("new/", views.document_new, name="document_new"),
    path("proposals/", moderation_views.proposal_list, name="document_proposal_queue"),
    path("proposals/<int:pk>/", moderation_views.proposal_detail, name="document_proposal"),
    path(
        "proposals/<int:pk>/accept/",
        moderation_views.proposal_accept,
        name="document_proposal_accept",
    ),
    path(
        "proposals/<int:pk>/decline/",
        moderation_views.proposal_decline,
        name="document_proposal_decline",
    ),
    path("confirm/<str:token>/", views.proposal_confirm, name="document_proposal_confirm"),
    path("comments/<int:pk>/remove/", views.comment_remove, name="document_comment_remove"),
    path("<slug:slug>/", views.document_detail, name="document_detail"),
    path("<slug:slug>/editors/", views.document_editors, name="document_editors"),
    path("<slug:slug>/propose/", views.proposal_new, name="document_propose"),
    path("<slug:slug>/sections/<int:section_pk>/", views.section_detail, name="section_detail"),
    path(
        "<slug:slug>/sections/<int:section_pk>/propose/",
        views.proposal_new,
        name="section_propose",
    ),
    path(
        "<slug:slug>/sections/<int:section_pk>/comments/",
        views.comment_add,
        name="document_comment_add",
    ),
]
