from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ttc.core.forms import LabelledForm
from ttc.core.tlp import TLP
from ttc.documents.models import COMMENT_MAX, REASON_MAX, SECTION_BODY_MAX, TITLE_MAX

MARKDOWN_HELP = _("Markdown is allowed: **bold**, lists, links.")


class DocumentForm(LabelledForm):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    slug = forms.SlugField(
        label=_("Web address"),
        max_length=80,
        required=False,
        help_text=_("Short, with dashes: anderhalve-meter. Left empty, the title is used."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=2_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the document is for and who may help."),
    )
    text = forms.CharField(
        label=_("Sections"),
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown. Every line starting with “## ” begins a new section."),
    )

    field_order = ["title", "slug", "summary", "text", "tlp", "people", "organisations"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tlp"].initial = TLP.CLEAR

    def clean_text(self) -> list[tuple[str, str]]:
        sections = split_sections(self.cleaned_data["text"])
        if not sections:
            raise ValidationError(_("Start each section with a line “## Title”."))
        return sections


def split_sections(text: str) -> list[tuple[str, str]]:
    """`## Title` lines start sections; text before the first one is ignored."""
    sections: list[tuple[str, list[str]]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        heading = re.match(r"^##\s+(.+?)\s*$", line)
        if heading:
            sections.append((heading.group(1), []))
        elif sections:
            sections[-1][1].append(line)
    return [(title, "\n".join(lines).strip()) for title, lines in sections]


class EditorsForm(forms.Form):
    editors = forms.CharField(
        label=_("Editors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("E-mail addresses of members, one per line. Coordinators are always editors."),
    )

    def clean_editors(self) -> list[Any]:
        addresses = {a.lower() for a in re.split(r"[\s,;]+", self.cleaned_data["editors"]) if a}
        people = list(
            get_user_model().objects.filter(
                email__in=addresses, is_active=True, deleted_at__isnull=True
            )
        )
        unknown = sorted(addresses - {person.email for person in people})
        if unknown:
            raise ValidationError(
                _("No one on the platform has this address: %(list)s"),
                params={"list": ", ".join(unknown)},
            )
        return people


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Section title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Text"),
        max_length=SECTION_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=MARKDOWN_HELP,
    )
    reason = forms.CharField(
        label=_("Why this change? (optional)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A sentence helps the editor decide."),
    )
    anonymous = forms.BooleanField(
        label=_("List my contribution as anonymous"),
        required=False,
        help_text=_("Your name is then not shown. The editors can still see who you are."),
    )
    base_number = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, visitor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The browser would cut pasted text at the limit without a word; the
        # server refuses it with a message and keeps the text instead.
        self.fields["body"].widget.attrs.pop("maxlength", None)
        if visitor:
            self.fields["name"] = forms.CharField(
                label=_("Your name (optional)"),
                max_length=200,
                required=False,
                help_text=_("Shown with your contribution, unless you choose anonymous."),
            )
            self.fields["email"] = forms.EmailField(
                label=_("Your e-mail address"),
                help_text=_(
                    "We send you a link to confirm it. We never show it and use it "
                    "only to tell you what happened to your proposal."
                ),
            )
            # A field people do not see (the stylesheet hides it) but form-filling robots do.
            self.fields["website"] = forms.CharField(
                label=_("Leave this field empty"),
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
            )
            self.fields["anonymous"].help_text = _(
                "Your name is then not shown. The coordinators can still see who sent it."
            )


class AcceptForm(forms.Form):
    title = forms.CharField(label=_("Section title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Text"),
        max_length=SECTION_BODY_MAX + 20_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=MARKDOWN_HELP,
    )
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    note = forms.CharField(
        label=_("Note to the contributor (optional)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why not?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The contributor reads this. Be kind and specific."),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=MARKDOWN_HELP,
    )
