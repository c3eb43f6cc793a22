"""Finding members for requests: the candidate pool from the database, ranking
with its reasons, proposals, and the batch assignment of surge mode.

The scoring and the solver are framework-free, in `ttc.lib.matching`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ttc.core import audit
from ttc.core.notify import notify_people
from ttc.helprequests.models import (
    ConflictOfInterest,
    Engagement,
    HelpRequest,
    Proposal,
    ProposalStatus,
    RequestStatus,
)
from ttc.lib import matching
from ttc.lib.workdays import add_working_days
from ttc.members.models import (
    CodeOfConduct,
    Consent,
    ExpertProfile,
    ExpertSkill,
    Membership,
    Organisation,
    OrganisationKind,
)

if TYPE_CHECKING:
    from ttc.accounts.models import User

#: An engagement is assumed to take up to a working day a week of its member.
WEEKLY_LOAD_CAP = 8
#: A company's own declared areas count a little below an expert's top level:
#: they say what the company does, not how well one person does it.
COMPANY_SKILL_STRENGTH = 0.75
LEVEL_STRENGTH = {1: 0.5, 2: 0.75, 3: 1.0}
SLOT_HOURS = 8


def fairness_settings(*, now: datetime | None = None) -> matching.Fairness:
    """Each company's matches in the rolling window: proposals made in it that
    were accepted or still wait for an answer."""
    since = (now or timezone.now()) - timedelta(days=settings.TTC_FAIRNESS_WINDOW_DAYS)
    recent = Counter(
        Proposal.objects.counting_toward_cap(since=since).values_list("organisation_id", flat=True)
    )
    return matching.Fairness(
        recent=dict(recent), cap=settings.TTC_FAIRNESS_CAP, weight=settings.TTC_FAIRNESS_WEIGHT
    )


def _weekly_loads() -> tuple[dict[int, float], dict[int, float]]:
    """Hours a week already promised, per company and per expert."""
    by_org: dict[int, float] = defaultdict(float)
    by_expert: dict[int, float] = defaultdict(float)
    current = Engagement.objects.current().values_list(
        "organisation_id", "expert_id", "request__effort_hours"
    )
    pending = Proposal.objects.pending().values_list(
        "organisation_id", "expert_id", "request__effort_hours"
    )
    for org_id, expert_id, effort in [*current, *pending]:
        load = min(float(effort), WEEKLY_LOAD_CAP)
        if expert_id:
            by_expert[expert_id] += load
        else:
            by_org[org_id] += load
    return by_org, by_expert


def _slots(free_hours: float) -> int:
    return int(free_hours // SLOT_HOURS)


def _company_candidates(org_load: dict[int, float]) -> list[matching.Candidate]:
    """Compliant member companies with hours to offer; an independent expert is
    proposed as the person instead (see `_expert_candidates`)."""
    companies = (
        Organisation.objects.members()
        .compliant()
        .filter(capacity_hours__gt=0)
        .exclude(kind=OrganisationKind.INDEPENDENT_EXPERT)
    )
    expertise: dict[int, dict[int, float]] = defaultdict(dict)
    for org_id, skill_id in Organisation.expertise.through.objects.filter(
        organisation__in=companies.values("pk")
    ).values_list("organisation_id", "skill_id"):
        expertise[org_id][skill_id] = COMPANY_SKILL_STRENGTH
    candidates = []
    for pk, hours, regions, languages in companies.values_list(
        "pk", "capacity_hours", "regions", "languages"
    ):
        free = max(0.0, float(hours or 0) - org_load[pk])
        candidates.append(
            matching.Candidate(
                key=f"org:{pk}",
                company=pk,
                skills=expertise[pk],
                free_hours=free,
                regions=frozenset(regions),
                languages=frozenset(languages),
                capacity=_slots(free),
            )
        )
    return candidates


def _expert_companies(people: QuerySet[ExpertProfile]) -> dict[int, int]:
    """The compliant member each expert works for (their first, when several)."""
    compliant = Organisation.objects.members().compliant().values("pk")
    companies: dict[int, int] = {}
    for user_id, org_id in (
        Membership.objects.filter(organisation__in=compliant, user_id__in=people.values("user_id"))
        .order_by("organisation_id")
        .values_list("user_id", "organisation_id")
    ):
        companies.setdefault(user_id, org_id)
    return companies


def _expert_candidates(expert_load: dict[int, float]) -> list[matching.Candidate]:
    """Experts with a profile and their own consent to the current Code and the
    Chatham House Rule, in a compliant member: the rule of
    `members.experts.expert_is_eligible`, for everyone at once."""
    code = CodeOfConduct.objects.current()
    if code is None:
        return []
    consented = Consent.objects.filter(
        organisation=None, kind=Consent.Kind.CODE_OF_CONDUCT, version=code.version
    ).values("user_id")
    chatham = Consent.objects.filter(organisation=None, kind=Consent.Kind.CHATHAM_HOUSE).values(
        "user_id"
    )
    profiles = ExpertProfile.objects.filter(
        user__is_active=True,
        user__deleted_at__isnull=True,
        user_id__in=consented,
        hours_per_week__gt=0,
    ).filter(user_id__in=chatham)
    companies = _expert_companies(profiles)
    skills: dict[int, dict[int, float]] = defaultdict(dict)
    for user_id, skill_id, level in ExpertSkill.objects.filter(
        user_id__in=profiles.values("user_id")
    ).values_list("user_id", "skill_id", "level"):
        skills[user_id][skill_id] = LEVEL_STRENGTH.get(level, 0.5)
    candidates = []
    for user_id, hours, region, languages in profiles.values_list(
        "user_id", "hours_per_week", "region", "languages"
    ):
        company = companies.get(user_id)
        if company is None:
            continue
        free = max(0.0, float(hours) - expert_load[user_id])
        candidates.append(
            matching.Candidate(
                key=f"expert:{user_id}",
                company=company,
                skills=skills[user_id],
                free_hours=free,
                regions=frozenset({region}),
                languages=frozenset(languages),
                capacity=_slots(free),
            )
        )
    return candidates


def load_candidates() -> list[matching.Candidate]:
    """Every member matching may propose now, with what it offers and has free.
    A fixed number of queries, and no model objects: it runs on every ranking."""
    org_load, expert_load = _weekly_loads()
    return [*_company_candidates(org_load), *_expert_candidates(expert_load)]


def candidate_pool(*, now: datetime | None = None) -> matching.Pool:
    return matching.Pool(load_candidates(), fairness_settings(now=now))


def conflicted_companies(
    request: HelpRequest, *, conflicts: dict[int, set[int]] | None = None
) -> frozenset[int]:
    """Members with a declared commercial relationship with the requesting side.
    `conflicts` (public party → members), when given, saves a query per request."""
    if conflicts is None:
        conflicts = all_conflicts(party_ids=request.party_ids)
    return frozenset().union(*(conflicts.get(pk, set()) for pk in request.party_ids))


def all_conflicts(*, party_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    rows = ConflictOfInterest.objects.all()
    if party_ids is not None:
        rows = rows.filter(public_party_id__in=party_ids)
    conflicts: dict[int, set[int]] = defaultdict(set)
    for party_id, member_id in rows.values_list("public_party_id", "member_id"):
        conflicts[party_id].add(member_id)
    return conflicts


def companies_asked(request: HelpRequest) -> frozenset[int]:
    """Members asked for this request before, whatever they answered: neither the
    company nor its experts are asked again for it."""
    return frozenset(proposal.organisation_id for proposal in request.proposals.all())


def open_slots(request: HelpRequest) -> int:
    """Places still free: experts needed minus proposals accepted or waiting.
    Reads `request.proposals.all()`, so a prefetch serves it."""
    taken = sum(
        1
        for proposal in request.proposals.all()
        if proposal.status in (ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED)
    )
    return max(0, request.experts_needed - taken)


def need_for(
    request: HelpRequest,
    *,
    slots: int | None = None,
    conflicts: dict[int, set[int]] | None = None,
) -> matching.Need:
    return matching.Need(
        key=request.pk,
        skills=tuple(skill.pk for skill in request.skills.all()),
        effort_hours=float(request.effort_hours),
        region=request.region,
        language=request.language,
        # Ranking does not depend on the places left; the engine wants at least one.
        slots=max(1, open_slots(request)) if slots is None else slots,
        excluded_companies=conflicted_companies(request, conflicts=conflicts)
        | companies_asked(request),
    )


def rank(
    request: HelpRequest, *, pool: matching.Pool | None = None, limit: int = 10
) -> list[matching.Ranked]:
    """The best candidates for one request, leaving out members asked before."""
    pool = pool or candidate_pool()
    return pool.rank(need_for(request), limit=limit)


@dataclass(frozen=True)
class Explanation:
    """A score's parts in plain words, for the coordinator."""

    label: str
    value: float
    words: str


