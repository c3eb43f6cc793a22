from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from ttc.core.tlp import TLP


class Problem(Schema):
    detail: str | list


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)
    q: str = Field("", max_length=200)


class OrganisationRef(Schema):
    id: int
    name: str


class MembershipOut(Schema):
    organisation: OrganisationRef
    role: str


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    preferred_language: str
    role: str
    is_coordinator: bool
    memberships: list[MembershipOut]


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    city: str
    website: str
    description: str
    vetted: bool
    umbrella_id: int | None
    client_ids: list[int]


class OrganisationPage(Schema):
    count: int
    page: int
    results: list[OrganisationOut]


class AnnouncementOut(Schema):
    id: int
    title: str
    body: str
    tlp: TLP
    author: str
    created_at: datetime
    url: str


class AnnouncementPage(Schema):
    count: int
    page: int
    results: list[AnnouncementOut]


class AnnouncementIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=20_000)
    tlp: TLP = TLP.GREEN
    people: list[str] = Field(default_factory=list, max_length=200)
    organisation_ids: list[int] = Field(default_factory=list, max_length=500)


class NotificationOut(Schema):
    id: int
    title: str
    url: str
    tlp: TLP
    created_at: datetime
    read: bool
