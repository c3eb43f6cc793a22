"""The demo's incidents: a ransomware wave against Dutch hospitals over the
last three weeks, told through the services.

The wave starts with phishing mails carrying a fake supplier's invoice, goes on
to a loader and ransomware ("NoxLocker", made up) at several hospitals, one of
which sees its patients' data on a leak site, while a hacktivist DDoS hits
another hospital's patient portal. The same infrastructure turns up at each
hospital, so correlation and the member feed have something to show.

Every report, acknowledgement, invitation, answer, status change, timeline
entry, task, note, indicator and NIS2 report is made by the service a person
would use, so each has its audit event and its notifications. The services
stamp the present; afterwards the seed moves what each step stamped back to the
moment it happened in the story (`IncidentSeeder.at`). The audit log keeps the
real time: it is a hash chain. Two things have no service, and the seed sets
them directly: the second factor the responders set up long ago, and the
research permission of the umbrella's analyst.

The indicators are made up. Domains and e-mail addresses use invented names
under real public suffixes (the extractor refuses `.example` and documentation
addresses, rightly); the IP addresses come from the ranges Tor exit relays
use, which real reports list too and which point at no single party; hashes
are digests of a fixed phrase, so they match no real file.
"""

from __future__ import annotations

import hashlib
import operator
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.models import Permission
from django.core.management.base import CommandError
from django.db.models import Count, Exists, F, Max, Model, OuterRef, Q
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core import access
from ttc.core.models import Notification
from ttc.core.tlp import TLP
from ttc.helprequests.models import ConflictOfInterest
from ttc.incidents import indicators, services
from ttc.incidents.models import (
    Category,
    Incident,
    Indicator,
    Note,
    NoteRevision,
    PersonalData,
    Responder,
    Severity,
    Stage,
    Status,
    Task,
    TimelineEvent,
)
from ttc.lib import indicators as ioc
from ttc.members.models import (
    MEMBER_KINDS,
    ExpertSkill,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
)

# --- The wave's infrastructure ---------------------------------------------------------


def _digest(algorithm: str, name: str) -> str:
    return hashlib.new(algorithm, f"TTC demo: {name}".encode()).hexdigest()


PHISH_DOMAIN = "zorgfactuur-portaal.nl"
PHISH_SENDER = f"facturen@{PHISH_DOMAIN}"
LURE_ZIP = "Factuur_MedSupply_0412.zip"
LURE_LNK = "Factuur_MedSupply_0412.pdf.lnk"
C2_DOMAIN = "cdn-telemetrie-update.com"
C2_BACKUP = "api.sync-mediscan.top"
LOADER_SHA256 = _digest("sha256", "NoxLocker loader")
LOADER_MD5 = _digest("md5", "NoxLocker loader")
ENCRYPTOR_SHA256 = _digest("sha256", "NoxLocker encryptor")
EXFIL_SHA1 = _digest("sha1", "renamed rclone")
RANSOM_NOTE = "NOXLOCKER-HERSTEL.hta"
RANSOM_CONTACT = "herstel@noxlocker-support.com"
#: Addresses in Tor exit relays' ranges: the attackers' VPN log-ins and scans came through them.
TOR_EXITS = ("185.220.101.34", "185.220.101.182", "185.220.100.241")
TOR_EXIT_V6 = "2a0b:f4c2:2::34"
BOOTER = "stressboot-panel.xyz"

#: Indicators the sources shared more widely than their incidents: the member
#: feed carries these. Everything else keeps its incident's label.
WIDER_LABELS: dict[str, str] = {
    **dict.fromkeys((*TOR_EXITS, TOR_EXIT_V6), TLP.CLEAR),
    **dict.fromkeys(
        (
            PHISH_DOMAIN,
            PHISH_SENDER,
            f"https://{PHISH_DOMAIN}/download/factuur?id=0412",
            LURE_ZIP,
            LURE_LNK,
            C2_DOMAIN,
            f"http://{C2_DOMAIN}/s/upd.js",
            LOADER_SHA256,
            BOOTER,
        ),
        TLP.GREEN,
    ),
}
#: What the responders wrote next to the wave's main indicators.
COMMENTS = {
    PHISH_SENDER: "Afzender van de factuurphishing (MedSupply Facturatie)",
    PHISH_DOMAIN: "Phishingdomein, vier dagen voor de eerste mail geregistreerd",
    LURE_ZIP: "Bijlage/download van de phishingmail",
    LURE_LNK: "Snelkoppeling in de zip: start PowerShell",
    C2_DOMAIN: "C2 van de loader (achter een CDN)",
    C2_BACKUP: "Reserve-C2 en exfiltratiebestemming",
    LOADER_SHA256: "Loader svchost-update.exe",
    LOADER_MD5: "Loader svchost-update.exe",
    "svchost-update.exe": "Loader; de naam lijkt op een Windows-proces",
    "upd.js": "Script dat de loader ophaalt",
    "noxsvc.exe": "NoxLocker-versleutelaar",
    "svc_sync.exe": "Hernoemde rclone voor exfiltratie",
    ENCRYPTOR_SHA256: "NoxLocker-versleutelaar noxsvc.exe",
    EXFIL_SHA1: "Hernoemde rclone (svc_sync.exe)",
    RANSOM_NOTE: "Losgeldbrief",
    RANSOM_CONTACT: "Contactadres in de losgeldbrief",
    BOOTER: "DDoS-dienst die de groep huurde",
    **dict.fromkeys((*TOR_EXITS, TOR_EXIT_V6), "Tor exit relay (openbaar)"),
}
#: Shared by the wave: each of these must turn up at three hospitals or more.
WAVE = (PHISH_SENDER, C2_DOMAIN, LOADER_SHA256, ENCRYPTOR_SHA256, TOR_EXITS[0])

# --- What people pasted: mails, EDR alerts and vendor reports, defanged ----------------

