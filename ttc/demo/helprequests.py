"""The demo's help requests: half a year of the coalition's work, told through
the services.

Every request, question, proposal, engagement, message, hour and feedback is
made by the service a person would use, so each has its audit event and its
notifications. The services stamp the present; afterwards the seed moves the
timestamps of each step back to the moment it happened in the story, spread
over the past six months. The audit log keeps the real time: it is a hash chain.

Who is proposed comes from the matching ranking, the top candidates, so the
work is spread as fairly as the engine spreads it. Only three requests take a
persona's candidate from the ranking instead, so that each demo log-in has
something to answer or to work on.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.management.base import CommandError
from django.db.models import Avg, Count, F, Max, Sum
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import Notification
from ttc.core.tlp import TLP
from ttc.demo import catalogue
from ttc.demo.catalogue import SPECIALS, TEMPLATES, Template
from ttc.helprequests import engagements, matching, services
from ttc.helprequests.models import (
    CloseReason,
    ConflictOfInterest,
    Engagement,
    EngagementMessage,
    EngagementStatus,
    Feedback,
    HelpRequest,
    HoursLog,
    Proposal,
    ProposalStatus,
    RequestMessage,
    RequestStatus,
    Urgency,
)
from ttc.lib import workdays
from ttc.members.models import PROVINCES, Organisation, OrganisationKind, Skill

MIN_REQUESTS = 20
#: Requests per member company. Each goes through a dozen services (a tenth of
#: a second): this keeps the seed within twice the time it takes without them.
REQUESTS_PER_COMPANY = 0.1
HISTORY_DAYS = 183

# Where a request's story ends. The special ones come on top of the mix below.
SUBMITTED = "submitted"
ANSWERED = "answered"  # a question, answered: back in the triage queue
NEEDS_INFO = "needs_info"  # a question, not answered yet
STALE = "stale"  # a question never answered: asked whether still needed, then closed
MERGED = "merged"
REJECTED = "rejected"
PENDING = "pending"  # proposed, waiting for the member's answer
DECLINED = "declined"  # the first candidate declined; the next one is asked
MATCHED = "matched"
DELIVERED = "delivered"
CLOSED = "closed"
#: (end state, share of the ordinary requests); CLOSED, the history the
#: statistics show, takes the rest. The special requests cover every state.
MIX = [(SUBMITTED, 0.03), (PENDING, 0.04), (MATCHED, 0.06), (DELIVERED, 0.02)]
#: How long triage takes, in hours, by urgency.
TRIAGE_HOURS = {
    Urgency.CRITICAL: (0.5, 4),
    Urgency.HIGH: (2, 20),
    Urgency.NORMAL: (8, 48),
    Urgency.LOW: (24, 96),
}
#: Deadlines, in days after submitting, by urgency.
DEADLINE_DAYS = {
    Urgency.CRITICAL: (2, 5),
    Urgency.HIGH: (7, 14),
    Urgency.NORMAL: (14, 35),
    Urgency.LOW: (30, 60),
}
LABELS = [TLP.AMBER_STRICT] * 13 + [TLP.AMBER] * 3 + [TLP.GREEN] * 4


@dataclass
class Plan:
    """One request's story: who asks what, when, and where it ends."""

    state: str
    template: Template
    organisation: Organisation
    author: User
    at: datetime
    tlp: str = TLP.AMBER_STRICT
    region: str = ""
    language: str = "nl"
    title: str = ""
    #: Other plans refer to special ones by this name.
    key: str = ""
    #: The persona's candidate this story takes from the ranking.
    pick: str = ""
    decline_first: bool = False