def explain(item: matching.Ranked, *, cap: int | None = None) -> list[Explanation]:
    cap = cap or settings.TTC_FAIRNESS_CAP
    weights = matching.WEIGHTS
    return [
        Explanation(
            _("Skill fit"),
            weights.skill * item.skill,
            _("Offers %(percent)s%% of the skills asked for, weighted by level.")
            % {"percent": round(item.skill * 100)},
        ),
        Explanation(
            _("Availability"),
            weights.availability * item.availability,
            ngettext(
                "Has %(hours)s hour a week free (%(percent)s%% of the effort).",
                "Has %(hours)s hours a week free (%(percent)s%% of the effort).",
                round(item.candidate.free_hours),
            )
            % {
                "hours": round(item.candidate.free_hours),
                "percent": round(item.availability * 100),
            },
        ),
        Explanation(
            _("Region"),
            weights.region * item.region,
            _("Works in the region asked for.") if item.region else _("Works in other regions."),
        ),
        Explanation(
            _("Language"),
            weights.language * item.language,
            _("Speaks the language asked for.")
            if item.language
            else _("Does not list the language asked for."),
        ),
        Explanation(
            _("Fairness adjustment"),
            -item.fairness,
            _("Had %(count)s of at most %(cap)s matches in the last %(days)s days.")
            % {
                "count": item.recent_matches,
                "cap": cap,
                "days": settings.TTC_FAIRNESS_WINDOW_DAYS,
            },
        ),
    ]


