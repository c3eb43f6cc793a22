from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from datetime import time as day_time
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from stdnum.nl import bsn

from ttc.accounts.models import User
from ttc.announcements.services import announcement_publish
from ttc.core import audit
from ttc.core.tlp import TLP
from ttc.demo import documents, incidents
from ttc.demo.helprequests import MIN_REQUESTS, REQUESTS_PER_COMPANY, RequestSeeder, summary
from ttc.members import breaches, experts, vetting
from ttc.members.compliance import Issue
from ttc.members.consents import CHATHAM_HOUSE_VERSION, PLEDGE_VERSION
from ttc.members.models import (
    LANGUAGES,
    PROVINCES,
    Application,
    BreachReport,
    ChecklistMark,
    CodeOfConduct,
    Consent,
    ExpertInvitation,
    ExpertProfile,
    ExpertSkill,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    ReviewDecision,
    Skill,
    TaxStatement,
    add_months,
)

DEMO_PASSWORD = "demo-wachtwoord-2026"

PERSONAS = [
    ("coordinator", "coordinator@techtegencorona.nl", "Coördinator (kernteam)"),
    ("member_admin", "beheer@veilignetwerk.nl", "Beheerder lidbedrijf (Veilig Netwerk B.V.)"),
    ("expert", "expert@veilignetwerk.nl", "Expert (Veilig Netwerk B.V.)"),
    ("requester", "ciso@ziekenhuis-noorderlicht.nl", "Aanvrager (Ziekenhuis Noorderlicht)"),
    ("umbrella", "info@zorgkoepel-noord.nl", "Koepelorganisatie (Zorgkoepel Noord)"),
    ("outsider", "dev@andere-software.nl", "Medewerker ander lidbedrijf (Andere Software B.V.)"),
]

GGD_REGIONS = [
    "Groningen", "Fryslân", "Drenthe", "IJsselland", "Twente", "Noord- en Oost-Gelderland",
    "Gelderland-Midden", "Gelderland-Zuid", "Flevoland", "Regio Utrecht", "Hollands Noorden",
    "Zaanstreek-Waterland", "Amsterdam", "Kennemerland", "Hollands Midden", "Haaglanden",
    "Rotterdam-Rijnmond", "Zuid-Holland Zuid", "Zeeland", "West-Brabant", "Hart voor Brabant",
    "Brabant-Zuidoost", "Limburg-Noord", "Zuid-Limburg", "Gooi en Vechtstreek",
]  # fmt: skip
MINISTRIES = [
    "Ministerie van Volksgezondheid, Welzijn en Sport",
    "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties",
    "Ministerie van Justitie en Veiligheid",
    "Ministerie van Economische Zaken",
    "Ministerie van Onderwijs, Cultuur en Wetenschap",
]
TRADES = ["IT", "Data", "Cloud", "Security", "Digital", "Software", "Netwerken"]
OTHER_PUBLIC = ["RIVM", "Landelijk Netwerk Acute Zorg", "Veiligheidsregio Utrecht"]
PERSONA_COMPANIES = ["Veilig Netwerk B.V.", "Andere Software B.V."]

# Where each member company stands. APPROVED is the rest.
APPLIED = "applied"
UNDER_REVIEW = "under_review"
INFO_REQUESTED = "info_requested"
APPROVED = "approved"
TAX_EXPIRING = "tax_expiring"  # approved; its tax statement expires within 30 days
TAX_EXPIRED = "tax_expired"  # approved but not compliant
SUSPENDED = "suspended"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
#: (state, share of the companies, at least): every state exists at any scale.
STATE_SHARES = [
    (APPLIED, 0.03, 2),
    (UNDER_REVIEW, 0.02, 2),
    (INFO_REQUESTED, 0.01, 1),
    (TAX_EXPIRING, 0.0, 1),
    (TAX_EXPIRED, 0.0, 1),
    (SUSPENDED, 0.0, 1),
    (REJECTED, 0.01, 1),
    (WITHDRAWN, 0.0, 1),
]
#: Companies that were approved at some point keep experts; applicants have only their admin.
STAFFED = (APPROVED, TAX_EXPIRING, TAX_EXPIRED, SUSPENDED)
MIN_COMPANIES = len(PERSONA_COMPANIES) + sum(minimum for _, _, minimum in STATE_SHARES)

