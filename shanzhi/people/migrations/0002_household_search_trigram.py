"""A trigram index for household search on PostgreSQL (no-op on SQLite).

``search_text LIKE '%term%'`` can use a pg_trgm GIN index for terms of three or more
characters. Creating the extension needs a privileged role: where it is not allowed
the index is skipped with a notice and search still works by scanning the scope.
"""

from django.db import migrations

CREATE = """
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'pg_trgm is not available; household search runs without a trigram index';
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS people_household_search_trgm
            ON people_household USING gin (search_text gin_trgm_ops);
    END IF;
END
$$;
"""

DROP = "DROP INDEX IF EXISTS people_household_search_trgm;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
