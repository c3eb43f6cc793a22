"""Forms for indicators: pasting text, reviewing what was found, importing STIX,
changing a label.

The review form is stateless: every row travels in the POST, so that a refused
save shows the page again exactly as the person left it.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from ttc.core.tlp import TLP
from ttc.incidents import indicators
from ttc.incidents.models import IndicatorKind
from ttc.lib import indicators as ioc

#: The longest text one paste reads. Django refuses a request body over
#: DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) before any form sees it: the paste, and
#: the review page that carries what it found back, both stay well below it.
PASTE_MAX_CHARS = 1_000_000
#: Inputs on the review page per indicator: selected, kind, value, label, comment.
FIELDS_PER_ROW = 5
#: The token, the formset's management fields and the carried lists.
FIELDS_BESIDES_ROWS = 16
#: Refused candidates carried through the review page; more are counted, not listed.
REJECTED_CARRIED = 1_000
VALUE_MAX_LENGTH = 2_048
COMMENT_MAX_LENGTH = 500


def _count(number: int) -> str:
    return number_format(number, force_grouping=True)


def review_capacity() -> int:
    """How many indicators the review page can show as editable rows: a POST
    carries at most DATA_UPLOAD_MAX_NUMBER_FIELDS fields."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is None:
        return indicators.MAX_PER_SAVE
    return max(1, min(indicators.MAX_PER_SAVE, (limit - FIELDS_BESIDES_ROWS) // FIELDS_PER_ROW))


class PasteForm(forms.Form):
    text = forms.CharField(
        label=_("Text with indicators"),
        # No max_length: the browser would cut a long paste without a word.
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text=_(
            "Paste an e-mail, a log excerpt or a vendor report. Defanged notation "
            "(hxxp, [.], [@]) is understood. Nothing is saved until you have reviewed the list."
        ),
        error_messages={"required": _("Paste the text to look for indicators in.")},
        strip=False,
    )

    def clean_text(self) -> str:
        text = cast(str, self.cleaned_data["text"])
        if len(text) > PASTE_MAX_CHARS:
            raise ValidationError(
                _(
                    "The text has %(count)s characters; at most %(max)s are read at once. "
                    "Paste it in parts."
                )
                % {"count": _count(len(text)), "max": _count(PASTE_MAX_CHARS)}
            )
        if not text.strip():
            raise ValidationError(_("Paste the text to look for indicators in."))
        return text


class ReviewRowForm(forms.Form):
    """One found indicator as the person reviews it. Only a selected row must be
    valid: an unselected one is left behind as it is."""

    selected = forms.BooleanField(label=_("Save"), required=False)
    kind = forms.ChoiceField(choices=IndicatorKind.choices, widget=forms.HiddenInput)
    value = forms.CharField(label=_("Value"), required=False, strip=True)
    tlp = forms.ChoiceField(label=_("TLP label"), choices=TLP.choices)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].widget.attrs.update(spellcheck="false", autocomplete="off")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("selected") or "kind" not in cleaned:
            return cleaned
        value = cleaned.get("value", "")
        if not value:
            self.add_error("value", _("Fill in the value, or leave the row unticked."))
        elif len(value) > VALUE_MAX_LENGTH:
            self.add_error(
                "value",
                _("Keep the value under %(max)s characters.") % {"max": _count(VALUE_MAX_LENGTH)},
            )
        else:
            try:
                cleaned["value"] = ioc.normalise(cleaned["kind"], value)
            except ioc.InvalidIndicator as error:
                # The reason comes from the parser, in English.
                self.add_error(
                    "value",
                    _("%(kind)s not valid: %(reason)s.")
                    % {
                        "kind": IndicatorKind(cleaned["kind"]).label,
                        "reason": error,
                    },
                )
        return cleaned

    @property
    def kind_label(self) -> str:
        kind = self["kind"].value()
        return str(IndicatorKind(kind).label) if kind in IndicatorKind.values else str(kind)

    def item(self) -> indicators.Item:
        data = self.cleaned_data
        return indicators.Item(data["kind"], data["value"], data["tlp"], data["comment"])


class BaseReviewFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors) or not self.management_form.is_valid():
            return
        if not any(form.cleaned_data.get("selected") for form in self.forms):
            raise ValidationError(_("Tick at least one indicator to save."))

    def selected_items(self) -> list[indicators.Item]:
        return [form.item() for form in self.forms if form.cleaned_data.get("selected")]


