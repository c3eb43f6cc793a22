"""What public parties asked the coalition during the crisis: the help requests,
questions, answers, messages and feedback of the demo, in plain Dutch (B1)."""

from __future__ import annotations

from dataclasses import dataclass

from ttc.helprequests.models import Category, Urgency
from ttc.members.models import OrganisationKind

HOSPITAL = OrganisationKind.HOSPITAL
GGD = OrganisationKind.GGD
UMBRELLA = OrganisationKind.UMBRELLA
MUNICIPALITY = OrganisationKind.MUNICIPALITY
MINISTRY = OrganisationKind.MINISTRY
PUBLIC_OTHER = OrganisationKind.PUBLIC_OTHER


@dataclass(frozen=True)
class Template:
    """One kind of request, and who typically asks it."""

    title: str
    description: str
    category: str
    #: Dutch names of sub-skills in the taxonomy.
    skills: tuple[str, ...]
    effort_hours: int
    urgency: int
    kinds: tuple[str, ...]
    experts_needed: int = 1


# The brief's and the coalition's typical requests. A `{regio}` in the title is
# filled with the requester's region.
TEMPLATES = [
    Template(
        "Thuiswerken voor 400 verpleegkundigen veilig inrichten",
        "Door de nieuwe maatregelen werken 400 verpleegkundigen deels thuis: roosters, "
        "overdrachten en scholing. Onze VPN is gebouwd voor 50 mensen tegelijk.\n\n"
        "Wie helpt ons de VPN op te schalen en **inloggen met een tweede factor** in te "
        "voeren? Ons eigen ICT-team van vier mensen denkt mee.",
        Category.INFRASTRUCTURE,
        ("VPN en thuiswerken", "Identiteit en toegang"),
        60,
        Urgency.HIGH,
        (HOSPITAL,),
    ),
    Template(
        "Phishing-golf bij de spoedeisende hulp",
        "Sinds maandag krijgen medewerkers van de SEH mails die lijken te komen van onze "
        "leverancier van beschermingsmiddelen. Drie collega's klikten op de link en vulden "
        "hun wachtwoord in.\n\nWe willen weten wat er gebeurd is en hoe we dit snel stoppen.",
        Category.SECURITY,
        ("Incidentrespons", "Threat intelligence"),
        24,
        Urgency.CRITICAL,
        (HOSPITAL,),
    ),
    Template(
        "Dashboard IC-capaciteit regio {regio}",
        "Elke ochtend bellen we alle ziekenhuizen in de regio om te horen hoeveel IC-bedden "
        "vrij zijn. Dat kost uren.\n\nWe willen een eenvoudig dashboard dat de cijfers "
        "automatisch ophaalt en elk uur ververst.",
        Category.DATA_AI,
        ("Dashboards en rapportage", "Data-engineering"),
        80,
        Urgency.HIGH,
        (HOSPITAL, UMBRELLA, PUBLIC_OTHER),
        experts_needed=2,
    ),
    Template(
        "Video-consulten voor de huisartsenpost",
        "Onze huisartsenpost wil patiënten met lichte klachten via video zien, zodat zij niet "
        "in de wachtkamer hoeven te zitten.\n\nWe zoeken hulp bij het kiezen van een veilige "
        "oplossing die past bij ons huisartsinformatiesysteem.",
        Category.SOFTWARE,
        ("Webapplicaties", "Integraties en API's"),
        40,
        Urgency.HIGH,
        (UMBRELLA, HOSPITAL),
    ),
    Template(
        "Laptops voor thuisonderwijs bij ouderen-zorg",
        "Veel medewerkers in onze ouderenzorg hebben kinderen die thuis les krijgen. Zonder "
        "laptop thuis kunnen zij niet naar hun werk.\n\nWe hebben 120 afgeschreven laptops. "
        "Wie helpt ze veilig te wissen, opnieuw in te richten en uit te delen?",
        Category.LOGISTICS,
        ("Laptops en werkplekken", "Logistiek en distributie"),
        32,
        Urgency.NORMAL,
        (UMBRELLA, MUNICIPALITY),
    ),
    Template(
        "Privacytoets (DPIA) op contactonderzoek-app GGD",
        "We willen een app gebruiken die mensen helpt hun contacten bij te houden voor het "
        "bron- en contactonderzoek. Voordat we starten moet er een DPIA liggen.\n\nWie helpt "
        "ons de risico's in kaart te brengen en de maatregelen te beschrijven?",
        Category.PRIVACY,
        ("DPIA", "AVG-advies"),
        40,
        Urgency.HIGH,
        (GGD,),
    ),
    Template(
        "Belasting op afsprakensysteem testlocaties",
        "Als iedereen met klachten zich mag laten testen, verwachten we tien keer zoveel "
        "afspraken per dag. Vorige keer lag het systeem een halve dag plat.\n\nWe zoeken "
        "iemand die een belastingtest opzet en laat zien waar het systeem vastloopt.",
        Category.SOFTWARE,
        ("Testen en kwaliteit", "Webapplicaties"),
        24,
        Urgency.CRITICAL,
        (GGD,),
    ),
    Template(
        "Toegankelijke informatie voor laaggeletterden",
        "Veel inwoners begrijpen onze brieven en website over de coronaregels niet. We willen "
        "de belangrijkste informatie in eenvoudige taal, met plaatjes en een voorleesfunctie."
        "\n\nWie helpt met schrijven en met testen bij inwoners?",
        Category.COMMUNICATION,
        ("Toegankelijkheid", "Crisiscommunicatie"),
        24,
        Urgency.NORMAL,
        (MUNICIPALITY, GGD),
    ),
    Template(
        "Back-ups van het patiëntendossier testen",
        "Na berichten over ransomware bij andere ziekenhuizen willen we zeker weten dat we "
        "onze back-ups kunnen terugzetten. We deden nog nooit een volledige hersteltest.\n\n"
        "Wie helpt ons die te plannen en uit te voeren?",
        Category.CLOUD,
        ("Back-up en herstel",),
        16,
        Urgency.HIGH,
        (HOSPITAL,),
    ),
    Template(
        "Wifi voor de tijdelijke IC-afdeling",
        "We richten een oude verpleegafdeling in als extra IC. Monitoren en tablets moeten "
        "daar betrouwbaar verbinding hebben.\n\nOns netwerkteam is te klein om dit deze week "
        "zelf te doen.",
        Category.INFRASTRUCTURE,
        ("Wifi en locaties", "Netwerkbeheer"),
        16,
        Urgency.CRITICAL,
        (HOSPITAL,),
    ),
    Template(
        "Wifi en netwerk op een nieuwe testlocatie",
        "We openen een testlocatie in een sporthal. We hebben internet nodig voor twaalf "
        "balies, een printer en het afsprakensysteem.\n\nWie helpt bij de aanleg en de "
        "beveiliging?",
        Category.INFRASTRUCTURE,
        ("Wifi en locaties", "Netwerkbeheer"),
        16,
        Urgency.HIGH,
        (GGD,),
    ),
    Template(
        "Penetratietest op het portaal voor testuitslagen",
        "Inwoners zien hun testuitslag straks in een online portaal. Voordat we live gaan, "
        "willen we dat iemand onafhankelijk zoekt naar zwakke plekken.",
        Category.SECURITY,
        ("Penetratietesten", "Webapplicaties"),
        32,
        Urgency.HIGH,
        (GGD, PUBLIC_OTHER),
    ),
    Template(
        "Overzicht van beschikbare beademingsapparatuur",
        "Ziekenhuizen melden hun voorraad beademingsapparatuur nu in losse Excel-bestanden. "
        "We willen één overzicht dat elke dag klopt, zodat we apparatuur snel kunnen verdelen.",
        Category.DATA_AI,
        ("Data-engineering", "Dashboards en rapportage"),
        40,
        Urgency.CRITICAL,
        (MINISTRY, PUBLIC_OTHER),
    ),
    Template(
        "Voorspellen van de bezetting in de komende twee weken",
        "We willen beter voorspellen hoeveel patiënten de komende twee weken worden "
        "opgenomen, per regio. Er is een eerste model.\n\nWie kijkt kritisch mee en helpt het "
        "te verbeteren?",
        Category.DATA_AI,
        ("Modellen en voorspellingen", "Machine learning"),
        60,
        Urgency.HIGH,
        (PUBLIC_OTHER, MINISTRY, UMBRELLA),
    ),
    Template(
        "Telefooncentrale voor de corona-informatielijn",
        "Onze informatielijn krijgt tien keer meer telefoontjes dan normaal. Bellers hangen "
        "lang in de wacht.\n\nWe zoeken hulp om extra lijnen en een keuzemenu in te richten, "
        "ook voor medewerkers die thuis werken.",
        Category.LOGISTICS,
        ("Telefonie",),
        24,
        Urgency.CRITICAL,
        (GGD, MUNICIPALITY),
    ),
    Template(
        "Veilig thuiswerken voor beleidsmedewerkers",
        "Onze beleidsmedewerkers werken thuis op eigen laptops. We willen dat ze veilig bij "
        "hun bestanden kunnen, zonder dat documenten op die laptops blijven staan.",
        Category.SECURITY,
        ("Identiteit en toegang", "VPN en thuiswerken"),
        24,
        Urgency.NORMAL,
        (MUNICIPALITY, MINISTRY),
    ),
    Template(
        "Controle op gelekte wachtwoorden van medewerkers",
        "We vermoeden dat inloggegevens van medewerkers online te koop staan.\n\nKunt u "
        "helpen zoeken, en uitleggen wat we daarna moeten doen?",
        Category.SECURITY,
        ("Threat intelligence", "Identiteit en toegang"),
        8,
        Urgency.HIGH,
        (HOSPITAL, GGD),
    ),
    Template(
        "Cloudomgeving voor het bron- en contactonderzoek opschalen",
        "Het aantal besmettingen stijgt snel. Onze systemen voor het contactonderzoek worden "
        "traag als er meer dan 200 medewerkers tegelijk werken.\n\nWie helpt de omgeving op "
        "te schalen, zonder dat gegevens de EU verlaten?",
        Category.CLOUD,
        ("Cloudmigratie", "Kubernetes"),
        60,
        Urgency.HIGH,
        (GGD, MINISTRY),
    ),
    Template(
        "AVG-vragen over registratie van bezoekers",
        "We willen bezoekers registreren voor het geval er een besmetting is. Welke gegevens "
        "mogen we vragen, hoe lang bewaren we ze en wat zetten we in de privacyverklaring?",
        Category.PRIVACY,
        ("AVG-advies", "Functionaris gegevensbescherming"),
        8,
        Urgency.NORMAL,
        (HOSPITAL, MUNICIPALITY, UMBRELLA),
    ),
    Template(
        "Koppeling testuitslagen met ons klantcontactsysteem",
        "Onze medewerkers zoeken testuitslagen nu op in twee systemen. We willen een "
        "koppeling, zodat ze bij een telefoontje direct de juiste uitslag zien.",
        Category.SOFTWARE,
        ("Integraties en API's",),
        40,
        Urgency.NORMAL,
        (GGD,),
    ),
    Template(
        "Beveiligingsmonitoring tijdens de vaccinatiecampagne",
        "Tijdens de campagne verwachten we meer aanvallen op onze systemen. We hebben geen "
        "eigen SOC.\n\nWie kijkt 's avonds en in het weekend mee naar meldingen?",
        Category.SECURITY,
        ("Security Operations Center", "Incidentrespons"),
        80,
        Urgency.HIGH,
        (GGD, MINISTRY),
        experts_needed=2,
    ),
    Template(
        "Forensisch onderzoek na een gehackte mailbox",
        "De mailbox van een wethouder is overgenomen en verstuurde honderden berichten. We "
        "willen weten wat de aanvaller heeft gezien en of er meer accounts zijn geraakt.",
        Category.SECURITY,
        ("Forensisch onderzoek", "Incidentrespons"),
        16,
        Urgency.CRITICAL,
        (MUNICIPALITY, HOSPITAL),
    ),
    Template(
        "Gebruikerstest van de website over zelftesten",
        "We maken een website die uitlegt hoe je een zelftest doet. We willen hem testen met "
        "mensen die weinig met computers werken, voordat hij live gaat.",
        Category.COMMUNICATION,
        ("Gebruikersonderzoek", "Toegankelijkheid"),
        24,
        Urgency.NORMAL,
        (MINISTRY, PUBLIC_OTHER),
    ),
    Template(
        "App voor vrijwilligers in verpleeghuizen",
        "Steeds meer vrijwilligers helpen in onze verpleeghuizen. We plannen ze nu via "
        "WhatsApp-groepen.\n\nWie helpt een eenvoudige en veilige app te kiezen of te bouwen?",
        Category.SOFTWARE,
        ("Mobiele apps",),
        60,
        Urgency.LOW,
        (UMBRELLA, MUNICIPALITY),
    ),
    Template(
        "Verdeling van beschermingsmiddelen plannen",
        "Mondkapjes en schorten komen binnen op één plek en moeten naar honderden "
        "zorginstellingen. We willen een planning die laat zien wie wat nodig heeft.",
        Category.LOGISTICS,
        ("Logistiek en distributie", "Dashboards en rapportage"),
        40,
        Urgency.HIGH,
        (UMBRELLA, PUBLIC_OTHER, MINISTRY),
    ),
    Template(
        "Tablets voor beeldbellen met familie",
        "Bewoners van onze verpleeghuizen mogen geen bezoek ontvangen. Met tablets kunnen ze "
        "hun familie toch zien.\n\nWie helpt 80 tablets veilig in te richten en de wifi op de "
        "afdelingen te controleren?",
        Category.LOGISTICS,
        ("Laptops en werkplekken", "Wifi en locaties"),
        24,
        Urgency.NORMAL,
        (UMBRELLA,),
    ),
    Template(
        "Crisiswebsite die piekbezoek aankan",
        "Bij elke persconferentie gaat onze website onderuit. We willen dat hij bij tienduizend "
        "bezoekers tegelijk snel blijft.",
        Category.CLOUD,
        ("Cloudmigratie", "Webapplicaties"),
        24,
        Urgency.HIGH,
        (MUNICIPALITY, PUBLIC_OTHER, GGD),
    ),
    Template(
        "Training phishing-bewustzijn voor zorgpersoneel",
        "Onze medewerkers krijgen steeds slimmere nepmails. We willen een korte training die "
        "past in een dienst van een verpleegkundige, met voorbeelden uit de zorg.",
        Category.SECURITY,
        ("Threat intelligence", "Crisiscommunicatie"),
        16,
        Urgency.LOW,
        (HOSPITAL, UMBRELLA),
    ),
    Template(
        "Open data over testen betrouwbaar publiceren",
        "We publiceren elke dag cijfers over testen per regio. Dat gaat nu met de hand en er "
        "sluipen fouten in.\n\nWie helpt de publicatie te automatiseren en te controleren?",
        Category.DATA_AI,
        ("Data-engineering", "Dashboards en rapportage"),
        40,
        Urgency.NORMAL,
        (MINISTRY, PUBLIC_OTHER),
    ),
    Template(
        "Inloggen met een tweede factor voor huisartsen",
        "Huisartsen in onze regio loggen met alleen een wachtwoord in op het gedeelde "
        "dossier. We willen een tweede factor invoeren die ook werkt op de huisartsenpost.",
        Category.SECURITY,
        ("Identiteit en toegang",),
        24,
        Urgency.NORMAL,
        (UMBRELLA,),
    ),
]

