from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ttc.core.forms import LabelledForm
from ttc.core.tlp import TLP


class AnnouncementForm(LabelledForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Message"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown is allowed: **bold**, lists, links."),
    )

    field_order = ["title", "body", "tlp", "people", "organisations"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tlp"].initial = TLP.GREEN
