from __future__ import annotations

from django.urls import path

from ttc.members import views

urlpatterns = [
    path("", views.organisation_list, name="organisation_list"),
    path("new/", views.organisation_new, name="organisation_new"),
    path("<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("<int:pk>/people/", views.membership_add, name="membership_add"),
    path(
        "<int:pk>/people/<int:membership_pk>/role/",
        views.membership_role,
        name="membership_role",
    ),
    path(
        "<int:pk>/people/<int:membership_pk>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
]
