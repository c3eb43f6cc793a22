"""Forms for joining the coalition: companies, independent experts and public
parties apply; applicants answer the coordinators' questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttc.members import validators
from ttc.members.models import (
    CARE_KINDS,
    GOVERNMENT_KINDS,
    LANGUAGES,
    MEMBER_KINDS,
    PROVINCES,
    ChecklistMark,
    ExpertSkill,
    OrganisationKind,
    ReviewDecision,
    Skill,
)
from ttc.members.services import MAX_CAPACITY_HOURS
from ttc.members.vetting import DUPLICATE_APPLICATION, ApplicationData, pending_company

#: Said next to the file input whenever a form with a file fails: browsers never
#: fill a file input in again.
CHOOSE_FILE_AGAIN = _(
    "For your safety, browsers forget a chosen file when the form comes back. "
    "Choose the PDF again before you submit."
)


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes with each group in its own fieldset, so that a screen reader
    names the group of every box."""

    template_name = "widgets/grouped_checkboxes.html"


#: The areas of expertise, each with its sub-skills.
Taxonomy = list[tuple[Skill, list[Skill]]]


def taxonomy() -> Taxonomy:
    """The areas, each with its sub-skills, in two queries' worth of rows."""
    skills = list(Skill.objects.select_related("parent").order_by("name"))
    areas = sorted((s for s in skills if s.parent_id is None), key=lambda s: s.label)
    children: dict[int, list[Skill]] = {area.pk: [] for area in areas}
    for skill in skills:
        if skill.parent_id is not None and skill.parent_id in children:
            children[skill.parent_id].append(skill)
    return [(area, sorted(children[area.pk], key=lambda s: s.label)) for area in areas]


class SkillsField(forms.MultipleChoiceField):
    """Areas of expertise as checkboxes grouped by area: each area itself and its
    sub-skills may be chosen. Cleans to a list of `Skill`s."""

    widget = GroupedCheckboxes

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Areas of expertise"))
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Choose at least one area of expertise."),
                "invalid_choice": _(
                    "Choose areas of expertise from the list (%(value)s is not one)."
                ),
            },
        )
        super().__init__(**kwargs)
        self._skills: dict[str, Skill] = {}
        self.groups: list[tuple[str, list[tuple[str, str]]]] = []

    def load(self, groups: Taxonomy | None = None) -> None:
        """Offer the taxonomy, labelled in the active language; read it unless the
        caller has it already."""
        groups = taxonomy() if groups is None else groups
        self._skills = {
            str(skill.pk): skill for area, children in groups for skill in (area, *children)
        }
        self.groups = [
            (
                area.label,
                [
                    (str(area.pk), str(_("%(area)s in general") % {"area": area.label})),
                    *((str(child.pk), child.label) for child in children),
                ],
            )
            for area, children in groups
        ]
        self.choices = self.groups

    def clean(self, value: Any) -> list[Skill]:  # type: ignore[override]
        chosen = super().clean(value)
        return [self._skills[pk] for pk in chosen]


def _checkboxes(
    label: Any, choices: Any, required_message: Any, invalid_message: Any
) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": required_message, "invalid_choice": invalid_message},
    )


