"""Columns of the completion records' hash chain (decision 0018), nullable until 0007 fills them."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_rosterimport_content_purged_at"),
        ("quizzes", "0005_clause_progress_per_fiscal_year"),
    ]

    operations = [
        migrations.AddField(
            model_name="completionrecord",
            name="municipality",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="people.municipality"
            ),
        ),
        migrations.AddField(
            model_name="completionrecord",
            name="chain_index",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="completionrecord",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="completionrecord",
            name="record_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
    ]
