from __future__ import annotations

from django.urls import path

from ttc.members import apply_views

urlpatterns = [
    path("apply/", apply_views.apply, name="apply"),
    path("apply/company/", apply_views.apply_company, name="apply_company"),
    path("apply/independent/", apply_views.apply_independent, name="apply_independent"),
    path("apply/public/", apply_views.register_public_party, name="register_public_party"),
    path("membership/<int:pk>/", apply_views.my_membership, name="my_membership"),
    path("membership/<int:pk>/amend/", apply_views.membership_amend, name="membership_amend"),
    path(
        "membership/<int:pk>/renew/",
        apply_views.membership_renew,
        name="membership_renew",
    ),
    path(
        "membership/<int:pk>/withdraw/",
        apply_views.membership_withdraw,
        name="membership_withdraw",
    ),
]
