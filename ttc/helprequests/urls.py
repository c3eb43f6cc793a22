from __future__ import annotations

from django.urls import path

from ttc.helprequests import engagement_views, views

urlpatterns = [
    path("requests/", views.helprequest_list, name="helprequest_list"),
    path("requests/new/", views.helprequest_new, name="helprequest_new"),
    path("requests/triage/", views.triage_queue, name="triage_queue"),
    path("requests/surge/", views.surge, name="surge"),
    path("requests/<int:pk>/", views.helprequest_detail, name="helprequest_detail"),
    path("requests/<int:pk>/answer/", views.helprequest_answer, name="helprequest_answer"),
    path(
        "requests/<int:pk>/still-needed/",
        views.helprequest_still_needed,
        name="helprequest_still_needed",
    ),
    path("requests/<int:pk>/withdraw/", views.helprequest_withdraw, name="helprequest_withdraw"),
    path("requests/<int:pk>/triage/<slug:action>/", views.triage_action, name="helprequest_triage"),
    path(
        "requests/<int:pk>/candidates/",
        views.helprequest_candidates,
        name="helprequest_candidates",
    ),
    path("proposals/", engagement_views.proposal_list, name="proposal_list"),
    path("proposals/<int:pk>/", engagement_views.proposal_detail, name="proposal_detail"),
    path("engagements/", engagement_views.engagement_list, name="engagement_list"),
    path("engagements/<int:pk>/", engagement_views.engagement_detail, name="engagement_detail"),
    path(
        "engagements/<int:pk>/messages/",
        engagement_views.engagement_message,
        name="engagement_message",
    ),
    path("engagements/<int:pk>/hours/", engagement_views.engagement_hours, name="engagement_hours"),
    path(
        "engagements/<int:pk>/deliver/",
        engagement_views.engagement_deliver,
        name="engagement_deliver",
    ),
    path(
        "engagements/<int:pk>/reopen/", engagement_views.engagement_reopen, name="engagement_reopen"
    ),
    path("engagements/<int:pk>/close/", engagement_views.engagement_close, name="engagement_close"),
    path("conflicts/", engagement_views.conflict_list, name="conflict_list"),
    path("conflicts/<int:pk>/remove/", engagement_views.conflict_remove, name="conflict_remove"),
]
