"""Chain the completion records written before the chain existed: per municipality, in the order
they were attested (then by id), each linked to the one before (decision 0018)."""

from django.db import migrations

from quizzes.chain import GENESIS, record_digest


def chain_existing(apps, schema_editor):
    CompletionRecord = apps.get_model("quizzes", "CompletionRecord")
    StaffMember = apps.get_model("people", "StaffMember")
    db = schema_editor.connection.alias
    municipality_of = dict(StaffMember.objects.using(db).values_list("pk", "municipality_id"))
    records = list(CompletionRecord.objects.using(db).order_by("attested_at", "id"))
    tails: dict[int, tuple[int, str]] = {}
    for record in records:
        record.municipality_id = municipality_of[record.staff_id]
        index, previous = tails.get(record.municipality_id, (-1, GENESIS))
        record.chain_index = index + 1
        record.previous_hash = previous
        record.record_hash = record_digest(record)
        tails[record.municipality_id] = (record.chain_index, record.record_hash)
    CompletionRecord.objects.using(db).bulk_update(
        records, ["municipality", "chain_index", "previous_hash", "record_hash"], batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0006_completion_chain_fields")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
