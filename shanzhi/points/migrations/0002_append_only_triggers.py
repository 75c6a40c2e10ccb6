"""Refuse UPDATE and DELETE of ledger rows in the database itself (PostgreSQL).

On SQLite the model and queryset guards apply (a trigger there would also block
Django's flush, which empties tables with DELETE).
"""

from django.db import migrations

TABLES = ["points_pointsentry", "points_entryevent", "points_stockmovement"]

FUNCTION = """
CREATE OR REPLACE FUNCTION points_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def _create(table):
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION points_refuse_change();"
    )


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and is a no-op on other engines."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql=[FUNCTION, *(_create(t) for t in TABLES)],
            reverse_sql=[
                *(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t};" for t in TABLES),
                "DROP FUNCTION IF EXISTS points_refuse_change();",
            ],
        ),
    ]