class OfferForm(forms.Form):
    """What a member offers the coalition: areas of expertise, hours per week,
    regions and languages. Applicants state it, member admins change it later and
    matching reads it."""

    expertise = SkillsField()
    capacity_hours = forms.IntegerField(
        label=_("Hours per week you offer"),
        min_value=1,
        max_value=MAX_CAPACITY_HOURS,
        error_messages={
            "required": _("Say how many hours per week you offer."),
            "min_value": _("Offer at least 1 hour per week."),
            "max_value": _("Offer at most %(limit_value)s hours per week."),
            "invalid": _("Give the hours per week as a whole number."),
        },
    )
    regions = _checkboxes(
        _("Regions (provinces) where you can help"),
        PROVINCES,
        _("Choose at least one province."),
        _("Choose provinces from the list (%(value)s is not one)."),
    )
    languages = _checkboxes(
        _("Languages you work in"),
        LANGUAGES,
        _("Choose at least one language."),
        _("Choose languages from the list (%(value)s is not one)."),
    )

    def __init__(self, *args: Any, groups: Taxonomy | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._expertise().load(groups)

    def _expertise(self) -> SkillsField:
        field = self.fields["expertise"]
        assert isinstance(field, SkillsField)
        return field

    def expertise_groups(self) -> list[tuple[str, list[BoundWidget]]]:
        """The expertise checkboxes per area, for a fieldset each."""
        boxes = list(self["expertise"])
        groups, start = [], 0
        for area, options in self._expertise().groups:
            groups.append((str(area), boxes[start : start + len(options)]))
            start += len(options)
        return groups


def _consent(label: Any, message: Any) -> forms.BooleanField:
    return forms.BooleanField(label=label, error_messages={"required": message})


class MemberApplicationForm(OfferForm):
    """What companies and independent experts share: what they offer, how they
    handle privacy, and their three separate consents."""

    kind: str = ""

    privacy_statement = forms.CharField(
        label=_("How you handle privacy and data"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Which personal data you may handle when you help, where you keep it, who "
            "can see it and when you delete it."
        ),
        error_messages={"required": _("Describe how you handle privacy and data.")},
    )
    privacy_policy_url = forms.URLField(
        label=_("Link to your privacy policy"),
        max_length=200,
        assume_scheme="https",
        error_messages={"required": _("Give the link to your privacy policy.")},
    )
    signs_processor_agreement = forms.BooleanField(
        label=_(
            "We sign a processor agreement (verwerkersovereenkomst) whenever we handle "
            "personal data for a public party"
        ),
        required=False,
    )
    accept_code = _consent(
        _("I accept the Code of Conduct"),
        _("Accept the Code of Conduct to apply."),
    )
    accept_chatham_house = _consent(
        _("I accept the Chatham House Rule"),
        _("Accept the Chatham House Rule to apply."),
    )
    accept_pledge = _consent(
        _("I make the pledge"),
        _("Make the pledge to apply."),
    )

    def application_data(self) -> ApplicationData:
        data = self.cleaned_data
        return ApplicationData(
            name=data["name"],
            kind=self.kind,
            city=data["city"],
            street=data.get("street", ""),
            postcode=data.get("postcode", ""),
            website=data.get("website", ""),
            description=data.get("description", ""),
            kvk_number=data.get("kvk_number", ""),
            establishment_number=data.get("establishment_number", ""),
            vat_number=data.get("vat_number", ""),
            privacy_statement=data["privacy_statement"],
            privacy_policy_url=data["privacy_policy_url"],
            signs_processor_agreement=data["signs_processor_agreement"],
            capacity_hours=data["capacity_hours"],
            expertise=data["expertise"],
            regions=data["regions"],
            languages=data["languages"],
            tax_statement=data.get("tax_statement"),
            tax_statement_date=data.get("tax_statement_date"),
            vog_date=data.get("vog_date"),
            skill_level=int(data.get("skill_level") or ExpertSkill.Level.EXPERIENCED),
        )


class CompanyApplicationForm(MemberApplicationForm):
    kind = OrganisationKind.MEMBER_COMPANY

    name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        help_text=_("As registered with the KvK."),
        error_messages={"required": _("Give your organisation's name.")},
    )
    kvk_number = forms.CharField(
        label=_("KvK number"),
        max_length=20,
        help_text=_("8 digits, from the Chamber of Commerce register."),
        error_messages={"required": _("Give your KvK number.")},
    )
    establishment_number = forms.CharField(
        label=_("Establishment number (vestigingsnummer)"),
        max_length=20,
        help_text=_(
            "12 digits, from the KvK register. The establishment must be in the Netherlands."
        ),
        error_messages={"required": _("Give your establishment number.")},
    )
    street = forms.CharField(
        label=_("Street and number"),
        max_length=200,
        error_messages={"required": _("Give the establishment's street and number.")},
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        help_text=_("A Dutch postcode, like 3511 AB."),
        error_messages={"required": _("Give the establishment's postcode.")},
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        error_messages={"required": _("Give the establishment's city.")},
    )
    website = forms.URLField(
        label=_("Website"),
        max_length=200,
        assume_scheme="https",
        error_messages={"required": _("Give your website.")},
    )
    description = forms.CharField(
        label=_("What your organisation does"),
        max_length=4_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe in a few lines what your organisation does.")},
    )
    vat_number = forms.CharField(
        label=_("VAT identification number (BTW-id), optional"),
        max_length=20,
        required=False,
        help_text=_("Like NL123456789B01. Leave empty if your organisation has none."),
    )
    tax_statement = forms.FileField(
        label=_("Tax statement (verklaring betalingsgedrag), PDF"),
        help_text=_(
            "The Belastingdienst's statement that you have no tax arrears: a PDF of at most "
            "5 MB, no older than 6 months."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": _("Choose the PDF of your tax statement.")},
    )
    tax_statement_date = forms.DateField(
        label=_("Date of the tax statement"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Give the date on the tax statement."),
            "invalid": _("Give a valid date."),
        },
    )

    field_order = [
        "name",
        "kvk_number",
        "establishment_number",
        "street",
        "postcode",
        "city",
        "website",
        "description",
        "vat_number",
        "tax_statement",
        "tax_statement_date",
        "privacy_statement",
        "privacy_policy_url",
        "signs_processor_agreement",
        "expertise",
        "capacity_hours",
        "regions",
        "languages",
        "accept_code",
        "accept_chatham_house",
        "accept_pledge",
    ]

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_kvk_number(self) -> str:
        return validators.clean_kvk_number(self.cleaned_data["kvk_number"])

    def clean_establishment_number(self) -> str:
        return validators.clean_establishment_number(self.cleaned_data["establishment_number"])

    def clean_postcode(self) -> str:
        return validators.clean_postcode(self.cleaned_data["postcode"])

    def clean_vat_number(self) -> str:
        value = str(self.cleaned_data["vat_number"]).strip()
        return validators.clean_vat_number(value) if value else ""

    def clean_tax_statement(self) -> Any:
        return validators.clean_pdf(self.cleaned_data["tax_statement"])

    def clean_tax_statement_date(self) -> Any:
        return validators.clean_tax_statement_date(self.cleaned_data["tax_statement_date"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kvk, establishment = cleaned.get("kvk_number"), cleaned.get("establishment_number")
        if kvk and establishment and pending_company(kvk, establishment) is not None:
            raise ValidationError(DUPLICATE_APPLICATION, code="duplicate")
        return cleaned


class IndependentApplicationForm(MemberApplicationForm):
    """An expert without a member company applies as themselves."""

    kind = OrganisationKind.INDEPENDENT_EXPERT

    name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        help_text=_("You apply as yourself: your name is the member's name."),
        error_messages={"required": _("Give your full name.")},
    )
    city = forms.CharField(
        label=_("City where you live or work"),
        max_length=100,
        error_messages={"required": _("Give your city.")},
    )
    website = forms.URLField(
        label=_("Website or professional profile (optional)"),
        max_length=200,
        required=False,
        assume_scheme="https",
    )
    description = forms.CharField(
        label=_("Your experience"),
        max_length=4_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe your experience in a few lines.")},
    )
    skill_level = forms.TypedChoiceField(
        label=_("Your level in the areas you chose"),
        choices=ExpertSkill.Level.choices,
        coerce=int,
        initial=ExpertSkill.Level.EXPERIENCED,
        help_text=_("You can set a level per skill later in your expert profile."),
        error_messages={"required": _("Choose your level.")},
    )
    vog_date = forms.DateField(
        label=_("Date of your certificate of conduct (VOG), optional"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only needed for work inside care institutions. Leave empty if you have none."),
        error_messages={"invalid": _("Give a valid date.")},
    )

    field_order = [
        "name",
        "city",
        "website",
        "description",
        "vog_date",
        "expertise",
        "skill_level",
        "capacity_hours",
        "regions",
        "languages",
        "privacy_statement",
        "privacy_policy_url",
        "signs_processor_agreement",
        "accept_code",
        "accept_chatham_house",
        "accept_pledge",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Individuals rarely publish a privacy policy of their own.
        self.fields["privacy_policy_url"].required = False
        self.fields["privacy_policy_url"].label = _("Link to your privacy policy (optional)")

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_vog_date(self) -> Any:
        vog_date = self.cleaned_data["vog_date"]
        if vog_date is not None and vog_date > timezone.localdate():
            raise ValidationError(_("The VOG's date is in the future."), code="future")
        return vog_date


PUBLIC_KINDS = [
    (value, label) for value, label in OrganisationKind.choices if value not in MEMBER_KINDS
]


class PublicPartyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of your organisation"),
        max_length=200,
        error_messages={"required": _("Give your organisation's name.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[("", "---------"), *PUBLIC_KINDS],
        error_messages={"required": _("Choose the kind of organisation.")},
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        error_messages={"required": _("Give your city.")},
    )
    website = forms.URLField(
        label=_("Website (optional)"), max_length=200, required=False, assume_scheme="https"
    )
    agb_code = forms.CharField(
        label=_("AGB code (optional)"),
        max_length=20,
        required=False,
        help_text=_("Care providers only: 8 digits, from the AGB register (Vektis)."),
    )
    oin = forms.CharField(
        label=_("OIN, organisation identification number (optional)"),
        max_length=30,
        required=False,
        help_text=_("Government bodies only: 20 digits, from the OIN register (Logius)."),
    )

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_agb_code(self) -> str:
        value = str(self.cleaned_data["agb_code"]).strip()
        return validators.clean_agb_code(value) if value else ""

    def clean_oin(self) -> str:
        value = str(self.cleaned_data["oin"]).strip()
        return validators.clean_oin(value) if value else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind and cleaned.get("agb_code") and kind not in CARE_KINDS:
            self.add_error(
                "agb_code",
                _(
                    "Only care providers (hospitals, care organisations and their umbrella "
                    "organisations) have an AGB code."
                ),
            )
        if kind and cleaned.get("oin") and kind not in GOVERNMENT_KINDS:
            self.add_error(
                "oin",
                _(
                    "Only government bodies (GGDs, municipalities, ministries and other "
                    "public bodies) have an OIN."
                ),
            )
        return cleaned


class AmendForm(forms.Form):
    """The applicant's answer to the coordinators' question, with corrections."""

    reply = forms.CharField(
        label=_("Your answer"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write your answer to the coordinators' question.")},
    )
    privacy_statement = forms.CharField(
        label=_("How you handle privacy and data"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Describe how you handle privacy and data.")},
    )
    privacy_policy_url = forms.URLField(
        label=_("Link to your privacy policy (optional)"),
        max_length=200,
        required=False,
        assume_scheme="https",
    )
    signs_processor_agreement = forms.BooleanField(
        label=_(
            "We sign a processor agreement (verwerkersovereenkomst) whenever we handle "
            "personal data for a public party"
        ),
        required=False,
    )

    def changes(self, application: Any) -> dict[str, Any]:
        """Only what the applicant actually corrected."""
        fields = ("privacy_statement", "privacy_policy_url", "signs_processor_agreement")
        return {
            field: self.cleaned_data[field]
            for field in fields
            if self.cleaned_data[field] != getattr(application, field)
        }


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, withdraw. This cannot be undone."),
        error_messages={"required": _("Tick the box to confirm that you withdraw.")},
    )


# --- the coordinators' review ---------------------------------------------------------


class MarkForm(forms.Form):
    """One checklist line: is this criterion of the Code met?"""

    value = forms.ChoiceField(
        label=_("Assessment"),
        choices=ChecklistMark.Value.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose met, not met or needs information.")},
    )
    note = forms.CharField(label=_("Note"), max_length=1_000, required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=ReviewDecision.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve, reject or ask for more information.")},
    )
    note = forms.CharField(
        label=_("Reason or question for the applicant"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Needed when you reject or ask for information: the applicant reads it. "
            "Reviewers are shown to the applicant as “TTC coordinator”."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        needs_note = (ReviewDecision.Decision.REJECT, ReviewDecision.Decision.REQUEST_INFORMATION)
        if cleaned.get("decision") in needs_note and not cleaned.get("note"):
            self.add_error("note", _("Write the reason or the question for the applicant."))
        return cleaned


class PartyRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the public party"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the reason for the public party.")},
    )
