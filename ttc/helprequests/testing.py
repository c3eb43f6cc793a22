"""Help requests for tests: a ready market, requests made through the services,
and the leak-test registration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from ttc.core.testing import LabelledSurfaces, Personas, register_labelled
from ttc.core.tlp import TLP
from ttc.helprequests import engagements, matching, services
from ttc.helprequests.models import Category, Engagement, HelpRequest, Proposal, Urgency
from ttc.members.experts import expert_consent, expert_profile_save
from ttc.members.models import Skill


def skill(name: str = "Incident response") -> Skill:
    found = Skill.objects.filter(name_en=name).first()
    return found or Skill.objects.filter(parent__isnull=False).order_by("pk").first()  # type: ignore[return-value]


def make_market(personas: Personas) -> Skill:
    """The member company offers a skill with free hours, its expert has a
    profile with the same skill and has consented: both are candidates."""
    needed = skill()
    company = personas.member_company
    company.capacity_hours = 40
    company.regions = ["groningen", "utrecht"]
    company.languages = ["nl", "en"]
    company.save(update_fields=["capacity_hours", "regions", "languages"])
    company.expertise.add(needed)
    expert_profile_save(
        user=personas.expert,
        hours_per_week=16,
        languages=["nl"],
        region="groningen",
        skills=[(needed, 3)],
    )
    expert_consent(user=personas.expert)
    return needed


def second_member(
    needed: Skill, *, name: str = "Tweede Hulp B.V.", email: str = "admin@tweede.test"
) -> tuple[Any, Any]:
    """Another compliant member company with the skill, working in Utrecht only:
    it ranks below the member company for a request from Groningen. Returns the
    company and its admin."""
    from ttc.core.testing import make_organisation, make_user
    from ttc.members.models import Membership, OrganisationKind

    company = make_organisation(
        name,
        OrganisationKind.MEMBER_COMPANY,
        capacity_hours=40,
        regions=["utrecht"],
        languages=["nl", "en"],
    )
    company.expertise.add(needed)
    admin = make_user(email, full_name="Tina Tweede", preferred_language="en")
    Membership.objects.create(user=admin, organisation=company, role="admin")
    return company, admin


def request_data(**overrides: Any) -> services.RequestData:
    fields: dict[str, Any] = {
        "title": "Phishing-golf bij de spoedeisende hulp",
        "description": "Sinds maandag krijgen medewerkers **valse** inlogmails.",
        "category": Category.SECURITY,
        "skill_ids": [skill().pk],
        "urgency": Urgency.HIGH,
        "effort_hours": 16,
        "experts_needed": 1,
        "deadline": timezone.localdate() + timedelta(days=14),
        "region": "groningen",
        "language": "nl",
        "tlp": TLP.AMBER_STRICT,
    }
    fields.update(overrides)
    return services.RequestData(**fields)


def make_request(personas: Personas, **overrides: Any) -> HelpRequest:
    return services.helprequest_submit(
        author=personas.requester,
        organisation=personas.hospital,
        data=request_data(**overrides),
    )


def open_request(personas: Personas, **overrides: Any) -> HelpRequest:
    request = make_request(personas, **overrides)
    return services.helprequest_accept(request=request, actor=personas.coordinator)


def propose(personas: Personas, request: HelpRequest, key: str) -> Proposal:
    return matching.match_propose(
        request=request, candidate_keys=[key], actor=personas.coordinator
    )[0]


def engage(personas: Personas, request: HelpRequest | None = None, **overrides: Any) -> Engagement:
    """A request the member company accepted: the whole way through the services."""
    request = request or open_request(personas, **overrides)
    proposal = propose(personas, request, f"org:{personas.member_company.pk}")
    return engagements.proposal_accept(proposal=proposal, actor=personas.member_admin)


def _probe_requester() -> tuple[Any, Any]:
    """A GGD outside the personas' world, so that the requesting side of a probe
    request is nobody the leak test checks."""
    from ttc.core.testing import make_organisation, make_user
    from ttc.members.models import Membership, OrganisationKind

    existing = Membership.objects.filter(user__email="probe@ggd-elders.test").first()
    if existing is not None:
        return existing.user, existing.organisation
    ggd = make_organisation("GGD Elders", OrganisationKind.GGD)
    author = make_user("probe@ggd-elders.test", full_name="Petra Probe")
    Membership.objects.create(user=author, organisation=ggd, role="admin")
    return author, ggd


def make_labelled_request(
    personas: Personas, tlp: str, *, people: list[Any], organisations: list[Any]
) -> HelpRequest:
    """For the leak test: a request under `tlp` that reaches exactly the given
    recipients, as if they were its requesting side."""
    author, ggd = _probe_requester()
    request = services.helprequest_submit(
        author=author,
        organisation=ggd,
        data=request_data(
            tlp=tlp,
            title=f"Leak probe {tlp} title",
            description=f"Leak probe {tlp} secret body",
        ),
    )
    request.recipient_people.set(people)
    if tlp == TLP.RED:
        # People are named on a request as people of their organisation.
        from ttc.members.models import Organisation

        organisations = list(Organisation.objects.filter(memberships__user__in=people))
    request.recipient_orgs.set(organisations)
    return request


register_labelled(
    LabelledSurfaces(
        model=HelpRequest,
        make=make_labelled_request,
        list_url=reverse("helprequest_list"),
        detail_url=lambda obj: obj.get_absolute_url(),
        search_url=lambda obj: reverse("helprequest_list") + "?" + urlencode({"q": "probe"}),
        api_list_url="/api/v1/requests",
        api_detail_url=lambda obj: f"/api/v1/requests/{obj.pk}",
        # A request tells the people involved, never its whole audience: see
        # test_a_lifecycles_notifications_reach_only_who_may_see in
        # tests/test_helprequest_access.py.
        broadcasts=False,
        # The dashboard lists the person's own organisation's requests only.
        partial_surfaces=("home",),
    )
)