def breakdown(item: matching.Ranked) -> dict[str, object]:
    return {
        "score": round(item.score, 4),
        "skill": round(item.skill, 4),
        "availability": round(item.availability, 4),
        "region": item.region,
        "language": item.language,
        "fairness": round(item.fairness, 4),
        "recent_matches": item.recent_matches,
        "free_hours": item.candidate.free_hours,
    }


def parse_key(key: str) -> tuple[str, int]:
    kind, _sep, number = key.partition(":")
    if kind not in ("org", "expert") or not number.isdigit():
        raise ValidationError(_("Unknown candidate."))
    return kind, int(number)


def _candidate_parties(key: str, company: int) -> tuple[Organisation, User | None]:
    from ttc.accounts.models import User

    kind, number = parse_key(key)
    organisation = Organisation.objects.get(pk=company)
    expert = User.objects.get(pk=number) if kind == "expert" else None
    return organisation, expert


def responders(proposal: Proposal) -> list[User]:
    from ttc.members.vetting import organisation_admins

    if proposal.expert is not None:
        return [proposal.expert]
    return list(organisation_admins(proposal.organisation))


def _tell_candidate(proposal: Proposal) -> None:
    notify_people(
        recipients=responders(proposal),
        title=_("You are asked to help with a request"),
        url=proposal.get_absolute_url(),
        email_subject=lambda: _("A public party could use your help"),
        email_body=lambda: (
            _("Please accept or decline within %(days)s working days:")
            % {"days": settings.TTC_PROPOSAL_WORKING_DAYS}
        ),
    )


def _create_proposal(
    request: HelpRequest,
    item: matching.Ranked,
    *,
    actor: User | None,
    via_batch: bool,
    now: datetime,
) -> Proposal:
    organisation, expert = _candidate_parties(item.candidate.key, item.candidate.company)
    proposal = Proposal.objects.create(
        request=request,
        organisation=organisation,
        expert=expert,
        candidate_key=item.candidate.key,
        proposed_by=actor,
        proposed_at=now,
        # Working days are Dutch days: count from the local date and time.
        respond_by=add_working_days(timezone.localtime(now), settings.TTC_PROPOSAL_WORKING_DAYS),
        score=item.score,
        breakdown=breakdown(item),
        via_batch=via_batch,
    )
    audit.record(
        actor=actor,
        action="match.propose",
        obj=request,
        summary=(
            f"Proposed {proposal.candidate_name} for #{request.pk}"
            f"{' in surge mode' if via_batch else ''}: score {item.score:.2f} = "
            f"skill {item.skill:.2f}, availability {item.availability:.2f}, "
            f"region {item.region:.0f}, language {item.language:.0f}, "
            f"fairness -{item.fairness:.2f} ({item.recent_matches} recent matches)"
        ),
        data={"proposal": proposal.pk, "candidate": item.candidate.key, **breakdown(item)},
    )
    _tell_candidate(proposal)
    return proposal


def _require_matchable(request: HelpRequest) -> None:
    if request.status not in (RequestStatus.OPEN, RequestStatus.MATCHED):
        raise ValidationError(_("Accept the request in triage before proposing members."))


