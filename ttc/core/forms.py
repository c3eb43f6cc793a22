from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from ttc.core.access import check_named_people
from ttc.core.tlp import EXPLANATION, TLP, validate_recipients
from ttc.members.models import Organisation

MAX_NAMED_PEOPLE = 200


class OrganisationChoiceField(forms.ModelMultipleChoiceField):
    """Approved organisations, each with its kind and city so that two of the
    same name cannot be confused."""

    def label_from_instance(self, obj: Any) -> str:
        details = ", ".join(part for part in (obj.get_kind_display(), obj.city) if part)
        return f"{obj.name} ({details})"


class LabelledForm(forms.Form):
    """The TLP label and its named recipients, shared by every labelled form."""

    tlp = forms.ChoiceField(
        label=_("TLP label"),
        choices=TLP.choices,
        widget=forms.RadioSelect,
        help_text=_("Who may see this. Choose the narrowest label that works."),
    )
    people = forms.CharField(
        label=_("Named people (TLP:RED)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E-mail addresses of people on the platform, one per line."),
    )
    organisations = OrganisationChoiceField(
        label=_("Named organisations (TLP:AMBER, TLP:AMBER+STRICT)"),
        queryset=Organisation.objects.vetted(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tlp"]).choices = [
            (value, f"{label}: {EXPLANATION[TLP(value)]}") for value, label in TLP.choices
        ]

    def clean_people(self) -> list[Any]:
        raw = self.cleaned_data["people"]
        addresses = [item.lower() for item in re.split(r"[\s,;]+", raw) if item]
        if len(addresses) > MAX_NAMED_PEOPLE:
            raise ValidationError(
                _("Name at most %(max)d people."), params={"max": MAX_NAMED_PEOPLE}
            )
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("“%(value)s” is not an e-mail address."), params={"value": address}
                ) from None
        people = list(
            get_user_model().objects.filter(
                email__in=addresses, is_active=True, deleted_at__isnull=True
            )
        )
        unknown = sorted(set(addresses) - {person.email for person in people})
        if unknown:
            raise ValidationError(
                _("No one on the platform has this address: %(list)s"),
                params={"list": ", ".join(unknown)},
            )
        check_named_people(people)
        return people

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "tlp" in cleaned and "people" in cleaned and "organisations" in cleaned:
            try:
                validate_recipients(
                    cleaned["tlp"],
                    people=len(cleaned["people"]),
                    organisations=len(cleaned["organisations"]),
                )
            except ValidationError as error:
                self.add_error("tlp", error)
        return cleaned


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on its field where there is one,
    above the form otherwise. The person's input stays in the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
