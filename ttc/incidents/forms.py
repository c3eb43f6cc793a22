from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ttc.core.tlp import TLP
from ttc.incidents.models import (
    SEVERITY_MEANING,
    Category,
    PersonalData,
    Severity,
    Status,
    Task,
)
from ttc.incidents.services import ReportData
from ttc.members.models import Organisation

#: An incident names the affected organisation; RED only the reporter. The
#: response team sees it whatever the label.
INCIDENT_LABELS = [
    (
        TLP.AMBER_STRICT,
        _("TLP:AMBER+STRICT (recommended): your organisation, the response team and coordinators"),
    ),
    (
        TLP.AMBER,
        _("TLP:AMBER: as above, plus the clients your organisation has declared"),
    ),
    (TLP.RED, _("TLP:RED: only you, the response team and coordinators")),
    (TLP.GREEN, _("TLP:GREEN: every vetted member may read the incident")),
    (TLP.CLEAR, _("TLP:CLEAR: public")),
]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ReportForm(forms.Form):
    """Short on purpose: what is needed to start a response at 3 a.m."""

    organisation = forms.ModelChoiceField(
        label=_("Affected organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    title = forms.CharField(
        label=_("In a few words"),
        max_length=200,
        help_text=_("For example: ransomware on the radiology servers."),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you saw, what you already did. Markdown works."),
    )
    detected_at = forms.DateTimeField(
        label=_("Detected at"),
        widget=DateTimeInput(),
        help_text=_("Your local time. The NIS2 deadlines count from here."),
    )
    category = forms.ChoiceField(
        label=_("Type"), choices=Category.choices, widget=forms.RadioSelect
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        coerce=int,
        choices=[
            (value, format_lazy("{}: {}", label, SEVERITY_MEANING[Severity(value)]))
            for value, label in reversed(Severity.choices)
        ],
        widget=forms.RadioSelect,
    )
    affected_systems = forms.CharField(
        label=_("Affected systems"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    personal_data = forms.ChoiceField(
        label=_("May personal data be involved?"),
        choices=PersonalData.choices,
        initial=PersonalData.UNKNOWN,
        widget=forms.RadioSelect,
        help_text=_("Patient or staff data may mean a report to the Dutch DPA within 72 hours."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_phone = forms.CharField(label=_("Phone number we can call now"), max_length=40)
    contact_email = forms.EmailField(label=_("E-mail address"), required=False)
    tlp = forms.ChoiceField(
        label=_("Who may see this report?"),
        choices=INCIDENT_LABELS,
        initial=TLP.AMBER_STRICT,
        widget=forms.RadioSelect,
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations

    def clean_detected_at(self) -> Any:
        value = self.cleaned_data["detected_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("The detection time lies in the future."))
        return value

    def report_data(self) -> ReportData:
        data = self.cleaned_data
        return ReportData(
            title=data["title"],
            description=data["description"],
            detected_at=data["detected_at"],
            category=data["category"],
            severity=data["severity"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            affected_systems=data["affected_systems"],
            personal_data=data["personal_data"],
            tlp=data["tlp"],
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    note = forms.CharField(label=_("Note for the timeline"), max_length=2_000, required=False)


class TimelineForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    source = forms.CharField(
        label=_("Source"),
        max_length=100,
        required=False,
        help_text=_("For example: EDR, firewall log, phone call."),
    )
    what = forms.CharField(
        label=_("What happened"), max_length=5_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False
    )
    due = forms.DateTimeField(label=_("Due"), widget=DateTimeInput(), required=False)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people
        field.label_from_instance = lambda person: person.display_name  # type: ignore[assignment]


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)


class NoteForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Note"), max_length=50_000, widget=forms.Textarea(attrs={"rows": 12})
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReportFieldsForm(forms.Form):
    """What the later NIS2 stages add."""

    severity = forms.TypedChoiceField(label=_("Severity"), coerce=int, choices=Severity.choices)
    suspected_malicious = forms.BooleanField(
        label=_("We suspect an unlawful or malicious act"), required=False
    )
    cross_border = forms.BooleanField(
        label=_("The incident may have an impact in other countries"), required=False
    )
    impact = forms.CharField(
        label=_("Impact"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed for the incident notification (72 hours)."),
    )
    root_cause = forms.CharField(
        label=_("Root cause"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed for the final report (one month)."),
    )
    mitigations = forms.CharField(
        label=_("Mitigations applied and ongoing"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed for the final report (one month)."),
    )


class InviteForm(forms.Form):
    """A candidate chosen on the team page, with the score they were ranked by."""

    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None)
    score = forms.FloatField(required=False, min_value=0, max_value=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from ttc.accounts.models import User

        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(is_active=True, deleted_at__isnull=True)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)