def review_formset(data: Any = None, *, initial: list[dict[str, Any]] | None = None) -> Any:
    capacity = review_capacity()
    formset_class = forms.formset_factory(
        ReviewRowForm,
        formset=BaseReviewFormSet,
        extra=0,
        max_num=capacity,
        absolute_max=capacity,
        validate_max=True,
    )
    return formset_class(data, initial=initial, prefix="rows")


def _json_list(raw: str) -> list[Any]:
    try:
        parsed = json.loads(raw) if raw else []
    except ValueError:
        return []
    return parsed if isinstance(parsed, list) else []


class ReviewExtrasForm(forms.Form):
    """What travels with the rows: the indicators found beyond what the page
    can show, and the refused candidates with their reasons (shown again when
    the save is refused)."""

    more = forms.CharField(required=False, widget=forms.HiddenInput)
    save_more = forms.BooleanField(required=False)
    rejected = forms.CharField(required=False, widget=forms.HiddenInput)
    rejected_total = forms.CharField(required=False, widget=forms.HiddenInput)
    #: One per review page: the same page sent twice saves once.
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_more(self) -> list[tuple[str, str]]:
        more = []
        for entry in _json_list(self.cleaned_data["more"]):
            if (
                not isinstance(entry, list)
                or len(entry) != 2
                or not all(isinstance(part, str) for part in entry)
            ):
                raise ValidationError(
                    _("The list of further indicators was damaged; paste the text again.")
                )
            more.append((entry[0], entry[1]))
        return more

    def more_items(self, tlp: str) -> list[indicators.Item]:
        if not self.cleaned_data.get("save_more"):
            return []
        return [indicators.Item(kind, value, tlp) for kind, value in self.cleaned_data["more"]]

    def rejected_rows(self) -> list[dict[str, str]]:
        """Shown only, never trusted: the template escapes them like any text."""
        rows = []
        for entry in _json_list(self.data.get("rejected", "")):
            if isinstance(entry, list) and len(entry) == 3:
                kind, raw, reason = (str(part) for part in entry)
                rows.append({"kind": kind, "raw": raw, "reason": reason})
        return rows[:REJECTED_CARRIED]

    def rejected_count(self) -> int:
        """How many were refused in all, of which at most REJECTED_CARRIED travel."""
        raw = str(self.data.get("rejected_total", ""))
        return int(raw) if raw.isdigit() and len(raw) < 9 else 0

    def more_values(self) -> list[tuple[str, str]]:
        if self.is_bound and self.is_valid():
            return cast(list[tuple[str, str]], self.cleaned_data["more"])
        return []


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("STIX 2.1 file"),
        required=False,
        help_text=_("A JSON file with a STIX 2.1 bundle."),
    )
    bundle = forms.CharField(
        label=_("Or paste the bundle"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        has_file = bool(cleaned.get("file"))
        has_text = bool(cleaned.get("bundle", "").strip())
        if has_file and has_text:
            raise ValidationError(_("Choose a file or paste a bundle, not both."))
        if not has_file and not has_text:
            raise ValidationError(_("Choose a STIX file or paste a bundle."))
        return cleaned

    def data_to_import(self) -> bytes | str:
        upload = self.cleaned_data.get("file")
        if upload:
            # One byte over the limit is enough for the import to refuse it as too large.
            return cast(bytes, upload.read(settings.TTC_STIX_IMPORT_MAX_BYTES + 1))
        return cast(str, self.cleaned_data["bundle"])


class RelabelForm(forms.Form):
    tlp = forms.ChoiceField(label=_("New label"), choices=TLP.choices)
