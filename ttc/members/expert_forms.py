"""Forms for experts: the invitation, the expert profile with its skills, the
personal consent, and what a member offers (its fields shared with the application,
see `OfferForm`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttc.members.apply_forms import OfferForm
from ttc.members.apply_forms import taxonomy as taxonomy  # for the views and the API
from ttc.members.consents import CHATHAM_HOUSE_TEXT
from ttc.members.models import LANGUAGES, PROVINCES, CodeOfConduct, ExpertSkill, Skill

MAX_HOURS_PER_WEEK = 80


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the expert"),
        max_length=254,
        error_messages={
            "required": _("Type the e-mail address of the person you invite."),
            "invalid": _("Type a valid e-mail address, like name@example.nl."),
        },
    )


@dataclass
class SkillGroup:
    area: Skill
    fields: list[forms.BoundField]


class ExpertProfileForm(forms.Form):
    """Skills by area (a level per sub-skill, or none), hours, languages,
    region and the date of a certificate of conduct."""

    hours_per_week = forms.IntegerField(
        label=_("Hours available per week"),
        min_value=1,
        max_value=MAX_HOURS_PER_WEEK,
        error_messages={
            "required": _("Say how many hours a week you can give."),
            "invalid": _("Type a whole number of hours."),
            "min_value": _("Give at least 1 hour a week."),
            "max_value": _("At most %(limit_value)s hours a week."),
        },
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you work in"),
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one language."),
            "invalid_choice": _("Choose languages from the list."),
        },
    )
    region = forms.ChoiceField(
        label=_("Region (province)"),
        choices=[("", _("Choose a province")), *PROVINCES],
        error_messages={
            "required": _("Choose the province you work from."),
            "invalid_choice": _("Choose a province from the list."),
        },
    )
    vog_date = forms.DateField(
        label=_("Date of your certificate of conduct (VOG), if you have one"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Needed for work inside care institutions."),
        error_messages={"invalid": _("Type the date as year-month-day, like 2020-03-31.")},
    )

    LEVEL_CHOICES = [("", _("No")), *((str(v), label) for v, label in ExpertSkill.Level.choices)]

    def __init__(self, *args: Any, groups: list[tuple[Skill, list[Skill]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = groups
        self.skills: dict[str, Skill] = {}
        for _area, children in groups:
            for skill in children:
                name = f"skill_{skill.pk}"
                self.skills[name] = skill
                self.fields[name] = forms.TypedChoiceField(
                    label=skill.label,
                    choices=self.LEVEL_CHOICES,
                    coerce=int,
                    empty_value=None,
                    required=False,
                    error_messages={"invalid_choice": _("Choose a level from the list.")},
                )

    def skill_groups(self) -> Iterator[SkillGroup]:
        for area, children in self.groups:
            yield SkillGroup(area, [self[f"skill_{skill.pk}"] for skill in children])

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("hours_per_week", "languages", "region", "vog_date")]

    def clean_vog_date(self) -> Any:
        day = self.cleaned_data.get("vog_date")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("The date of the VOG cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.chosen_skills() and not any(name in self.errors for name in self.skills):
            raise forms.ValidationError(
                _("Choose a level for at least one skill."), code="no_skills"
            )
        return cleaned

    def chosen_skills(self) -> list[tuple[Skill, int]]:
        return [
            (skill, level)
            for name, skill in self.skills.items()
            if (level := self.cleaned_data.get(name)) is not None
        ]


class ExpertConsentForm(forms.Form):
    """Two separate, recorded agreements."""

    accept_code = forms.BooleanField(
        error_messages={"required": _("Tick the box to accept the Code of Conduct.")}
    )
    accept_chatham_house = forms.BooleanField(
        label=CHATHAM_HOUSE_TEXT,
        error_messages={"required": _("Tick the box to accept the Chatham House Rule.")},
    )

    def __init__(self, *args: Any, code: CodeOfConduct | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        version = code.version if code is not None else ""
        self.fields["accept_code"].label = _(
            "I accept the Code of Conduct (version %(version)s) personally."
        ) % {"version": version}


class MemberOfferForm(OfferForm):
    """What a member offers the coalition, changed after its approval."""

    def chosen_expertise(self) -> list[Skill]:
        return list(self.cleaned_data["expertise"])
