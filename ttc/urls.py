from __future__ import annotations

from django.urls import include, path, re_path

from ttc.accounts.views import language_switch
from ttc.api.api import api, not_found_view
from ttc.core import views as core

urlpatterns = [
    path("", core.home, name="home"),
    path("dashboard/", core.dashboard, name="dashboard"),
    path("notifications/", core.notification_list, name="notification_list"),
    path("notifications/read-all/", core.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/open/", core.notification_open, name="notification_open"),
    path("audit/", core.audit_log, name="audit_log"),
    path("outbox/", core.outbox, name="outbox"),
    path("outbox/<int:pk>/", core.outbox_message, name="outbox_message"),
    path("lang/", language_switch, name="language_switch"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("ttc.accounts.urls")),
    path("organisations/", include("ttc.members.urls")),
    # Membership: applying and reviewing, the Code of Conduct and compliance,
    # experts and the public directory.
    path("", include("ttc.members.apply_urls")),
    path("", include("ttc.members.review_urls")),
    path("", include("ttc.members.conduct_urls")),
    path("", include("ttc.members.expert_urls")),
    path("announcements/", include("ttc.announcements.urls")),
    path("knowledge/", include("ttc.knowledge.urls")),
    # Help requests, triage and matching, proposals, engagements.
    path("", include("ttc.helprequests.urls")),
    path("statistics/", include("ttc.helprequests.stats_urls")),
    path("documents/", include("ttc.documents.urls")),
    path("incidents/", include("ttc.incidents.urls")),
    path("search/", include("ttc.knowledge.search_urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/", not_found_view),
]
