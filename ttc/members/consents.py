"""The texts people agree to besides the Code of Conduct, with their versions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ttc.members.models import Consent

CHATHAM_HOUSE_VERSION = 1
PLEDGE_VERSION = 1

CHATHAM_HOUSE_TEXT = _(
    "In deep-dive sessions I may use what I hear, but I never say who said it or who "
    "was there (the Chatham House Rule)."
)
PLEDGE_TEXT = _(
    "I put the collective above my company's interest, and I never use a match, or what "
    "I learn from it, for sales."
)

FIXED_VERSIONS = {
    Consent.Kind.CHATHAM_HOUSE: CHATHAM_HOUSE_VERSION,
    Consent.Kind.PLEDGE: PLEDGE_VERSION,
}
