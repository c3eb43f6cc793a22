from __future__ import annotations

from django.urls import path

from ttc.members import review_views

urlpatterns = [
    path("vetting/", review_views.review_queue, name="review_queue"),
    path("vetting/<int:pk>/", review_views.review_detail, name="review_detail"),
    path(
        "vetting/<int:pk>/criteria/<int:criterion_pk>/",
        review_views.review_mark,
        name="review_mark",
    ),
    path("vetting/<int:pk>/decide/", review_views.review_decide, name="review_decide"),
    path("vetting/<int:pk>/verify/", review_views.review_verify, name="review_verify"),
    path("vetting/<int:pk>/reject/", review_views.review_reject_party, name="review_reject_party"),
    path(
        "vetting/<int:pk>/tax-statement/",
        review_views.review_tax_statement,
        name="review_tax_statement",
    ),
]
