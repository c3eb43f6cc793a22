from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ttc.members.models import Membership, Organisation, OrganisationKind


class OrganisationForm(forms.ModelForm):
    """The profile an organisation's admins keep up to date."""

    class Meta:
        model = Organisation
        fields = ["name", "city", "website", "description", "clients"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "clients": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only organisations the editor may see (and those already declared):
        # the choices must not list what the access policy hides.
        clients = Organisation.objects.all()
        if user is not None:
            clients = clients.visible_to(user)
            if self.instance.pk:
                clients = clients | Organisation.objects.filter(
                    pk__in=self.instance.clients.values("pk")
                )
        if self.instance.pk:
            clients = clients.exclude(pk=self.instance.pk)
        self.fields["clients"].queryset = clients


class CoordinatorOrganisationForm(OrganisationForm):
    """Coordinators also set the kind, the umbrella and whether it is vetted."""

    vetted = forms.BooleanField(
        label=_("Vetted or verified"),
        required=False,
        help_text=_("Vetted members and verified public parties may see TLP:GREEN."),
    )

    class Meta(OrganisationForm.Meta):
        fields = ["name", "kind", "city", "website", "description", "umbrella", "clients"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vetted"].initial = bool(self.instance.vetted_at)
        self.fields["umbrella"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.UMBRELLA
        )


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