# (name, kind, city, agb_code, oin): public parties that registered and wait for a coordinator.
WAITING_PUBLIC_PARTIES = [
    ("Ziekenhuis Amstelland", OrganisationKind.HOSPITAL, "Amstelveen", "06011234", ""),
    ("Gemeente Zuidplas", OrganisationKind.MUNICIPALITY, "Nieuwerkerk aan den IJssel",
     "", "00000001001234567000"),
]  # fmt: skip
# What the member admin's company and the expert persona offer: each is proposed
# for a request that asks for it.
MEMBER_ADMIN_OFFER: dict[str, Any] = {
    "capacity_hours": 80,
    "regions": ["drenthe", "friesland", "groningen"],
    "languages": ["nl", "en"],
}
MEMBER_ADMIN_EXPERTISE = ["Netwerkbeheer", "Wifi en locaties", "VPN en thuiswerken",
                          "Testen en kwaliteit"]  # fmt: skip
EXPERT_PERSONA_SKILLS = [("DPIA", 3), ("AVG-advies", 3), ("Identiteit en toegang", 2)]
EXPERT_PERSONA_PROFILE: dict[str, Any] = {
    "hours_per_week": 16,
    "region": "groningen",
    "languages": ["nl", "en"],
}
INDEPENDENT_EXPERTS = [
    ("Jansen Privacy Advies", "Amersfoort", APPROVED),
    ("De Wit Security Consultancy", "Zwolle", APPROVED),
    ("Bakker Data & Zorg", "Maastricht", APPROVED),
    ("Van Dijk Netwerkadvies", "Assen", APPLIED),
    ("Smit Toegankelijkheid", "Haarlem", APPLIED),
]

PRIVACY_STATEMENTS = [
    "Wij verwerken persoonsgegevens alleen in opdracht, binnen de EU, met versleutelde opslag "
    "en toegang op basis van need-to-know. Onze medewerkers tekenen een geheimhoudingsverklaring.",
    "We zijn ISO 27001-gecertificeerd en volgen de AVG. Gegevens van zorgorganisaties blijven "
    "op hun eigen systemen; wij werken via hun beheerde werkplekken.",
    "Privacy by design: we verzamelen niet meer dan nodig en verwijderen gegevens na afloop van "
    "de opdracht. Onze FG kijkt mee bij elke opdracht met persoonsgegevens.",
]
DECISION_NOTES = {
    REJECTED: "Uw bedrijf is niet in Nederland gevestigd; de Gedragscode vraagt een Nederlandse "
    "vestiging. U bent welkom om opnieuw aan te vragen met een Nederlandse vestiging.",
    INFO_REQUESTED: "Kunt u toelichten of u een verwerkersovereenkomst tekent wanneer u met "
    "patiëntgegevens werkt? In uw aanvraag is dat niet aangevinkt.",
}


def demo_pdf() -> bytes:
    """A tiny but valid one-page PDF standing in for a "verklaring betalingsgedrag"."""
    text = b"BT /F1 14 Tf 72 770 Td (Verklaring betalingsgedrag - demo) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


class Command(BaseCommand):
    help = "Load realistic Dutch demo data at the coalition's real scale (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--companies", type=int, default=300)
        parser.add_argument("--experts", type=int, default=2000)

    def handle(self, *args: Any, companies: int, experts: int, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo loads published demo log-ins; it never runs in production"
            )
        if companies < MIN_COMPANIES or experts < companies:
            raise CommandError(
                f"Seed at least {MIN_COMPANIES} member companies (one in each membership "
                "state) and at least as many experts as companies (each company has an admin)."
            )
        started = time.perf_counter()
        if User.objects.filter(email=PERSONAS[0][1]).exists():
            self.stdout.write("Demo data is already loaded; nothing changed.")
        else:
            with transaction.atomic():
                Seeder(companies=companies, experts=experts).run()
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded in {time.perf_counter() - started:.1f} s.")
            )
        for line in summary() + documents.summary() + incidents.summary():
            self.stdout.write(line)
        self.stdout.write(f"\nDemo log-ins (password for each: {DEMO_PASSWORD}):")
        for _, email, description in PERSONAS:
            self.stdout.write(f"  {email:42} {description}")
        self.stdout.write(
            "Every log-in except the anonymous visitor must set up two-factor authentication "
            "(an authenticator app) on first sign-in."
        )
        for line in incidents.who_sees_what(PERSONAS):
            self.stdout.write(line)
        self.stdout.write("")


