"""The access policy's cost on the announcement list at coalition scale.

Baseline: the same page of announcements without the policy (a bare ordered
slice). Measured: the page an expert sees through `access.visible_to`, with
5,000 announcements across all labels, 300 organisations and 2,000 people.
Target: the policy page costs at most 4× the bare query (it adds two small
queries: the viewer's organisations and their providers).
"""

from __future__ import annotations

import random

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from bench.timing import paired
from ttc.accounts.models import User
from ttc.announcements.models import Announcement
from ttc.core import access
from ttc.core.tlp import TLP
from ttc.members.models import Membership, Organisation, OrganisationKind

ANNOUNCEMENTS = 5_000
ORGANISATIONS = 300
PEOPLE = 2_000
TARGET = 4.0


def _build() -> User:
    rng = random.Random(7)
    now = timezone.now()
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Org {i}", kind=OrganisationKind.MEMBER_COMPANY, vetted_at=now)
        for i in range(ORGANISATIONS)
    )
    people = User.objects.bulk_create(
        User(email=f"person{i}@bench.test", password="!") for i in range(PEOPLE)
    )
    Membership.objects.bulk_create(
        Membership(user=person, organisation=organisations[i % ORGANISATIONS])
        for i, person in enumerate(people)
    )
    for org in rng.sample(organisations, 60):
        org.clients.add(*rng.sample(organisations, 3))
    author = User.objects.create(email="author@bench.test", is_coordinator=True, password="!")
    labels = list(TLP)
    announcements = Announcement.objects.bulk_create(
        Announcement(title=f"Bericht {i}", body="…", tlp=rng.choice(labels), created_by=author)
        for i in range(ANNOUNCEMENTS)
    )
    people_through = Announcement.recipient_people.through
    orgs_through = Announcement.recipient_orgs.through
    people_through.objects.bulk_create(
        people_through(announcement=a, user=rng.choice(people))
        for a in announcements
        if a.tlp == TLP.RED
    )
    orgs_through.objects.bulk_create(
        orgs_through(announcement=a, organisation=org)
        for a in announcements
        if a.tlp in (TLP.AMBER, TLP.AMBER_STRICT)
        for org in rng.sample(organisations, 3)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would have done
            cursor.execute("ANALYZE")
    return User.objects.get(email="person7@bench.test")


def run() -> dict:
    expert = _build()

    def bare_page() -> list:
        return list(Announcement.objects.select_related("created_by")[:25])

    def policy_page() -> list:
        expert.__dict__.pop("_memberships", None)  # as on a new request
        return list(
            access.visible_to(Announcement.objects.select_related("created_by"), expert)[:25]
        )

    def public_page() -> list:
        return list(access.visible_to(Announcement.objects.all(), AnonymousUser())[:25])

    baseline, measured, ratio = paired(bare_page, policy_page)
    _, public, _ = paired(bare_page, public_page)
    return {
        "name": "access_policy_list",
        "figures": {
            "announcements": ANNOUNCEMENTS,
            "organisations": ORGANISATIONS,
            "people": PEOPLE,
            "policy_page_ms": round(measured * 1000, 3),
            "anonymous_page_ms": round(public * 1000, 3),
        },
        "baseline": {"bare_page_ms": round(baseline * 1000, 3)},
        "ratio": round(ratio, 2),
        "target": TARGET,
        "met": ratio <= TARGET,
    }
