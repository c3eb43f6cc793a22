"""Revisions keep the label they were written under.

Until now a revision had no label of its own: whoever could read the article
today could read every older text of it, even text written under a stricter
label. Each revision now carries the TLP label and named recipients of its
article at the moment it was saved, and `created_by` (was `author`) is the
person who saved it.

Existing revisions take their article's current label and recipients, and
the article's author where the revision's author is gone. The one exception:
where the audit log shows that the article's label or recipients changed
(`article.update` with `relabel`), the revisions saved before that change were
written under another share, which was not recorded. Giving them today's label
could widen who reads them (the leak this migration closes), so they become
TLP:RED without named people: only their author, and coordinators on the
record, read them.

Only the revision table changes here. The article table is left alone: on
SQLite a rebuild of `knowledge_article` would drop the search triggers of
migration 0002_search.
"""

from collections import defaultdict

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

BATCH = 1_000


def _links(model, field_name):
    """The through model of an m2m field and its (own, other) column names."""
    field = model._meta.get_field(field_name)
    return (
        field.remote_field.through,
        f"{field.m2m_field_name()}_id",
        f"{field.m2m_reverse_field_name()}_id",
    )


def _last_relabel(apps, db):
    """For each article whose share changed, the number of the revision that
    changed it last, from the audit log."""
    AuditEvent = apps.get_model("core", "AuditEvent")
    last = {}
    events = AuditEvent.objects.using(db).filter(
        action="article.update", object_type="knowledge.article"
    )
    for object_id, data in events.values_list("object_id", "data").iterator():
        if not isinstance(data, dict) or not data.get("relabel"):
            continue
        number = data.get("number")
        if isinstance(number, int) and object_id.isdigit():
            last[int(object_id)] = max(last.get(int(object_id), 0), number)
    return last


def backfill(apps, schema_editor):
    Article = apps.get_model("knowledge", "Article")
    ArticleRevision = apps.get_model("knowledge", "ArticleRevision")
    db = schema_editor.connection.alias
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        # The created_by column becomes NOT NULL below, in this same transaction:
        # no foreign-key check may still be pending then.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    of_article = Article.objects.using(db).filter(pk=OuterRef("article_id"))
    revisions = ArticleRevision.objects.using(db)
    revisions.update(tlp=Subquery(of_article.values("tlp")[:1]))
    revisions.filter(created_by__isnull=True).update(
        created_by_id=Subquery(of_article.values("created_by_id")[:1])
    )
    # Written under an earlier share that was not recorded: the narrowest label.
    earlier_share = set()
    for article_id, number in _last_relabel(apps, db).items():
        older = revisions.filter(article_id=article_id, number__lt=number)
        earlier_share.update(older.values_list("pk", flat=True))
        older.update(tlp="red")
    revision_ids = defaultdict(list)
    for pk, article_id in revisions.values_list("pk", "article_id").iterator():
        if pk not in earlier_share:
            revision_ids[article_id].append(pk)
    for field_name in ("recipient_people", "recipient_orgs"):
        source, source_own, source_other = _links(Article, field_name)
        target, target_own, target_other = _links(ArticleRevision, field_name)
        rows = []
        for article_id, other_id in (
            source.objects.using(db).values_list(source_own, source_other).iterator()
        ):
            for revision_id in revision_ids.get(article_id, ()):
                rows.append(target(**{target_own: revision_id, target_other: other_id}))
                if len(rows) >= BATCH:
                    target.objects.using(db).bulk_create(rows)
                    rows = []
        target.objects.using(db).bulk_create(rows)
    if postgresql:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_truncate_in_test_databases"),
        ("knowledge", "0002_search"),
        ("members", "0005_status_and_first_code"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(
            model_name="articlerevision",
            old_name="author",
            new_name="created_by",
        ),
        migrations.AlterModelOptions(
            name="articlerevision",
            options={
                "ordering": ["-number"],
                "verbose_name": "revision",
                "verbose_name_plural": "revisions",
            },
        ),
        migrations.AlterField(
            model_name="articlerevision",
            name="created_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="created"
            ),
        ),
        migrations.AddField(
            model_name="articlerevision",
            name="tlp",
            field=models.CharField(
                choices=[
                    ("clear", "TLP:CLEAR"),
                    ("green", "TLP:GREEN"),
                    ("amber", "TLP:AMBER"),
                    ("amber+strict", "TLP:AMBER+STRICT"),
                    ("red", "TLP:RED"),
                ],
                default="amber+strict",
                max_length=16,
                verbose_name="TLP label",
            ),
        ),
        migrations.AddField(
            model_name="articlerevision",
            name="recipient_orgs",
            field=models.ManyToManyField(
                blank=True,
                help_text="For TLP:AMBER and TLP:AMBER+STRICT: these organisations may see it.",
                related_name="+",
                to="members.organisation",
                verbose_name="named organisations",
            ),
        ),
        migrations.AddField(
            model_name="articlerevision",
            name="recipient_people",
            field=models.ManyToManyField(
                blank=True,
                help_text="For TLP:RED: only these people may see it.",
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="named people",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="articlerevision",
            name="created_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="author",
            ),
        ),
    ]
