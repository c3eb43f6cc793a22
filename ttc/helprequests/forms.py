from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttc.core.tlp import TLP
from ttc.helprequests.models import (
    REQUEST_LANGUAGES,
    REQUEST_REGIONS,
    URGENCY_MEANING,
    Category,
    HelpRequest,
    Urgency,
)
from ttc.helprequests.services import (
    MAX_DESCRIPTION,
    MAX_EFFORT_HOURS,
    MAX_EXPERTS,
    MAX_SKILLS,
    MAX_TITLE,
    RequestData,
)
from ttc.members.apply_forms import SkillsField
from ttc.members.models import MEMBER_KINDS, MemberStatus, Organisation

#: A request names its requesting side; RED its people. The requester chooses
#: how widely it may be read before and after members are matched.
REQUEST_LABELS = [
    (
        TLP.AMBER_STRICT,
        _("TLP:AMBER+STRICT (recommended): only your organisation and the members who take it on"),
    ),
    (
        TLP.AMBER,
        _(
            "TLP:AMBER: as above, plus the clients that your organisation and the members "
            "who take it on have declared"
        ),
    ),
    (TLP.RED, _("TLP:RED: only you and the people who take it on")),
    (TLP.GREEN, _("TLP:GREEN: every vetted member may read it")),
    (TLP.CLEAR, _("TLP:CLEAR: public")),
]


def _urgency_choices() -> list[tuple[int, str]]:
    return [
        (value, f"{label}: {URGENCY_MEANING[Urgency(value)]}") for value, label in Urgency.choices
    ]


class HelpRequestForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation that needs help"),
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose an organisation you may ask help for.")},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=MAX_TITLE,
        help_text=_("In a few words, such as “Phishing wave at the emergency department”."),
        error_messages={"required": _("Give the request a title.")},
    )
    description = forms.CharField(
        label=_("What do you need help with?"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_DESCRIPTION,
        help_text=_("What is going on, what has been tried, what would help. Markdown is allowed."),
        error_messages={"required": _("Describe what you need help with.")},
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    skills = SkillsField(
        label=_("Skills needed"),
        error_messages={"required": _("Choose at least one skill.")},
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"),
        coerce=int,
        choices=_urgency_choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    effort_hours = forms.IntegerField(
        label=_("Estimated effort in hours"),
        min_value=1,
        max_value=MAX_EFFORT_HOURS,
        help_text=_("A rough guess is fine: one working day is 8 hours."),
        error_messages={
            "required": _("Estimate the effort in hours."),
            "min_value": _("The effort must be at least one hour."),
        },
    )
    experts_needed = forms.IntegerField(
        label=_("Number of experts needed"), min_value=1, max_value=MAX_EXPERTS, initial=1
    )
    deadline = forms.DateField(
        label=_("Deadline"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, such as 2026-12-31.")},
    )
    region = forms.ChoiceField(label=_("Region"), choices=REQUEST_REGIONS, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=REQUEST_LANGUAGES, required=False)
    tlp = forms.ChoiceField(
        label=_("Who may read it"),
        choices=REQUEST_LABELS,
        initial=TLP.AMBER_STRICT,
        widget=forms.RadioSelect,
        help_text=_(
            "Members who are asked to help see only the title, category, urgency and effort "
            "until they accept, unless the label lets them read more."
        ),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["skills"].load()  # type: ignore[attr-defined]

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise ValidationError(_("The deadline cannot be in the past."))
        return deadline

    def clean_skills(self) -> Any:
        skills = self.cleaned_data["skills"]
        if len(skills) > MAX_SKILLS:
            raise ValidationError(_("Choose at most %(max)s skills.") % {"max": MAX_SKILLS})
        return skills

    def request_data(self) -> RequestData:
        data = self.cleaned_data
        return RequestData(
            title=data["title"],
            description=data["description"],
            category=data["category"],
            skill_ids=[skill.pk for skill in data["skills"]],
            urgency=data["urgency"],
            effort_hours=data["effort_hours"],
            experts_needed=data["experts_needed"],
            deadline=data["deadline"],
            region=data["region"],
            language=data["language"],
            tlp=data["tlp"],
        )


class TextForm(forms.Form):
    """One required text: a question, an answer, a reason or a message."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5_000)

    def __init__(
        self, *args: Any, label: Any, required_message: Any, max_length: int = 5_000, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].max_length = max_length  # type: ignore[attr-defined]
        self.fields["text"].widget.attrs["maxlength"] = str(max_length)
        self.fields["text"].label = label
        self.fields["text"].error_messages["required"] = required_message


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Merge into request"),
        queryset=HelpRequest.objects.none(),
        empty_label=_("Choose a request"),
        error_messages={"invalid_choice": _("Choose a request that is still open.")},
    )
    note = forms.CharField(
        label=_("Note to the requester"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5_000,
    )

    def __init__(self, *args: Any, request: HelpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ttc.helprequests.models import ACTIVE_STATUSES, RequestStatus

        # Only requests of the same requesting side can be merged (see the service).
        self.fields["into"].queryset = (  # type: ignore[attr-defined]
            HelpRequest.objects.filter(status__in=(*ACTIVE_STATUSES, RequestStatus.MATCHED))
            .for_organisations(request.party_ids)
            .exclude(pk=request.pk)
        )
        self.fields["into"].label_from_instance = lambda obj: f"#{obj.pk} {obj.title}"  # type: ignore[attr-defined]


class HoursForm(forms.Form):
    worked_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    hours = forms.CharField(label=_("Hours"), max_length=8, help_text=_("Such as 2.5"))
    note = forms.CharField(label=_("What was done"), max_length=300, required=False)


class FeedbackForm(forms.Form):
    helped = forms.TypedChoiceField(
        label=_("Did it help?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether it helped.")},
    )
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("5 is excellent, 1 is poor."),
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5_000,
    )


class ConflictForm(forms.Form):
    public_party = forms.ModelChoiceField(
        label=_("Public party"),
        empty_label=_("Choose a public party"),
        queryset=Organisation.objects.filter(status=MemberStatus.APPROVED).exclude(
            kind__in=MEMBER_KINDS
        ),
        error_messages={"invalid_choice": _("Choose a public party.")},
    )
    description = forms.CharField(
        label=_("The relationship"),
        max_length=300,
        help_text=_("Such as “We supply their patient portal”."),
        error_messages={"required": _("Describe the relationship in a few words.")},
    )
