"""Traffic Light Protocol 2.0 labels, as FIRST defines them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


# From the widest audience to the narrowest.
_ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]

EXPLANATION = {
    TLP.CLEAR: _("Everyone, including the public."),
    TLP.GREEN: _("Every vetted member and verified public party; never public."),
    TLP.AMBER: _("Only the named organisations and their declared clients."),
    TLP.AMBER_STRICT: _("Only the people of the named organisations."),
    TLP.RED: _("Only the named people."),
}

#: Labels whose content never leaves the platform in an e-mail, and whose
#: every view is written to the audit log.
CONFIDENTIAL = frozenset({TLP.RED, TLP.AMBER_STRICT, TLP.AMBER})


def most_restrictive(*labels: str) -> TLP:
    """The label of an aggregate: the narrowest of its parts (CLEAR when empty)."""
    if not labels:
        return TLP.CLEAR
    return max((TLP(label) for label in labels), key=_ORDER.index)


def is_wider(label: str, than: str) -> bool:
    """Whether `label` reaches more people than `than` (a wider share needs consent)."""
    return _ORDER.index(TLP(label)) < _ORDER.index(TLP(than))


def validate_recipients(label: str, *, people: int, organisations: int) -> None:
    """A label needs the right kind of named recipients, and only those."""
    from django.core.exceptions import ValidationError

    label = TLP(label)
    if label == TLP.RED and not people:
        raise ValidationError(_("TLP:RED needs at least one named person."), code="no_people")
    if label in (TLP.AMBER, TLP.AMBER_STRICT) and not organisations:
        raise ValidationError(
            _("%(label)s needs at least one named organisation.") % {"label": label.label},
            code="no_organisations",
        )
    if label != TLP.RED and people:
        raise ValidationError(
            _("Only TLP:RED is sent to named people; choose organisations or another label."),
            code="people_not_allowed",
        )
    if label in (TLP.CLEAR, TLP.GREEN, TLP.RED) and organisations:
        raise ValidationError(
            _("%(label)s is not sent to named organisations.") % {"label": label.label},
            code="organisations_not_allowed",
        )
