"""Completion records cannot be changed or removed, even with raw SQL (decision 0018): on
PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on the table. DELETE and TRUNCATE pass
only inside a transaction that has run `SET LOCAL sns.allow_purge = on` (the retention purge and
the test suite's flush; the application's own role has no DELETE right in production anyway).
Nothing on SQLite (`make run`)."""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION quizzes_completionrecord_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND current_setting('sns.allow_purge', true) = 'on' THEN
        RETURN OLD;  -- an explicit purge (NULL for TRUNCATE; either way the statement proceeds)
    END IF;
    RAISE EXCEPTION 'completion records are evidence and cannot be changed: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER quizzes_completionrecord_no_update_delete
    BEFORE UPDATE OR DELETE ON quizzes_completionrecord
    FOR EACH ROW EXECUTE FUNCTION quizzes_completionrecord_immutable();
CREATE TRIGGER quizzes_completionrecord_no_truncate
    BEFORE TRUNCATE ON quizzes_completionrecord
    FOR EACH STATEMENT EXECUTE FUNCTION quizzes_completionrecord_immutable();
"""

BACKWARD = """
DROP TRIGGER quizzes_completionrecord_no_truncate ON quizzes_completionrecord;
DROP TRIGGER quizzes_completionrecord_no_update_delete ON quizzes_completionrecord;
DROP FUNCTION quizzes_completionrecord_immutable();
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that does nothing on other databases (SQLite has no such triggers to speak of)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0007_completion_chain_backfill")]

    operations = [
        migrations.AlterField(
            model_name="completionrecord",
            name="municipality",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="people.municipality"
            ),
        ),
        migrations.AlterField(
            model_name="completionrecord",
            name="chain_index",
            field=models.PositiveIntegerField(editable=False),
        ),
        migrations.AlterField(
            model_name="completionrecord",
            name="previous_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="completionrecord",
            name="record_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="completionrecord",
            constraint=models.UniqueConstraint(fields=("municipality", "chain_index"), name="one_link_per_chain_index"),
        ),
        PostgreSQLOnly(FORWARD, BACKWARD),
    ]
