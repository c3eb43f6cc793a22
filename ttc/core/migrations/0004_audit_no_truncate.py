from django.db import migrations

# TRUNCATE bypasses row triggers: refuse it with a statement trigger.
FORBID = """
CREATE TRIGGER core_auditevent_no_truncate
    BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();
"""
ALLOW = "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;"


def forbid(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def allow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_notification_target")]
    operations = [migrations.RunPython(forbid, allow)]
