"""The one access policy: who may see labelled content.

Every list, detail, search, feed, export, notification and API response asks
this module. Rules follow TLP 2.0 (see `ttc.core.tlp`):

* TLP:CLEAR: everyone, including anonymous visitors;
* TLP:GREEN: vetted members and verified public parties;
* TLP:AMBER: the named organisations' people and their declared clients' people;
* TLP:AMBER+STRICT: the named organisations' people only;
* TLP:RED: only the named people.

Where people take part for their organisation (`ACCESS_THROUGH_ORGANISATIONS`
on the model, as for help requests), the author and the named people see it
only while they belong to one of its named organisations and it is approved.

The author always sees their own content. Coordinators oversee everything they
coordinate; every view of confidential content is written to the audit log,
marked when it went beyond the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from ttc.core import audit
from ttc.core.tlp import CONFIDENTIAL, TLP, most_restrictive

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User
    from ttc.core.models import Labelled

    AnyUser = User | AnonymousUser


def _amber_org_ids(user: User) -> set[int]:
    """Recipient organisations whose TLP:AMBER reaches this user: their own, and
    approved organisations that declared one of the user's organisations as a client."""
    from ttc.members.models import MemberStatus, Organisation

    own = set(user.approved_organisation_ids)
    if not own:
        return own
    providers = Organisation.clients.through.objects.filter(
        to_organisation_id__in=own, from_organisation__status=MemberStatus.APPROVED
    ).values_list("from_organisation_id", flat=True)
    return own | set(providers)


