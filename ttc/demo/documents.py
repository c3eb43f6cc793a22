"""The demo's working documents and knowledge base, told through the services.

The public working document "De anderhalve-meter samenleving" starts as the
coordinators wrote it and grows through proposals from members and visitors:
accepted as written, accepted with an editor's edits, merged with a change
accepted meanwhile, declined with a reason, and some still waiting. An
internal TLP:GREEN runbook shows a document for members only. The knowledge
base holds guides, checklists and research results under every label and in
every editorial state.

As in the help-request seeder, each step goes through the service a person
would use, and afterwards the seed moves its timestamps back to its moment in
the story. The audit log keeps the real time: it is a hash chain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import is_mfa_enabled
from django.db.models import Count, F, Max
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import Notification
from ttc.core.tlp import TLP
from ttc.documents import services as documents
from ttc.documents.models import (
    Comment,
    Document,
    Proposal,
    ProposalStatus,
    Section,
    SectionRevision,
)
from ttc.knowledge import services as knowledge
from ttc.knowledge.models import (
    Article,
    ArticleKind,
    ArticleLanguage,
    ArticleRevision,
    ArticleStatus,
)
from ttc.members.models import Membership, MemberStatus, Organisation, OrganisationKind

# --- De anderhalve-meter samenleving --------------------------------------------------

SAMENLEVING_SLUG = "anderhalve-meter-samenleving"
SAMENLEVING_TITLE = "De anderhalve-meter samenleving"
SAMENLEVING_SUMMARY = (
    "Hoe helpt technologie om anderhalve meter afstand te houden, zonder dat het "
    "gewone leven stilvalt? In dit document verzamelt de coalitie ideeën per situatie: "
    "op het werk, onderweg, op school, in de zorg en bij evenementen. Iedereen mag "
    "meedenken. Stel een verbetering voor, dan bekijkt een redacteur die."
)

WERKVLOER = "Op de werkvloer"
OV = "In het openbaar vervoer"
LAAGGELETTERDEN = "Voor laaggeletterden"
ONDERWIJS = "In het onderwijs"
ZORG = "In de zorg"
EVENEMENTEN = "Bij evenementen"
PRIVACY = "Privacy en vertrouwen"

SAMENLEVING_SECTIONS: list[tuple[str, str]] = [
    (
        WERKVLOER,
        """\
Veel mensen gaan weer naar kantoor, de werkplaats of het magazijn. Daar lukt
anderhalve meter afstand niet vanzelf. Techniek kan helpen, maar alleen als
het eenvoudig is en als de mensen zelf de regie houden.

## Ideeën die we verzamelden

- **Een plek reserveren.** Met een eenvoudige reserveringstool kies je vooraf
  een werkplek of een vergaderruimte. Zo zijn er nooit te veel mensen tegelijk
  in één ruimte. Reken het aantal plekken uit met de vloeroppervlakte, niet
  met het aantal stoelen.
- **Drukte per ruimte laten zien.** Een scherm bij de ingang of een pagina op
  intranet laat zien hoe druk het is in de kantine, bij de lift of in de
  vergaderzaal. Tel mensen met een simpele teller bij de deur of met de
  reserveringen; camera's zijn niet nodig.
- **Tijdvakken voor begin, einde en pauze.** Spreid de werktijden, zodat niet
  iedereen tegelijk bij de ingang of de koffieautomaat staat. Een roosterapp
  kan voorstellen wie wanneer pauze neemt.
- **Thuiswerken als vaste keuze.** Niet iedereen hoeft elke dag te komen.
  Spreek per team af wie op welke dagen op locatie werkt.

## Waar je op let

Meet niet meer dan nodig. Wie er in een ruimte is, hoeft niemand te weten;
hoeveel mensen er zijn, is genoeg. Vraag de ondernemingsraad om mee te denken
voordat je iets invoert. En zorg dat alles ook werkt voor mensen zonder
smartphone: een papieren rooster bij de ingang is soms de beste oplossing.
""",
    ),
    (
        OV,
        """\
In de bus, de tram, de metro en de trein is afstand houden het moeilijkst. Je
kunt niet zomaar uitstappen als het te druk wordt. Reizigers moeten daarom al
vóór vertrek weten hoe druk het is, en hun reis makkelijk kunnen verschuiven.

## Drukte vooraf zien

Vervoerders weten uit incheckgegevens en tellingen hoe vol een rit meestal
is. Die kennis kun je delen als een eenvoudige drukte-indicator in de
reisplanner: rustig, gemiddeld of druk. Gebruik daarvoor alleen getelde
aantallen per rit, nooit gegevens van één reiziger.

- Toon de drukte met een woord én een symbool, niet alleen met een kleur.
- Geef meteen een rustiger alternatief: een rit eerder of later, of een
  andere route.
- Laat zien hoe zeker de voorspelling is. Een verwachting is geen garantie.

## Reizen spreiden

De spits ontstaat doordat veel mensen op hetzelfde moment beginnen.
Werkgevers, scholen en vervoerders kunnen samen tijdvakken afspreken. Een
gedeeld dashboard laat zien op welke lijnen het druk blijft, zodat je gericht
kunt bijsturen.

## Op het station en bij de halte

Een scherm op het perron kan laten zien in welk deel van de trein nog ruimte
is. Markeringen op de vloer helpen bij het instappen. Houd omroepberichten
kort en herhaal ze in eenvoudige taal.
""",
    ),
    (
        LAAGGELETTERDEN,
        """\
In Nederland hebben ongeveer 2,5 miljoen mensen moeite met lezen en schrijven.
Voor hen zijn veel regels en apps over afstand houden niet te volgen. Een
oplossing werkt pas als iedereen haar kan gebruiken.

## Beelden en geluid in plaats van tekst

- Gebruik eenvoudige pictogrammen die overal hetzelfde zijn. Twee poppetjes
  met een pijl ertussen betekent: anderhalve meter afstand.
- Zet bij elke instructie een gesproken versie. Een knop met een luidspreker
  leest de tekst voor, in het Nederlands en in de talen die in de buurt het
  meest gesproken worden.
- Korte filmpjes zonder tekst laten zien wat je moet doen, bijvoorbeeld bij de
  ingang van de supermarkt.

## Schrijven op B1-niveau

Schrijf korte zinnen met gewone woorden, en één boodschap per zin. Gebruik
"je" en spreek de lezer direct aan. Schrijf geen afkortingen zoals "1,5 m"
zonder uitleg; schrijf liever "anderhalve meter, dat is ongeveer twee grote
stappen".

## Niet alles via een app

Veel laaggeletterden hebben wel een telefoon, maar gebruiken weinig apps.
Zorg daarom ook voor andere wegen:

- een telefoonnummer waar een mens je helpt;
- informatie op plekken waar mensen al komen, zoals de huisarts, de
  bibliotheek, het buurthuis en de moskee;
- hulp van iemand die je vertrouwt, zoals een taalmaatje of een buurtcoach.
""",
    ),
    (
        ONDERWIJS,
        """\
Scholen, mbo's, hogescholen en universiteiten geven les met minder mensen
tegelijk in een lokaal. Dat vraagt om slimme roosters en om lesvormen die op
school en thuis allebei werken.

## Hybride lessen

Een deel van de klas zit in het lokaal, de rest volgt de les thuis. Dat werkt
alleen met goede basisvoorzieningen:

- een camera en een microfoon die de docent én het bord goed in beeld en
  geluid brengen;
- één vaste plek waar lesmateriaal en opdrachten staan;
- afspraken over hoe leerlingen thuis een vraag stellen.

## Roosters en looproutes

Een roosterprogramma kan groepen zo plannen dat pauzes en wisselmomenten niet
samenvallen. Geef elke groep een eigen ingang of een eigen tijdvak. Een
scherm in de hal laat zien welke route je neemt.

## Gelijke kansen

Niet elke leerling heeft thuis een laptop of een rustige plek om te werken.
Scholen kunnen apparaten uitlenen en internet regelen voor wie dat niet
heeft. Techbedrijven kunnen helpen met het inrichten en beheren van die
apparaten, zodat de school zich daar geen zorgen over hoeft te maken.

## Privacy

Kies software die gegevens van leerlingen niet gebruikt voor reclame of
profielen. Neem lessen alleen op als dat echt nodig is, en vertel leerlingen
en ouders wat er met de opnames gebeurt en wanneer ze worden gewist.
""",
    ),
    (
        ZORG,
        """\
In ziekenhuizen, huisartsenpraktijken en verpleeghuizen is afstand houden
extra belangrijk. Patiënten zijn kwetsbaar en zorgmedewerkers moeten gezond
blijven. Techniek helpt vooral op twee manieren: contact op afstand als dat
kan, en minder drukte als mensen toch moeten komen.