PHISHING_MAIL = f"""\
Doorgestuurd door de servicedesk, 08:52.

Van: "MedSupply Facturatie" <facturen[@]zorgfactuur-portaal[.]nl>
Onderwerp: Openstaande factuur 2026-0412 - betaling voor vrijdag
Return-Path: facturen[@]zorgfactuur-portaal[.]nl

Link in de mail: hxxps://zorgfactuur-portaal[.]nl/download/factuur?id=0412
Download: {LURE_ZIP}, met daarin {LURE_LNK}.
Het lnk-bestand start PowerShell en haalt hxxp://cdn-telemetrie-update[.]com/s/upd.js op.
EDR blokkeerde het script op werkplek 10.40.12.31; verbinding vanaf die werkplek
naar {TOR_EXITS[0].replace(".", "[.]", 1)} geweigerd door de firewall.
Afzenderdomein zorgfactuur-portaal[.]nl is vier dagen oud.
"""

FORWARDED_PHISH = """\
Gemeld via de phishingknop (6 meldingen, 11:02-11:40):
From: MedSupply Facturatie <facturen[@]zorgfactuur-portaal[.]nl>
Subject: Herinnering: openstaande factuur 2026-0412
Bijlage: Factuur_MedSupply_0412.zip (geblokkeerd door de mailgateway)
Afzender-IP volgens de headers: 10.2.0.15 (onze eigen relay), daarvoor 185.220.101[.]182.
"""

EDR_REPORT = f"""\
EDR vendor analysis - ransomware intrusion (TLP:AMBER+STRICT unless marked)

Initial access: invoice phishing from facturen[@]zorgfactuur-portaal[.]nl four days
before encryption; the user opened {LURE_LNK} from {LURE_ZIP}.
Loader: upd.js drops svchost-update.exe
  SHA-256 {LOADER_SHA256}
  MD5     {LOADER_MD5}
C2: beacons every 60 s over HTTPS to cdn-telemetrie-update[.]com, fallback
api[.]sync-mediscan[.]top. Both sit behind a CDN; no fixed addresses.
Lateral movement: VPN log-ins with a stolen service account from 185.220.101[.]34
and 185.220.100[.]241 (Tor exit relays), then RDP to 10.20.0.5 and 10.20.0.9.
Exfiltration: rclone renamed to svc_sync.exe (SHA-1 {EXFIL_SHA1}) uploading
about 180 GB to hxxps://files[.]sync-mediscan[.]top/u/upload before encryption.
Encryptor: noxsvc.exe, SHA-256 {ENCRYPTOR_SHA256}
Ransom note: {RANSOM_NOTE}; contact herstel[@]noxlocker-support[.]com
"""

LAB_ALERTS = f"""\
EDR-meldingen laboratorium, nacht van zondag op maandag:
23:41 svchost-update.exe op LAB-FS02, SHA-256 {LOADER_SHA256}
23:44 uitgaand naar cdn-telemetrie-update[.]com (geblokkeerd na 23:58)
23:52 noxsvc.exe start versleuteling, SHA-256 {ENCRYPTOR_SHA256}
23:55 {RANSOM_NOTE} op elke share
VPN-sessie van beheeraccount svc_backup vanaf 185.220.101[.]34 om 22:10.
Interne bronnen 192.168.50.12 en 192.168.50.13 (analysers) zijn niet besmet.
"""

LEAK_FINDINGS = f"""\
Bevindingen forensisch onderzoek datalek (alleen voor de genoemde personen):
Gepubliceerd op hxxps://noxleaks-blog[.]com/post/zorg-2026-0419 (clearweb-spiegel
van de lekpagina), met een voorbeeld van 200 patientdossiers.
Exfiltratie naar hxxps://files[.]sync-mediscan[.]top/u/upload via svc_sync.exe
(SHA-1 {EXFIL_SHA1}); C2 via api[.]sync-mediscan[.]top en cdn-telemetrie-update[.]com.
Eerste toegang: phishing van facturen[@]zorgfactuur-portaal[.]nl.
Beheerder-log-in vanaf 185.220.101[.]34 op de dag van de exfiltratie.
Afpersingsmail van herstel[@]noxlocker-support[.]com.
"""

DDOS_CLAIM = f"""\
Claim van de hacktivistische groep, gepost om 07:58:
hxxps://hacktivist-claims[.]xyz/post/8812 noemt de website en het patientenportaal.
De aanval is gehuurd via {BOOTER.replace(".", "[.]")}; verkeer uit ruim 4.000 adressen,
vooral UDP-reflectie. Voorafgaande scans kwamen van 185.220.101[.]182 en
{TOR_EXIT_V6} (Tor exits).
"""

WORKSTATION_ALERTS = f"""\
Twee werkplekken (radiologie-balie) meldden vanochtend:
svchost-update.exe, SHA-256 {LOADER_SHA256}, MD5 {LOADER_MD5}
opgehaald via hxxp://cdn-telemetrie-update[.]com/s/upd.js na openen van {LURE_LNK}.
De mail kwam van facturen[@]zorgfactuur-portaal[.]nl. Geen versleuteling gezien.
"""

DIALYSIS_ALERT = f"""\
EDR: ransomware gedrag op DIA-WS07 en DIA-WS11 (05:12)
Bestand noxsvc.exe, SHA-256 {ENCRYPTOR_SHA256}
Losgeldbrief {RANSOM_NOTE} op het bureaublad.
Eerder die nacht: svchost-update.exe (SHA-256 {LOADER_SHA256}).
"""


# --- The seeder ----------------------------------------------------------------------

#: What the services stamp with the present, by model: `IncidentSeeder.at` moves it.
STAMPED: tuple[tuple[type[Model], tuple[str, ...]], ...] = (
    (
        Incident,
        (
            "created_at",
            "updated_at",
            "acknowledged_at",
            "responder_at",
            "closed_at",
            "early_warning_sent_at",
            "notification_sent_at",
            "final_report_sent_at",
        ),
    ),
    (Responder, ("invited_at", "answered_at")),
    (Task, ("created_at", "updated_at")),
    (Note, ("created_at", "updated_at")),
    (NoteRevision, ("created_at",)),
    (Indicator, ("created_at", "updated_at")),
    (Notification, ("created_at",)),
)
SECURITY_SKILLS = (
    "Incident response",
    "Forensics",
    "Threat intelligence",
    "Security operations centre",
    "Backup and recovery",
)
RESPONDERS = 6


