from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ttc.members.models import MEMBER_KINDS, Membership, Organisation, OrganisationKind


class OrganisationForm(forms.ModelForm):
    """The profile an organisation's admins keep up to date."""

    class Meta:
        model = Organisation
        # Not the name: coordinators name organisations in recipient lists, so a
        # member may not take another's name.
        fields = ["city", "website", "description", "clients"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "clients": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only organisations the editor may see (and those already declared):
        # the choices must not list what the access policy hides.
        # Declaring a client widens TLP:AMBER: only approved organisations qualify.
        clients = Organisation.objects.vetted()
        if user is not None:
            clients = clients.visible_to(user)
            if self.instance.pk:
                clients = clients | Organisation.objects.filter(
                    pk__in=self.instance.clients.values("pk")
                )
        if self.instance.pk:
            clients = clients.exclude(pk=self.instance.pk)
        cast(forms.ModelMultipleChoiceField, self.fields["clients"]).queryset = clients


class CoordinatorOrganisationForm(OrganisationForm):
    """Coordinators also set the kind and the umbrella."""

    class Meta(OrganisationForm.Meta):
        fields = ["name", "kind", "city", "website", "description", "umbrella", "clients"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        umbrella = cast(forms.ModelChoiceField, self.fields["umbrella"])
        umbrella.queryset = Organisation.objects.filter(kind=OrganisationKind.UMBRELLA)


class NewOrganisationForm(CoordinatorOrganisationForm):
    """A coordinator adding a public party may verify it at once."""

    verified = forms.BooleanField(
        label=_("Verified public party"),
        required=False,
        help_text=_(
            "Verified public parties may see TLP:GREEN and ask for help. Members join "
            "through an application and two approvals instead."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("verified") and cleaned.get("kind") in MEMBER_KINDS:
            self.add_error("verified", _("Members join through an application and two approvals."))
        return cleaned


class MembershipAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def clean_email(self) -> Any:
        email = self.cleaned_data["email"].lower()
        person = (
            get_user_model()
            .objects.filter(email=email, is_active=True, deleted_at__isnull=True)
            .first()
        )
        if person is None:
            raise forms.ValidationError(
                _("No one on the platform has this address. Ask them to sign up first.")
            )
        return person


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
