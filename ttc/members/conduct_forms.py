"""Forms for the Code of Conduct, staying compliant and breach reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttc.members.models import BreachReport
from ttc.members.validators import clean_pdf, clean_tax_statement_date

#: Criteria are short lines of a checklist (Criterion.text), the summary one line.
MAX_CRITERION_LENGTH = 300
MAX_CRITERIA = 50
MAX_TEXT = 10_000

Outcome = BreachReport.Outcome


class DateInput(forms.DateInput):
    """The browser's date picker; it sends ISO dates."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CodePublishForm(forms.Form):
    summary = forms.CharField(
        label=_("What changed"),
        max_length=300,
        help_text=_("One or two sentences; members read this in the version history."),
        error_messages={"required": _("Say what changed in this version.")},
    )
    body = forms.CharField(
        label=_("Text of the Code of Conduct"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_("Markdown is allowed: ## headings, **bold**, lists, links."),
        error_messages={"required": _("Write the text of the Code of Conduct.")},
    )
    criteria = forms.CharField(
        label=_("Vetting criteria"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One criterion per line. Coordinators vet every application against these."),
        error_messages={"required": _("Give at least one criterion, one per line.")},
    )
    acceptance_days = forms.IntegerField(
        label=_("Days members have to accept"),
        initial=30,
        min_value=1,
        max_value=365,
        help_text=_("Between 1 and 365. A member that has not accepted by then is not compliant."),
        error_messages={
            "required": _("Say how many days members have to accept."),
            "min_value": _("Members need at least 1 day to accept."),
            "max_value": _("Give members at most 365 days to accept."),
        },
    )

    def clean_criteria(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["criteria"].splitlines()]
        criteria = [line for line in lines if line]
        if not criteria:
            raise forms.ValidationError(_("Give at least one criterion, one per line."))
        if len(criteria) > MAX_CRITERIA:
            raise forms.ValidationError(
                _("Give at most %(max)d criteria."), params={"max": MAX_CRITERIA}
            )
        for number, line in enumerate(criteria, start=1):
            if len(line) > MAX_CRITERION_LENGTH:
                raise forms.ValidationError(
                    _("Criterion %(number)d is longer than %(max)d characters."),
                    params={"number": number, "max": MAX_CRITERION_LENGTH},
                )
        return criteria


class TaxStatementForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Field ids of their own: the form sits on the membership page beside others.
        kwargs.setdefault("auto_id", "tax-statement-%s")
        super().__init__(*args, **kwargs)

    file = forms.FileField(
        label=_("Tax statement (PDF, at most 5 MB)"),
        help_text=_("The Belastingdienst's “verklaring betalingsgedrag”."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": _("Choose the PDF file of the statement.")},
    )
    issued_on = forms.DateField(
        label=_("Date of the statement"),
        widget=DateInput(),
        help_text=_("At most 6 months ago. The statement counts for 12 months after this date."),
        error_messages={
            "required": _("Give the date of the statement."),
            "invalid": _("Give the date of the statement as a date, like 2020-04-01."),
        },
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        return clean_pdf(upload)

    def clean_issued_on(self) -> date:
        return clean_tax_statement_date(self.cleaned_data["issued_on"])


class BreachReportForm(forms.Form):
    description = forms.CharField(
        label=_("What happened?"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "What did the member do, when, and how do you know? If the coordinators act on "
            "it, the member reads this text, never your name."
        ),
        error_messages={"required": _("Describe what happened.")},
    )


class BreachDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (Outcome.DISMISSED, _("Dismiss: no breach (the member is not told)")),
            (Outcome.WARNED, _("Warn the member")),
            (Outcome.SUSPENDED, _("Suspend the member until a date")),
            (Outcome.ENDED, _("End the membership")),
        ],
        error_messages={"required": _("Choose what happens.")},
    )
    suspended_until = forms.DateField(
        label=_("Suspended until"),
        required=False,
        widget=DateInput(),
        help_text=_("Only for a suspension: the day the membership is active again."),
        error_messages={"invalid": _("Give the end date as a date, like 2020-06-01.")},
    )
    note = forms.CharField(
        label=_("The decision, as the member reads it"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Do not name or hint at who reported it."),
        error_messages={"required": _("Write the decision as the member will read it.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        until = cleaned.get("suspended_until")
        if cleaned.get("outcome") == Outcome.SUSPENDED:
            if until is None and "suspended_until" not in self.errors:
                self.add_error("suspended_until", _("A suspension needs an end date."))
            elif until is not None and until <= timezone.localdate():
                self.add_error("suspended_until", _("A suspension ends on a date in the future."))
        else:
            cleaned["suspended_until"] = None
        return cleaned


class BreachResponseForm(forms.Form):
    response = forms.CharField(
        label=_("Your response"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The coordinators read it. Sending it again replaces your earlier response."),
        error_messages={"required": _("Write your response.")},
    )
