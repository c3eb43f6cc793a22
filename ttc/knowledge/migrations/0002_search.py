"""The full-text index of articles, kept by the database itself.

PostgreSQL: a `search_vector` tsvector column that a trigger fills on every
insert and on every change of title, summary or body (title weight A, summary
B, body C), stemmed both in Dutch and in English with accents folded, under a
GIN index; a trigram GIN index on title and summary for typo tolerance. The
text search configurations `ttc_dutch` and `ttc_english` are created here and
shared with the documents' index.

SQLite: an external-content FTS5 table over the same columns, kept by triggers.

The column and the FTS5 table are not model fields: no code reads or writes
them except `ttc.knowledge.search`, and Django never loads the vector.
"""

from django.db import migrations

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TEXT SEARCH CONFIGURATION ttc_dutch (COPY = pg_catalog.dutch)",
    "ALTER TEXT SEARCH CONFIGURATION ttc_dutch "
    "ALTER MAPPING FOR word, hword, hword_part WITH unaccent, dutch_stem",
    "CREATE TEXT SEARCH CONFIGURATION ttc_english (COPY = pg_catalog.english)",
    "ALTER TEXT SEARCH CONFIGURATION ttc_english "
    "ALTER MAPPING FOR word, hword, hword_part WITH unaccent, english_stem",
    "ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector",
    """
    CREATE FUNCTION knowledge_article_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('ttc_dutch', NEW.title), 'A')
            || setweight(to_tsvector('ttc_english', NEW.title), 'A')
            || setweight(to_tsvector('ttc_dutch', NEW.summary), 'B')
            || setweight(to_tsvector('ttc_english', NEW.summary), 'B')
            || setweight(to_tsvector('ttc_dutch', NEW.body), 'C')
            || setweight(to_tsvector('ttc_english', NEW.body), 'C');
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER knowledge_article_search_vector
    BEFORE INSERT OR UPDATE OF title, summary, body ON knowledge_article
    FOR EACH ROW EXECUTE FUNCTION knowledge_article_search_vector()
    """,
    "UPDATE knowledge_article SET title = title",
    "CREATE INDEX knowledge_article_search ON knowledge_article USING gin (search_vector)",
    "CREATE INDEX knowledge_article_trigram ON knowledge_article "
    "USING gin ((title || ' ' || summary) gin_trgm_ops)",
]

POSTGRESQL_REVERSE = [
    "DROP INDEX knowledge_article_trigram",
    "DROP TRIGGER knowledge_article_search_vector ON knowledge_article",
    "DROP FUNCTION knowledge_article_search_vector()",
    "ALTER TABLE knowledge_article DROP COLUMN search_vector",
    "DROP TEXT SEARCH CONFIGURATION ttc_english",
    "DROP TEXT SEARCH CONFIGURATION ttc_dutch",
]

_FTS_NEW = (
    "INSERT INTO knowledge_article_fts (rowid, title, summary, body) "
    "VALUES (new.id, new.title, new.summary, new.body);"
)
_FTS_OLD = (
    "INSERT INTO knowledge_article_fts (knowledge_article_fts, rowid, title, summary, body) "
    "VALUES ('delete', old.id, old.title, old.summary, old.body);"
)

SQLITE = [
    """
    CREATE VIRTUAL TABLE knowledge_article_fts USING fts5(
        title, summary, body,
        content='knowledge_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER knowledge_article_fts_insert AFTER INSERT ON knowledge_article
    BEGIN {_FTS_NEW} END
    """,
    f"""
    CREATE TRIGGER knowledge_article_fts_delete AFTER DELETE ON knowledge_article
    BEGIN {_FTS_OLD} END
    """,
    f"""
    CREATE TRIGGER knowledge_article_fts_update
    AFTER UPDATE OF title, summary, body ON knowledge_article
    BEGIN {_FTS_OLD} {_FTS_NEW} END
    """,
    "INSERT INTO knowledge_article_fts (knowledge_article_fts) VALUES ('rebuild')",
]

SQLITE_REVERSE = [
    "DROP TRIGGER knowledge_article_fts_update",
    "DROP TRIGGER knowledge_article_fts_delete",
    "DROP TRIGGER knowledge_article_fts_insert",
    "DROP TABLE knowledge_article_fts",
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
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
