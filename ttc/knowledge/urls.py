from __future__ import annotations

from django.urls import path

from ttc.knowledge import views

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("new/", views.article_new, name="article_new"),
    path("review/", views.review_queue, name="article_review_queue"),
    path("<int:pk>/", views.article_detail, name="article_detail"),
    path("<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("<int:pk>/submit/", views.article_submit, name="article_submit"),
    path("<int:pk>/publish/", views.article_publish, name="article_publish"),
    path("<int:pk>/return/", views.article_return, name="article_return"),
    path("<int:pk>/flag/", views.article_flag, name="article_flag"),
    path("<int:pk>/history/", views.article_history, name="article_history"),
    path("<int:pk>/compare/", views.article_compare, name="article_compare"),
    path("<int:pk>/revisions/<int:number>/", views.article_revision, name="article_revision"),
    path(
        "<int:pk>/revisions/<int:number>/revert/",
        views.article_revert,
        name="article_revert",
    ),
]