class IncidentSeeder:
    """Tells the wave, incident by incident, oldest first."""

    def __init__(self, *, personas: dict[str, User], coordinators: list[User]) -> None:
        # Fresh rows: the personas' memberships were cached before the review moved them.
        self.personas = {key: User.objects.get(pk=user.pk) for key, user in personas.items()}
        self.coordinator = self.personas["coordinator"]
        self.core_team = [User.objects.get(pk=user.pk) for user in coordinators] or [
            self.coordinator
        ]
        self.now = timezone.now()
        # A step never lies in the future, nor at the very moment of seeding.
        self.horizon = self.now - timedelta(minutes=30)
        self.incidents: dict[str, Incident] = {}
        #: (started, ended, moment): what each step stamped, and when it happened.
        self.windows: list[tuple[datetime, datetime, datetime]] = []

    def run(self) -> None:
        first_notification = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        self.hospitals = self._hospitals()
        self.responders = self._responders()
        self.phishing_noorderlicht()
        self.phishing_reported()
        self.ransomware_pacs()
        self.ransomware_lab()
        self.data_breach()
        self.ddos()
        self.loader_found()
        self.dialysis_new()
        self.restamp()
        self.deadlines()
        self.restamp()
        self.researcher()
        self._check_wave()
        # What happened days ago has been read.
        Notification.objects.filter(
            pk__gt=first_notification,
            created_at__lt=self.now - timedelta(days=2),
            read_at__isnull=True,
        ).update(read_at=F("created_at") + timedelta(hours=3))

    # Who takes part ---------------------------------------------------------------

    def _hospitals(self) -> dict[str, list[Organisation]]:
        """The verified hospitals by umbrella name, Ziekenhuis Noorderlicht first."""
        by_umbrella: dict[str, list[Organisation]] = {}
        rows = (
            Organisation.objects.filter(
                kind=OrganisationKind.HOSPITAL,
                status=MemberStatus.APPROVED,
                umbrella__isnull=False,
            )
            .select_related("umbrella")
            .order_by("pk")
        )
        for hospital in rows:
            assert hospital.umbrella is not None
            by_umbrella.setdefault(hospital.umbrella.name, []).append(hospital)
        if len(by_umbrella) < 5 or sum(len(h) for h in by_umbrella.values()) < 8:
            raise CommandError("The incident demo needs the demo's hospitals and umbrellas.")
        return by_umbrella

    def _hospital(self, umbrella: str, index: int = 0) -> Organisation:
        hospitals = self.hospitals[umbrella]
        return hospitals[index % len(hospitals)]

    def _person_of(self, organisation: Organisation) -> User:
        """The organisation's own person (its first admin), never a persona."""
        personas = [user.pk for user in self.personas.values()]
        membership = (
            Membership.objects.filter(organisation=organisation)
            .exclude(user__in=personas)
            .select_related("user")
            .order_by("role", "pk")
            .first()
        )
        if membership is None:
            raise CommandError(f"{organisation} has nobody to report for it.")
        return User.objects.get(pk=membership.user_id)

    def _responders(self) -> list[User]:
        """Experts of vetted members in good standing, with security skills where
        there are, from different companies where possible. They have long set
        up their second factor, as every responder must; the personas have not
        (the demo log-ins set it up on first sign-in)."""
        personas = [user.pk for user in self.personas.values()]
        persona_companies = Membership.objects.filter(user__in=personas).values("organisation")
        security = ExpertSkill.objects.filter(
            user=OuterRef("user"), skill__name_en__in=SECURITY_SKILLS
        )
        rows = (
            Membership.objects.filter(
                organisation__kind__in=MEMBER_KINDS,
                organisation__status=MemberStatus.APPROVED,
                organisation__noncompliant_since__isnull=True,
                user__is_active=True,
            )
            .exclude(organisation__in=persona_companies)
            .annotate(security=Exists(security))
            .order_by("-security", "organisation__name", "pk")
            .values_list("user_id", "organisation_id")
        )
        chosen: list[int] = []
        companies: set[int] = set()
        for user_id, organisation_id in rows:
            if organisation_id not in companies and user_id not in chosen:
                chosen.append(user_id)
                companies.add(organisation_id)
            if len(chosen) == RESPONDERS:
                break
        for user_id, _ in rows:  # too few companies: a second expert of one
            if len(chosen) == RESPONDERS:
                break
            if user_id not in chosen:
                chosen.append(user_id)
        if len(chosen) < 3:
            raise CommandError("The incident demo needs experts of vetted members.")
        people = User.objects.in_bulk(chosen)
        for person in people.values():
            if not is_mfa_enabled(person):
                TOTP.activate(person, generate_totp_secret())
        return [people[pk] for pk in chosen]

    def _free(self, incident: Incident, count: int, offset: int) -> list[User]:
        """`count` responders without a declared relationship with the incident's
        parties, taken in turn from `offset`."""
        conflicted = set(
            ConflictOfInterest.objects.filter(public_party__in=incident.party_ids).values_list(
                "member_id", flat=True
            )
        )
        pool = self.responders[offset:] + self.responders[:offset]
        free = [
            person
            for person in pool
            if not conflicted & {m.organisation_id for m in person.memberships.all()}
        ]
        return free[:count]

    # The steps: one service each, then its time in the story ---------------------

    def _ago(self, days: float, hours: float = 0) -> datetime:
        return min(self.now - timedelta(days=days, hours=hours), self.horizon)

    def _later(self, moment: datetime, hours: float) -> datetime:
        return min(moment + timedelta(hours=hours), self.horizon)

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """What the block stamps with the present happened at `moment`. The
        block's stamps fall in its own window of real time; `restamp` moves them."""
        started = timezone.now()
        yield
        self.windows.append((started, timezone.now(), moment))

    def restamp(self) -> None:
        """Moves every stamp to the moment of the window it fell in: one UPDATE
        per set of rows that move alike."""
        if not self.windows:
            return
        windows, self.windows = self.windows, []
        starts = [started for started, _, _ in windows]

        def moment_of(stamp: datetime | None) -> datetime | None:
            index = bisect_right(starts, stamp) - 1 if stamp is not None else -1
            if index < 0 or stamp is None or stamp > windows[index][1]:
                return None
            return windows[index][2]

        since = starts[0]
        timeline: tuple[type[Model], tuple[str, ...]] = (TimelineEvent, ("created_at",))
        for model, fields in (*STAMPED, timeline):
            moves: dict[tuple[tuple[str, datetime], ...], list[int]] = defaultdict(list)
            rows = model._default_manager.filter(
                reduce(operator.or_, (Q(**{f"{field}__gte": since}) for field in fields))
            )
            for pk, *stamps in rows.values_list("pk", *fields):
                move = tuple(
                    (field, moment)
                    for field, stamp in zip(fields, stamps, strict=True)
                    if (moment := moment_of(stamp)) is not None
                )
                if move:
                    moves[move].append(pk)
            for move, pks in moves.items():
                model._default_manager.filter(pk__in=pks).update(**dict(move))
                if model is TimelineEvent:
                    # What the platform wrote itself happened when it wrote it.
                    TimelineEvent.objects.filter(pk__in=pks, automatic=True).update(
                        occurred_at=move[0][1]
                    )

    def report(
        self,
        key: str,
        *,
        organisation: Organisation,
        author: User,
        detected: datetime,
        reported: datetime,
        **fields: Any,
    ) -> Incident:
        data = services.ReportData(
            detected_at=detected,
            contact_name=author.full_name,
            contact_phone=fields.pop("phone"),
            contact_email=author.email,
            **fields,
        )
        with self.at(reported):
            incident = services.incident_report(author=author, organisation=organisation, data=data)
        self.incidents[key] = incident
        return incident

    def acknowledge(self, incident: Incident, moment: datetime, coordinator: User) -> None:
        with self.at(moment):
            services.incident_acknowledge(incident=incident, actor=coordinator)

    def move(
        self, incident: Incident, actor: User, status: str, moment: datetime, note: str = ""
    ) -> None:
        with self.at(moment):
            services.incident_move(incident=incident, actor=actor, status=status, note=note)

    def join(
        self, incident: Incident, people: list[User], moment: datetime, coordinator: User
    ) -> None:
        """A coordinator invites each; each accepts within the hour."""
        for number, person in enumerate(people):
            invited = self._later(moment, number * 0.25)
            with self.at(invited):
                place = services.responder_invite(
                    incident=incident, actor=coordinator, person=person
                )
            with self.at(self._later(invited, 0.3)):
                services.responder_answer(place=place, actor=person, accept=True)

    def event(
        self,
        incident: Incident,
        actor: User,
        moment: datetime,
        occurred: datetime,
        what: str,
        source: str = "",
    ) -> None:
        with self.at(moment):
            services.timeline_add(
                incident=incident, actor=actor, occurred_at=occurred, source=source, what=what
            )

    def task(
        self,
        incident: Incident,
        actor: User,
        moment: datetime,
        title: str,
        *,
        owner: User | None = None,
        due_hours: float | None = None,
        status: str = Task.Status.OPEN,
        updated: datetime | None = None,
    ) -> None:
        due = moment + timedelta(hours=due_hours) if due_hours is not None else None
        with self.at(moment):
            task = services.task_create(
                incident=incident, actor=actor, title=title, owner=owner, due=due
            )
        if status != Task.Status.OPEN:
            with self.at(updated or self._later(moment, 2)):
                services.task_update(task=task, actor=owner or actor, status=status)

    def paste(self, incident: Incident, actor: User, moment: datetime, text: str) -> None:
        """The responder pasted a text, reviewed what was found and saved it:
        the wave's public infrastructure under a wider label, the rest under
        the incident's."""
        found = ioc.extract(text).found
        items = [
            indicators.Item(
                kind=str(item.kind),
                value=item.value,
                tlp=WIDER_LABELS.get(item.value, incident.tlp),
                comment=COMMENTS.get(item.value, ""),
            )
            for item in found
        ]
        with self.at(moment):
            indicators.indicators_save(
                incident=incident,
                actor=actor,
                items=items,
                source=Indicator.Source.PASTE,
                seen_at=moment,
            )

    def stage(self, incident: Incident, actor: User, stage: str, moment: datetime) -> None:
        with self.at(moment):
            services.stage_mark_sent(incident=incident, actor=actor, stage=stage)

    def describe(self, incident: Incident, actor: User, moment: datetime, **fields: Any) -> None:
        with self.at(moment):
            services.report_update(incident=incident, actor=actor, **fields)

    # The stories ------------------------------------------------------------------

    def phishing_noorderlicht(self) -> None:
        """The first signal, at the requester persona's hospital: handled, reported
        to the authority in all three stages, closed."""
        requester = self.personas["requester"]
        hospital = next(
            h for h in self.hospitals["Zorgkoepel Noord"] if h.pk in requester.organisation_ids
        )
        detected = self._ago(21, 2)
        reported = self._later(detected, 0.75)
        incident = self.report(
            "phishing",
            organisation=hospital,
            author=requester,
            detected=detected,
            reported=reported,
            title="Phishingmails met valse factuur van een medische leverancier",
            description=(
                "Sinds 08:40 krijgen medewerkers van inkoop en de polikliniek mails van "
                "*MedSupply Facturatie* over een openstaande factuur. De link leidt naar een "
                "zip-bestand. Drie medewerkers openden de bijlage; op één werkplek blokkeerde "
                "de EDR een script.\n\nWe hebben de afzender geblokkeerd en de mails uit de "
                "postvakken gehaald. Onze leverancier heet niet MedSupply."
            ),
            category=Category.FRAUD,
            severity=Severity.MODERATE,
            personal_data=PersonalData.NO,
            affected_systems="Exchange Online; drie werkplekken (inkoop, polikliniek cardiologie)",
            tlp=TLP.AMBER,
            phone="+31 50 361 2200",
        )
        [responder] = self._free(incident, 1, 0)
        self.acknowledge(incident, self._later(reported, 0.2), self.coordinator)
        self.event(
            incident,
            requester,
            self._later(reported, 0.3),
            detected,
            "Eerste phishingmail binnen bij inkoop; daarna 41 mails in twintig minuten.",
            "mailgateway",
        )
        self.event(
            incident,
            requester,
            self._later(reported, 0.4),
            self._later(detected, 0.4),
            "EDR blokkeert PowerShell-script op werkplek polikliniek cardiologie.",
            "EDR",
        )
        self.paste(incident, requester, self._later(reported, 0.6), PHISHING_MAIL)
        self.join(incident, [responder], self._later(reported, 1), self.coordinator)
        self.move(incident, responder, Status.INVESTIGATING, self._later(reported, 2))
        self.task(
            incident,
            responder,
            self._later(reported, 2.1),
            "Mails uit alle postvakken verwijderen",
            owner=requester,
            due_hours=4,
            status=Task.Status.DONE,
        )
        self.task(
            incident,
            responder,
            self._later(reported, 2.2),
            "Wachtwoorden van de drie medewerkers resetten en sessies intrekken",
            owner=requester,
            due_hours=2,
            status=Task.Status.DONE,
        )
        self.task(
            incident,
            responder,
            self._later(reported, 2.3),
            "Tweestapsverificatie afdwingen op webmail",
            owner=responder,
            due_hours=72,
            status=Task.Status.DONE,
            updated=self._later(reported, 50),
        )
        self.stage(incident, requester, Stage.EARLY_WARNING, self._later(reported, 18))
        self.describe(
            incident,
            requester,
            self._later(reported, 40),
            suspected_malicious=True,
            cross_border=False,
            impact="Drie accounts mogelijk gecompromitteerd; geen gevolgen voor de zorg. "
            "Webmail twee uur beperkt beschikbaar door het resetten van sessies.",
        )
        self.stage(incident, requester, Stage.NOTIFICATION, self._later(reported, 44))
        self.move(incident, responder, Status.CONTAINED, self._later(reported, 26))
        self.move(incident, responder, Status.RECOVERED, self._later(reported, 52))
        self.describe(
            incident,
            requester,
            self._later(reported, 24 * 11),
            root_cause="Een geloofwaardige factuurmail van een nieuw geregistreerd domein "
            "kwam door het spamfilter; webmail vroeg alleen een wachtwoord.",
            mitigations="Tweestapsverificatie op webmail voor alle medewerkers; het domein "
            "en de indicatoren geblokkeerd en gedeeld met de coalitie; extra "
            "phishingvoorlichting voor inkoop en de poliklinieken.",
        )
        self.stage(incident, requester, Stage.FINAL, self._later(reported, 24 * 12))
        self.move(
            incident,
            self.coordinator,
            Status.CLOSED,
            self._later(reported, 24 * 12 + 1),
            "Eindrapport verstuurd; maatregelen genomen.",
        )

    def phishing_reported(self) -> None:
        """The same mail two days later elsewhere: nobody clicked, closed the same day."""
        hospital = self._hospital("Zorgnetwerk Zuid")
        author = self._person_of(hospital)
        detected = self._ago(19, 5)
        reported = self._later(detected, 0.6)
        incident = self.report(
            "phishing-blocked",
            organisation=hospital,
            author=author,
            detected=detected,
            reported=reported,
            title="Zes meldingen van een phishingmail over een openstaande factuur",
            description="Medewerkers meldden via de phishingknop een mail van *MedSupply "
            "Facturatie*. De bijlage is door de mailgateway tegengehouden; voor zover we "
            "zien heeft niemand op de link geklikt.",
            category=Category.FRAUD,
            severity=Severity.LOW,
            personal_data=PersonalData.NO,
            tlp=TLP.AMBER_STRICT,
            phone="+31 40 286 1900",
        )
        self.acknowledge(incident, self._later(reported, 1), self.core_team[0])
        self.paste(incident, author, self._later(reported, 1.2), FORWARDED_PHISH)
        self.move(
            incident,
            self.core_team[0],
            Status.CLOSED,
            self._later(reported, 3),
            "Geen klikken gezien; afzender geblokkeerd en de indicatoren gedeeld.",
        )

    def ransomware_pacs(self) -> None:
        """The night the wave hits: PACS encrypted, ambulances diverted. Reported by
        the umbrella for its member; two responders; recovered after nine days."""
        umbrella = self._umbrella("Samenwerkende Ziekenhuizen Midden")
        hospital = self._hospital(umbrella.name)
        author = self._person_of(umbrella)
        detected = self._ago(17, 21)
        reported = self._later(detected, 0.6)
        incident = self.report(
            "pacs",
            organisation=hospital,
            author=author,
            detected=detected,
            reported=reported,
            title="Ransomware: PACS en fileservers versleuteld, ambulances omgeleid",
            description=(
                "Om 03:10 sloeg de EDR alarm op twee fileservers. Om 03:40 waren het PACS en "
                "de afdelingsshares versleuteld en stond er een losgeldbrief op elke share.\n\n"
                "- De SEH neemt sinds 05:00 geen ambulances aan.\n"
                "- Geplande operaties van vandaag zijn uitgesteld.\n"
                "- Het netwerk is van internet losgekoppeld.\n\n"
                f"Wij melden namens {hospital.name}; de ICT-manager is bereikbaar via het "
                "nummer hieronder."
            ),
            category=Category.MALICIOUS_CODE,
            severity=Severity.CRITICAL,
            affected_systems="PACS, vier fileservers, afdelingsshares, VPN",
            tlp=TLP.AMBER_STRICT,
            phone="+31 30 250 8800",
        )
        first, second = self._free(incident, 2, 1)
        coordinator = self.core_team[1 % len(self.core_team)]
        self.acknowledge(incident, self._later(reported, 0.15), coordinator)
        self.join(incident, [first, second], self._later(reported, 0.5), coordinator)
        self.move(incident, first, Status.INVESTIGATING, self._later(reported, 1.2))
        for hours, occurred, what, source in (
            (1.3, 0, "EDR-alarm op FS01 en FS03: massaal hernoemen van bestanden.", "EDR"),
            (1.4, 0.5, "PACS en afdelingsshares versleuteld; losgeldbrief gevonden.", "ICT"),
            (1.5, 1.1, "Internetverbinding en VPN uitgeschakeld.", "ICT"),
            (1.6, 1.8, "SEH gesloten voor ambulances; LNAZ en de regio geïnformeerd.", "RvB"),
        ):
            self.event(
                incident,
                first,
                self._later(reported, hours),
                self._later(detected, occurred),
                what,
                source,
            )
        for hours, title, owner, due, status, done in (
            (1.7, "Netwerk segmenteren; domeincontrollers isoleren", first, 2, "done", 4),
            (1.8, "Back-ups controleren: zijn de offline kopieën intact?", second, 6, "done", 8),
            (2.0, "Forensische images maken van DC01, FS01 en FS03", second, 12, "done", 20),
            (2.2, "PACS herstellen uit de offline back-up", first, 96, "done", 24 * 6),
            (3.0, "Wachtwoorden van alle beheer- en serviceaccounts wijzigen", first, 48,
             "done", 40),
            (30, "Lessons learned-sessie met de RvB plannen", second, 24 * 21, "open", 0),
        ):  # fmt: skip
            self.task(
                incident,
                first,
                self._later(reported, hours),
                title,
                owner=owner,
                due_hours=due,
                status=status,
                updated=self._later(reported, done),
            )
        self.note(incident, first, second, coordinator, reported)
        self.paste(incident, first, self._later(reported, 20), EDR_REPORT)
        self.stage(incident, author, Stage.EARLY_WARNING, self._later(reported, 10))
        self.describe(
            incident,
            first,
            self._later(reported, 44),
            suspected_malicious=True,
            cross_border=False,
            impact="SEH drie dagen gesloten voor ambulances; 140 operaties uitgesteld; "
            "beelden uit het PACS vijf dagen niet beschikbaar. Ongeveer 180 GB is vóór de "
            "versleuteling weggesluisd; welke gegevens dat zijn, wordt onderzocht.",
        )
        self.stage(incident, author, Stage.NOTIFICATION, self._later(reported, 60))
        self.move(incident, first, Status.CONTAINED, self._later(reported, 30))
        self.move(
            incident,
            second,
            Status.RECOVERED,
            self._later(reported, 24 * 9),
            "PACS en shares hersteld; SEH weer open.",
        )

    def note(
        self, incident: Incident, first: User, second: User, coordinator: User, start: datetime
    ) -> None:
        """A case log two responders kept at once: the second save is merged."""
        base = (
            "## Forensisch logboek\n\n"
            "- 03:10 eerste versleuteling op FS01\n"
            "- Patient zero: werkplek inkoop, phishingmail van vier dagen eerder\n\n"
            "## Open vragen\n\n"
            "- Is er data weggesluisd?\n"
        )
        with self.at(self._later(start, 4)):
            note = services.note_create(
                incident=incident, actor=first, title="Forensisch logboek", body=base
            )
        with self.at(self._later(start, 9)):
            services.note_save(
                note=note,
                actor=second,
                title=note.title,
                body=base.replace(
                    "- Is er data weggesluisd?\n",
                    "- Is er data weggesluisd? Ja: rclone (svc_sync.exe), ongeveer 180 GB.\n",
                ),
                base_version=1,
            )
        with self.at(self._later(start, 9.5)):
            # Began on version 1 as well: their change is merged in.
            services.note_save(
                note=note,
                actor=coordinator,
                title=note.title,
                body=base.replace(
                    "- 03:10 eerste versleuteling op FS01\n",
                    "- 03:10 eerste versleuteling op FS01\n"
                    "- 22:05 de avond ervoor: VPN-log-in serviceaccount vanaf een Tor exit\n",
                ),
                base_version=1,
            )

    def ransomware_lab(self) -> None:
        """Five days later in the north, reported by the umbrella persona: contained."""
        umbrella = self._umbrella("Zorgkoepel Noord")
        author = self.personas["umbrella"]
        requester = self.personas["requester"]
        hospital = next(
            h for h in self.hospitals[umbrella.name] if h.pk not in requester.organisation_ids
        )
        detected = self._ago(12, 4)
        reported = self._later(detected, 0.8)
        incident = self.report(
            "lab",
            organisation=hospital,
            author=author,
            detected=detected,
            reported=reported,
            title="Ransomware op de fileservers van het laboratorium",
            description=(
                f"Namens {hospital.name}: vannacht is een deel van de fileservers van het "
                "klinisch-chemisch laboratorium versleuteld. De analysers werken; uitslagen "
                "gaan tijdelijk op papier en per telefoon naar de afdelingen. Dezelfde "
                "losgeldbrief als bij de eerdere melding in de regio Midden."
            ),
            category=Category.MALICIOUS_CODE,
            severity=Severity.HIGH,
            affected_systems="LAB-FS01 en LAB-FS02, koppeling met het LIMS",
            tlp=TLP.AMBER_STRICT,
            phone="+31 50 313 4400",
        )
        [responder] = self._free(incident, 1, 3)
        coordinator = self.core_team[2 % len(self.core_team)]
        self.acknowledge(incident, self._later(reported, 0.4), coordinator)
        self.join(incident, [responder], self._later(reported, 1.5), coordinator)
        self.move(incident, responder, Status.INVESTIGATING, self._later(reported, 2.5))
        self.paste(incident, responder, self._later(reported, 3), LAB_ALERTS)
        self.event(
            incident,
            responder,
            self._later(reported, 3.2),
            self._later(detected, -1.6),
            "VPN-sessie van svc_backup vanaf een Tor exit: dezelfde werkwijze als bij de "
            "ransomware in de regio Midden.",
            "VPN-logboek",
        )
        self.task(
            incident,
            responder,
            self._later(reported, 3.4),
            "Serviceaccount svc_backup uitschakelen en VPN alleen met tweestapsverificatie",
            owner=responder,
            due_hours=2,
            status=Task.Status.DONE,
        )
        self.task(
            incident,
            responder,
            self._later(reported, 3.5),
            "LIMS-koppeling testen na herstel van LAB-FS02",
            owner=responder,
            due_hours=24 * 14,
        )
        self.stage(incident, author, Stage.EARLY_WARNING, self._later(reported, 14))
        self.describe(
            incident,
            author,
            self._later(reported, 50),
            suspected_malicious=True,
            impact="Uitslagen van het laboratorium twee dagen vertraagd; geen patiënten "
            "verplaatst. Geen aanwijzingen dat gegevens zijn weggesluisd.",
        )
        self.stage(incident, author, Stage.NOTIFICATION, self._later(reported, 64))
        self.move(incident, responder, Status.CONTAINED, self._later(reported, 70))

    def data_breach(self) -> None:
        """Patients' data on a leak site: TLP:RED, for the named people only."""
        hospital = self._hospital("Koepel Langdurige Zorg")
        author = self._person_of(hospital)
        # TLP:RED goes only to people who sign in with a second factor.
        if not is_mfa_enabled(author):
            TOTP.activate(author, generate_totp_secret())
        detected = self._ago(9, 6)
        reported = self._later(detected, 1.5)
        incident = self.report(
            "breach",
            organisation=hospital,
            author=author,
            detected=detected,
            reported=reported,
            title="Patiëntgegevens gestolen en gedeeltelijk gepubliceerd",
            description=(
                "Een journalist belde: op een lekpagina staat een voorbeeld van ongeveer 200 "
                "dossiers van onze patiënten, met de aankondiging dat de rest volgt. Er is "
                "bij ons niets versleuteld. We vermoeden dat de gegevens drie weken geleden "
                "zijn weggehaald."
            ),
            category=Category.INFORMATION,
            severity=Severity.HIGH,
            personal_data=PersonalData.YES,
            affected_systems="Document management, export uit het EPD",
            tlp=TLP.RED,
            phone="+31 70 342 7100",
        )
        [responder] = self._free(incident, 1, 2)
        self.acknowledge(incident, self._later(reported, 0.5), self.coordinator)
        self.join(incident, [responder], self._later(reported, 1.5), self.coordinator)
        self.move(incident, responder, Status.INVESTIGATING, self._later(reported, 2))
        self.paste(incident, responder, self._later(reported, 26), LEAK_FINDINGS)
        self.task(
            incident,
            author,
            self._later(reported, 3),
            "Datalek melden bij de Autoriteit Persoonsgegevens",
            owner=author,
            due_hours=70,
            status=Task.Status.DONE,
            updated=self._later(reported, 30),
        )
        self.task(
            incident,
            responder,
            self._later(reported, 28),
            "Vaststellen welke patiënten in de gepubliceerde set staan",
            owner=responder,
            due_hours=24 * 7,
            status=Task.Status.DOING,
        )
        self.task(
            incident,
            author,
            self._later(reported, 29),
            "Betrokken patiënten informeren (brief en telefoonlijn)",
            owner=author,
            due_hours=24 * 14,
        )
        self.stage(incident, author, Stage.EARLY_WARNING, self._later(reported, 20))

    def ddos(self) -> None:
        """A hacktivist DDoS on a patient portal, shared as TLP:GREEN. Acknowledged:
        one expert declined, another has not answered yet."""
        hospital = self._hospital("Vereniging Regionale Zorg")
        author = self._person_of(hospital)
        detected = self._ago(6, 8)
        reported = self._later(detected, 0.5)
        incident = self.report(
            "ddos",
            organisation=hospital,
            author=author,
            detected=detected,
            reported=reported,
            title="DDoS-aanval op het patiëntenportaal en de website",
            description="Sinds 07:45 zijn de website en het patiëntenportaal onbereikbaar. "
            "Een hacktivistische groep claimt de aanval. Interne systemen werken; afspraken "
            "gaan telefonisch. We delen dit breed (TLP:GREEN) zodat anderen zich kunnen "
            "voorbereiden.",
            category=Category.AVAILABILITY,
            severity=Severity.MODERATE,
            personal_data=PersonalData.NO,
            affected_systems="Website, patiëntenportaal",
            tlp=TLP.GREEN,
            phone="+31 38 424 5000",
        )
        coordinator = self.core_team[0]
        self.acknowledge(incident, self._later(reported, 0.8), coordinator)
        self.paste(incident, coordinator, self._later(reported, 1.5), DDOS_CLAIM)
        self.event(
            incident,
            author,
            self._later(reported, 2),
            self._later(detected, 1.5),
            "Provider zet scrubbing aan; portaal wisselend bereikbaar.",
            "hostingprovider",
        )
        declining, waiting = self._free(incident, 2, 4)
        with self.at(self._later(reported, 2.5)):
            place = services.responder_invite(
                incident=incident, actor=coordinator, person=declining
            )
        with self.at(self._later(reported, 5)):
            services.responder_answer(
                place=place,
                actor=declining,
                accept=False,
                reason="Deze week volledig ingezet bij een andere klant; volgende week kan ik wel.",
            )
        with self.at(self._later(reported, 5.5)):
            services.responder_invite(incident=incident, actor=coordinator, person=waiting)
        self.stage(incident, author, Stage.EARLY_WARNING, self._later(reported, 16))

    def loader_found(self) -> None:
        """The loader caught on two workstations before it did harm: investigating."""
        hospital = self._hospital("Samenwerkende Ziekenhuizen Midden", 1)
        author = self._person_of(hospital)
        detected = self._ago(3, 3)
        reported = self._later(detected, 1)
        incident = self.report(
            "loader",
            organisation=hospital,
            author=author,
            detected=detected,
            reported=reported,
            title="Loader van de ransomwaregolf op twee werkplekken gevonden",
            description="Na het delen van de indicatoren vond onze EDR de loader op twee "
            "werkplekken van de radiologiebalie. Versleuteling hebben we niet gezien. De "
            "werkplekken zijn geïsoleerd.",
            category=Category.MALICIOUS_CODE,
            severity=Severity.HIGH,
            affected_systems="Twee werkplekken radiologie",
            tlp=TLP.AMBER_STRICT,
            phone="+31 30 609 1111",
        )
        [responder] = self._free(incident, 1, 0)
        self.acknowledge(incident, self._later(reported, 0.3), self.coordinator)
        self.join(incident, [responder], self._later(reported, 1), self.coordinator)
        self.move(incident, responder, Status.INVESTIGATING, self._later(reported, 1.5))
        self.paste(incident, author, self._later(reported, 1.7), WORKSTATION_ALERTS)
        self.task(
            incident,
            responder,
            self._later(reported, 2),
            "Zoeken naar de loader op alle werkplekken (EDR-query met de gedeelde hashes)",
            owner=responder,
            due_hours=24,
            status=Task.Status.DOING,
        )
        self.stage(incident, author, Stage.EARLY_WARNING, self._later(reported, 20))

    def dialysis_new(self) -> None:
        """This morning: reported, not yet acknowledged, and past its deadline."""
        hospital = self._hospital("Zorgnetwerk Zuid", 1)
        author = self._person_of(hospital)
        detected = self._ago(0, 6)
        reported = self._later(detected, 0.4)
        incident = self.report(
            "dialysis",
            organisation=hospital,
            author=author,
            detected=detected,
            reported=reported,
            title="Versleuteling op werkplekken van de dialyseafdeling",
            description="De EDR meldt ransomwaregedrag op twee werkplekken van de "
            "dialyseafdeling. De dialysemachines zelf draaien; de planning gaat op papier. "
            "We hebben de afdeling van het netwerk gehaald en hebben dringend hulp nodig.",
            category=Category.MALICIOUS_CODE,
            severity=Severity.CRITICAL,
            affected_systems="Werkplekken dialyse, planningssysteem",
            tlp=TLP.AMBER_STRICT,
            phone="+31 76 595 3000",
        )
        self.paste(incident, author, self._later(reported, 0.2), DIALYSIS_ALERT)

    def deadlines(self) -> None:
        """The platform's check ran as the deadlines passed, and told the coordinators."""
        due: list[datetime] = []
        for incident in Incident.objects.open():
            if incident.acknowledged_at is None:
                due.append(incident.acknowledge_due)
            if incident.responder_at is None:
                due.append(incident.responder_due)
        for deadline in sorted(due):
            moment = deadline + timedelta(minutes=5)
            if moment < self.horizon:
                with self.at(moment):
                    services.deadlines_check(now=moment)

    def researcher(self) -> None:
        """The umbrella's analyst who reported the PACS incident studies the wave."""
        permission = Permission.objects.get(
            content_type__app_label="incidents", codename="view_research"
        )
        self.incidents["pacs"].created_by.user_permissions.add(permission)

    def _umbrella(self, name: str) -> Organisation:
        return Organisation.objects.get(kind=OrganisationKind.UMBRELLA, name=name)

    def _check_wave(self) -> None:
        for value in WAVE:
            organisations = (
                Incident.objects.filter(indicators__value=value)
                .values("organisation")
                .distinct()
                .count()
            )
            if organisations < 3:
                raise CommandError(f"The wave's {value} was seen at {organisations} hospitals.")


