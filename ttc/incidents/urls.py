from __future__ import annotations

from django.urls import path

from ttc.incidents import indicator_views, research_views, views

REF = "<str:reference>"

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("report/", views.incident_new, name="incident_new"),
    path("umbrella/", research_views.umbrella_dashboard, name="incident_umbrella"),
    path("research/", research_views.research, name="incident_research"),
    path("research/summary.md", research_views.research_summary, name="incident_research_summary"),
    path("feed/", indicator_views.feed_page, name="incident_feed"),
    path("feed/<slug:fmt>/", indicator_views.feed_download, name="incident_feed_download"),
    path("invitations/<int:pk>/", views.invitation, name="incident_invitation"),
    path("tasks/<int:pk>/", views.task_update, name="incident_task_update"),
    path("notes/<int:pk>/", views.note_edit, name="incident_note_edit"),
    path("indicators/", indicator_views.indicator_list, name="indicator_list"),
    path("indicators/<uuid:uuid>/", indicator_views.indicator_detail, name="indicator_detail"),
    path(
        "indicators/<uuid:uuid>/<slug:action>/",
        indicator_views.indicator_action,
        name="indicator_action",
    ),
    path(f"{REF}/", views.incident_detail, name="incident_detail"),
    path(f"{REF}/status/", views.incident_status, name="incident_status"),
    path(f"{REF}/team/", views.incident_team, name="incident_team"),
    path(f"{REF}/team/<int:pk>/remove/", views.responder_remove, name="incident_responder_remove"),
    path(f"{REF}/timeline/", views.timeline_add, name="incident_timeline_add"),
    path(f"{REF}/tasks/", views.task_create, name="incident_task_create"),
    path(f"{REF}/notes/new/", views.note_new, name="incident_note_new"),
    path(f"{REF}/reports/", views.report_edit, name="incident_report_edit"),
    path(f"{REF}/reports/<slug:stage>/", views.stage_report, name="incident_stage_report"),
    path(f"{REF}/reports/<slug:stage>/sent/", views.stage_sent, name="incident_stage_sent"),
    path(f"{REF}/indicators/paste/", indicator_views.indicators_paste, name="indicators_paste"),
    path(f"{REF}/indicators/save/", indicator_views.indicators_save, name="indicators_save"),
    path(f"{REF}/indicators/import/", indicator_views.indicators_import, name="indicators_import"),
    path(f"{REF}/export/<slug:fmt>/", indicator_views.incident_export, name="incident_export"),
]