@transaction.atomic
def match_propose(
    *, request: HelpRequest, candidate_keys: Sequence[str], actor: User
) -> list[Proposal]:
    """The coordinator proposes chosen candidates from the ranking. Each must
    still be eligible now: the ranking is computed again, not trusted from the form."""
    if not actor.is_coordinator:
        raise PermissionDenied(_("Only coordinators propose members."))
    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    _require_matchable(request)
    if not candidate_keys:
        raise ValidationError(_("Choose at least one candidate."))
    for key in candidate_keys:
        parse_key(key)
    if len(set(candidate_keys)) != len(candidate_keys):
        raise ValidationError(_("Each candidate can be chosen once."))
    slots = open_slots(request)
    if len(candidate_keys) > slots:
        raise ValidationError(
            ngettext(
                "This request needs one more person; choose one.",
                "This request needs %(count)s more people; choose at most that many.",
                slots,
            )
            % {"count": slots}
        )
    pool = candidate_pool()
    ranked = {item.candidate.key: item for item in rank(request, pool=pool, limit=len(pool))}
    missing = [key for key in candidate_keys if key not in ranked]
    if missing:
        raise ValidationError(
            _("Some chosen candidates can no longer be proposed; look at the ranking again.")
        )
    chosen = [ranked[key] for key in candidate_keys]
    _check_caps(chosen, _locked_fairness({item.candidate.company for item in chosen}))
    now = timezone.now()
    try:
        with transaction.atomic():
            proposals = [
                _create_proposal(request, ranked[key], actor=actor, via_batch=False, now=now)
                for key in candidate_keys
            ]
    except IntegrityError:
        raise ValidationError(
            _("One of these candidates was just proposed by someone else.")
        ) from None
    HelpRequest.objects.filter(pk=request.pk).update(last_activity_at=now, stale_asked_at=None)
    return proposals


