from __future__ import annotations

from django.urls import path

from ttc.members import directory_views, expert_views

urlpatterns = [
    path("membership/<int:pk>/invite/", expert_views.expert_invite, name="expert_invite"),
    path("membership/<int:pk>/offer/", expert_views.member_offer, name="member_offer"),
    path("join/<str:token>/", expert_views.invitation_accept, name="invitation_accept"),
    path("account/expert/", expert_views.expert_profile, name="expert_profile"),
    path("account/expert/consent/", expert_views.expert_consent, name="expert_consent"),
    path("members/", directory_views.directory, name="directory"),
]
