"""Mounted at /statistics/ in `ttc.urls`."""

from __future__ import annotations

from django.urls import path

from ttc.helprequests import stats_views

urlpatterns = [
    path("", stats_views.statistics, name="statistics"),
    path("charts/<slug:name>.svg", stats_views.statistics_chart, name="statistics_chart"),
    path("report/", stats_views.statistics_report, name="statistics_report"),
    path("report.csv", stats_views.statistics_report_csv, name="statistics_report_csv"),
]
