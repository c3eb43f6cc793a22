from django.db import migrations
from django.utils import timezone

CODE_V1 = """\
# Gedragscode TechTegenCorona

TechTegenCorona is een coalitie van Nederlandse techbedrijven en experts. Wij
helpen ziekenhuizen, GGD'en, zorgorganisaties, gemeenten en ministeries, gratis
en zonder eigen belang. Iedereen die meedoet, houdt zich aan deze afspraken.

## 1. Het collectief gaat voor
Je stelt het belang van de publieke sector en van de coalitie boven het belang
van je eigen bedrijf.

## 2. Geen verkoop uit een match
Een match is hulp, geen klant. Je gebruikt een match, en alles wat je daarbij
leert, nooit voor verkoop, acquisitie of marketing. Ook niet later.

## 3. Kosteloos
Je levert je hulp gratis. Je stuurt geen rekening, ook niet voor reiskosten of
licenties, tenzij de coördinatoren daar vooraf schriftelijk mee instemmen.

## 4. Zorgvuldig met gegevens
Je gaat zorgvuldig om met persoonsgegevens en vertrouwelijke informatie, volgens
de AVG. Werk je met persoonsgegevens, dan teken je een verwerkersovereenkomst.
Je deelt informatie alleen zoals het TLP-label toestaat.

## 5. Chatham House Rule
In verdiepingssessies geldt de Chatham House Rule: je mag gebruiken wat je hoort,
maar je zegt nooit wie iets zei of wie er aanwezig was.

## 6. Eén stem naar buiten
De coalitie spreekt met één stem. Je doet geen uitspraken namens TechTegenCorona
zonder goedkeuring van de coördinatoren.

## 7. Eerlijk en betrouwbaar
Je bent in Nederland gevestigd, ingeschreven bij de KvK en hebt geen
belastingschulden. Verandert er iets, dan meld je dat meteen.
"""

CRITERIA_V1 = [
    "Gevestigd in Nederland en ingeschreven bij de KvK",
    "Geen belastingschulden: verklaring betalingsgedrag niet ouder dan 6 maanden",
    "Zorgvuldig met privacy en gegevens; tekent een verwerkersovereenkomst waar nodig",
    "Stelt het collectief boven het eigen belang",
    "Gebruikt geen match voor verkoop of acquisitie",
    "Aanvaardt de Chatham House Rule",
    "Levert hulp kosteloos",
]


def forward(apps, schema_editor):
    Organisation = apps.get_model("members", "Organisation")
    Organisation.objects.filter(vetted_at__isnull=False).update(status="approved")
    CodeOfConduct = apps.get_model("members", "CodeOfConduct")
    Criterion = apps.get_model("members", "Criterion")
    if not CodeOfConduct.objects.exists():
        code = CodeOfConduct.objects.create(
            version=1,
            summary="Eerste versie",
            body=CODE_V1,
            acceptance_days=30,
            published_at=timezone.now(),
        )
        Criterion.objects.bulk_create(
            Criterion(code_of_conduct=code, position=i, text=text)
            for i, text in enumerate(CRITERIA_V1, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0004_membership")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