## Beeldbellen en e-consulten

Veel controles en gesprekken kunnen ook via beeldbellen. Let daarbij op:

- Gebruik een dienst die gemaakt is voor de zorg, met versleuteling en een
  verwerkersovereenkomst.
- Maak het de patiënt makkelijk: een link per sms of e-mail, zonder account.
- Bied altijd een telefonisch gesprek aan voor wie niet kan beeldbellen.

## Slim plannen

Een afsprakensysteem kan tijdvakken zo verdelen dat de wachtkamer nooit te
vol raakt. Patiënten kunnen in de auto of buiten wachten en krijgen een
bericht als ze aan de beurt zijn.

## Bezoek in het verpleeghuis

Een reserveringssysteem voor bezoek helpt om het aantal bezoekers per
afdeling te beperken. Houd het eenvoudig, want veel bezoekers zijn zelf op
leeftijd. Een telefoonnummer om te reserveren hoort er altijd bij.

## Zorgmedewerkers beschermen

Overdrachten en teamoverleg via video beperken het aantal mensen in één
ruimte.
""",
    ),
    (
        EVENEMENTEN,
        """\
Concerten, markten, sportwedstrijden en beurzen trekken veel mensen tegelijk.
Met een goede voorbereiding kan een deel ervan op anderhalve meter doorgaan.
De grootste winst zit in spreiden: bezoekers komen niet allemaal tegelijk
binnen en gaan niet allemaal tegelijk weg.

## Kaartjes met een tijdvak

Verkoop kaartjes met een vast tijdvak om binnen te komen. Het ticketsysteem
verdeelt de bezoekers over de ingangen en stuurt een herinnering met de
juiste ingang en tijd. Zo ontstaan er geen rijen bij de poort.

## Drukte op het terrein

- Tel bezoekers bij de in- en uitgangen en laat op schermen en in de app zien
  waar het rustig is.
- Gebruik alleen tellingen. Volg telefoons niet via wifi of bluetooth zonder
  toestemming.
- Geef medewerkers een eenvoudig overzicht, zodat ze op tijd een gebied
  kunnen afsluiten.

## Zitplaatsen en looproutes

Een plattegrondtool rekent uit hoeveel zitplaatsen er passen als groepen op
afstand van elkaar zitten. Routes in één richting en aparte in- en uitgangen
voorkomen dat stromen bezoekers elkaar kruisen.

## Na afloop

Spreid het vertrek per vak of per rij. Een bericht op het grote scherm en in
de app laat zien wanneer jouw vak mag vertrekken.
""",
    ),
]

PRIVACY_SECTION = """\
Een oplossing om afstand te houden werkt alleen als mensen haar vertrouwen.
Dat vertrouwen verdien je door vanaf het begin zorgvuldig met gegevens om te
gaan.

## Uitgangspunten

- **Privacy by design.** Bedenk eerst welk doel je hebt en verzamel alleen wat
  daarvoor nodig is. Vaak is een telling genoeg en hoef je niemand te
  herkennen.
- **Geen tracking zonder toestemming.** Volg geen telefoons, gezichten of
  bewegingen van mensen, tenzij zij daar vooraf en vrij voor kiezen. Op het
  werk of op school is toestemming zelden echt vrij.
- **Vrijwillig en zonder nadeel.** Wie niet meedoet, mag daar geen nadeel van
  hebben.
- **Tijdelijk.** Spreek af wanneer de oplossing stopt en wanneer de gegevens
  worden gewist.

## Open en controleerbaar

Vertel in gewone taal wat je verzamelt, waarom en hoe lang. Maak de broncode
openbaar als dat kan, zodat anderen kunnen meekijken. Doe een privacytoets
(DPIA) voordat je begint, en vraag de functionaris gegevensbescherming om
mee te kijken.

## Beveiliging

Bewaar gegevens versleuteld en binnen de EU. Geef alleen toegang aan wie dat
voor zijn werk nodig heeft. Laat een onafhankelijke partij de oplossing testen
voordat veel mensen haar gebruiken.
"""

# --- Draaiboek digitale weerbaarheid zorg (TLP:GREEN) ---------------------------------

DRAAIBOEK_SLUG = "draaiboek-digitale-weerbaarheid-zorg"
DRAAIBOEK_TITLE = "Draaiboek digitale weerbaarheid zorg"
DRAAIBOEK_SUMMARY = (
    "Wat een zorgorganisatie vóór, tijdens en na een cyberaanval doet, en waar leden "
    "van de coalitie kunnen helpen. Alleen voor leden en geverifieerde publieke partijen: "
    "deel het niet buiten de coalitie."
)
DRAAIBOEK_SECTIONS: list[tuple[str, str]] = [
    (
        "Waarom dit draaiboek",
        """\
Zorgorganisaties zijn in een crisis extra kwetsbaar. Er is weinig tijd, het
personeel is moe en aanvallers weten dat. In de afgelopen maanden hielpen
leden van de coalitie bij phishinggolven, ransomware en storingen in
thuiswerkverbindingen. Wat we daarvan leerden, staat in dit draaiboek.

Het draaiboek is geen vervanging van het eigen crisisplan van een ziekenhuis
of GGD. Het is een aanvulling: korte stappen die je direct kunt zetten, en
per stap welke hulp de coalitie kan bieden. Leden die zelf iets leerden,
vullen het aan via een voorstel.

Gebruik het draaiboek zo:

- lees het één keer door met je crisisteam, nu het rustig is;
- zet de namen en telefoonnummers uit je eigen plan naast elke stap;
- oefen één stap per kwartaal, bijvoorbeeld het terugzetten van een back-up.
""",
    ),
    (
        "Voorbereiden",
        """\
De meeste schade ontstaat doordat in de eerste uren niemand weet wie wat
beslist. Regel dat daarom vooraf.

- **Een papieren lijst.** Houd een actuele lijst bij met telefoonnummers van
  het crisisteam, de leveranciers en de toezichthouders. Print hem: bij een
  aanval werkt je e-mail misschien niet.
- **Back-ups die los staan van het netwerk.** Bewaar minstens één kopie
  offline of onveranderbaar, en test het terugzetten van de belangrijkste
  systemen.
- **Tweestapsverificatie.** Zet die aan voor alle toegang van buitenaf en
  voor alle beheeraccounts.
- **Een overzicht van kritieke systemen.** Weet welke systemen de zorg aan
  het bed nodig heeft, en hoe je zonder die systemen werkt.

Vraag de coalitie gerust om een expert die meekijkt naar je back-ups of je
toegang op afstand. Dat kost je niets.
""",
    ),
    (
        "De eerste 24 uur",
        """\
Merk je een aanval op, blijf dan rustig en volg deze stappen.

1. **Isoleer, maar zet niets uit.** Haal getroffen systemen van het netwerk.
   Laat ze aan staan: in het geheugen staan sporen die onderzoekers nodig
   hebben.
2. **Bel je crisisteam bijeen** via de papieren lijst, niet via e-mail.
3. **Bescherm de zorg.** Bepaal welke afdelingen op papier overgaan en of je
   patiënten moet doorverwijzen. Dat besluit neemt de zorg, niet de IT.
4. **Meld.** Meld een datalek binnen 72 uur bij de Autoriteit
   Persoonsgegevens. Doe aangifte bij de politie en informeer Z-CERT.
5. **Vraag hulp.** Dien een hulpvraag in bij de coalitie. Kies het label dat
   past; voor een lopende aanval is dat meestal TLP:AMBER+STRICT.

Betaal geen losgeld zonder overleg met je bestuur, de politie en je
verzekeraar. Betalen geeft geen garantie dat je je gegevens terugkrijgt.
""",
    ),
    (
        "Herstellen en leren",
        """\
Na de eerste dagen begint het herstel. Zet systemen terug vanuit een back-up
waarvan je zeker weet dat die schoon is. Verander alle wachtwoorden, te
beginnen met de beheeraccounts.

Zet de systemen in een vaste volgorde terug: eerst wat de zorg aan het bed
nodig heeft, zoals het patiëntendossier en de medicatie, daarna de rest.
Houd de getroffen systemen nog een paar weken extra in de gaten; aanvallers
komen soms terug via een achterdeur die ze eerder achterlieten.

