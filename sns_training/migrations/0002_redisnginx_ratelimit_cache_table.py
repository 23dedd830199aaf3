"""The table of the `ratelimit` cache: allauth's log-in failure counters kept in the database, so a
Redis restart or outage resets no lock-out (decision 0035, sns_training.cache)."""

from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations


def create_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, settings.RATELIMIT_CACHE_TABLE, dry_run=False)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(settings.RATELIMIT_CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("sns_training", "0001_japanese_default_workflow")]

    operations = [migrations.RunPython(create_table, drop_table)]
