from __future__ import annotations

from django.urls import URLPattern, path

from ttc.members import conduct_views as views

urlpatterns: list[URLPattern] = [
    path("code-of-conduct/", views.code_of_conduct, name="code_of_conduct"),
    path("code-of-conduct/new/", views.code_new, name="code_new"),
    path("code-of-conduct/<int:version>/", views.code_version, name="code_version"),
    path("membership/<int:pk>/accept-code/", views.code_accept, name="code_accept"),
    path(
        "membership/<int:pk>/tax-statement/",
        views.tax_statement_upload,
        name="tax_statement_upload",
    ),
    path(
        "membership/<int:pk>/tax-statement/<int:statement_pk>/",
        views.tax_statement_download,
        name="tax_statement_download",
    ),
    path("organisations/<int:pk>/report/", views.breach_new, name="breach_new"),
    path("breaches/", views.breach_list, name="breach_list"),
    path("breaches/<int:pk>/", views.breach_detail, name="breach_detail"),
    path("breaches/<int:pk>/decide/", views.breach_decide, name="breach_decide"),
    path("breaches/<int:pk>/respond/", views.breach_respond, name="breach_respond"),
]