Houd binnen een maand een evaluatie zonder schuldvraag. Bespreek wat goed
ging, wat niet, en wat je verandert. Deel de lessen met de coalitie, zonder
namen van patiënten of medewerkers. Zo leren andere zorgorganisaties mee.
""",
    ),
]


# --- The knowledge base ---------------------------------------------------------------

PUBLISHED = "published"
FLAGGED = "flagged"


@dataclass(frozen=True)
class ArticleSpec:
    title: str
    summary: str
    body: str
    kind: str
    tags: tuple[str, ...]
    #: "member_admin", "expert", "outsider", or "member": an admin of another approved company.
    writer: str
    days_ago: int
    tlp: str = TLP.CLEAR
    language: str = ArticleLanguage.DUTCH
    #: PUBLISHED, FLAGGED (published, then flagged as advertising), or an ArticleStatus.
    state: str = PUBLISHED
    flag_reason: str = ""
    #: A later revision: (what the text says instead, what it replaces, the note).
    revision: tuple[str, str, str] | None = None


ARTICLES: list[ArticleSpec] = [
    ArticleSpec(
        title="Checklist: het eerste uur na een ransomware-aanval in het ziekenhuis",
        summary="Wat je in het eerste uur doet als bestanden versleuteld raken of er een "
        "losgeldbericht verschijnt. Voor de dienstdoende IT'er en de manager van dienst.",
        body="""\
Het eerste uur bepaalt hoe groot de schade wordt. Deze checklist is kort, zodat je
hem onder druk kunt volgen. Print hem en hang hem bij de servicedesk.

## Direct (0–15 minuten)

- Haal getroffen computers van het netwerk: kabel eruit, wifi uit.
- Zet ze **niet** uit. In het geheugen staan sporen van de aanvaller.
- Schakel de verbindingen op afstand (VPN, externe beheertoegang) tijdelijk uit.
- Bel de manager van dienst en de informatiebeveiliger. Gebruik de telefoon,
  niet de e-mail: die kan zijn overgenomen.

## Overzicht (15–30 minuten)

- Schrijf op wat je ziet: welk bericht, op welke computers, hoe laat.
- Maak een foto van het losgeldbericht.
- Controleer of de back-ups nog bereikbaar zijn, maar koppel ze niet aan het
  getroffen netwerk.
- Kijk in het overzicht van kritieke systemen welke zorgprocessen geraakt worden.

## Besluiten (30–60 minuten)

- Het crisisteam besluit of afdelingen overgaan op papieren werkwijzen.
- Informeer de spoedeisende hulp en de afdelingen die het eerst last krijgen.
- Meld het incident bij Z-CERT en vraag om ondersteuning.
- Dien een hulpvraag in bij TechTegenCorona als je extra handen nodig hebt.

## Wat je niet doet

- Geen contact opnemen met de aanvallers voordat het crisisteam dat besluit.
- Geen systemen terugzetten voordat duidelijk is hoe de aanvaller binnenkwam.
- Geen details delen op sociale media of in grote mailinglijsten.
""",
        kind=ArticleKind.CHECKLIST,
        tags=("ransomware", "ziekenhuis", "incidentrespons"),
        writer="member_admin",
        days_ago=140,
    ),
    ArticleSpec(
        title="Wat we leerden van malware-aanvallen op ziekenhuizen",
        summary="Een analyse van negen incidenten waarbij leden van de coalitie hielpen: "
        "hoe aanvallers binnenkwamen, wat de schade beperkte en wat we anders zouden doen.",
        body="""\
Tussen maart en november hielpen leden van de coalitie negen zorgorganisaties na
een aanval met malware. We bekeken de verslagen naast elkaar, zonder namen van
organisaties. Dit zijn de belangrijkste uitkomsten.

## Hoe aanvallers binnenkwamen

- In vijf gevallen via een phishingmail met een bijlage die op een factuur of een
  bestelling leek.
- In twee gevallen via een verbinding op afstand zonder tweestapsverificatie,
  haastig ingericht voor thuiswerken.
- In twee gevallen via een systeem van een leverancier dat niet was bijgewerkt.

## Wat de schade beperkte

Organisaties met een **gescheiden netwerk** voor medische apparatuur hielden die
apparatuur werkend. Organisaties met **offline back-ups** waren gemiddeld binnen
vier dagen weer operationeel; zonder zulke back-ups duurde het meer dan drie
weken. Waar het crisisteam een **papieren lijst** met telefoonnummers had, was er
binnen een uur een besluit over de zorg.

## Wat we anders zouden doen

We schakelden in drie gevallen te laat een forensisch specialist in, waardoor
sporen verloren gingen. En we zagen dat de communicatie met medewerkers vaak
achterbleef: zij hoorden het nieuws eerst via de media.

## Aanbevelingen

1. Zet tweestapsverificatie aan op alle toegang van buitenaf.
2. Test het terugzetten van back-ups, niet alleen het maken ervan.
3. Spreek vooraf af wie de forensisch specialist belt.
4. Maak een kort bericht voor medewerkers klaar, dat je in tien minuten kunt
   aanpassen en versturen.

De cijfers zijn klein en niet representatief voor alle zorg. Ze laten wel zien
waar de eerste winst zit.
""",
        kind=ArticleKind.RESEARCH,
        tags=("malware", "ziekenhuis", "onderzoek", "incidentrespons"),
        writer="member",
        days_ago=60,
    ),
    ArticleSpec(
        title="Veilig thuiswerken voor zorgpersoneel",
        summary="Roosteraars, secretaresses en artsen werken vaker thuis. Zo richt je dat "
        "veilig in zonder dat het werk er lastiger van wordt.",
        body="""\
Thuiswerken is in de zorg gewoon geworden, ook voor functies waar dat vroeger
ondenkbaar was. Dat brengt risico's mee: patiëntgegevens op een gedeelde
laptop, een thuisrouter met het standaardwachtwoord, een collega die meeleest.
Deze handleiding helpt je om thuiswerken veilig en werkbaar te maken.

## De werkplek

- Geef medewerkers een beheerde laptop. Laat patiëntgegevens niet op een eigen
  computer verwerken.
- Zet schijfversleuteling aan en laat het scherm na vijf minuten vergrendelen.
- Werk de laptop automatisch bij, ook als hij thuis staat.

## De verbinding

- Bied toegang via een VPN of een beveiligde werkplek in de browser, altijd
  met tweestapsverificatie.
- Beperk per functie tot welke systemen iemand op afstand toegang heeft.
- Houd in de gaten hoeveel verbindingen er zijn. Bij een plotselinge groei
  raakt de VPN snel vol.

## De medewerker

Leg in een paar zinnen uit waarom de maatregelen er zijn. Vraag medewerkers
om gesprekken met patiënten te voeren in een ruimte waar niemand meeluistert,
en om geen foto's van schermen te maken. Geef één telefoonnummer voor vragen en
problemen, dat ook 's avonds werkt.

## Tot slot

Veiligheid die het werk onmogelijk maakt, wordt omzeild. Test de oplossing
daarom eerst met een paar medewerkers en pas haar aan voordat iedereen
overgaat.
""",
        kind=ArticleKind.GUIDE,
        tags=("thuiswerken", "VPN", "zorg"),
        writer="member_admin",
        days_ago=150,
        revision=(
            "Houd in de gaten hoeveel verbindingen er zijn. Bij een plotselinge groei\n"
            "  raakt de VPN snel vol. Plan de capaciteit op het aantal medewerkers dat\n"
            "  tegelijk thuiswerkt, niet op het gemiddelde.",
            "Houd in de gaten hoeveel verbindingen er zijn. Bij een plotselinge groei\n"
            "  raakt de VPN snel vol.",
            "Advies over capaciteit toegevoegd na de tweede golf.",
        ),
    ),
    ArticleSpec(
        title="Phishing herkennen: een handleiding voor baliemedewerkers",
        summary="Baliemedewerkers krijgen veel e-mail van onbekenden. Vijf signalen van "
        "phishing en wat je doet als je twijfelt.",
        body="""\
Aan de balie en op het secretariaat krijg je elke dag e-mail van mensen die je
niet kent: patiënten, leveranciers, andere zorgverleners. Aanvallers weten dat.
Ze sturen berichten die op een gewone vraag lijken. Met deze vijf signalen
herken je de meeste phishing.

## Vijf signalen

1. **Haast.** "Vandaag nog betalen" of "uw account wordt binnen een uur
   geblokkeerd". Echte organisaties geven je tijd.
2. **Een afzender die net niet klopt.** Kijk naar het adres achter de naam.
   `facturen@leverancier-zorg.com` is iets anders dan het adres dat je kent.
3. **Een onverwachte bijlage of link.** Vooral een bestand dat je moet
   "inschakelen" of een pagina waar je moet inloggen.
4. **Vragen om gegevens.** Een wachtwoord, een inlogcode of een
   rekeningnummer vraagt niemand per e-mail.
5. **Een vreemde toon.** Te formeel, te amicaal, of met taalfouten die een
   collega niet zou maken.

