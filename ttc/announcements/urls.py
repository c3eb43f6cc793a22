from __future__ import annotations

from django.urls import path

from ttc.announcements import views

urlpatterns = [
    path("", views.announcement_list, name="announcement_list"),
    path("new/", views.announcement_new, name="announcement_new"),
    path("<int:pk>/", views.announcement_detail, name="announcement_detail"),
]
