from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ttc.core.forms import LabelledForm
from ttc.core.tlp import TLP
from ttc.knowledge.models import (
    BODY_MAX,
    SUMMARY_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Article,
    ArticleKind,
    ArticleLanguage,
)
from ttc.knowledge.services import (
    NOTE_MAX,
    REASON_MAX,
    TAG_NAME_MAX,
    ArticleContent,
    Sharing,
    is_source,
    normalise_tags,
    writing_organisations,
)
from ttc.members.models import Organisation

_SHARING_FIELDS = ("tlp", "people", "organisations")


def _no_browser_cut(form: forms.Form) -> None:
    """A browser's maxlength cuts pasted text without a word: the server
    refuses oversized text with a message instead."""
    for field in form.fields.values():
        field.widget.attrs.pop("maxlength", None)


class ArticleForm(LabelledForm):
    organisation = forms.ModelChoiceField(
        label=_("Written for"),
        queryset=Organisation.objects.none(),
        help_text=_("The organisation shown as author."),
        error_messages={"invalid_choice": _("Choose one of your own approved organisations.")},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        error_messages={"required": _("Give the article a title.")},
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Two or three sentences: what will the reader learn?"),
        error_messages={"required": _("Write a short summary.")},
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_("Markdown is allowed: headings, lists, links and tables."),
        error_messages={"required": _("Write the article.")},
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ArticleKind.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(
        label=_("Language"), choices=ArticleLanguage.choices, initial=ArticleLanguage.DUTCH
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        # Long enough for the maximum number of the longest tags, and no longer.
        max_length=TAGS_MAX * (TAG_NAME_MAX + 2),
    )

    field_order = [
        "organisation",
        "title",
        "summary",
        "body",
        "kind",
        "language",
        "tags",
        *_SHARING_FIELDS,
    ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = writing_organisations(user)
        if user.is_coordinator:
            organisation.required = False
            organisation.empty_label = _("None: I write as a coordinator")
        else:
            organisation.empty_label = None
        self.fields["tlp"].initial = TLP.GREEN
        self.fields["tags"].help_text = gettext(
            "At most %(max)s, separated by commas, such as: ransomware, hospitals."
        ) % {"max": TAGS_MAX}
        _no_browser_cut(self)

    def clean_tags(self) -> list[str]:
        return normalise_tags(self.cleaned_data["tags"].split(","))

    def content(self) -> ArticleContent:
        data = self.cleaned_data
        return ArticleContent(
            title=data["title"],
            summary=data["summary"],
            body=data["body"],
            kind=data["kind"],
            language=data["language"],
            tags=data["tags"],
        )

    def sharing(self) -> Sharing:
        data = self.cleaned_data
        return Sharing(
            tlp=data["tlp"], people=data["people"], organisations=list(data["organisations"])
        )


class ArticleEditForm(ArticleForm):
    """A new revision. Only the author's side sees the label fields."""

    note = forms.CharField(
        label=_("What did you change?"),
        required=False,
        max_length=NOTE_MAX,
        help_text=_("Optional, shown in the history."),
    )
    base_number = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    field_order = [*ArticleForm.field_order, "note", "base_number"]

    def __init__(self, *args: Any, user: Any, article: Article, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        del self.fields["organisation"]
        if not is_source(user, article):
            for name in _SHARING_FIELDS:
                del self.fields[name]

    def sharing_if_shown(self) -> Sharing | None:
        """The label as entered, or None when this person may not change it."""
        return self.sharing() if "tlp" in self.fields else None

    @staticmethod
    def initial_for(article: Article) -> dict[str, Any]:
        return {
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "kind": article.kind,
            "language": article.language,
            "tags": ", ".join(tag.name for tag in article.tags.all()),
            "tlp": article.tlp,
            "people": "\n".join(person.email for person in article.recipient_people.all()),
            "organisations": list(article.recipient_orgs.all()),
            "base_number": article.number,
        }


class ReasonForm(forms.Form):
    """Why an article goes back to draft, or why it is advertising."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=REASON_MAX,
    )

    def __init__(self, *args: Any, label: Any, required_message: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].error_messages["required"] = required_message
        _no_browser_cut(self)