## Twijfel je?

- Klik niet en open de bijlage niet.
- Bel de afzender op een nummer dat je zelf opzoekt, niet op het nummer in de
  e-mail.
- Stuur het bericht door naar de meldknop of het adres van de
  informatiebeveiliging.

## Toch geklikt?

Dat kan iedereen overkomen. Meld het meteen, ook als je je schaamt. Hoe sneller
de IT-afdeling het weet, hoe kleiner de schade. Niemand krijgt op zijn kop voor
een melding.
""",
        kind=ArticleKind.GUIDE,
        tags=("phishing", "bewustwording", "zorg"),
        writer="member",
        days_ago=120,
    ),
    ArticleSpec(
        title="Back-ups die een aanval overleven",
        summary="Ransomware zoekt eerst je back-ups. Zo richt je ze in dat er na een aanval "
        "altijd een schone kopie is, en zo test je dat.",
        body="""\
Bij bijna elke ransomware-aanval die we zagen, probeerden de aanvallers eerst de
back-ups te wissen of te versleutelen. Een back-up helpt je alleen als hij een
aanval overleeft. Daarvoor zijn drie dingen nodig.

## 1. Een kopie die de aanvaller niet kan bereiken

Volg de regel 3-2-1-1: drie kopieën, op twee soorten opslag, één buiten de deur,
en één die **offline of onveranderbaar** is. Onveranderbaar betekent dat zelfs
een beheerder de kopie tijdens de bewaartermijn niet kan wissen.

## 2. Aparte accounts

Gebruik voor de back-upomgeving eigen beheeraccounts, niet gekoppeld aan het
gewone domein, en altijd met tweestapsverificatie. Een aanvaller met de sleutels
van het netwerk heeft dan nog niet de sleutels van de back-ups.

## 3. Regelmatig terugzetten

Van een back-up die je nooit terugzet, weet je niet of hij werkt. Zet elk kwartaal een
belangrijk systeem terug in een aparte omgeving, bijvoorbeeld het
patiëntendossier of het roostersysteem. Meet hoe lang het duurt. Die tijd is je
echte hersteltijd.

## Controlevragen

- Wie kan back-ups verwijderen, en met welk account?
- Hoe oud is de oudste kopie die zeker schoon is?
- Hoe lang duurt het terugzetten van het patiëntendossier?
- Staat de handleiding voor het terugzetten ook op papier?

Weet je het antwoord op een van deze vragen niet? Vraag de coalitie om een
expert die met je meekijkt.
""",
        kind=ArticleKind.GUIDE,
        tags=("back-up", "ransomware", "herstel"),
        writer="member",
        days_ago=95,
        tlp=TLP.GREEN,
    ),
    ArticleSpec(
        title="Videobellen met patiënten: privacy-checklist",
        summary="Voordat je begint met beeldbellen: tien vragen over beveiliging, "
        "toestemming en opnames.",
        body="""\
Beeldbellen spaart patiënten een reis en houdt de wachtkamer leeg. Maar een
videogesprek is ook een gesprek over gezondheid, met dezelfde regels als in de
spreekkamer. Loop deze checklist door voordat je begint.

## De dienst

- De dienst is bedoeld voor de zorg en versleutelt gesprekken van begin tot
  eind.
- Je hebt een verwerkersovereenkomst met de leverancier.
- De gegevens blijven binnen de Europese Unie.
- De patiënt heeft geen account nodig: een link is genoeg.

## Het gesprek

- Je controleert aan het begin of je met de juiste persoon spreekt.
- Je zit in een ruimte waar niemand meeluistert, met een koptelefoon.
- Je vraagt of er iemand bij de patiënt in de kamer is, en of dat goed is.

## Opnames en gegevens

- Je neemt standaard niets op. Is een opname toch nodig, dan vraag je eerst
  toestemming en leg je vast waarom.
- In het dossier komt alleen wat ook na een gewoon consult in het dossier
  zou komen.

## Het alternatief

- Wie niet kan of wil beeldbellen, krijgt zonder nadeel een telefonisch
  consult of een afspraak op locatie.

Twijfel je over een punt? Vraag je functionaris gegevensbescherming. Bij grote
aantallen gesprekken is een DPIA verplicht.
""",
        kind=ArticleKind.CHECKLIST,
        tags=("beeldbellen", "privacy", "AVG"),
        writer="expert",
        days_ago=110,
    ),
    ArticleSpec(
        title="DPIA in vijf stappen voor een GGD-app",
        summary="Een GGD die een app inzet voor afspraken of contactonderzoek moet vooraf de "
        "privacyrisico's in kaart brengen. Zo pak je dat in vijf stappen aan.",
        body="""\
Een app die gegevens over gezondheid verwerkt, vraagt om een
gegevensbeschermingseffectbeoordeling (DPIA). Dat klinkt zwaar, maar met een
goede aanpak ben je in een paar weken klaar. Begin vroeg: een DPIA achteraf leidt
tot dure aanpassingen.

## Stap 1: beschrijf de verwerking

Wat doet de app, voor wie, en welke gegevens gaan waarheen? Teken de
gegevensstromen op één pagina, met alle leveranciers.

## Stap 2: toets doel en noodzaak

Is er een wettelijke grondslag? Verzamel je alleen wat nodig is voor het doel?
Kan het ook met minder gegevens, bijvoorbeeld zonder naam of zonder locatie?

## Stap 3: breng de risico's in kaart

Kijk vanuit de burger: wat gaat er mis als gegevens uitlekken, verkeerd zijn of
voor iets anders gebruikt worden? Denk ook aan mensen die de app niet kunnen
gebruiken.

## Stap 4: kies maatregelen

Bijvoorbeeld: gegevens versleuteld en binnen de EU, een korte bewaartermijn,
toegang alleen voor wie het nodig heeft, en een alternatief zonder app.

## Stap 5: leg vast en herhaal

Laat de functionaris gegevensbescherming advies geven en leg het besluit vast.
Blijft er een hoog risico over, dan raadpleeg je de Autoriteit Persoonsgegevens.
Herhaal de DPIA als de app verandert.

Experts van de coalitie kunnen je helpen met stap 1 tot en met 4. Het besluit
blijft bij de GGD.
""",
        kind=ArticleKind.GUIDE,
        tags=("DPIA", "privacy", "GGD", "AVG"),
        writer="expert",
        days_ago=75,
        tlp=TLP.GREEN,
    ),
    ArticleSpec(
        title="Multi-factor authentication for remote access: a rollout guide",
        summary="How a hospital rolled out multi-factor authentication for 3,000 remote "
        "workers in two weeks, and what we would do differently.",
        body="""\
When care staff suddenly worked from home, many hospitals opened remote access
faster than they could secure it. Multi-factor authentication (MFA) is the
single measure that stops most account takeovers. This guide describes a rollout
that coalition members supported at a large hospital.

## Before you start

- List every way into the network from outside: VPN, remote desktop, webmail,
  supplier access.
- Choose methods that suit your staff: an authenticator app for most people, a
  hardware key for administrators, and a fallback for people without a
  smartphone.
- Prepare the service desk: they will get many calls in the first week.

## The rollout

1. Start with administrators and IT staff; they will find the problems first.
2. Continue department by department, not all at once.
3. Give each department a date, a one-page instruction in plain language and a
   walk-in hour.
4. Switch off access without MFA only after everyone has had the chance to enrol.

## What we learned

- Shared accounts on wards caused most delays. Replace them with personal
  accounts before you begin.
- Text messages as a second factor were easy but weak; we moved people to the app
  within three months.
- Recovery codes must be stored safely. We printed them and sealed them in
  envelopes at the ward office.

Two weeks was enough for 3,000 people. Two phishing attempts in the following
month failed because the stolen passwords alone were useless.
""",
        kind=ArticleKind.GUIDE,
        tags=("MFA", "remote access", "thuiswerken"),
        writer="outsider",
        days_ago=130,
        language=ArticleLanguage.ENGLISH,
    ),
    ArticleSpec(
        title="Lessons from load-testing appointment systems for test sites",
        summary="We load-tested the appointment systems of four regional health services "
        "before a new testing round opened. What broke first, and how it was fixed.",
        body="""\
When a new group becomes eligible for testing, thousands of people try to book an
appointment within the same hour. Coalition members load-tested the booking
systems of four regional health services before such a moment. These are the
results, without naming the systems.

## Method

We simulated realistic user journeys: open the page, choose a location, choose a
time slot, confirm. The load grew in steps to five times the expected peak. We
measured response times and errors per step.

## What broke first

- **Slot availability queries.** In three of the four systems, checking free
  slots scanned the whole day's schedule for every visitor. Response times rose
  from 0.3 to 9 seconds.