# --- What the demo prints ------------------------------------------------------------

STATUS_WORDS = {
    Status.NEW: "new",
    Status.ACKNOWLEDGED: "acknowledged",
    Status.INVESTIGATING: "investigating",
    Status.CONTAINED: "contained",
    Status.RECOVERED: "recovered",
    Status.CLOSED: "closed",
}


def summary() -> list[str]:
    """The incidents in the demo, in a few lines."""
    statuses = Counter(
        dict(Incident.objects.order_by().values_list("status").annotate(n=Count("pk")))
    )
    if not statuses:
        return []
    overdue = sum(1 for incident in Incident.objects.open() if incident.is_overdue())
    rows = Indicator.objects.order_by()
    feed = rows.filter(tlp__in=[TLP.CLEAR, TLP.GREEN]).count()
    recurring = (
        rows.values("key")
        .annotate(organisations=Count("incident__organisation", distinct=True))
        .filter(organisations__gte=3)
        .count()
    )
    team = Responder.objects.filter(status=Responder.Status.ACCEPTED)
    parts = ", ".join(
        f"{statuses[status]} {words}" for status, words in STATUS_WORDS.items() if statuses[status]
    )
    return [
        f"Incidents: {statuses.total()} ({parts}); {overdue} past a response deadline.",
        f"Indicators: {rows.count()} ({feed} TLP:CLEAR or TLP:GREEN, in the member feed); "
        f"{recurring} seen at three hospitals or more; responders on the cases: "
        f"{team.values('person').distinct().count()}, each with two-factor sign-in.",
    ]


