"""Named personas shared by every test, and the leak-test registry.

The personas are one coalition in miniature: a coordinator; a vetted member
company with its admin and an expert; a hospital with a requester, under an
umbrella organisation with its own person; a member of an unrelated company;
and an anonymous visitor. The member company declares the hospital as a client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from ttc.accounts.models import User
from ttc.core.tlp import TLP
from ttc.members.models import Membership, MemberStatus, Organisation, OrganisationKind

PASSWORD = "correct horse battery staple"
PERSONA_NAMES = (
    "coordinator",
    "member_admin",
    "expert",
    "requester",
    "umbrella",
    "outsider",
    "anonymous",
)


def make_user(email: str, *, mfa: bool = True, **fields: Any) -> User:
    user = User.objects.create_user(email, PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if mfa:
        TOTP.activate(user, generate_totp_secret())
    return user


def make_organisation(name: str, kind: str, *, vetted: bool = True, **fields: Any) -> Organisation:
    return Organisation.objects.create(
        name=name,
        kind=kind,
        status=MemberStatus.APPROVED if vetted else MemberStatus.APPLIED,
        vetted_at=timezone.now() if vetted else None,
        **fields,
    )


@dataclass
class Personas:
    coordinator: User
    member_admin: User
    expert: User
    requester: User
    umbrella: User
    outsider: User
    member_company: Organisation
    hospital: Organisation
    umbrella_org: Organisation
    other_company: Organisation
    anonymous: AnonymousUser = field(default_factory=AnonymousUser)

    def get(self, name: str) -> User | AnonymousUser:
        return getattr(self, name)


def make_personas() -> Personas:
    member_company = make_organisation(
        "Veilig Netwerk B.V.", OrganisationKind.MEMBER_COMPANY, city="Utrecht"
    )
    umbrella_org = make_organisation("Zorgkoepel Nederland", OrganisationKind.UMBRELLA)
    hospital = make_organisation(
        "Ziekenhuis Noorderlicht",
        OrganisationKind.HOSPITAL,
        city="Groningen",
        umbrella=umbrella_org,
    )
    other_company = make_organisation("Andere Software B.V.", OrganisationKind.MEMBER_COMPANY)
    member_company.clients.add(hospital)

    def person(email: str, name: str, organisation: Organisation | None, role: str) -> User:
        user = make_user(email, full_name=name)
        if organisation is not None:
            Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    return Personas(
        coordinator=promote_coordinator(
            person("coordinator@ttc.test", "Carla Coördinator", None, "")
        ),
        member_admin=person("admin@veilignetwerk.test", "Mehmet Admin", member_company, "admin"),
        expert=person("expert@veilignetwerk.test", "Eva Expert", member_company, "member"),
        requester=person("ciso@noorderlicht.test", "Ruud Requester", hospital, "admin"),
        umbrella=person("info@zorgkoepel.test", "Ursula Umbrella", umbrella_org, "admin"),
        outsider=person("dev@anderesoftware.test", "Otto Outsider", other_company, "admin"),
        member_company=member_company,
        hospital=hospital,
        umbrella_org=umbrella_org,
        other_company=other_company,
    )


def promote_coordinator(user: User) -> User:
    user.is_coordinator = True
    user.save(update_fields=["is_coordinator"])
    return user


#: Who may see each label in the scenario of `label_recipients`, by the rule:
#: written out by hand from DESIGN.md §5, not computed by the policy under test.
RULE = {
    TLP.RED: {"expert"},
    TLP.AMBER_STRICT: {"requester"},
    TLP.AMBER: {"member_admin", "expert", "requester"},
    TLP.GREEN: {"member_admin", "expert", "requester", "umbrella", "outsider"},
    TLP.CLEAR: {"member_admin", "expert", "requester", "umbrella", "outsider", "anonymous"},
}
#: Coordinators oversee everything on top of the rule.
SEES = {label: people | {"coordinator"} for label, people in RULE.items()}


def label_recipients(personas: Personas, label: str) -> dict[str, list[Any]]:
    """The named recipients of the shared scenario: RED names the expert;
    AMBER+STRICT the hospital; AMBER the member company, which declares the
    hospital as a client; GREEN and CLEAR name nobody."""
    if label == TLP.RED:
        return {"people": [personas.expert], "organisations": []}
    if label == TLP.AMBER_STRICT:
        return {"people": [], "organisations": [personas.hospital]}
    if label == TLP.AMBER:
        return {"people": [], "organisations": [personas.member_company]}
    return {"people": [], "organisations": []}


@dataclass(frozen=True)
class LabelledSurfaces:
    """How the leak test reaches one labelled model on every surface.

    `make(personas, tlp, people, organisations)` builds an instance through the
    model's own service; the URL builders say where a person would see it.
    """

    model: type[models.Model]
    make: Callable[..., Any]
    list_url: str
    detail_url: Callable[[Any], str]
    search_url: Callable[[Any], str]
    api_list_url: str
    api_detail_url: Callable[[Any], str]
    #: Whether creating it notifies everyone the label reaches. Content that tells
    #: only the people involved (a help request) tests its notifications itself.
    broadcasts: bool = True
    #: Surfaces that show only a selection of what a person may see (such as a
    #: dashboard with their own organisation's items): there the leak test checks
    #: that nothing forbidden appears, not that everything allowed does.
    partial_surfaces: tuple[str, ...] = ()


LEAK_REGISTRY: list[LabelledSurfaces] = []


def register_labelled(surfaces: LabelledSurfaces) -> LabelledSurfaces:
    LEAK_REGISTRY.append(surfaces)
    return surfaces


def labelled_surfaces() -> list[LabelledSurfaces]:
    """Every registered labelled model: each app's `testing` module registers its own."""
    autodiscover_modules("testing")
    return LEAK_REGISTRY