def _locked_fairness(companies: Iterable[int]) -> matching.Fairness:
    """Lock the companies about to be proposed (in a fixed order, so that two
    coordinators never wait on each other), then count their matches: a
    proposal made meanwhile by someone else is counted, not raced past."""
    list(
        Organisation.objects.select_for_update()
        .filter(pk__in=set(companies))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return fairness_settings()


def _check_caps(chosen: Sequence[matching.Ranked], fairness: matching.Fairness) -> None:
    """A request's places go to different companies, and one round of proposals
    may not take a company past its cap."""
    per_company = Counter(item.candidate.company for item in chosen)
    if any(count > 1 for count in per_company.values()):
        raise ValidationError(
            _("Choose candidates from different companies: one company per request.")
        )
    for company, count in per_company.items():
        if fairness.recent.get(company, 0) + count > fairness.cap:
            raise ValidationError(
                _(
                    "That would give one company more than %(cap)s matches in %(days)s days; "
                    "choose candidates from different companies."
                )
                % {"cap": fairness.cap, "days": settings.TTC_FAIRNESS_WINDOW_DAYS}
            )


def propose_next(request: HelpRequest, *, after: Proposal) -> Proposal | None:
    """After a decline or an expired proposal: the next candidate in the ranking
    is asked, and the coordinators are told either way."""
    from ttc.helprequests.services import _tell_coordinators

    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in (RequestStatus.OPEN, RequestStatus.MATCHED) or not open_slots(request):
        return None
    ranked = rank(request, limit=1)
    if not ranked:
        _tell_coordinators(
            request,
            title=_("No more candidates for “%(title)s”") % {"title": request.title},
            body=_("%(name)s did not take the request and nobody else is eligible. Look at it:")
            % {"name": after.candidate_name},
        )
        return None
    proposal = _create_proposal(request, ranked[0], actor=None, via_batch=False, now=timezone.now())
    _tell_coordinators(
        request,
        title=_("Next candidate asked for “%(title)s”") % {"title": request.title},
        body=_("%(old)s did not take the request; %(new)s is now asked. See the request:")
        % {"old": after.candidate_name, "new": proposal.candidate_name},
    )
    return proposal


# Surge mode ---------------------------------------------------------------


@dataclass(frozen=True)
class BatchPair:
    request: HelpRequest
    candidate_key: str
    candidate_name: str
    ranked: matching.Ranked

    @property
    def token(self) -> str:
        """How the confirm form names this pair."""
        return f"{self.request.pk}|{self.candidate_key}"


@dataclass(frozen=True)
class BatchPlan:
    pairs: list[BatchPair]
    total: float
    requests: int
    unfilled: list[HelpRequest]
    #: Unfilled requests that a member could take on but for the fairness cap:
    #: in a real surge, coordinators may raise TTC_FAIRNESS_CAP.
    held_by_cap: list[HelpRequest] = field(default_factory=list)


def candidate_names(keys: Sequence[str]) -> dict[str, str]:
    from ttc.accounts.models import User

    org_ids = [parse_key(key)[1] for key in keys if key.startswith("org:")]
    user_ids = [parse_key(key)[1] for key in keys if key.startswith("expert:")]
    names = {
        f"org:{pk}": name
        for pk, name in Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name")
    }
    for user in User.objects.filter(pk__in=user_ids):
        names[f"expert:{user.pk}"] = user.display_name
    return names


def batch_plan() -> BatchPlan:
    """One optimal assignment over every open request that still needs people,
    under capacities, fairness caps and conflicts of interest."""
    requests = list(
        HelpRequest.objects.filter(status__in=(RequestStatus.OPEN, RequestStatus.MATCHED))
        .prefetch_related("skills", "proposals")
        .select_related("organisation", "submitted_via")
        .order_by("urgency", "created_at")
    )
    candidates = load_candidates()
    fairness = fairness_settings()
    pool = matching.Pool(candidates, fairness)
    conflicts = all_conflicts()
    needs = [
        need_for(request, slots=open_slots(request), conflicts=conflicts)
        for request in requests
        if open_slots(request)
    ]
    result = matching.assign(needs, pool)
    by_pk = {request.pk: request for request in requests}
    names = candidate_names([key for _need, key, _score in result.pairs])
    # The score's parts, for the preview, of the needs that received someone.
    assigned = {need_key for need_key, _key, _score in result.pairs}
    ranked_by_pair = {}
    for need in needs:
        if need.key not in assigned:
            continue
        for item in pool.rank(need, limit=len(pool)):
            ranked_by_pair[(need.key, item.candidate.key)] = item
    pairs = [
        BatchPair(
            request=by_pk[need_key],
            candidate_key=key,
            candidate_name=names.get(key, key),
            ranked=ranked_by_pair[(need_key, key)],
        )
        for need_key, key, _score in result.pairs
    ]
    filled = {pair.request.pk for pair in pairs}
    unfilled = [need for need in needs if need.key not in filled]
    return BatchPlan(
        pairs=pairs,
        total=result.total,
        requests=len(needs),
        unfilled=[by_pk[need.key] for need in unfilled],
        held_by_cap=[by_pk[need.key] for need in _held_by_cap(unfilled, candidates, fairness)],
    )


def _held_by_cap(
    unfilled: Sequence[matching.Need],
    candidates: Sequence[matching.Candidate],
    fairness: matching.Fairness,
) -> list[matching.Need]:
    """The unfilled needs someone would fit if no company had a cap."""
    if not unfilled:
        return []
    uncapped = matching.Pool(
        candidates, matching.Fairness(recent=fairness.recent, cap=10**9, weight=0.0)
    )
    return [need for need in unfilled if uncapped.rank(need, limit=1)]


@transaction.atomic
def batch_confirm(*, tokens: Sequence[str], actor: User) -> list[Proposal]:
    """Confirm all or part of a batch plan. The plan is computed again and only
    pairs that are still in it are proposed: nothing stale is trusted."""
    if not actor.is_coordinator:
        raise PermissionDenied(_("Only coordinators propose members."))
    chosen = set(tokens)
    if not chosen:
        raise ValidationError(_("Choose at least one proposal to confirm."))
    # Lock what the plan reads (requests first, then companies, each in a fixed
    # order, as `match_propose` does) so the plan confirmed is the plan computed.
    list(
        HelpRequest.objects.select_for_update()
        .filter(status__in=(RequestStatus.OPEN, RequestStatus.MATCHED))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    _locked_fairness(Organisation.objects.members().compliant().values_list("pk", flat=True))
    plan = batch_plan()
    current = {pair.token: pair for pair in plan.pairs}
    gone = chosen - current.keys()
    if gone:
        raise ValidationError(
            ngettext(
                "The situation changed since the preview: %(count)s pair is no longer "
                "possible or best. Look at the new preview.",
                "The situation changed since the preview: %(count)s pairs are no longer "
                "possible or best. Look at the new preview.",
                len(gone),
            )
            % {"count": len(gone)}
        )
    now = timezone.now()
    proposals = []
    for token in sorted(chosen):
        pair = current[token]
        proposals.append(
            _create_proposal(pair.request, pair.ranked, actor=actor, via_batch=True, now=now)
        )
    HelpRequest.objects.filter(
        pk__in={pair.request.pk for pair in (current[t] for t in chosen)}
    ).update(last_activity_at=now, stale_asked_at=None)
    audit.record(
        actor=actor,
        action="match.batch_confirm",
        obj=None,
        summary=f"Confirmed {len(proposals)} of {len(plan.pairs)} batch proposals",
        data={"total": plan.total, "proposals": [proposal.pk for proposal in proposals]},
    )
    return proposals