# The special requests of the demo's story, by key.
SPECIALS = {
    "umbrella_duplicate": Template(
        "Phishingmails bij Ziekenhuis Noorderlicht",
        "Ziekenhuis Noorderlicht, lid van onze koepel, krijgt veel nepmails met een valse "
        "factuur. Kan een lid helpen om uit te zoeken wat er aan de hand is?",
        Category.SECURITY,
        ("Incidentrespons",),
        16,
        Urgency.CRITICAL,
        (HOSPITAL,),
    ),
    "red": Template(
        "Verdachte inlogpogingen op de omgeving van het crisisteam",
        "Sinds gisteravond zien we inlogpogingen vanuit het buitenland op accounts van leden "
        "van het crisisteam. Details delen we alleen met de mensen die dit oppakken.",
        Category.SECURITY,
        ("Incidentrespons", "Forensisch onderzoek"),
        24,
        Urgency.CRITICAL,
        (MINISTRY,),
    ),
    "answered": Template(
        "Open data over vaccinaties betrouwbaar publiceren",
        "We willen cijfers over de vaccinaties elke dag als open data publiceren. Wie helpt "
        "ons dat betrouwbaar en automatisch te doen?",
        Category.DATA_AI,
        ("Data-engineering", "Dashboards en rapportage"),
        40,
        Urgency.NORMAL,
        (MINISTRY,),
    ),
    "rejected": Template(
        "Gratis licenties voor ons roostersysteem",
        "Door de crisis moeten we veel meer roosters maken. Kan een lid ons gratis licenties "
        "geven voor een roostersysteem?",
        Category.SOFTWARE,
        ("Webapplicaties",),
        8,
        Urgency.LOW,
        (MUNICIPALITY,),
    ),
    "declined": Template(
        "Back-up van het systeem voor crisisplannen",
        "Onze crisisplannen staan in één systeem op één server. Als die uitvalt, kunnen we "
        "niet meer bij de plannen.\n\nWie helpt een back-up op een tweede locatie in te "
        "richten?",
        Category.CLOUD,
        ("Back-up en herstel",),
        16,
        Urgency.HIGH,
        (PUBLIC_OTHER,),
    ),
}