def who_sees_what(personas: list[tuple[str, str, str]]) -> list[str]:
    """For each demo log-in, the incidents its labels let it see."""
    if not Incident.objects.exists():
        return []
    green = "the TLP:GREEN DDoS and the indicator feed (TLP:CLEAR and TLP:GREEN only)"
    notes = {
        "coordinator": "every incident, the missed-deadline warnings, the research view",
        "member_admin": green,
        "expert": green,
        "requester": "its hospital's phishing (TLP:AMBER, closed, final report) and the DDoS",
        "umbrella": "the ransomware it reported for a member, the DDoS; umbrella dashboard",
        "outsider": green,
    }
    people = [(User.objects.get(email=email), notes.get(key, "")) for key, email, _ in personas]
    researcher = User.objects.filter(
        user_permissions__content_type__app_label="incidents",
        user_permissions__codename="view_research",
    ).first()
    if researcher is not None:
        people.append(
            (
                researcher,
                "a log-in too (same password): the research view (incidents.view_research) "
                "and the ransomware it reported for a member",
            )
        )
    lines = ["Incidents each log-in sees (by their labels):"]
    for user, note in people:
        seen = access.visible_to(Incident.objects.all(), user).count()
        lines.append(f"  {user.email:42} {seen} of {Incident.objects.count()}: {note}")
    return lines