class RequestSeeder:
    def __init__(
        self,
        *,
        rng: Random,
        personas: dict[str, User],
        coordinators: list[User],
        public: list[Organisation],
        public_people: dict[int, User],
        admin_of: dict[int, User],
        conflicts: list[tuple[Organisation, Organisation]],
        count: int,
    ) -> None:
        self.random = rng
        self.personas = personas
        self.coordinators = [personas["coordinator"], *coordinators]
        self.public = public
        self.admin_of = admin_of
        self.conflicts = conflicts
        self.count = count
        self.now = timezone.now()
        self.today = timezone.localdate()
        # A step never lies in the future, nor at the very moment of seeding.
        self.horizon = self.now - timedelta(minutes=30)
        self.by_name = {org.name: org for org in public}
        self.people = dict(public_people)
        self.people[self.by_name["Ziekenhuis Noorderlicht"].pk] = personas["requester"]
        self.people[self.by_name["Zorgkoepel Noord"].pk] = personas["umbrella"]
        self.requests: dict[str, HelpRequest] = {}
        self.authors: dict[int, User] = {}
        # Proposals count toward a company's fairness cap for a rolling window.
        # Each keeps the present as its time until the story has moved past that
        # window, so each ranking sees the matches of the window before it.
        self.deferred: list[tuple[datetime, int]] = []
        self.window = timedelta(days=settings.TTC_FAIRNESS_WINDOW_DAYS)

    def run(self) -> None:
        self.skills = {s.name: s for s in Skill.objects.filter(parent__isnull=False)}
        self.first_notification = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        self.declare_conflicts()
        plans = sorted(self.plans(), key=lambda plan: plan.at)
        for plan in plans:
            self._flush(plan.at - self.window)
            self.tell(plan)
        self._flush(self.now + self.window)
        self.stale_check(self.requests["stale"])
        # What happened days ago has been read.
        Notification.objects.filter(
            pk__gt=self.first_notification,
            created_at__lt=self.now - timedelta(days=2),
            read_at__isnull=True,
        ).update(read_at=F("created_at") + timedelta(hours=3))

    # The stories ------------------------------------------------------------------

    def _org(self, kind: str, index: int) -> Organisation:
        return [org for org in self.public if org.kind == kind][index]

    def _region(self, organisation: Organisation) -> str:
        kind = organisation.kind
        if kind == OrganisationKind.GGD:
            return catalogue.GGD_PROVINCE.get(organisation.city, "")
        if kind == OrganisationKind.UMBRELLA:
            return catalogue.UMBRELLA_PROVINCE.get(organisation.city, "")
        if kind == OrganisationKind.HOSPITAL and organisation.umbrella is not None:
            return catalogue.UMBRELLA_PROVINCE.get(organisation.umbrella.city, "")
        if kind == OrganisationKind.MUNICIPALITY:
            return self.random.choice(PROVINCES)[0]
        return ""

    def _ago(self, days: float, hours: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours)

    def specials(self) -> list[Plan]:
        """The requests every demo log-in meets, and one of each rarer outcome."""
        personas = self.personas
        noorderlicht = self.by_name["Ziekenhuis Noorderlicht"]
        zorgkoepel = self.by_name["Zorgkoepel Noord"]
        hospitals = [
            org
            for org in self.public
            if org.kind == OrganisationKind.HOSPITAL and org.pk != noorderlicht.pk
        ]
        on_behalf = next(h for h in hospitals if h.umbrella_id == zorgkoepel.pk)
        [company] = personas["member_admin"].admin_organisation_ids
        by_title = {template.title: template for template in TEMPLATES}

        def plan(state: str, template: Template, organisation: Organisation, at: datetime,
                 **fields: Any) -> Plan:  # fmt: skip
            author = fields.pop("author", None) or self.people[organisation.pk]
            fields.setdefault("region", self._region(organisation))
            return Plan(state, template, organisation, author, at, **fields)

        return [
            # The requester persona: waiting, at work, and closed.
            plan(SUBMITTED, by_title["Phishing-golf bij de spoedeisende hulp"], noorderlicht,
                 self._ago(0, 5), key="phishing"),
            plan(MERGED, SPECIALS["umbrella_duplicate"], noorderlicht, self._ago(0, 3),
                 author=personas["umbrella"], key="phishing"),
            plan(MATCHED, by_title["Thuiswerken voor 400 verpleegkundigen veilig inrichten"],
                 noorderlicht, self._ago(16)),
            plan(CLOSED, by_title["Dashboard IC-capaciteit regio {regio}"], noorderlicht,
                 self._ago(121), title="Dashboard IC-capaciteit regio Noord", tlp=TLP.AMBER),
            # The umbrella persona asks for one of its hospitals.
            plan(MATCHED, by_title["Back-ups van het patiëntendossier testen"], on_behalf,
                 self._ago(10), author=personas["umbrella"]),
            # The member admin: a proposal to answer, and work in progress.
            plan(PENDING, by_title["Belasting op afsprakensysteem testlocaties"],
                 self.by_name["GGD Groningen"], self._ago(0, 20), pick=f"org:{company}"),
            plan(MATCHED, by_title["Wifi voor de tijdelijke IC-afdeling"], hospitals[0],
                 self._ago(8), pick=f"org:{company}", region="groningen"),
            # The expert persona at work.
            plan(MATCHED, by_title["Privacytoets (DPIA) op contactonderzoek-app GGD"],
                 self.by_name["GGD Drenthe"], self._ago(13),
                 pick=f"expert:{personas['expert'].pk}"),
            # The coordinators' triage queue, and what it decided.
            plan(NEEDS_INFO, by_title["Toegankelijke informatie voor laaggeletterden"],
                 self._org(OrganisationKind.MUNICIPALITY, 0), self._ago(2), tlp=TLP.CLEAR),
            plan(ANSWERED, SPECIALS["answered"],
                 self.by_name["Ministerie van Volksgezondheid, Welzijn en Sport"],
                 self._ago(3), tlp=TLP.GREEN),
            plan(SUBMITTED, SPECIALS["red"],
                 self.by_name["Ministerie van Justitie en Veiligheid"], self._ago(0, 2),
                 tlp=TLP.RED),
            plan(REJECTED, SPECIALS["rejected"], self._org(OrganisationKind.MUNICIPALITY, 1),
                 self._ago(26), tlp=TLP.GREEN),
            plan(STALE, by_title["Koppeling testuitslagen met ons klantcontactsysteem"],
                 self.by_name["GGD Twente"], self._ago(44), key="stale"),
            plan(DECLINED, SPECIALS["declined"], self.by_name["Veiligheidsregio Utrecht"],
                 self._ago(3)),
            plan(DELIVERED, by_title["Video-consulten voor de huisartsenpost"],
                 self.by_name["Zorgnetwerk Zuid"], self._ago(19)),
        ]  # fmt: skip

    def plans(self) -> list[Plan]:
        specials = self.specials()
        ordinary = max(0, self.count - len(specials))
        states = [state for state, share in MIX for _ in range(round(ordinary * share))]
        states += [CLOSED] * (ordinary - len(states))
        noorderlicht = self.by_name["Ziekenhuis Noorderlicht"]
        askers = [org for org in self.public if org.pk != noorderlicht.pk]
        umbrellas = {org.pk: org for org in self.public if org.kind == OrganisationKind.UMBRELLA}
        templates = self.random.sample(TEMPLATES, len(TEMPLATES))
        plans = []
        for index, state in enumerate(states):
            template = templates[index % len(templates)]
            organisation = self.random.choice([o for o in askers if o.kind in template.kinds])
            author = self.people[organisation.pk]
            if organisation.umbrella_id in umbrellas and self.random.random() < 0.3:
                author = self.people[organisation.umbrella_id]  # the umbrella asks for it
            region = self._region(organisation) if self.random.random() < 0.6 else ""
            plans.append(
                Plan(
                    state,
                    template,
                    organisation,
                    author,
                    self._start(state),
                    tlp=self.random.choice(LABELS),
                    region=region,
                    language=self.random.choice(["nl", "nl", ""]),
                    title=template.title.format(regio=dict(PROVINCES).get(region, "Midden")),
                    decline_first=state == CLOSED and self.random.random() < 0.12,
                )
            )
        return specials + plans

    def _start(self, state: str) -> datetime:
        days = {
            SUBMITTED: (0.05, 1.5),
            PENDING: (0.6, 1.2),
            MATCHED: (4, 24),
            DELIVERED: (9, 30),
        }.get(state)
        if days is None:
            # The second wave peaks three months ago.
            return self._ago(self.random.triangular(21, HISTORY_DAYS, 95))
        return self._ago(self.random.uniform(*days))

    def tell(self, plan: Plan) -> None:
        request = self.submit(plan)
        moment = request.created_at
        coordinator = self.random.choice(self.coordinators)
        low, high = TRIAGE_HOURS[Urgency(plan.template.urgency)]
        triaged = self._later(moment, self.random.uniform(low, high))
        state = plan.state
        if state == SUBMITTED:
            return
        if state in (ANSWERED, NEEDS_INFO, STALE):
            self.ask(request, coordinator, triaged, catalogue.QUESTIONS[state])
            if state == ANSWERED:
                self.answer(request, self._later(triaged, 20))
            return
        if state == MERGED:
            self.merge(request, self.requests[plan.key], coordinator, self._later(moment, 2))
            return
        if state == REJECTED:
            self.reject(request, coordinator, triaged)
            return
        self.accept(request, coordinator, triaged)
        proposed = self._later(triaged, self.random.uniform(0.5, 6))
        proposals = self.propose(request, coordinator, proposed, pick=plan.pick)
        if not proposals:
            self.close_unmatched(request, coordinator, self._later(proposed, 48))
            return
        if state == PENDING:
            return
        answered = self._later(proposed, self.random.uniform(3, 30))
        if state == DECLINED or plan.decline_first:
            proposals = self.decline(proposals[0], answered) + proposals[1:]
            if state == DECLINED:
                if not proposals:
                    raise CommandError(f"Nobody is left to ask for “{request.title}”.")
                return
            if not proposals:
                self.close_unmatched(request, coordinator, self._later(answered, 48))
                return
            answered = self._later(answered, self.random.uniform(3, 30))
        work = [self.take(proposal, answered) for proposal in proposals]
        effort = plan.template.effort_hours
        if state == MATCHED:
            end = self.horizon
        else:
            days = max(2.0, effort / 8 * self.random.uniform(0.7, 1.6))
            end = min(self._later(answered, days * 24), self.now - timedelta(days=1))
        for engagement, member in work:
            self.work(
                engagement, member, request, answered, end, effort, in_progress=state == MATCHED
            )
        if state in (MATCHED, DELIVERED):
            self._update(request, last_activity_at=end)
        if state == MATCHED:
            return
        for engagement, member in work:
            self.deliver(engagement, member, end)
        if state == DELIVERED:
            return
        closed = self._later(end, self.random.uniform(20, 120))
        for engagement, _member in work:
            self.close(engagement, request, closed)

    # The steps: one service each, then its time in the story ---------------------

    def _later(self, moment: datetime, hours: float) -> datetime:
        return min(moment + timedelta(hours=hours), self.horizon)

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """The notifications sent in the block were sent at `moment`."""
        started = timezone.now()
        yield
        # Only these carry the present: earlier steps' already carry their own time.
        Notification.objects.filter(created_at__gte=started).update(created_at=moment)

    def _update(self, request: HelpRequest, **fields: Any) -> None:
        HelpRequest.objects.filter(pk=request.pk).update(**fields)

    def submit(self, plan: Plan) -> HelpRequest:
        template = plan.template
        low, high = DEADLINE_DAYS[Urgency(template.urgency)]
        days = timedelta(days=self.random.randint(low, high))
        if plan.tlp == TLP.RED:
            # TLP:RED goes only to people who sign in with a second factor.
            TOTP.activate(plan.author, generate_totp_secret())
        with self.at(plan.at):
            request = services.helprequest_submit(
                author=plan.author,
                organisation=plan.organisation,
                data=services.RequestData(
                    title=plan.title or template.title,
                    description=template.description,
                    category=template.category,
                    skill_ids=[self.skills[name].pk for name in template.skills],
                    urgency=template.urgency,
                    effort_hours=template.effort_hours,
                    experts_needed=template.experts_needed,
                    deadline=self.today + days,
                    region=plan.region,
                    language=plan.language,
                    tlp=plan.tlp,
                ),
            )
        # A request still open keeps a deadline ahead of it.
        deadline = plan.at.date() + days
        if plan.state not in (CLOSED, MERGED, REJECTED, STALE):
            deadline = max(deadline, self.today + timedelta(days=3))
        self._update(request, created_at=plan.at, last_activity_at=plan.at, deadline=deadline)
        request.created_at = plan.at
        self.authors[request.pk] = plan.author
        if plan.key and plan.state != MERGED:
            self.requests[plan.key] = request
        return request

    def _message_at(self, request: HelpRequest, moment: datetime) -> None:
        last = RequestMessage.objects.filter(request=request).latest("pk")
        RequestMessage.objects.filter(pk=last.pk).update(created_at=moment)

    def ask(self, request: HelpRequest, coordinator: User, moment: datetime, question: str) -> None:
        with self.at(moment):
            services.helprequest_ask(request=request, actor=coordinator, question=question)
        self._message_at(request, moment)
        self._update(request, contacted_at=moment, last_activity_at=moment)

    def answer(self, request: HelpRequest, moment: datetime) -> None:
        with self.at(moment):
            services.helprequest_answer(
                request=request, actor=self.authors[request.pk], answer=catalogue.ANSWER
            )
        self._message_at(request, moment)
        self._update(request, last_activity_at=moment)

    def merge(
        self, request: HelpRequest, into: HelpRequest, coordinator: User, moment: datetime
    ) -> None:
        with self.at(moment):
            services.helprequest_merge(
                request=request, into=into, actor=coordinator, note=catalogue.MERGE_NOTE
            )
        self._message_at(into, moment)
        self._update(request, closed_at=moment, last_activity_at=moment)

    def reject(self, request: HelpRequest, coordinator: User, moment: datetime) -> None:
        with self.at(moment):
            services.helprequest_reject(
                request=request, actor=coordinator, reason=catalogue.REJECT_REASON
            )
        self._update(request, closed_at=moment, last_activity_at=moment)

    def accept(self, request: HelpRequest, coordinator: User, moment: datetime) -> None:
        with self.at(moment):
            services.helprequest_accept(request=request, actor=coordinator)
        self._update(request, triaged_at=moment, last_activity_at=moment)

    def close_unmatched(self, request: HelpRequest, coordinator: User, moment: datetime) -> None:
        with self.at(moment):
            services.helprequest_close(
                request=request,
                actor=coordinator,
                reason=CloseReason.NO_MEMBER,
                note=catalogue.NO_MEMBER_NOTE,
            )
        Proposal.objects.filter(request=request, status=ProposalStatus.WITHDRAWN).update(
            responded_at=moment
        )
        self._update(request, closed_at=moment, last_activity_at=moment)

    def propose(
        self, request: HelpRequest, coordinator: User, moment: datetime, *, pick: str = ""
    ) -> list[Proposal]:
        """The top of the ranking; or, for a persona's story, the persona's place in it."""
        if pick:
            ranked = [item.candidate.key for item in matching.rank(request, limit=10_000)]
            if pick not in ranked:
                raise CommandError(
                    f"The demo persona ({pick}) is not a candidate for “{request.title}”: "
                    "check its offer in the seed."
                )
            keys = [pick]
        else:
            limit = request.experts_needed
            keys = [item.candidate.key for item in matching.rank(request, limit=limit)]
        if not keys:
            return []
        with self.at(moment):
            proposals = matching.match_propose(
                request=request, candidate_keys=keys, actor=coordinator
            )
        for proposal in proposals:
            heapq.heappush(self.deferred, (moment, proposal.pk))
        self._update(request, last_activity_at=moment)
        return proposals

    def _flush(self, before: datetime) -> None:
        """Move the proposals made before `before` to their time in the story."""
        days = settings.TTC_PROPOSAL_WORKING_DAYS
        while self.deferred and self.deferred[0][0] < before:
            moment, pk = heapq.heappop(self.deferred)
            Proposal.objects.filter(pk=pk).update(
                proposed_at=moment,
                respond_by=workdays.add_working_days(timezone.localtime(moment), days),
            )

    def _responder(self, proposal: Proposal) -> User:
        return proposal.expert or self.admin_of[proposal.organisation_id]

    def decline(self, proposal: Proposal, moment: datetime) -> list[Proposal]:
        """The member declines; the service asks the next in the ranking, if any."""
        asked = set(proposal.request.proposals.values_list("pk", flat=True))
        with self.at(moment):
            engagements.proposal_decline(
                proposal=proposal,
                actor=self._responder(proposal),
                reason=self.random.choice(catalogue.DECLINE_REASONS),
            )
        Proposal.objects.filter(pk=proposal.pk).update(responded_at=moment)
        following = list(proposal.request.proposals.exclude(pk__in=asked))
        for new in following:
            heapq.heappush(self.deferred, (moment, new.pk))
        return following

    def take(self, proposal: Proposal, moment: datetime) -> tuple[Engagement, User]:
        member = self._responder(proposal)
        with self.at(moment):
            engagement = engagements.proposal_accept(proposal=proposal, actor=member)
        Proposal.objects.filter(pk=proposal.pk).update(responded_at=moment)
        Engagement.objects.filter(pk=engagement.pk).update(started_at=moment)
        self._update(proposal.request, last_activity_at=moment)
        HelpRequest.objects.filter(pk=proposal.request_id, first_match_at__gt=moment).update(
            first_match_at=moment
        )
        return engagement, member

    def message(self, engagement: Engagement, author: User, body: str, moment: datetime) -> None:
        with self.at(moment):
            message = engagements.engagement_message(
                engagement=engagement, author=author, body=body
            )
        EngagementMessage.objects.filter(pk=message.pk).update(created_at=moment)

    def work(
        self,
        engagement: Engagement,
        member: User,
        request: HelpRequest,
        start: datetime,
        end: datetime,
        effort: int,
        *,
        in_progress: bool,
    ) -> None:
        """A conversation and the hours: spread between `start` and `end`."""
        requester = self.authors[request.pk]
        span = max(end - start, timedelta(hours=2))
        opening, reply = self.random.choice(catalogue.OPENINGS)
        self.message(engagement, requester, opening, start + span * 0.05)
        self.message(engagement, member, reply, start + span * 0.15)
        if in_progress and span > timedelta(days=3):
            # The work in progress, which the demo log-ins open, says how it goes.
            self.message(
                engagement, member, self.random.choice(catalogue.UPDATES), start + span * 0.6
            )
            self.message(
                engagement, requester, self.random.choice(catalogue.REPLIES), start + span * 0.7
            )
        days = max(1, (end.date() - start.date()).days + 1)
        entries = min(days, 1 + span.days // 5, 3)
        share = effort / entries
        for offset in sorted(self.random.sample(range(days), entries)):
            worked = min(start + timedelta(days=offset), end)
            half_hours = round(share * self.random.uniform(0.5, 1.2) * 2)
            entry = engagements.hours_log(
                engagement=engagement,
                person=member,
                # A day that has passed: logged today, moved to its day below.
                worked_on=self.today,
                hours=min(Decimal(8), max(Decimal(1), Decimal(half_hours) / 2)),
                note=self.random.choice(catalogue.HOURS_NOTES),
            )
            HoursLog.objects.filter(pk=entry.pk).update(
                worked_on=timezone.localdate(worked), created_at=worked
            )

    def deliver(self, engagement: Engagement, member: User, moment: datetime) -> None:
        with self.at(moment):
            engagements.engagement_deliver(engagement=engagement, actor=member)
        Engagement.objects.filter(pk=engagement.pk).update(delivered_at=moment)

    def close(self, engagement: Engagement, request: HelpRequest, moment: datetime) -> None:
        rating = self.random.choice([3, 4, 4, 5, 5, 5])
        with self.at(moment):
            feedback = engagements.engagement_close(
                engagement=engagement,
                actor=self.authors[request.pk],
                helped=rating >= 4 or self.random.random() < 0.5,
                rating=rating,
                comment=self.random.choice(catalogue.FEEDBACK[rating]),
            )
        Engagement.objects.filter(pk=engagement.pk).update(closed_at=moment)
        Feedback.objects.filter(pk=feedback.pk).update(given_at=moment)
        HelpRequest.objects.filter(pk=request.pk, status=RequestStatus.CLOSED).update(
            closed_at=moment, last_activity_at=moment
        )

    def stale_check(self, request: HelpRequest) -> None:
        """The platform's daily check: it asks whether the unanswered request is
        still needed, and closes it when that too stays unanswered."""
        request.refresh_from_db()
        period = timedelta(days=settings.TTC_STALE_REQUEST_DAYS)
        asked = request.last_activity_at + period + timedelta(hours=7)
        with self.at(asked):
            report = services.stale_requests_check()
        self._message_at(request, asked)
        self._update(request, stale_asked_at=asked)
        closed = asked + period + timedelta(hours=1)
        with self.at(closed):
            second = services.stale_requests_check()
        if (report.asked, report.closed, second.asked, second.closed) != (1, 0, 0, 1):
            raise CommandError(f"The stale check found other requests: {report}, {second}")
        self._update(request, closed_at=closed, last_activity_at=closed)

    def declare_conflicts(self) -> None:
        for company, party in self.conflicts:
            conflict = engagements.conflict_declare(
                actor=self.admin_of[company.pk],
                member=company,
                public_party=party,
                description=self.random.choice(catalogue.CONFLICTS),
            )
            declared = (company.vetted_at or self.now) + timedelta(days=self.random.randint(1, 30))
            ConflictOfInterest.objects.filter(pk=conflict.pk).update(
                declared_at=min(declared, self.horizon)
            )


STATUS_WORDS = {
    RequestStatus.SUBMITTED: "waiting for triage",
    RequestStatus.NEEDS_INFO: "with a question to the requester",
    RequestStatus.OPEN: "looking for members",
    RequestStatus.MATCHED: "with members at work",
    RequestStatus.CLOSED: "closed",
    RequestStatus.REJECTED: "rejected",
    RequestStatus.MERGED: "merged",
}


def summary() -> list[str]:
    """The help requests in the demo, in a few lines."""
    statuses = Counter(
        dict(HelpRequest.objects.order_by().values_list("status").annotate(n=Count("pk")))
    )
    proposals = Counter(
        dict(Proposal.objects.order_by().values_list("status").annotate(n=Count("pk")))
    )
    work = Counter(
        dict(Engagement.objects.order_by().values_list("status").annotate(n=Count("pk")))
    )
    hours = HoursLog.objects.aggregate(total=Sum("hours"))["total"] or Decimal(0)
    feedback = Feedback.objects.aggregate(n=Count("pk"), average=Avg("rating"))
    parts = ", ".join(
        f"{statuses[status]} {words}" for status, words in STATUS_WORDS.items() if statuses[status]
    )
    return [
        f"Help requests: {statuses.total()} ({parts}).",
        f"Proposals: {proposals.total()} ({proposals[ProposalStatus.PROPOSED]} waiting for an "
        f"answer, {proposals[ProposalStatus.DECLINED]} declined); engagements: {work.total()} "
        f"({work[EngagementStatus.IN_PROGRESS]} in progress, "
        f"{work[EngagementStatus.DELIVERED]} delivered, {work[EngagementStatus.CLOSED]} closed).",
        f"Hours donated: {hours:g}; feedback: {feedback['n']} "
        f"(average {feedback['average'] or 0:.1f} of 5); "
        f"conflicts of interest declared: {ConflictOfInterest.objects.count()}.",
    ]