QUESTIONS = {
    "needs_info": "Gaat het om de website, om brieven of om allebei? En heeft u al teksten "
    "die we kunnen herschrijven?",
    "answered": "Om welke cijfers gaat het precies, en hoe vaak wilt u ze publiceren?",
    "stale": "Welk klantcontactsysteem gebruikt u, en is er een testomgeving?",
}
ANSWER = (
    "Het gaat om het aantal gezette prikken per GGD-regio, elke werkdag om 14.00 uur. De "
    "cijfers staan nu in een Excel-bestand dat twee collega's met de hand bijwerken."
)
MERGE_NOTE = (
    "Ziekenhuis Noorderlicht vroeg zelf al om hulp bij dezelfde nepmails. We gaan verder in "
    "die aanvraag; u leest daar mee."
)
REJECT_REASON = (
    "TechTegenCorona helpt met kennis en handen, niet met gratis licenties of producten. "
    "Vraag uw leverancier naar een regeling voor publieke organisaties. Hulp bij het "
    "inrichten van het roostersysteem kunt u wel bij ons aanvragen."
)
NO_MEMBER_NOTE = (
    "Geen lid met de gevraagde kennis had op dit moment tijd. Dien de vraag gerust opnieuw "
    "in als hij nog speelt."
)
DECLINE_REASONS = [
    "Onze specialisten in back-ups zitten tot het eind van de maand bij een ziekenhuis. "
    "Volgende keer helpen we graag.",
    "Dit ligt net buiten onze kennis; een lid met meer ervaring in de zorg past beter.",
    "We hebben deze weken geen mensen vrij: twee collega's zijn ziek.",
]
CONFLICTS = [
    "Wij beheren het netwerk van deze organisatie onder een lopend contract.",
    "Wij leveren de software voor het elektronisch patiëntendossier.",
    "Wij doen al jaren de jaarlijkse penetratietest voor deze organisatie.",
    "Een van onze directeuren zit in de raad van toezicht.",
]