- **Confirmation e-mails.** One system sent e-mails within the booking request;
  when the mail server slowed down, bookings failed.
- **Session storage.** One system kept sessions in memory on a single server,
  so adding servers did not help.

## What fixed it

Caching availability for a few seconds, sending e-mails in the background and
moving sessions to a shared store. After the fixes all four systems handled
five times the expected peak with response times under one second.

## Advice

Test before every announcement, not once. Agree with the communication team
when an announcement goes out, and have someone watching the dashboards at that
moment.
""",
        kind=ArticleKind.RESEARCH,
        tags=("load testing", "GGD", "performance"),
        writer="member",
        days_ago=45,
        tlp=TLP.GREEN,
        language=ArticleLanguage.ENGLISH,
    ),
    ArticleSpec(
        title="Indicatoren van de phishinggolf bij ziekenhuizen in Noord-Nederland",
        summary="Afzenders, onderwerpregels en domeinen uit de phishingcampagne met "
        "vervalste facturen van een medische leverancier. Alleen voor de genoemde "
        "organisaties en hun klanten.",
        body="""\
Sinds begin deze maand ontvangen ziekenhuizen in Noord-Nederland phishingmails die
lijken te komen van een leverancier van medische hulpmiddelen. Ziekenhuis
Noorderlicht meldde de eerste mails; Veilig Netwerk B.V. analyseerde ze. Deel
deze indicatoren alleen binnen je eigen organisatie en met je klanten.

## Kenmerken van de mails

- Onderwerp: "Openstaande factuur – herinnering" of "Correctie bestelling
  mondmaskers", met een factuurnummer van acht cijfers.
- Afzendernaam klopt met de echte leverancier; het adres erachter niet.
- Bijlage: een zip-bestand met daarin een snelkoppeling die een script start.

## Indicatoren

| soort | waarde |
| --- | --- |
| domein | `medisch-leverancier-facturen.example` |
| domein | `zorginkoop-portaal.example` |
| bestandsnaam | `factuur_2020_11.zip` |
| onderwerp | `Openstaande factuur – herinnering` |

## Wat je doet

1. Blokkeer de domeinen op je mailgateway en je proxy.
2. Zoek in je mailsysteem naar mails met deze onderwerpen van de afgelopen
   twee weken.
3. Laat medewerkers die de bijlage openden hun wachtwoord wijzigen en controleer
   hun computer.

Vond je andere indicatoren? Meld ze bij de coördinatoren, dan vullen we deze
lijst aan.
""",
        kind=ArticleKind.RESEARCH,
        tags=("phishing", "indicatoren", "ziekenhuis"),
        writer="member_admin",
        days_ago=6,
        tlp=TLP.AMBER,
    ),
    ArticleSpec(
        title="Kwetsbaarheid in de beheerinterface van een patiëntmonitor",
        summary="Een nog niet openbare kwetsbaarheid in de webinterface van een "
        "patiëntmonitoringssysteem, met tijdelijke maatregelen. Alleen voor de "
        "genoemde personen.",
        body="""\
Tijdens een opdracht bij een ziekenhuis vonden we een kwetsbaarheid in de
webinterface waarmee beheerders patiëntmonitoren instellen. De leverancier is
op de hoogte en werkt aan een update. Tot die er is, delen we de details alleen
met de genoemde personen.

## Wat er aan de hand is

De beheerinterface controleert bij sommige pagina's niet of je bent ingelogd.
Wie het netwerk van de monitoren kan bereiken, kan daardoor instellingen lezen
en alarmgrenzen wijzigen. Er is geen aanwijzing dat dit al misbruikt wordt.

## Tijdelijke maatregelen

- Zorg dat het netwerk van de monitoren alleen bereikbaar is vanaf de
  beheerwerkplekken die het nodig hebben.
- Zet de webinterface uit als je hem niet dagelijks gebruikt; instellen kan ook
  via de centrale post.
- Controleer de logboeken van de interface op aanvragen van onbekende adressen.

## Afspraken

Noem de leverancier en het product niet buiten deze groep tot de update er is.
De coördinatoren stemmen met de leverancier af wanneer we dit artikel breder
delen. Vragen stel je rechtstreeks aan de auteur.
""",
        kind=ArticleKind.GUIDE,
        tags=("kwetsbaarheid", "medische apparatuur", "netwerksegmentatie"),
        writer="member",
        days_ago=3,
        tlp=TLP.RED,
    ),
    ArticleSpec(
        title="Toegankelijke websites voor GGD's: snelle verbeteringen",
        summary="Vijf verbeteringen die een GGD-website in een week beter bruikbaar maken "
        "voor mensen met een beperking.",
        body="""\
Veel mensen zoeken in een crisis informatie op de website van hun GGD. Ook mensen
die slecht zien, niet met een muis werken of moeite hebben met lezen. Met deze
vijf verbeteringen kom je al een heel eind richting WCAG 2.1 niveau AA.

## 1. Koppen in de goede volgorde

Gebruik één hoofdkop per pagina en daaronder tussenkoppen in volgorde. Mensen
met een schermlezer springen van kop naar kop.

## 2. Knoppen en links die zeggen wat ze doen

"Maak een testafspraak" is beter dan "klik hier". Een link moet ook zonder de
tekst eromheen te begrijpen zijn.

## 3. Werkt alles met het toetsenbord?

Loop de belangrijkste pagina's door met alleen de Tab-toets. Zie je steeds waar
je bent? Kun je het formulier versturen?

## 4. Genoeg contrast

Lichtgrijze tekst op wit is voor veel mensen onleesbaar. Controleer het contrast
met een gratis hulpmiddel.

## 5. Eenvoudige taal

Schrijf op B1-niveau en zet de belangrijkste boodschap bovenaan. Voeg een
voorleesfunctie toe voor wie liever luistert.

Nog te doen voor dit artikel: voorbeelden van GGD-pagina's toevoegen.
""",
        kind=ArticleKind.GUIDE,
        tags=("toegankelijkheid", "WCAG", "GGD"),
        writer="outsider",
        days_ago=2,
        state=ArticleStatus.DRAFT,
    ),
    ArticleSpec(
        title="Wachtrijen tellen zonder camera's",
        summary="Drie manieren om de drukte bij een teststraat of een balie te meten "
        "zonder mensen te filmen of te volgen.",
        body="""\
Voor een goede spreiding wil je weten hoe lang de rij is. Camera's met
beeldherkenning lijken de makkelijkste weg, maar ze verzamelen veel meer dan
nodig en maken mensen ongerust. Deze drie methoden geven genoeg informatie
zonder dat iemand herkend wordt.

## 1. Tellen bij de deur

Een infraroodteller bij de ingang en de uitgang telt hoeveel mensen er binnen
zijn. Het verschil tussen in en uit is de drukte. De teller ziet geen gezichten
en slaat niets op over personen.

## 2. Tellen met afspraken

Bij een teststraat met afspraken weet je al wie er komt. Een medewerker tikt op
een tablet aan wie er binnen is. Het verschil tussen gepland en werkelijk laat
zien of de rij groeit.

## 3. Een medewerker met een knop

Soms is de eenvoudigste oplossing de beste. Een medewerker drukt elk kwartier op
een knop: rustig, normaal of druk. Dat is genoeg voor een drukte-indicator op de
website.

## Wat je niet doet

Gebruik geen wifi- of bluetoothsignalen van telefoons om mensen te tellen. Ook
als je de adressen versleutelt, volg je dan apparaten van mensen die daar geen
toestemming voor gaven.

## Hoe je de keuze maakt

Begin met de vraag wat je met de informatie doet. Wil je alleen bezoekers
vertellen wanneer het rustig is, dan volstaat een knop. Wil je per uur personeel
inplannen, dan is een teller bij de deur nuttiger.
""",
        kind=ArticleKind.GUIDE,
        tags=("drukte", "privacy", "anderhalve meter"),
        writer="member",
        days_ago=4,
        state=ArticleStatus.IN_REVIEW,
    ),
    ArticleSpec(
        title="Zo bewaakt een SOC je ziekenhuisnetwerk dag en nacht",
        summary="Waarom een Security Operations Center onmisbaar is voor een ziekenhuis, en "
        "hoe ons SOC-abonnement werkt.",
        body="""\
Aanvallers werken 's nachts en in het weekend, als de IT-afdeling thuis is. Een
Security Operations Center (SOC) kijkt dag en nacht mee en grijpt in als er iets
vreemds gebeurt.

## Wat een SOC doet

- Het verzamelt meldingen van firewalls, servers en werkplekken.
- Analisten beoordelen welke meldingen echt gevaarlijk zijn.
- Bij een aanval isoleert het SOC de getroffen systemen en belt het de
  dienstdoende beheerder.