def _labelled_ids(model: type[models.Model], field_name: str, targets: object) -> models.QuerySet:
    """Ids of `model` rows naming any of `targets` in the m2m `field_name`,
    read straight from the link table (no join back to the model's table)."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.ManyToManyField) or field.remote_field.through is None:
        raise TypeError(f"{model.__name__}.{field_name} is not a many-to-many field")
    through = field.remote_field.through
    return through._default_manager.filter(
        **{f"{field.m2m_reverse_field_name()}__in": targets}
    ).values(f"{field.m2m_field_name()}_id")


def rule_filter(model: type[models.Model], user: AnyUser) -> Q:
    """The TLP rule as a query condition, without any coordinator oversight."""
    if not user.is_authenticated:
        return Q(tlp=TLP.CLEAR)
    # Where people take part for their organisation, authorship and being named
    # count only while they belong to one of the named, approved organisations.
    through_organisations = getattr(model, "ACCESS_THROUGH_ORGANISATIONS", False)
    member_of_named = Q(
        pk__in=_labelled_ids(model, "recipient_orgs", user.approved_organisation_ids)
    )
    own = Q(created_by=user)
    if through_organisations:
        own &= member_of_named
    condition = Q(tlp=TLP.CLEAR) | own
    if user.is_vetted:
        condition |= Q(tlp=TLP.GREEN)
    # Only approved organisations receive: a suspended, ended or pending one
    # keeps nothing of what was shared with it.
    if user.approved_organisation_ids:
        condition |= Q(
            tlp=TLP.AMBER_STRICT,
            pk__in=_labelled_ids(model, "recipient_orgs", user.approved_organisation_ids),
        )
        condition |= Q(
            tlp=TLP.AMBER, pk__in=_labelled_ids(model, "recipient_orgs", _amber_org_ids(user))
        )
    red = Q(tlp=TLP.RED, pk__in=_labelled_ids(model, "recipient_people", [user.pk]))
    if through_organisations:
        red &= member_of_named
    condition |= red
    # Content worked by a team (an incident and its indicators) is shared with
    # the people who accepted a place on it, whatever its label.
    team_access = getattr(model, "team_access", None)
    if team_access is not None:
        condition |= team_access(user)
    return condition


def visible_to[QS: models.QuerySet[Labelled]](queryset: QS, user: AnyUser) -> QS:
    """Everything in `queryset` that `user` may see, as the same queryset class
    (so its own methods, such as `search`, stay available)."""
    if user.is_authenticated and user.is_coordinator:
        return queryset
    return queryset.filter(rule_filter(queryset.model, user))


def rule_allows(user: AnyUser, obj: Labelled) -> bool:
    model = type(obj)
    return model._default_manager.filter(rule_filter(model, user), pk=obj.pk).exists()


def can_view(user: AnyUser, obj: Labelled) -> bool:
    if user.is_authenticated and user.is_coordinator:
        return True
    return rule_allows(user, obj)


def audience(obj: Labelled) -> models.QuerySet[User]:
    """The active people the rule lets see `obj`: whom a notification may reach.
    Coordinator oversight does not widen it."""
    people = get_user_model().objects.filter(is_active=True, deleted_at__isnull=True)
    by_label = _audience_by_label(obj, people)
    team = getattr(obj, "team", None)
    if team is None:
        return by_label
    return people.filter(Q(pk__in=by_label.values("pk")) | Q(pk__in=team().values("pk")))


def _audience_by_label(obj: Labelled, people: models.QuerySet[User]) -> models.QuerySet[User]:
    from ttc.members.models import Membership, MemberStatus, Organisation

    label = TLP(obj.tlp)
    if label == TLP.CLEAR or label == TLP.GREEN:
        return people.filter(
            Q(is_coordinator=True) | Q(memberships__organisation__status=MemberStatus.APPROVED)
        ).distinct()
    if label == TLP.RED:
        named = people.filter(pk__in=obj.recipient_people.values("pk"))
        if getattr(obj, "ACCESS_THROUGH_ORGANISATIONS", False):
            named = named.filter(
                pk__in=Membership.objects.filter(
                    organisation__in=obj.recipient_orgs.filter(status=MemberStatus.APPROVED)
                ).values("user_id")
            )
        return named
    org_ids = set(
        obj.recipient_orgs.filter(status=MemberStatus.APPROVED).values_list("pk", flat=True)
    )
    if label == TLP.AMBER:
        org_ids |= set(
            Organisation.clients.through.objects.filter(
                from_organisation_id__in=org_ids, to_organisation__status=MemberStatus.APPROVED
            ).values_list("to_organisation_id", flat=True)
        )
    return people.filter(
        pk__in=Membership.objects.filter(organisation_id__in=org_ids).values("user_id")
    )


def check_named_people(people: Iterable[User]) -> None:
    """TLP:RED goes only to people who sign in with a second factor: a stolen
    password alone must never open it."""
    from allauth.mfa.utils import is_mfa_enabled

    without = sorted(person.email for person in people if not is_mfa_enabled(person))
    if without:
        raise ValidationError(
            _(
                "These people cannot receive TLP:RED until they set up two-factor "
                "authentication: %(list)s"
            ),
            params={"list": ", ".join(without)},
            code="no_second_factor",
        )


def may_email_body(label: str) -> bool:
    """Confidential content never travels by e-mail: a title and a link only."""
    return TLP(label) not in CONFIDENTIAL


def record_views(user: AnyUser, objects: Iterable[Labelled], *, surface: str) -> None:
    """Write an audit event for each view of confidential content, marking the
    coordinators' views beyond the rule; a fixed number of queries per call."""
    confidential = [obj for obj in objects if obj.tlp in CONFIDENTIAL]
    if not confidential:
        return
    within_rule = {obj.pk for obj in confidential}
    if user.is_authenticated and user.is_coordinator:
        model = type(confidential[0])
        within_rule = set(
            model._default_manager.filter(rule_filter(model, user), pk__in=within_rule).values_list(
                "pk", flat=True
            )
        )
    audit.record_all(
        [
            audit.Event(
                actor=user if user.is_authenticated else None,
                action="view" if obj.pk in within_rule else "view.beyond_rule",
                summary=f"{obj.get_tlp_display()} {obj} ({surface})",
                obj=obj,
                data={"surface": surface},
            )
            for obj in confidential
        ]
    )


__all__ = [
    "audience",
    "can_view",
    "may_email_body",
    "most_restrictive",
    "record_views",
    "rule_allows",
    "visible_to",
]