#: (from the requester, from the member): the first lines of an engagement.
OPENINGS = [
    (
        "Welkom, en dank dat u helpt! Wanneer kunnen we een eerste gesprek plannen? "
        "Dinsdag of woensdag past ons goed.",
        "Graag gedaan. Woensdag om 10.00 uur via video? Stuur gerust vooraf de documentatie "
        "die u al heeft.",
    ),
    (
        "Fijn dat u dit oppakt. Onze ICT-coördinator is uw aanspreekpunt; zij is elke "
        "ochtend bereikbaar.",
        "Dank u. Ik bel haar morgen om de toegang en de planning af te spreken.",
    ),
    (
        "Goed dat u er bent. Wat heeft u van ons nodig om te beginnen?",
        "Een overzicht van de systemen en één contactpersoon. Dan kunnen we morgen starten.",
    ),
]
UPDATES = [
    "Update: de eerste analyse is klaar. Er zijn twee punten die snel moeten; de details "
    "staan in het gedeelde document.",
    "We hebben de instellingen aangepast en getest. Kunt u morgen met een paar collega's "
    "controleren of alles werkt?",
    "Korte stand van zaken: we liggen op schema. Donderdag lopen we de resultaten samen door.",
]
REPLIES = [
    "Top, onze ICT-afdeling pakt het tweede punt deze week op.",
    "Dank voor de snelle update. Donderdag past ons goed.",
    "Getest met vijf collega's: het werkt. Eén melding sturen we u nog na.",
]
HOURS_NOTES = [
    "Intake en analyse",
    "Overleg met het ICT-team",
    "Configuratie en testen",
    "Rapportage en overdracht",
    "Uitzoeken van logbestanden",
    "Workshop met medewerkers",
]
#: rating -> comments a requester wrote with it.
FEEDBACK = {
    5: [
        "Snel, deskundig en heel prettig in de samenwerking. Precies wat we nodig hadden.",
        "Binnen twee dagen geholpen. Onze medewerkers kunnen weer veilig aan het werk.",
    ],
    4: [
        "Goede hulp. De overdracht aan ons eigen team had iets uitgebreider gemogen.",
        "Deskundig en betrokken. Het duurde iets langer dan gepland, maar het resultaat is goed.",
    ],
    3: [
        "We zijn geholpen, maar de planning liep uit en we moesten vaak navragen.",
        "Het advies was bruikbaar, al paste het niet helemaal bij onze situatie.",
    ],
}