class Seeder:
    def __init__(self, *, companies: int, experts: int) -> None:
        self.fake = Faker("nl_NL")
        self.fake.seed_instance(2020)
        self.random = random.Random(2020)
        self.companies = companies
        self.experts = experts
        self.password = make_password(DEMO_PASSWORD)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.state: dict[int, str] = {}
        self.admin_of: dict[int, User] = {}
        self.pdf = demo_pdf()

    def run(self) -> None:
        code = CodeOfConduct.objects.current()
        if code is None:
            raise CommandError("Run the migrations first: they publish the first Code of Conduct.")
        self.code = code
        member_companies = self.member_companies()
        independents = self.independent_experts()
        public = self.public_parties()
        people = self.people(member_companies, public, independents)
        members = member_companies + independents
        self.applications(members)
        self.offers(members)
        self.tax_statements(member_companies)
        self.approvals(members)
        self.reviews_in_progress(members)
        self.breaches(member_companies, people, public)
        self.invitations(people, member_companies[0])
        self.waiting_public_parties()
        self.declare_clients(member_companies, public)
        self.announcements(people, member_companies, public)
        requests = max(MIN_REQUESTS, round(self.companies * REQUESTS_PER_COMPANY))
        RequestSeeder(
            rng=self.random,
            personas=people,
            coordinators=self.core_team,
            public=public,
            public_people=self.public_people,
            admin_of=self.admin_of,
            conflicts=self.conflicts(member_companies, public),
            count=requests,
        ).run()
        documents.DocumentSeeder(personas=people, coordinators=self.core_team).run()
        incidents.IncidentSeeder(personas=people, coordinators=self.core_team).run()
        audit.record(
            actor=None,
            action="demo.seed",
            summary=f"Demo data: {len(member_companies)} member companies, "
            f"{len(independents)} independent experts, "
            f"{len(public) + len(WAITING_PUBLIC_PARTIES)} public parties, "
            f"{User.objects.count()} people, {requests} help requests",
        )

    def _organisations(self, rows: list[dict[str, Any]]) -> list[Organisation]:
        return Organisation.objects.bulk_create(Organisation(**row) for row in rows)

    # Members ----------------------------------------------------------------------------

    def _states(self, others: int) -> list[str]:
        states = [
            state
            for state, share, minimum in STATE_SHARES
            for _ in range(max(minimum, round(others * share)))
        ]
        states += [APPROVED] * (others - len(states))
        self.random.shuffle(states)
        return states

    def _postcode(self) -> str:
        letters = "".join(self.random.choices("ABCEGHJKLMNPRTVWXZ", k=2))
        return f"{self.random.randint(1000, 9999)} {letters}"

    def _vat_number(self) -> str:
        while True:
            digits = f"{self.random.randint(10_000_000, 999_999_999):09d}"
            if bsn.is_valid(digits):
                return f"NL{digits}B01"

    def _vetted_at(self) -> Any:
        return self.now - timedelta(days=self.random.randint(60, 1900))

    def member_companies(self) -> list[Organisation]:
        names = set(PERSONA_COMPANIES)
        while len(names) < self.companies:
            trade = self.random.choice(TRADES)
            names.add(f"{self.fake.last_name()} {trade} {self.fake.company_suffix()}")
        others = sorted(names - set(PERSONA_COMPANIES))
        states = [APPROVED] * len(PERSONA_COMPANIES) + self._states(len(others))
        rows = []
        for name, state in zip(PERSONA_COMPANIES + others, states, strict=True):
            approved_once = state in STAFFED
            rows.append(
                {
                    "name": name,
                    "kind": OrganisationKind.MEMBER_COMPANY,
                    "city": self.fake.city(),
                    "street": self.fake.street_address(),
                    "postcode": self._postcode(),
                    "website": f"https://www.{slugify(name)}.nl",
                    "description": self.fake.catch_phrase(),
                    "kvk_number": f"{self.random.randint(10_000_000, 99_999_999)}",
                    "establishment_number": f"{self.random.randint(1, 999_999_999_999):012d}",
                    "vat_number": self._vat_number() if self.random.random() < 0.9 else "",
                    # Those under review start as applied: the review services move them.
                    "status": MemberStatus.APPROVED if approved_once else MemberStatus.APPLIED,
                    "vetted_at": self._vetted_at() if approved_once else None,
                }
            )
        companies = self._organisations(rows)
        for company, state in zip(companies, states, strict=True):
            self.state[company.pk] = state
        return companies

    def independent_experts(self) -> list[Organisation]:
        rows = []
        for name, city, state in INDEPENDENT_EXPERTS:
            rows.append(
                {
                    "name": name,
                    "kind": OrganisationKind.INDEPENDENT_EXPERT,
                    "city": city,
                    "website": f"https://www.{slugify(name)}.nl",
                    "description": "Zelfstandig expert, aangesloten bij TechTegenCorona.",
                    "status": MemberStatus.APPROVED if state == APPROVED else MemberStatus.APPLIED,
                    "vetted_at": self._vetted_at() if state == APPROVED else None,
                }
            )
        independents = self._organisations(rows)
        for organisation, (_, _, state) in zip(independents, INDEPENDENT_EXPERTS, strict=True):
            self.state[organisation.pk] = state
        return independents

    def public_parties(self) -> list[Organisation]:
        verified = {"status": MemberStatus.APPROVED, "vetted_at": self.now}
        umbrellas = self._organisations(
            [
                {"name": name, "kind": OrganisationKind.UMBRELLA, "city": city, **verified}
                for name, city in [
                    ("Zorgkoepel Noord", "Groningen"),
                    ("Samenwerkende Ziekenhuizen Midden", "Utrecht"),
                    ("Zorgnetwerk Zuid", "Eindhoven"),
                    ("Koepel Langdurige Zorg", "Den Haag"),
                    ("Vereniging Regionale Zorg", "Zwolle"),
                ]
            ]
        )
        kinds = ["Ziekenhuis", "Medisch Centrum", "Ziekenhuisgroep"]
        hospital_names = ["Ziekenhuis Noorderlicht"] + [
            f"{self.random.choice(kinds)} {self.fake.unique.city()}" for _ in range(11)
        ]
        rows: list[dict[str, Any]] = [
            {"name": name, "kind": OrganisationKind.HOSPITAL, "city": name.split()[-1],
             "umbrella": umbrellas[i % len(umbrellas)],
             "agb_code": f"06{self.random.randint(0, 999_999):06d}", **verified}
            for i, name in enumerate(hospital_names)
        ]  # fmt: skip
        rows += [{"name": f"GGD {region}", "kind": OrganisationKind.GGD, "city": region,
                  **verified} for region in GGD_REGIONS]  # fmt: skip
        rows += [{"name": f"Gemeente {self.fake.unique.city()}", **verified,
                  "kind": OrganisationKind.MUNICIPALITY} for _ in range(10)]  # fmt: skip
        rows += [{"name": name, "kind": OrganisationKind.MINISTRY, "city": "Den Haag",
                  **verified} for name in MINISTRIES]  # fmt: skip
        rows += [{"name": name, "kind": OrganisationKind.PUBLIC_OTHER, **verified}
                 for name in OTHER_PUBLIC]  # fmt: skip
        return umbrellas + self._organisations(rows)

    # People -----------------------------------------------------------------------------

    def _user(self, email: str, name: str, **fields: Any) -> User:
        return User(
            email=email, full_name=name, password=self.password, date_joined=self.now, **fields
        )

    def people(
        self,
        companies: list[Organisation],
        public: list[Organisation],
        independents: list[Organisation],
    ) -> dict[str, User]:
        by_name = {org.name: org for org in companies + public}
        personas = {
            "coordinator": self._user(PERSONAS[0][1], "Carla de Vries", is_coordinator=True),
            "member_admin": self._user(PERSONAS[1][1], "Mehmet Yılmaz"),
            "expert": self._user(PERSONAS[2][1], "Eva Jansen"),
            "requester": self._user(PERSONAS[3][1], "Ruud Bakker"),
            "umbrella": self._user(PERSONAS[4][1], "Ursula Visser"),
            "outsider": self._user(PERSONAS[5][1], "Otto de Boer"),
        }
        coordinators = [
            self._user(f"{slugify(name)}@techtegencorona.nl", name, is_coordinator=True)
            for name in (self.fake.name() for _ in range(3))
        ]
        users: list[User] = [*personas.values(), *coordinators]
        memberships: list[tuple[User, Organisation, str]] = [
            (personas["member_admin"], by_name["Veilig Netwerk B.V."], "admin"),
            (personas["expert"], by_name["Veilig Netwerk B.V."], "member"),
            (personas["requester"], by_name["Ziekenhuis Noorderlicht"], "admin"),
            (personas["umbrella"], by_name["Zorgkoepel Noord"], "admin"),
            (personas["outsider"], by_name["Andere Software B.V."], "admin"),
        ]
        self.admin_of[by_name["Veilig Netwerk B.V."].pk] = personas["member_admin"]
        self.admin_of[by_name["Andere Software B.V."].pk] = personas["outsider"]
        company_people: list[User] = [
            personas["member_admin"],
            personas["expert"],
            personas["outsider"],
        ]
        # Experts join through an invitation, which only approved companies send.
        staffed = [c for c in companies if self.state[c.pk] in STAFFED]
        for index in range(self.experts - len(company_people)):
            is_admin = index < len(companies)
            company = companies[index] if is_admin else staffed[index % len(staffed)]
            first, last = self.fake.first_name(), self.fake.last_name()
            address = f"{slugify(first)}.{slugify(last)}.{index}@{slugify(company.name)}.nl"
            user = self._user(address, f"{first} {last}")
            users.append(user)
            company_people.append(user)
            memberships.append((user, company, "admin" if is_admin else "member"))
            if is_admin:
                self.admin_of.setdefault(company.pk, user)
        independent_people = []
        for organisation in independents:
            first, last = self.fake.first_name(), organisation.name.split()[0]
            user = self._user(
                f"{slugify(first)}@{slugify(organisation.name)}.nl", f"{first} {last}"
            )
            users.append(user)
            independent_people.append(user)
            memberships.append((user, organisation, "admin"))
            self.admin_of[organisation.pk] = user
        self.public_people: dict[int, User] = {}
        for org in public:
            first, last = self.fake.first_name(), self.fake.last_name()
            user = self._user(
                f"{slugify(first)}.{slugify(last)}@{slugify(org.name)}.nl", f"{first} {last}"
            )
            users.append(user)
            memberships.append((user, org, "admin"))
            self.public_people[org.pk] = user
        User.objects.bulk_create(users, batch_size=500)
        EmailAddress.objects.bulk_create(
            (EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users),
            batch_size=500,
        )
        Membership.objects.bulk_create(
            (Membership(user=u, organisation=o, role=r) for u, o, r in memberships), batch_size=500
        )
        self.skills(company_people + independent_people, personas)
        self.expert_profiles(company_people + independent_people, personas)
        # The core team's other members have long set up their second factor.
        for colleague in coordinators:
            TOTP.activate(colleague, generate_totp_secret())
        self.core_team = coordinators
        return personas

    def skills(self, people: list[User], personas: dict[str, User]) -> None:
        subskills = list(Skill.objects.filter(parent__isnull=False))
        levels = [level for level, _ in ExpertSkill.Level.choices]
        rows = [
            ExpertSkill(user=expert, skill=skill, level=self.random.choice(levels))
            for expert in people
            for skill in self.random.sample(subskills, self.random.randint(1, 4))
        ]
        # The expert persona is proposed for a privacy request in the demo.
        expert = personas["expert"]
        by_name = {skill.name: skill for skill in subskills}
        rows = [row for row in rows if row.user != expert] + [
            ExpertSkill(user=expert, skill=by_name[name], level=level)
            for name, level in EXPERT_PERSONA_SKILLS
        ]
        ExpertSkill.objects.bulk_create(rows, batch_size=1000)

    def expert_profiles(self, people: list[User], personas: dict[str, User]) -> None:
        """Most experts filled in their profile and agreed personally; some not yet."""
        always = {personas["member_admin"].pk, personas["expert"].pk, personas["outsider"].pk}
        provinces = [code for code, _ in PROVINCES]
        languages = [code for code, _ in LANGUAGES]
        profiles, consents = [], []
        for person in people:
            if person.pk not in always and self.random.random() < 0.08:
                continue
            spoken = ["nl", *self.random.sample(languages[1:], self.random.randint(0, 2))]
            profile = ExpertProfile(
                user=person,
                hours_per_week=self.random.choice([2, 4, 4, 8, 8, 12, 16, 20, 24, 32, 40]),
                languages=spoken,
                region=self.random.choice(provinces),
                vog_date=self.today - timedelta(days=self.random.randint(20, 700))
                if self.random.random() < 0.3
                else None,
            )
            if person == personas["expert"]:
                for field, value in EXPERT_PERSONA_PROFILE.items():
                    setattr(profile, field, value)
            profiles.append(profile)
            if person.pk not in always and self.random.random() < 0.1:
                continue
            consents += [
                Consent(user=person, kind=Consent.Kind.CODE_OF_CONDUCT, version=self.code.version),
                Consent(
                    user=person, kind=Consent.Kind.CHATHAM_HOUSE, version=CHATHAM_HOUSE_VERSION
                ),
            ]
        ExpertProfile.objects.bulk_create(profiles, batch_size=1000)
        Consent.objects.bulk_create(consents, batch_size=1000)

    # Applications, offers, statements and the review --------------------------------------

    def _submitted_at(self, organisation: Organisation) -> Any:
        if organisation.vetted_at is not None:
            return organisation.vetted_at - timedelta(days=self.random.randint(3, 20))
        # Still waiting: the review queue shows days waiting, oldest first.
        return self.now - timedelta(
            days=self.random.randint(1, 25), hours=self.random.randint(0, 23)
        )

    def applications(self, members: list[Organisation]) -> None:
        """Each member applied once, accepting the Code, the Chatham House Rule and
        the pledge on behalf of the organisation."""
        self.submitted: dict[int, Any] = {}
        applications, consents = [], []
        for organisation in members:
            applicant = self.admin_of[organisation.pk]
            submitted = self._submitted_at(organisation)
            self.submitted[organisation.pk] = submitted
            applications.append(
                Application(
                    organisation=organisation,
                    applicant=applicant,
                    code_of_conduct=self.code,
                    privacy_statement=self.random.choice(PRIVACY_STATEMENTS),
                    privacy_policy_url=f"{organisation.website}/privacy"
                    if organisation.website
                    else "",
                    signs_processor_agreement=self.state[organisation.pk] != INFO_REQUESTED,
                    submitted_at=submitted,
                )
            )
            consents += [
                Consent(
                    user=applicant,
                    organisation=organisation,
                    kind=kind,
                    version=version,
                    accepted_at=submitted,
                )
                for kind, version in (
                    (Consent.Kind.CODE_OF_CONDUCT, self.code.version),
                    (Consent.Kind.CHATHAM_HOUSE, CHATHAM_HOUSE_VERSION),
                    (Consent.Kind.PLEDGE, PLEDGE_VERSION),
                )
            ]
        self.application_of = {
            a.organisation_id: a for a in Application.objects.bulk_create(applications)
        }
        Consent.objects.bulk_create(consents, batch_size=1000)

    def offers(self, members: list[Organisation]) -> None:
        skills = list(Skill.objects.all())
        provinces = [code for code, _ in PROVINCES]
        through = Organisation.expertise.through
        links = []
        for organisation in members:
            organisation.capacity_hours = self.random.choice([4, 8, 16, 24, 40, 80, 120, 200])
            organisation.regions = sorted(self.random.sample(provinces, self.random.randint(1, 5)))
            organisation.languages = ["nl", "en"] if self.random.random() < 0.7 else ["nl"]
            offered = self.random.sample(skills, self.random.randint(1, 4))
            if organisation.name == PERSONA_COMPANIES[0]:
                # The member admin's company is proposed for network work in the demo.
                for field, value in MEMBER_ADMIN_OFFER.items():
                    setattr(organisation, field, value)
                offered = [s for s in skills if s.name in MEMBER_ADMIN_EXPERTISE or s in offered]
            links += [through(organisation_id=organisation.pk, skill_id=s.pk) for s in offered]
        Organisation.objects.bulk_update(
            members, ["capacity_hours", "regions", "languages"], batch_size=500
        )
        through.objects.bulk_create(links, batch_size=1000)

    def tax_statements(self, companies: list[Organisation]) -> None:
        """Every company holds a statement: recent for members in good standing,
        one expiring within a month, one expired (that member is not compliant)."""
        statements = []
        for company in companies:
            state = self.state[company.pk]
            if state == TAX_EXPIRING:
                issued = add_months(self.today, -12) + timedelta(days=20)
            elif state == TAX_EXPIRED:
                issued = add_months(self.today, -12) - timedelta(days=20)
            else:
                issued = self.today - timedelta(days=self.random.randint(5, 150))
            statements.append(
                TaxStatement(
                    organisation=company,
                    file=ContentFile(self.pdf, name="verklaring.pdf"),
                    issued_on=issued,
                    uploaded_by=self.admin_of[company.pk],
                    uploaded_at=timezone.make_aware(datetime.combine(issued, day_time(10))),
                )
            )
            if state == TAX_EXPIRED:
                company.compliance_issues = [Issue.TAX_STATEMENT_EXPIRED]
                company.noncompliant_since = add_months(issued, 12)
        TaxStatement.objects.bulk_create(statements, batch_size=500)
        Organisation.objects.bulk_update(
            [c for c in companies if self.state[c.pk] == TAX_EXPIRED],
            ["compliance_issues", "noncompliant_since"],
        )

    def _reviewers(self) -> tuple[User, User]:
        """Two different coordinators: the four-eyes rule."""
        first, second = self.random.sample(self.core_team, 2)
        return first, second

    def approvals(self, members: list[Organisation]) -> None:
        """Approved members passed the checklist and two coordinators approved them."""
        criteria = list(self.code.criteria.all())
        decisions, marks = [], []
        for organisation in members:
            if organisation.vetted_at is None:
                continue
            application = self.application_of[organisation.pk]
            first, second = self._reviewers()
            marks += [
                ChecklistMark(
                    application=application,
                    criterion=criterion,
                    value=ChecklistMark.Value.MET,
                    marked_by=first,
                    marked_at=organisation.vetted_at - timedelta(days=1),
                )
                for criterion in criteria
            ]
            decisions += [
                ReviewDecision(
                    application=application,
                    reviewer=reviewer,
                    decision=ReviewDecision.Decision.APPROVE,
                    round=1,
                    created_at=organisation.vetted_at - timedelta(hours=hours),
                )
                for reviewer, hours in ((first, 20), (second, 0))
            ]
        ChecklistMark.objects.bulk_create(marks, batch_size=1000)
        ReviewDecision.objects.bulk_create(decisions, batch_size=1000)

    def reviews_in_progress(self, members: list[Organisation]) -> None:
        """The open applications go through the real services: checklist marks,
        one approval, a question, a rejection, a withdrawal."""
        criteria = list(self.code.criteria.all())
        for member in members:
            state = self.state[member.pk]
            reviewer = self.core_team[member.pk % len(self.core_team)]

            def fresh(pk: int = member.pk) -> Organisation:
                # Each service moves the status on: give the next one the current row.
                return Organisation.objects.get(pk=pk)

            if state in (UNDER_REVIEW, INFO_REQUESTED):
                for criterion in criteria[:4]:
                    vetting.checklist_mark(
                        reviewer=reviewer,
                        organisation=fresh(),
                        criterion=criterion,
                        value=ChecklistMark.Value.MET,
                    )
            if state == UNDER_REVIEW:
                vetting.checklist_mark(
                    reviewer=reviewer,
                    organisation=fresh(),
                    criterion=criteria[4],
                    value=ChecklistMark.Value.NEEDS_INFORMATION,
                    note="Referentie van een eerdere opdracht opvragen.",
                )
                # One approval: the demo coordinator can give the second.
                vetting.application_decide(
                    reviewer=reviewer,
                    organisation=fresh(),
                    decision=ReviewDecision.Decision.APPROVE,
                )
            elif state in (INFO_REQUESTED, REJECTED):
                vetting.application_decide(
                    reviewer=reviewer,
                    organisation=fresh(),
                    decision=ReviewDecision.Decision.REQUEST_INFORMATION
                    if state == INFO_REQUESTED
                    else ReviewDecision.Decision.REJECT,
                    note=DECISION_NOTES[state],
                )
            elif state == WITHDRAWN:
                vetting.membership_withdraw(actor=self.admin_of[member.pk], organisation=fresh())

    def breaches(
        self,
        companies: list[Organisation],
        personas: dict[str, User],
        public: list[Organisation],
    ) -> None:
        """One member suspended after a report of selling after a match, and one
        report still open."""
        hospitals = [org for org in public if org.kind == OrganisationKind.HOSPITAL]
        suspended = next(c for c in companies if self.state[c.pk] == SUSPENDED)
        report = breaches.breach_report(
            reporter=self.public_people[hospitals[1].pk],
            organisation=suspended,
            description="Na afloop van de hulp bij onze thuiswerkplekken stuurde het bedrijf "
            "ons een offerte voor een betaald beheercontract, met verwijzing naar de match.",
        )
        breaches.breach_decide(
            actor=personas["coordinator"],
            report=report,
            outcome=BreachReport.Outcome.SUSPENDED,
            note="Een match gebruiken voor verkoop is in strijd met artikel 2 van de "
            "Gedragscode. Het lidmaatschap is 60 dagen geschorst.",
            suspended_until=self.today + timedelta(days=60),
        )
        approved = [c for c in companies[2:] if self.state[c.pk] == APPROVED]
        reported = approved[0] if approved else companies[1]
        breaches.breach_report(
            reporter=self.public_people[hospitals[2].pk],
            organisation=reported,
            description="Een medewerker deelde in een openbare presentatie details uit onze "
            "verdiepingssessie, met naam van de spreker.",
        )

    def invitations(self, personas: dict[str, User], company: Organisation) -> None:
        """The persona company's invitations: one accepted, one open, one expired."""
        admin = personas["member_admin"]
        rows = [
            (personas["expert"].email, self.now - timedelta(days=200), personas["expert"]),
            ("sanne.de.groot@veilignetwerk.nl", self.now - timedelta(days=3), None),
            ("oud.adres@veilignetwerk.nl", self.now - timedelta(days=40), None),
        ]
        ExpertInvitation.objects.bulk_create(
            ExpertInvitation(
                organisation=company,
                email=email,
                token_hash=experts._hash(f"demo-{email}-{self.random.random()}"),
                invited_by=admin,
                created_at=created,
                accepted_at=created + timedelta(days=1) if joined else None,
                accepted_by=joined,
            )
            for email, created, joined in rows
        )

    def waiting_public_parties(self) -> None:
        """Two public parties registered and wait for a coordinator's verification."""
        for name, kind, city, agb_code, oin in WAITING_PUBLIC_PARTIES:
            first, last = self.fake.first_name(), self.fake.last_name()
            person = User.objects.create(
                email=f"{slugify(first)}.{slugify(last)}@{slugify(name)}.nl",
                full_name=f"{first} {last}",
                password=self.password,
                date_joined=self.now,
            )
            EmailAddress.objects.create(
                user=person, email=person.email, verified=True, primary=True
            )
            vetting.public_party_register(
                applicant=person, name=name, kind=kind, city=city, agb_code=agb_code, oin=oin
            )

    def declare_clients(self, companies: list[Organisation], public: list[Organisation]) -> None:
        # Declaring a client widens TLP:AMBER: only approved members do.
        approved = [c for c in companies if self.state[c.pk] in (APPROVED, TAX_EXPIRING)]
        hospitals = [org for org in public if org.kind == OrganisationKind.HOSPITAL]
        through = Organisation.clients.through
        pairs = {(companies[0].pk, hospitals[0].pk)}
        for company in self.random.sample(approved, min(40, len(approved))):
            pairs.add((company.pk, self.random.choice(hospitals).pk))
        through.objects.bulk_create(
            through(from_organisation_id=a, to_organisation_id=b) for a, b in sorted(pairs)
        )
        by_pk = {org.pk: org for org in companies + hospitals}
        self.client_pairs = [(by_pk[a], by_pk[b]) for a, b in sorted(pairs)]

    def conflicts(
        self, companies: list[Organisation], public: list[Organisation]
    ) -> list[tuple[Organisation, Organisation]]:
        """Relationships members declare, so that matching never proposes them to
        that party: a third of the declared clients (the personas' companies
        aside), and the outsider's company with the requester persona's hospital."""
        noorderlicht = next(org for org in public if org.name == "Ziekenhuis Noorderlicht")
        others = [pair for pair in self.client_pairs if pair[0].name not in PERSONA_COMPANIES]
        return [(companies[1], noorderlicht), *others[::3]]

    def announcements(
        self, people: dict[str, User], companies: list[Organisation], public: list[Organisation]
    ) -> None:
        coordinator = people["coordinator"]
        announcement_publish(
            author=coordinator,
            title="TechTegenCorona zoekt experts voor thuiswerk-beveiliging",
            body="Veel zorgorganisaties werken weer thuis. Wie kan **deze week** helpen met "
            "VPN-capaciteit en veilige werkplekken? Reageer via je dashboard.",
            tlp=TLP.CLEAR,
        )
        announcement_publish(
            author=coordinator,
            title="Situatierapport week 48",
            body="## Stand van zaken\n\n- 14 hulpvragen open, 3 kritiek\n- 212 uren gedoneerd\n\n"
            "Dank aan alle leden die afgelopen week hebben bijgedragen.",
            tlp=TLP.GREEN,
        )
        hospital = next(org for org in public if org.name == "Ziekenhuis Noorderlicht")
        third = next(c for c in companies[2:] if self.state[c.pk] in (APPROVED, TAX_EXPIRING))
        announcement_publish(
            author=coordinator,
            title="Phishingcampagne gericht op ziekenhuizen in Noord-Nederland",
            body="Sinds maandag zien we phishingmails met een vervalste factuur van een "
            "medische leverancier. Deel de indicatoren alleen binnen je eigen organisatie "
            "en met je klanten.",
            tlp=TLP.AMBER,
            organisations=[companies[0], hospital, third],
        )
        announcement_publish(
            author=coordinator,
            title="Voorbereiding gesprek met VWS",
            body="Strikt vertrouwelijk: concept-agenda voor het gesprek van donderdag.",
            tlp=TLP.RED,
            people=self.core_team[:2],
        )
