from django.db import migrations

from ttc.members.taxonomy import TAXONOMY


def load(apps, schema_editor):
    Skill = apps.get_model("members", "Skill")
    for (area_nl, area_en), children in TAXONOMY.items():
        area, _ = Skill.objects.get_or_create(name=area_nl, parent=None, defaults={"name_en": area_en})
        for name_nl, name_en in children:
            Skill.objects.get_or_create(name=name_nl, parent=area, defaults={"name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("members", "0002_skills")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