#: The province each GGD region lies in (most of it).
GGD_PROVINCE = {
    "Groningen": "groningen",
    "Fryslân": "friesland",
    "Drenthe": "drenthe",
    "IJsselland": "overijssel",
    "Twente": "overijssel",
    "Noord- en Oost-Gelderland": "gelderland",
    "Gelderland-Midden": "gelderland",
    "Gelderland-Zuid": "gelderland",
    "Flevoland": "flevoland",
    "Regio Utrecht": "utrecht",
    "Hollands Noorden": "noord-holland",
    "Zaanstreek-Waterland": "noord-holland",
    "Amsterdam": "noord-holland",
    "Kennemerland": "noord-holland",
    "Hollands Midden": "zuid-holland",
    "Haaglanden": "zuid-holland",
    "Rotterdam-Rijnmond": "zuid-holland",
    "Zuid-Holland Zuid": "zuid-holland",
    "Zeeland": "zeeland",
    "West-Brabant": "noord-brabant",
    "Hart voor Brabant": "noord-brabant",
    "Brabant-Zuidoost": "noord-brabant",
    "Limburg-Noord": "limburg",
    "Zuid-Limburg": "limburg",
    "Gooi en Vechtstreek": "noord-holland",
}
UMBRELLA_PROVINCE = {
    "Groningen": "groningen",
    "Utrecht": "utrecht",
    "Eindhoven": "noord-brabant",
    "Den Haag": "zuid-holland",
    "Zwolle": "overijssel",
}
