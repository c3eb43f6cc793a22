from __future__ import annotations

import random
import time
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from ttc.accounts.models import User
from ttc.announcements.services import announcement_publish
from ttc.core import audit
from ttc.core.tlp import TLP
from ttc.members.models import ExpertSkill, Membership, Organisation, OrganisationKind, Skill

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
        if companies < 3 or experts < 3:
            raise CommandError("Seed at least 3 member companies and 3 experts.")
        started = time.perf_counter()
        if User.objects.filter(email=PERSONAS[0][1]).exists():
            self.stdout.write("Demo data is already loaded; nothing changed.")
        else:
            with transaction.atomic():
                Seeder(companies=companies, experts=experts).run()
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded in {time.perf_counter() - started:.1f} s.")
            )
        self.stdout.write(f"\nDemo log-ins (password for each: {DEMO_PASSWORD}):")
        for _, email, description in PERSONAS:
            self.stdout.write(f"  {email:42} {description}")
        self.stdout.write(
            "Every log-in except the anonymous visitor must set up two-factor authentication "
            "(an authenticator app) on first sign-in.\n"
        )


class Seeder:
    def __init__(self, *, companies: int, experts: int) -> None:
        self.fake = Faker("nl_NL")
        self.fake.seed_instance(2020)
        self.random = random.Random(2020)
        self.companies = companies
        self.experts = experts
        self.password = make_password(DEMO_PASSWORD)
        self.now = timezone.now()

    def run(self) -> None:
        member_companies = self.member_companies()
        public = self.public_parties()
        people = self.people(member_companies, public)
        self.declare_clients(member_companies, public)
        self.announcements(people, member_companies, public)
        audit.record(
            actor=None,
            action="demo.seed",
            summary=f"Demo data: {len(member_companies)} member companies, "
            f"{len(public)} public parties, {User.objects.count()} people",
        )

    def _organisations(self, rows: list[dict[str, Any]]) -> list[Organisation]:
        return Organisation.objects.bulk_create(Organisation(**row) for row in rows)

    def member_companies(self) -> list[Organisation]:
        persona_companies = ["Veilig Netwerk B.V.", "Andere Software B.V."]
        names = set(persona_companies)
        while len(names) < self.companies:
            trade = self.random.choice(TRADES)
            names.add(f"{self.fake.last_name()} {trade} {self.fake.company_suffix()}")
        others = sorted(names - set(persona_companies))
        rows = []
        for index, name in enumerate(persona_companies + others):
            # The persona companies are always vetted; about one in twelve others waits.
            vetted = index < len(persona_companies) or self.random.random() > 0.08
            rows.append(
                {
                    "name": name,
                    "kind": OrganisationKind.MEMBER_COMPANY,
                    "city": self.fake.city(),
                    "website": f"https://www.{slugify(name)}.nl",
                    "description": self.fake.catch_phrase(),
                    "vetted_at": self.now if vetted else None,
                }
            )
        return self._organisations(rows)

    def public_parties(self) -> list[Organisation]:
        umbrellas = self._organisations(
            [
                {
                    "name": name,
                    "kind": OrganisationKind.UMBRELLA,
                    "city": city,
                    "vetted_at": self.now,
                }
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
             "umbrella": umbrellas[i % len(umbrellas)], "vetted_at": self.now}
            for i, name in enumerate(hospital_names)
        ]  # fmt: skip
        rows += [{"name": f"GGD {region}", "kind": OrganisationKind.GGD, "city": region,
                  "vetted_at": self.now} for region in GGD_REGIONS]  # fmt: skip
        rows += [{"name": f"Gemeente {self.fake.unique.city()}", "vetted_at": self.now,
                  "kind": OrganisationKind.MUNICIPALITY} for _ in range(10)]  # fmt: skip
        rows += [{"name": name, "kind": OrganisationKind.MINISTRY, "city": "Den Haag",
                  "vetted_at": self.now} for name in MINISTRIES]  # fmt: skip
        rows += [{"name": name, "kind": OrganisationKind.PUBLIC_OTHER, "vetted_at": self.now}
                 for name in OTHER_PUBLIC]  # fmt: skip
        return umbrellas + self._organisations(rows)

    def _user(self, email: str, name: str, **fields: Any) -> User:
        return User(
            email=email, full_name=name, password=self.password, date_joined=self.now, **fields
        )

    def people(self, companies: list[Organisation], public: list[Organisation]) -> dict[str, User]:
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
        experts: list[User] = [personas["member_admin"], personas["expert"], personas["outsider"]]
        for index in range(self.experts - len(experts)):
            company = companies[index % len(companies)]
            first, last = self.fake.first_name(), self.fake.last_name()
            address = f"{slugify(first)}.{slugify(last)}.{index}@{slugify(company.name)}.nl"
            user = self._user(address, f"{first} {last}")
            users.append(user)
            experts.append(user)
            role = "admin" if index < len(companies) else "member"
            memberships.append((user, company, role))
        for org in public:
            first, last = self.fake.first_name(), self.fake.last_name()
            user = self._user(
                f"{slugify(first)}.{slugify(last)}@{slugify(org.name)}.nl", f"{first} {last}"
            )
            users.append(user)
            memberships.append((user, org, "admin"))
        User.objects.bulk_create(users, batch_size=500)
        EmailAddress.objects.bulk_create(
            (EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users),
            batch_size=500,
        )
        Membership.objects.bulk_create(
            (Membership(user=u, organisation=o, role=r) for u, o, r in memberships), batch_size=500
        )
        self.skills(experts)
        # The core team's other members have long set up their second factor.
        for colleague in coordinators:
            TOTP.activate(colleague, generate_totp_secret())
        self.core_team = coordinators
        return personas

    def skills(self, experts: list[User]) -> None:
        subskills = list(Skill.objects.filter(parent__isnull=False))
        levels = [level for level, _ in ExpertSkill.Level.choices]
        ExpertSkill.objects.bulk_create(
            (
                ExpertSkill(user=expert, skill=skill, level=self.random.choice(levels))
                for expert in experts
                for skill in self.random.sample(subskills, self.random.randint(1, 4))
            ),
            batch_size=1000,
        )

    def declare_clients(self, companies: list[Organisation], public: list[Organisation]) -> None:
        hospitals = [org for org in public if org.kind == OrganisationKind.HOSPITAL]
        through = Organisation.clients.through
        pairs = {(companies[0].pk, hospitals[0].pk)}
        for company in self.random.sample(companies, min(40, len(companies))):
            pairs.add((company.pk, self.random.choice(hospitals).pk))
        through.objects.bulk_create(
            through(from_organisation_id=a, to_organisation_id=b) for a, b in sorted(pairs)
        )

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
        announcement_publish(
            author=coordinator,
            title="Phishingcampagne gericht op ziekenhuizen in Noord-Nederland",
            body="Sinds maandag zien we phishingmails met een vervalste factuur van een "
            "medische leverancier. Deel de indicatoren alleen binnen je eigen organisatie "
            "en met je klanten.",
            tlp=TLP.AMBER,
            organisations=[companies[0], hospital, companies[2]],
        )
        announcement_publish(
            author=coordinator,
            title="Voorbereiding gesprek met VWS",
            body="Strikt vertrouwelijk: concept-agenda voor het gesprek van donderdag.",
            tlp=TLP.RED,
            people=self.core_team[:2],
        )
