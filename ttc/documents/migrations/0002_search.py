"""The full-text index of document sections, kept by the database itself.

PostgreSQL: a `search_vector` tsvector column that a trigger fills on every
insert and on every change of title or body (title weight A, body C), with the
Dutch and English configurations that `knowledge.0002_search` creates, under a
GIN index; a trigram GIN index on the title for typo tolerance.

SQLite: an external-content FTS5 table over title and body, kept by triggers.

As for articles, neither is a model field: only `ttc.knowledge.search` uses them.
"""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE documents_section ADD COLUMN search_vector tsvector",
    """
    CREATE FUNCTION documents_section_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('ttc_dutch', NEW.title), 'A')
            || setweight(to_tsvector('ttc_english', NEW.title), 'A')
            || setweight(to_tsvector('ttc_dutch', NEW.body), 'C')
            || setweight(to_tsvector('ttc_english', NEW.body), 'C');
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER documents_section_search_vector
    BEFORE INSERT OR UPDATE OF title, body ON documents_section
    FOR EACH ROW EXECUTE FUNCTION documents_section_search_vector()
    """,
    "UPDATE documents_section SET title = title",
    "CREATE INDEX documents_section_search ON documents_section USING gin (search_vector)",
    "CREATE INDEX documents_section_trigram ON documents_section USING gin (title gin_trgm_ops)",
]

POSTGRESQL_REVERSE = [
    "DROP INDEX documents_section_trigram",
    "DROP TRIGGER documents_section_search_vector ON documents_section",
    "DROP FUNCTION documents_section_search_vector()",
    "ALTER TABLE documents_section DROP COLUMN search_vector",
]

_FTS_NEW = (
    "INSERT INTO documents_section_fts (rowid, title, body) VALUES (new.id, new.title, new.body);"
)
_FTS_OLD = (
    "INSERT INTO documents_section_fts (documents_section_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body);"
)

SQLITE = [
    """
    CREATE VIRTUAL TABLE documents_section_fts USING fts5(
        title, body,
        content='documents_section', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER documents_section_fts_insert AFTER INSERT ON documents_section
    BEGIN {_FTS_NEW} END
    """,
    f"""
    CREATE TRIGGER documents_section_fts_delete AFTER DELETE ON documents_section
    BEGIN {_FTS_OLD} END
    """,
    f"""
    CREATE TRIGGER documents_section_fts_update
    AFTER UPDATE OF title, body ON documents_section
    BEGIN {_FTS_OLD} {_FTS_NEW} END
    """,
    "INSERT INTO documents_section_fts (documents_section_fts) VALUES ('rebuild')",
]

SQLITE_REVERSE = [
    "DROP TRIGGER documents_section_fts_update",
    "DROP TRIGGER documents_section_fts_delete",
    "DROP TRIGGER documents_section_fts_insert",
    "DROP TABLE documents_section_fts",
]


def _execute(schema_editor, statements):
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def create_index(apps, schema_editor):
    _execute(schema_editor, {"postgresql": POSTGRESQL, "sqlite": SQLITE})


def drop_index(apps, schema_editor):
    _execute(schema_editor, {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        # The text search configurations and the extensions.
        ("knowledge", "0002_search"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