## Ons aanbod

Met ons SOC-abonnement voor de zorg ben je binnen twee weken aangesloten. Het
eerste kwartaal krijg je 30 procent korting als je via TechTegenCorona komt.
Vraag vandaag nog een offerte aan via onze website; onze accountmanagers nemen
binnen een dag contact op.

## Waarom wij

Wij werken al tien jaar voor ziekenhuizen en kennen de systemen. Onze analisten
zijn gecertificeerd en zitten in Nederland.

## Wat je zelf regelt

Ook met een SOC heb je intern iemand nodig die beslissingen neemt als het SOC
belt, ook 's nachts. Maak daarom een bereikbaarheidsrooster en spreek vooraf af
welke systemen het SOC zelfstandig mag isoleren. Zorg dat de meldingen van je
belangrijkste systemen echt bij het SOC aankomen: een SOC ziet alleen wat je
aansluit. Bespreek elk kwartaal de meldingen van de afgelopen periode, zodat je
leert welke signalen ertoe doen.
""",
        kind=ArticleKind.GUIDE,
        tags=("SOC", "monitoring", "ziekenhuis"),
        writer="member",
        days_ago=35,
        tlp=TLP.GREEN,
        state=FLAGGED,
        flag_reason="Het artikel biedt een betaald abonnement aan, met korting en een "
        "offerte. De Gedragscode staat geen verkoop via de coalitie toe. Haal het "
        "aanbod en de paragraaf 'Waarom wij' weg; de uitleg over wat een SOC doet, "
        "mag blijven.",
    ),
]


# --- The seeder -----------------------------------------------------------------------


class DocumentSeeder:
    """Tells the working documents' and the knowledge base's history."""

    def __init__(self, *, personas: dict[str, User], coordinators: list[User]) -> None:
        # Fresh rows: the personas' memberships were cached before the review moved them.
        self.personas = {key: User.objects.get(pk=user.pk) for key, user in personas.items()}
        self.coordinator = self.personas["coordinator"]
        self.core_team = list(coordinators)
        self.now = timezone.now()
        self.horizon = self.now - timedelta(minutes=30)

    def run(self) -> None:
        first_notification = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        self.members = self._member_writers()
        self.samenleving()
        self.draaiboek()
        self.articles()
        # What happened days ago has been read.
        Notification.objects.filter(
            pk__gt=first_notification,
            created_at__lt=self.now - timedelta(days=2),
            read_at__isnull=True,
        ).update(read_at=F("created_at") + timedelta(hours=3))

    # Helpers ------------------------------------------------------------------------

    def _ago(self, days: float) -> datetime:
        return min(self.now - timedelta(days=days), self.horizon)

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """The notifications sent in the block were sent at `moment`."""
        started = timezone.now()
        yield
        Notification.objects.filter(created_at__gte=started).update(created_at=moment)

    def _member_writers(self) -> list[User]:
        """Admins of approved member companies in good standing, the personas' aside."""
        persona_ids = [user.pk for user in self.personas.values()]
        companies = (
            Organisation.objects.filter(
                kind=OrganisationKind.MEMBER_COMPANY,
                status=MemberStatus.APPROVED,
                noncompliant_since__isnull=True,
            )
            .exclude(memberships__user__in=persona_ids)
            .order_by("name")
        )
        admins = (
            Membership.objects.filter(
                organisation__in=companies, role=Membership.Role.ADMIN, user__is_active=True
            )
            .select_related("user")
            .order_by("organisation__name", "pk")
        )
        seen: set[int] = set()
        writers = []
        for membership in admins:
            if membership.organisation_id not in seen:
                seen.add(membership.organisation_id)
                writers.append(membership.user)
        return writers or [self.personas["member_admin"]]

    def _member(self, index: int) -> User:
        return self.members[index % len(self.members)]

    def _stamp_revision(self, revision: SectionRevision, moment: datetime) -> None:
        SectionRevision.objects.filter(pk=revision.pk).update(created_at=moment)
        Section.objects.filter(pk=revision.section_id).update(updated_at=moment)
        Document.objects.filter(pk=revision.document_id).update(updated_at=moment)

    def _create(
        self,
        *,
        days_ago: float,
        title: str,
        summary: str,
        tlp: str,
        slug: str,
        sections: list[tuple[str, str]],
    ) -> Document:
        moment = self._ago(days_ago)
        with self.at(moment):
            document = documents.document_create(
                author=self.coordinator,
                title=title,
                summary=summary,
                tlp=tlp,
                slug=slug,
                sections=sections,
            )
        Document.objects.filter(pk=document.pk).update(created_at=moment, updated_at=moment)
        SectionRevision.objects.filter(document=document).update(created_at=moment)
        Section.objects.filter(document=document).update(updated_at=moment)
        return document

    def _section(self, document: Document, title: str) -> Section:
        return Section.objects.get(document=document, title=title)

    def propose(
        self,
        document: Document,
        section_title: str,
        old: str,
        new: str,
        *,
        days_ago: float,
        by: User | None = None,
        visitor: tuple[str, str] | None = None,
        confirm: bool = True,
        base: int | None = None,
        reason: str = "",
        anonymous: bool = False,
    ) -> Proposal:
        """A change of `old` into `new` in the section as it read at revision `base`."""
        section = self._section(document, section_title)
        number = base or section.number
        text = section.revisions.get(number=number).body
        if text.count(old) != 1:
            raise ValueError(f"The demo change does not fit “{section_title}” #{number}: {old!r}")
        moment = self._ago(days_ago)
        email, name = visitor or ("", "")
        with self.at(moment):
            proposal = documents.proposal_submit(
                document=document,
                section=section,
                base_number=number,
                title=section.title,
                body=text.replace(old, new),
                reason=reason,
                anonymous=anonymous,
                contributor=by,
                email=email,
                name=name,
            )
            if visitor and confirm:
                documents.proposal_confirm(token=documents.confirmation_token(proposal))
        # A visitor follows the link in the confirmation e-mail a little later.
        confirmed: datetime | None = moment
        if visitor:
            confirmed = moment + timedelta(minutes=7) if confirm else None
        Proposal.objects.filter(pk=proposal.pk).update(created_at=moment, confirmed_at=confirmed)
        return proposal

    def accept(
        self,
        proposal: Proposal,
        *,
        days_ago: float,
        editor: User | None = None,
        body: str | None = None,
        note: str = "",
    ) -> SectionRevision:
        moment = self._ago(days_ago)
        head = proposal.section.number if proposal.section is not None else None
        with self.at(moment):
            revision = documents.proposal_accept(
                proposal=proposal,
                editor=editor or self.coordinator,
                body=body,
                based_on=head if body is not None else None,
                note=note,
            )
        Proposal.objects.filter(pk=proposal.pk).update(decided_at=moment)
        self._stamp_revision(revision, moment)
        return revision

    def decline(self, proposal: Proposal, *, days_ago: float, reason: str) -> None:
        moment = self._ago(days_ago)
        with self.at(moment):
            documents.proposal_decline(proposal=proposal, editor=self.coordinator, reason=reason)
        Proposal.objects.filter(pk=proposal.pk).update(decided_at=moment)

    def comment(
        self, document: Document, section_title: str, author: User, body: str, *, days_ago: float
    ) -> None:
        with self.at(self._ago(days_ago)):
            comment = documents.comment_add(
                section=self._section(document, section_title), author=author, body=body
            )
        Comment.objects.filter(pk=comment.pk).update(created_at=self._ago(days_ago))

    # De anderhalve-meter samenleving ------------------------------------------------

    def samenleving(self) -> None:
        """Four months of the coalition improving the public document together."""
        p = self.personas
        doc = self._create(
            days_ago=125,
            title=SAMENLEVING_TITLE,
            summary=SAMENLEVING_SUMMARY,
            tlp=TLP.CLEAR,
            slug=SAMENLEVING_SLUG,
            sections=SAMENLEVING_SECTIONS,
        )

        frisse_lucht = self.propose(
            doc,
            WERKVLOER,
            "  Spreek per team af wie op welke dagen op locatie werkt.\n",
            "  Spreek per team af wie op welke dagen op locatie werkt.\n"
            "- **Frisse lucht meten.** Een CO2-meter in de vergaderruimte laat met een\n"
            "  lampje zien wanneer je moet luchten. Dat helpt ook als het aantal mensen\n"
            "  wel klopt.\n",
            by=p["expert"],
            days_ago=118,
            reason="Afstand is niet alles: in een slecht geventileerde ruimte blijft het "
            "risico groot. Een CO2-meter is goedkoop en makkelijk te begrijpen.",
        )
        self.accept(frisse_lucht, days_ago=116)

        zonder_app = self.propose(
            doc,
            OV,
            "- Laat zien hoe zeker de voorspelling is. Een verwachting is geen garantie.\n",
            "- Laat zien hoe zeker de voorspelling is. Een verwachting is geen garantie.\n"
            "- Bied de informatie ook aan zonder app: via sms, via een telefoonnummer of\n"
            "  op een bord bij de halte.\n",
            by=self._member(0),
            anonymous=True,
            days_ago=112,
            reason="Niet iedereen heeft een reisplanner-app, zeker ouderen niet.",
        )
        self.accept(zonder_app, days_ago=111)

        tracking = self.propose(
            doc,
            WERKVLOER,
            "## Waar je op let\n",
            "- **Een afstandsmeter voor iedereen.** Geef alle medewerkers een verplichte\n"
            "  polsband die piept als ze te dichtbij komen en opslaat wie bij wie in de\n"
            "  buurt was.\n\n## Waar je op let\n",
            by=self._member(1),
            days_ago=108,
            reason="Dan weet je precies wie er in contact was bij een besmetting.",
        )
        self.decline(
            tracking,
            days_ago=106,
            reason="Dank je voor het meedenken. Een verplichte polsband die vastlegt wie bij "
            "wie in de buurt was, past niet bij ons uitgangspunt: geen tracking zonder vrije "
            "toestemming. Op het werk is toestemming zelden vrij, omdat je afhankelijk bent "
            "van je werkgever. Een vrijwillige meter die alleen piept en niets opslaat, "
            "nemen we wel graag op.",
        )

        testen = self.propose(
            doc,
            LAAGGELETTERDEN,
            "## Schrijven op B1-niveau\n",
            "## Test met de doelgroep\n\n"
            "Laat pictogrammen, teksten en filmpjes altijd testen door mensen die zelf\n"
            "moeite hebben met lezen. Zij zien meteen wat onduidelijk is. Het Taalhuis in\n"
            "je gemeente helpt je om hen te vinden.\n\n"
            "## Schrijven op B1-niveau\n",
            visitor=("f.elamrani@example.org", "Fatima El Amrani"),
            days_ago=100,
            reason="Ik werk als taalcoach. We zien vaak pictogrammen die voor de makers "
            "logisch zijn, maar niet voor onze cursisten.",
        )
        self.accept(testen, days_ago=97, note="Mooie aanvulling, dank je wel!")

        # Two proposals against the same revision: the second is merged with the first.
        onderwijs = self._section(doc, ONDERWIJS).number
        achterop = self.propose(
            doc,
            ONDERWIJS,
            "Scholen, mbo's, hogescholen en universiteiten geven les met minder mensen\n"
            "tegelijk in een lokaal.",
            "Scholen, mbo's, hogescholen en universiteiten geven les met minder mensen\n"
            "tegelijk in een lokaal, zonder dat leerlingen achterop raken.",
            by=p["umbrella"],
            base=onderwijs,
            days_ago=92,
            reason="Het doel is niet alleen afstand, maar ook dat niemand de aansluiting mist.",
        )
        ouders = self.propose(
            doc,
            ONDERWIJS,
            "heeft. Techbedrijven kunnen helpen",
            "heeft. Denk ook aan ouders die weinig Nederlands lezen: geef hun de\n"
            "instructies in eenvoudige taal, met plaatjes. Techbedrijven kunnen helpen",
            by=self._member(2),
            base=onderwijs,
            days_ago=91,
        )
        self.accept(achterop, days_ago=89)
        self.accept(ouders, days_ago=88, note="Samengevoegd met de aanpassing van de inleiding.")

        # Written against the first revision of "In de zorg"; it waits while the
        # section moves on, so accepting it will merge.
        self.propose(
            doc,
            ZORG,
            "- Maak het de patiënt makkelijk: een link per sms of e-mail, zonder account.\n",
            "- Maak het de patiënt makkelijk: een link per sms of e-mail, zonder account.\n"
            "  Bied een proefgesprek aan voor wie het spannend vindt.\n",
            by=self._member(3),
            anonymous=True,
            days_ago=86,
        )
        pauzes = self.propose(
            doc,
            ZORG,
            "Overdrachten en teamoverleg via video beperken het aantal mensen in één\nruimte.\n",
            "Overdrachten en teamoverleg via video beperken het aantal mensen in één\n"
            "ruimte. Wij gebruiken sinds kort PauzePlanner van Zorgrooster B.V. om de\n"
            "pauzes te spreiden, en we luchten de pauzeruimte elk uur. Dat raden we\n"
            "iedereen aan, het werkt echt heel erg goed.\n",
            by=p["requester"],
            days_ago=84,
            reason="Bij ons raakten vooral de pauzeruimtes te vol.",
        )
        edited = self._section(doc, ZORG).body.replace(
            "Overdrachten en teamoverleg via video beperken het aantal mensen in één\nruimte.\n",
            "Overdrachten en teamoverleg via video beperken het aantal mensen in één\n"
            "ruimte. Spreid ook de pauzes met een eenvoudig rooster, en lucht de\n"
            "pauzeruimte elk uur.\n",
        )
        self.accept(
            pauzes,
            days_ago=82,
            body=edited,
            note="Ingekort, en de productnaam weggehaald: in dit document noemen we geen "
            "leveranciers.",
        )

        kaartjes = self.propose(
            doc,
            EVENEMENTEN,
            "juiste ingang en tijd. Zo ontstaan er geen rijen bij de poort.\n",
            "juiste ingang en tijd. Zo ontstaan er geen rijen bij de poort.\n\n"
            "Verkoop ook kaartjes aan de kassa en via de telefoon, zodat mensen zonder\n"
            "smartphone er ook bij kunnen zijn.\n",
            by=self._member(4),
            anonymous=True,
            days_ago=74,
        )
        self.accept(kaartjes, days_ago=73)

        reclame = self.propose(
            doc,
            EVENEMENTEN,
            "## Zitplaatsen en looproutes\n",
            "Wij leveren hiervoor CrowdSense Pro: de beste drukte-oplossing van Nederland.\n"
            "Leden van de coalitie krijgen 20 procent korting.\n\n"
            "## Zitplaatsen en looproutes\n",
            by=self._member(5),
            days_ago=70,
        )
        self.decline(
            reclame,
            days_ago=69,
            reason="In dit document noemen we geen producten van leden: de Gedragscode vraagt "
            "dat we via de coalitie niets verkopen. Beschrijf liever wat zo'n systeem moet "
            "kunnen, dan nemen we dat graag op.",
        )

        self.comment(
            doc,
            OV,
            p["member_admin"],
            "Goed dat er een woord bij de kleur staat. Reizigers die kleurenblind zijn, "
            "zien het verschil tussen rood en groen vaak niet.",
            days_ago=68,
        )

        # A new chapter, proposed by a member; then an editor from the coalition.
        self._new_section(doc, PRIVACY, PRIVACY_SECTION, by=p["member_admin"])
        with self.at(self._ago(55)):
            documents.document_set_editors(
                document=doc, coordinator=self.coordinator, editors=[p["expert"]]
            )
        uitleg = self.propose(
            doc,
            PRIVACY,
            "- **Tijdelijk.**",
            "- **Uitleg zonder vakjargon.** Leg in een paar zinnen uit wat er gebeurt,\n"
            "  met een voorbeeld. Wie het niet begrijpt, kan ook niet echt kiezen.\n"
            "- **Tijdelijk.**",
            by=p["umbrella"],
            days_ago=50,
        )
        self.accept(uitleg, days_ago=48, editor=p["expert"])

        camera = self.propose(
            doc,
            WERKVLOER,
            "reserveringen; camera's zijn niet nodig.",
            "reserveringen. Camera's zijn daarvoor niet nodig, en ze maken mensen\n"
            "  terecht ongerust.",
            by=self._member(6),
            anonymous=True,
            days_ago=40,
        )
        self.accept(camera, days_ago=39)

        self.comment(
            doc,
            LAAGGELETTERDEN,
            p["umbrella"],
            "In de zorg gebruiken we al een vaste set pictogrammen. Kunnen we afspreken dat "
            "alle organisaties dezelfde set gebruiken? Dan hoeft niemand iets nieuws te leren.",
            days_ago=35,
        )
        self.comment(
            doc,
            LAAGGELETTERDEN,
            self.coordinator,
            "Goed idee. We vragen de koepels of ze hier samen een voorstel voor doen.",
            days_ago=34,
        )
        self.comment(
            doc,
            ZORG,
            p["expert"],
            "Let bij beeldbellen ook op opnames: neem standaard niets op, en als het toch "
            "moet, spreek dan een bewaartermijn af.",
            days_ago=21,
        )

        # Waiting for an editor: a visitor's (confirmed), a member's, and the old one above.
        self.propose(
            doc,
            EVENEMENTEN,
            "## Na afloop\n",
            "## Vooraf informeren\n\n"
            "Stuur bezoekers een paar dagen van tevoren een korte uitleg: welke ingang,\n"
            "welke route, en wat je doet als je klachten hebt. Dan weet iedereen wat hij\n"
            "kan verwachten.\n\n"
            "## Na afloop\n",
            visitor=("joost.hendriks@example.org", "Joost Hendriks"),
            days_ago=5,
            reason="Ik organiseer markten. Bezoekers die vooraf weten hoe het gaat, houden "
            "zich veel beter aan de routes.",
        )
        self.propose(
            doc,
            OV,
            "kunt bijsturen.\n",
            "kunt bijsturen.\n\n"
            "Op drukke trajecten kun je reizigers ook een tijdvak laten reserveren, net\n"
            "als bij een museum. Wie reserveert, is verzekerd van een plek met afstand.\n",
            by=p["outsider"],
            days_ago=3,
            reason="Bij musea werkt reserveren goed. Waarom niet voor de spitstrein?",
        )
        # Sent by a visitor who never confirmed the address: no editor sees it.
        self.propose(
            doc,
            LAAGGELETTERDEN,
            "- hulp van iemand die je vertrouwt, zoals een taalmaatje of een buurtcoach.\n",
            "- hulp van iemand die je vertrouwt, zoals een taalmaatje of een buurtcoach;\n"
            "- een folder in de brievenbus met alleen plaatjes.\n",
            visitor=("buurtbewoner@example.org", ""),
            confirm=False,
            days_ago=1,
        )

    def _new_section(self, document: Document, title: str, body: str, *, by: User) -> None:
        moment = self._ago(62)
        with self.at(moment):
            proposal = documents.proposal_submit(
                document=document,
                title=title,
                body=body,
                contributor=by,
                reason="Privacy komt in elk hoofdstuk terug. Een eigen hoofdstuk maakt de "
                "uitgangspunten duidelijk voor iedereen.",
            )
        Proposal.objects.filter(pk=proposal.pk).update(created_at=moment)
        self.accept(proposal, days_ago=58, note="Een goed hoofdstuk, dank je wel.")

    # Draaiboek digitale weerbaarheid zorg -------------------------------------------

    def draaiboek(self) -> None:
        doc = self._create(
            days_ago=90,
            title=DRAAIBOEK_TITLE,
            summary=DRAAIBOEK_SUMMARY,
            tlp=TLP.GREEN,
            slug=DRAAIBOEK_SLUG,
            sections=DRAAIBOEK_SECTIONS,
        )
        segmentatie = self.propose(
            doc,
            "Voorbereiden",
            "- **Een overzicht van kritieke systemen.**",
            "- **Apparatuur apart.** Zet medische apparatuur in een eigen deel van het\n"
            "  netwerk, zodat een aanval op de kantoorcomputers haar niet raakt.\n"
            "- **Een overzicht van kritieke systemen.**",
            by=self.personas["member_admin"],
            days_ago=64,
            reason="Bij twee aanvallen bleef de apparatuur werken dankzij een gescheiden netwerk.",
        )
        self.accept(segmentatie, days_ago=60)
        self.propose(
            doc,
            "Herstellen en leren",
            "Zo leren andere zorgorganisaties mee.\n",
            "Zo leren andere zorgorganisaties mee.\n\n"
            "Vergeet de mensen niet. Na een aanval zijn medewerkers vaak uitgeput. Plan\n"
            "rust in voor het crisisteam en bedank iedereen die extra werk deed.\n",
            by=self.personas["expert"],
            days_ago=9,
        )
        self.comment(
            doc,
            "De eerste 24 uur",
            self.personas["requester"],
            "Wij hebben stap 1 vorig jaar geoefend. Het lastigste bleek: weten welke "
            "kabel bij welke computer hoort. Label je kabels!",
            days_ago=30,
        )

    # The knowledge base ---------------------------------------------------------------

    def _writer(self, spec: ArticleSpec, index: int) -> User:
        if spec.writer == "member":
            return self._member(index)
        return self.personas[spec.writer]

    def articles(self) -> None:
        # TLP:AMBER names the requester persona's hospital and the umbrella persona's organisation.
        named = [
            Organisation.objects.filter(memberships__user=self.personas[key]).earliest("pk")
            for key in ("requester", "umbrella")
        ]
        for index, spec in enumerate(ARTICLES):
            writer = self._writer(spec, index)
            [organisation_id] = sorted(writer.approved_organisation_ids)[:1]
            organisation = Organisation.objects.get(pk=organisation_id)
            people: list[User] = []
            organisations: list[Organisation] = []
            if spec.tlp == TLP.RED:
                # TLP:RED goes only to people who sign in with a second factor.
                if not is_mfa_enabled(writer):
                    TOTP.activate(writer, generate_totp_secret())
                people = [writer, self.core_team[0]]
            elif spec.tlp in (TLP.AMBER, TLP.AMBER_STRICT):
                organisations = [organisation, *named]
            self._article(spec, writer, organisation, people, organisations)

    def _article(
        self,
        spec: ArticleSpec,
        writer: User,
        organisation: Organisation,
        people: list[User],
        organisations: list[Organisation],
    ) -> Article:
        written = self._ago(spec.days_ago)
        submitted = written + timedelta(hours=20)
        published = min(written + timedelta(days=2), self.horizon)
        content = knowledge.ArticleContent(
            title=spec.title,
            summary=spec.summary,
            body=spec.body,
            kind=spec.kind,
            language=spec.language,
            tags=spec.tags,
        )
        with self.at(written):
            article = knowledge.article_create(
                author=writer,
                organisation=organisation,
                content=content,
                sharing=knowledge.Sharing(tlp=spec.tlp, people=people, organisations=organisations),
            )
        Article.objects.filter(pk=article.pk).update(created_at=written, updated_at=written)
        ArticleRevision.objects.filter(article=article).update(created_at=written)
        if spec.state == ArticleStatus.DRAFT:
            return article
        with self.at(submitted):
            article = knowledge.article_submit(article=article, actor=writer)
        if spec.state == ArticleStatus.IN_REVIEW:
            return article
        with self.at(published):
            article = knowledge.article_publish(article=article, actor=self.coordinator)
        Article.objects.filter(pk=article.pk).update(published_at=published)
        if spec.revision is not None:
            new, old, note = spec.revision
            revised = min(published + timedelta(days=spec.days_ago / 2), self.horizon)
            with self.at(revised):
                article = knowledge.article_update(
                    article=article,
                    actor=writer,
                    content=replace(content, body=spec.body.replace(old, new)),
                    base_number=article.number,
                    note=note,
                )
            Article.objects.filter(pk=article.pk).update(updated_at=revised)
            ArticleRevision.objects.filter(article=article, number=article.number).update(
                created_at=revised
            )
        if spec.state == FLAGGED:
            flagged = min(published + timedelta(days=1), self.horizon)
            with self.at(flagged):
                article = knowledge.article_flag_commercial(
                    article=article, actor=self.coordinator, reason=spec.flag_reason
                )
            Article.objects.filter(pk=article.pk).update(flagged_commercial_at=flagged)
        return article


def summary() -> list[str]:
    """The working documents and the knowledge base in the demo, in a few lines."""
    proposals = Counter(
        dict(Proposal.objects.order_by().values_list("status").annotate(n=Count("pk")))
    )
    articles = Counter(
        dict(
            Article.objects.filter(flagged_commercial_at__isnull=True)
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
        )
    )
    flagged = Article.objects.filter(flagged_commercial_at__isnull=False).count()
    return [
        f"Working documents: {Document.objects.count()} "
        f"({SectionRevision.objects.count()} revisions, {Comment.objects.count()} comments); "
        f"proposals: {proposals.total()} ({proposals[ProposalStatus.ACCEPTED]} accepted, "
        f"{proposals[ProposalStatus.DECLINED]} declined, "
        f"{proposals[ProposalStatus.PENDING]} waiting for an editor, "
        f"{proposals[ProposalStatus.UNCONFIRMED]} not confirmed).",
        f"Knowledge base: {articles.total() + flagged} articles "
        f"({articles[ArticleStatus.PUBLISHED]} published, "
        f"{articles[ArticleStatus.IN_REVIEW]} in review, {articles[ArticleStatus.DRAFT]} draft, "
        f"{flagged} flagged as advertising).",
    ]
