"""After a proposal: the member answers, works, logs hours; the requester closes
with feedback. Also the conflicts of interest members declare."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ttc.core import access, audit
from ttc.core.notify import notify
from ttc.core.tlp import TLP
from ttc.helprequests.matching import conflicted_companies, propose_next, responders
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
    RequestStatus,
)
from ttc.helprequests.services import (
    _tell_coordinators,
    _text,
    helprequest_close,
    is_requester,
    requester_people,
    tell_requester,
)
from ttc.lib.workdays import add_working_days
from ttc.members.experts import expert_is_eligible
from ttc.members.models import MEMBER_KINDS, Membership, Organisation

if TYPE_CHECKING:
    from ttc.accounts.models import User

MAX_MESSAGE = 10_000


def may_respond(user: User, proposal: Proposal) -> bool:
    return Proposal.objects.for_responder(user).filter(pk=proposal.pk).exists()


def _locked_pending(proposal: Proposal, actor: User) -> Proposal:
    if not may_respond(actor, proposal):
        raise PermissionDenied(_("Only the proposed member answers this proposal."))
    proposal = Proposal.objects.select_for_update().select_related("request").get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError(
            _("This proposal was already answered or has expired (%(status)s).")
            % {"status": proposal.get_status_display()}
        )
    return proposal


@transaction.atomic
def proposal_accept(*, proposal: Proposal, actor: User) -> Engagement:
    """The member takes the request on: the request opens to them under its label,
    and an engagement starts."""
    proposal = _locked_pending(proposal, actor)
    request = HelpRequest.objects.select_for_update().get(pk=proposal.request_id)
    if request.status not in (RequestStatus.OPEN, RequestStatus.MATCHED):
        raise ValidationError(_("This request is no longer looking for members."))
    if not proposal.organisation.is_compliant or (
        proposal.expert is not None and not expert_is_eligible(proposal.expert)
    ):
        raise ValidationError(_("Your membership must be in order before you take on requests."))
    if proposal.organisation_id in conflicted_companies(request):
        raise ValidationError(
            _("You declared a relationship with this organisation, so you cannot take this on.")
        )
    people = [person for person in (actor, proposal.expert) if person is not None]
    if request.tlp == TLP.RED:
        access.check_named_people(people)
    now = timezone.now()
    proposal.status = ProposalStatus.ACCEPTED
    proposal.responded_by = actor
    proposal.responded_at = now
    proposal.save(update_fields=["status", "responded_by", "responded_at"])
    engagement = Engagement.objects.create(
        proposal=proposal,
        request=request,
        organisation=proposal.organisation,
        expert=proposal.expert,
        started_at=now,
    )
    request.recipient_orgs.add(proposal.organisation)
    request.recipient_people.add(*people)
    if request.status == RequestStatus.OPEN:
        request.status = RequestStatus.MATCHED
    request.first_match_at = request.first_match_at or now
    request.last_activity_at = now
    request.stale_asked_at = None
    request.save(update_fields=["status", "first_match_at", "last_activity_at", "stale_asked_at"])
    audit.record(
        actor=actor,
        action="proposal.accept",
        obj=request,
        summary=f"{proposal.candidate_name} accepted #{request.pk}",
        data={"proposal": proposal.pk, "engagement": engagement.pk},
    )
    tell_requester(
        request,
        title=_("%(name)s will help with “%(title)s”")
        % {"name": proposal.candidate_name, "title": request.title},
        body=_("A member accepted your request. You can now talk to them on the platform:"),
    )
    _tell_coordinators(
        request,
        title=_("%(name)s accepted “%(title)s”")
        % {"name": proposal.candidate_name, "title": request.title},
        body=_("See the request:"),
    )
    return engagement


@transaction.atomic
def proposal_decline(*, proposal: Proposal, actor: User, reason: str) -> Proposal:
    """The member cannot help: their reason is kept and the next candidate is asked."""
    if not may_respond(actor, proposal):
        raise PermissionDenied(_("Only the proposed member answers this proposal."))
    reason = _text(
        reason,
        field="reason",
        required=_("Say briefly why, so the coordinators can learn from it."),
        limit=2_000,
    )
    proposal = _locked_pending(proposal, actor)
    proposal.status = ProposalStatus.DECLINED
    proposal.responded_by = actor
    proposal.responded_at = timezone.now()
    proposal.decline_reason = reason
    proposal.save(update_fields=["status", "responded_by", "responded_at", "decline_reason"])
    audit.record(
        actor=actor,
        action="proposal.decline",
        obj=proposal.request,
        summary=f"{proposal.candidate_name} declined #{proposal.request_id}",
        data={"proposal": proposal.pk, "reason": reason},
    )
    propose_next(proposal.request, after=proposal)
    return proposal


@dataclass(frozen=True)
class ProposalReport:
    reminded: int
    expired: int
    withdrawn: int = 0


def _no_longer_eligible() -> QuerySet[Proposal]:
    """Waiting proposals to a member that was suspended, ended or fell out of
    compliance since, or to an expert who left it."""
    compliant = Organisation.objects.members().compliant().values("pk")
    still_there = Membership.objects.filter(
        organisation_id=OuterRef("organisation_id"), user_id=OuterRef("expert_id")
    )
    return Proposal.objects.pending().filter(
        ~Q(organisation__in=compliant) | (Q(expert__isnull=False) & ~Exists(still_there))
    )


def _close_pending(
    proposal: Proposal, *, status: str, action: str, summary: str, now: datetime
) -> bool:
    """Close one waiting proposal and ask the next candidate; False when it was
    answered meanwhile."""
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != ProposalStatus.PROPOSED:
            return False
        locked.status = status
        locked.responded_at = now
        locked.save(update_fields=["status", "responded_at"])
        audit.record(
            actor=None,
            action=action,
            obj=locked.request,
            summary=summary % {"name": locked.candidate_name, "number": locked.request_id},
            data={"proposal": locked.pk},
        )
        propose_next(locked.request, after=locked)
    return True


def proposals_follow_up(*, now: datetime | None = None) -> ProposalReport:
    """Withdraw proposals to members who may no longer help, remind members one
    working day before their answer is due, and expire the unanswered; each
    time the next candidate is asked. Safe to run often."""
    now = now or timezone.now()
    withdrawn = sum(
        _close_pending(
            proposal,
            status=ProposalStatus.WITHDRAWN,
            action="proposal.withdraw",
            summary="Proposal to %(name)s for #%(number)s withdrawn: no longer eligible",
            now=now,
        )
        for proposal in _no_longer_eligible()
    )
    reminded = 0
    for proposal in Proposal.objects.pending().filter(reminded_at__isnull=True, respond_by__gt=now):
        if add_working_days(timezone.localtime(now), 1) < proposal.respond_by:
            continue
        updated = Proposal.objects.filter(pk=proposal.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if updated:
            from ttc.core.notify import notify_people

            notify_people(
                recipients=responders(proposal),
                title=_("Reminder: please answer whether you can help"),
                url=proposal.get_absolute_url(),
                email_subject=lambda: _("Reminder: a public party waits for your answer"),
                email_body=lambda: _("Please accept or decline by tomorrow:"),
            )
            reminded += 1
    expired = sum(
        _close_pending(
            proposal,
            status=ProposalStatus.EXPIRED,
            action="proposal.expire",
            summary="Proposal to %(name)s for #%(number)s expired",
            now=now,
        )
        for proposal in Proposal.objects.pending().filter(respond_by__lte=now)
    )
    return ProposalReport(reminded=reminded, expired=expired, withdrawn=withdrawn)


# Engagement work -------------------------------------------------------------


def is_engaged_member(user: User, engagement: Engagement) -> bool:
    if not user.is_authenticated:
        return False
    if engagement.expert_id:
        return engagement.expert_id == user.pk or engagement.organisation_id in (
            user.admin_organisation_ids & user.approved_organisation_ids
        )
    return engagement.organisation_id in user.approved_organisation_ids


def may_view_engagement(user: User, engagement: Engagement) -> bool:
    return Engagement.objects.for_user(user).filter(pk=engagement.pk).exists()


def _take_part(user: User, engagement: Engagement) -> None:
    """Only the two sides of an engagement write in it; coordinators read along."""
    if not (is_engaged_member(user, engagement) or is_requester(user, engagement.request)):
        raise PermissionDenied(_("Only the requester and the engaged member take part here."))
    if not may_view_engagement(user, engagement):
        raise PermissionDenied(_("Only the requester and the engaged member take part here."))


def _member_people(engagement: Engagement) -> list[User]:
    audience = access.audience(engagement.request)
    if engagement.expert_id:
        return list(audience.filter(pk=engagement.expert_id))
    return list(audience.filter(memberships__organisation_id=engagement.organisation_id).distinct())


def _tell_other_side(engagement: Engagement, author: User, *, title: str, body: str) -> None:
    if is_engaged_member(author, engagement):
        people = list(requester_people(engagement.request))
    else:
        people = _member_people(engagement)
    notify(
        recipients=[person for person in people if person.pk != author.pk],
        title=title,
        url=engagement.get_absolute_url(),
        tlp=engagement.request.tlp,
        email_subject=lambda: title,
        email_body=lambda: body,
        target=engagement.request,
    )


@transaction.atomic
def engagement_message(*, engagement: Engagement, author: User, body: str) -> EngagementMessage:
    _take_part(author, engagement)
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > MAX_MESSAGE:
        raise ValidationError(
            {
                "body": _("Keep a message under %(max)s characters.")
                % {"max": number_format(MAX_MESSAGE, force_grouping=True)}
            }
        )
    if engagement.status == EngagementStatus.CLOSED:
        raise ValidationError(_("This engagement is closed."))
    message = EngagementMessage.objects.create(engagement=engagement, author=author, body=body)
    HelpRequest.objects.filter(pk=engagement.request_id).update(last_activity_at=timezone.now())
    audit.record(
        actor=author,
        action="engagement.message",
        obj=engagement,
        summary=f"Message on engagement {engagement.pk}",
    )
    _tell_other_side(
        engagement,
        author,
        title=_("New message about “%(title)s”") % {"title": engagement.request.title},
        body=_("Read it on the platform:"),
    )
    return message


def parse_hours(raw: object) -> Decimal:
    try:
        hours = Decimal(str(raw).replace(",", "."))
    except InvalidOperation:
        raise ValidationError({"hours": _("Enter the hours as a number, such as 2.5.")}) from None
    if not hours.is_finite() or not Decimal("0.25") <= hours <= 24:
        raise ValidationError({"hours": _("Enter between 0.25 and 24 hours for one day.")})
    if hours != hours.quantize(Decimal("0.01")):
        raise ValidationError({"hours": _("Use at most two decimals.")})
    return hours


@transaction.atomic
def hours_log(
    *, engagement: Engagement, person: User, worked_on: date, hours: object, note: str = ""
) -> HoursLog:
    """The engaged member records donated hours."""
    if not (is_engaged_member(person, engagement) and may_view_engagement(person, engagement)):
        raise PermissionDenied(_("Only the engaged member logs hours."))
    amount = parse_hours(hours)
    today = timezone.localdate()
    if worked_on > today:
        raise ValidationError({"worked_on": _("You cannot log hours for a day in the future.")})
    if worked_on < timezone.localdate(engagement.started_at) - timedelta(days=1):
        raise ValidationError({"worked_on": _("That day is before the engagement started.")})
    if engagement.status == EngagementStatus.CLOSED:
        raise ValidationError(_("This engagement is closed."))
    if len(note) > 300:
        raise ValidationError({"note": _("Keep the note under 300 characters.")})
    entry = HoursLog.objects.create(
        engagement=engagement, person=person, worked_on=worked_on, hours=amount, note=note.strip()
    )
    HelpRequest.objects.filter(pk=engagement.request_id).update(last_activity_at=timezone.now())
    audit.record(
        actor=person,
        action="engagement.hours",
        obj=engagement,
        summary=f"{amount} h on {worked_on} for engagement {engagement.pk}",
    )
    return entry


def _locked_engagement(engagement: Engagement) -> Engagement:
    return Engagement.objects.select_for_update().select_related("request").get(pk=engagement.pk)


@transaction.atomic
def engagement_deliver(*, engagement: Engagement, actor: User) -> Engagement:
    """The member says the work is done; the requester then closes with feedback."""
    if not (is_engaged_member(actor, engagement) and may_view_engagement(actor, engagement)):
        raise PermissionDenied(_("Only the engaged member marks the work delivered."))
    engagement = _locked_engagement(engagement)
    if not engagement.may_move_to(EngagementStatus.DELIVERED):
        raise ValidationError(_("This engagement cannot be marked delivered now."))
    engagement.status = EngagementStatus.DELIVERED
    engagement.delivered_at = timezone.now()
    engagement.save(update_fields=["status", "delivered_at"])
    audit.record(
        actor=actor,
        action="engagement.deliver",
        obj=engagement,
        summary=f"Delivered {engagement.pk}",
    )
    _tell_other_side(
        engagement,
        actor,
        title=_("The work on “%(title)s” is delivered") % {"title": engagement.request.title},
        body=_("Check it, and close the engagement with your feedback:"),
    )
    return engagement


@transaction.atomic
def engagement_reopen(*, engagement: Engagement, actor: User) -> Engagement:
    """The requester finds the delivered work not yet done."""
    if not is_requester(actor, engagement.request):
        raise PermissionDenied(_("Only the requester reopens the work."))
    engagement = _locked_engagement(engagement)
    if engagement.status != EngagementStatus.DELIVERED:
        raise ValidationError(_("Only delivered work can be reopened."))
    engagement.status = EngagementStatus.IN_PROGRESS
    engagement.delivered_at = None
    engagement.save(update_fields=["status", "delivered_at"])
    audit.record(
        actor=actor, action="engagement.reopen", obj=engagement, summary=f"Reopened {engagement.pk}"
    )
    _tell_other_side(
        engagement,
        actor,
        title=_("The requester reopened “%(title)s”") % {"title": engagement.request.title},
        body=_("Read their message on the platform:"),
    )
    return engagement


@transaction.atomic
def engagement_close(
    *, engagement: Engagement, actor: User, helped: bool, rating: int, comment: str = ""
) -> Feedback:
    """The requester closes the engagement and says how it went. When it was the
    last one at work, the request closes as delivered."""
    if not is_requester(actor, engagement.request):
        raise PermissionDenied(_("Only the requester closes the engagement with feedback."))
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    if len(comment) > 5_000:
        raise ValidationError(
            {
                "comment": _("Keep the comment under %(max)s characters.")
                % {"max": number_format(5_000, force_grouping=True)}
            }
        )
    engagement = _locked_engagement(engagement)
    if not engagement.may_move_to(EngagementStatus.CLOSED):
        raise ValidationError(_("This engagement is already closed."))
    now = timezone.now()
    engagement.status = EngagementStatus.CLOSED
    engagement.closed_at = now
    engagement.save(update_fields=["status", "closed_at"])
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                engagement=engagement,
                helped=helped,
                rating=rating,
                comment=comment.strip(),
                given_by=actor,
                given_at=now,
            )
    except IntegrityError:
        raise ValidationError(_("Feedback was already given.")) from None
    audit.record(
        actor=actor,
        action="engagement.close",
        obj=engagement,
        summary=f"Closed engagement {engagement.pk}: {rating}/5",
        data={"helped": helped, "rating": rating},
    )
    _tell_other_side(
        engagement,
        actor,
        title=_("“%(title)s” is closed: thank you") % {"title": engagement.request.title},
        body=_("The requester closed the engagement and left feedback:"),
    )
    request = HelpRequest.objects.select_for_update().get(pk=engagement.request_id)
    if (
        request.status == RequestStatus.MATCHED
        and not request.engagements.current().exists()
        and not request.proposals.pending().exists()
    ):
        helprequest_close(request=request, actor=None, reason=CloseReason.DELIVERED)
    return feedback


# Conflicts of interest --------------------------------------------------------


def _require_member_admin(actor: User, member: Organisation) -> None:
    if member.kind not in MEMBER_KINDS or member.pk not in actor.admin_organisation_ids:
        raise PermissionDenied(_("Only an admin of the member declares its relationships."))


@transaction.atomic
def conflict_declare(
    *, actor: User, member: Organisation, public_party: Organisation, description: str
) -> ConflictOfInterest:
    """A member declares an existing commercial relationship: matching then never
    proposes it for that party's requests."""
    _require_member_admin(actor, member)
    if public_party.kind in MEMBER_KINDS:
        raise ValidationError({"public_party": _("Choose a public party.")})
    description = _text(
        description,
        field="description",
        required=_("Describe the relationship in a few words."),
        limit=300,
    )
    conflict, created = ConflictOfInterest.objects.get_or_create(
        member=member,
        public_party=public_party,
        defaults={"description": description, "declared_by": actor},
    )
    if created:
        audit.record(
            actor=actor,
            action="conflict.declare",
            obj=member,
            summary=f"{member.name} declared a relationship with {public_party.name}",
            data={"public_party": public_party.pk},
        )
    return conflict


@transaction.atomic
def conflict_remove(*, actor: User, conflict: ConflictOfInterest) -> None:
    _require_member_admin(actor, conflict.member)
    audit.record(
        actor=actor,
        action="conflict.remove",
        obj=conflict.member,
        summary=f"{conflict.member.name} ended its relationship with {conflict.public_party.name}",
        data={"public_party": conflict.public_party_id},
    )
    conflict.delete()
