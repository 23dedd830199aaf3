"""Wagtail's initial data names its default workflow and task "Moderators approval" in English;
editors and approvers meet the names in workflow reports and histories (docs/decisions/0020)."""

from django.db import migrations

ENGLISH = "Moderators approval"
JAPANESE = "モデレーターによる承認"


def rename(apps, schema_editor, old=ENGLISH, new=JAPANESE):
    for model in ("Workflow", "Task"):
        apps.get_model("wagtailcore", model).objects.filter(name=old).update(name=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=JAPANESE, new=ENGLISH)


class Migration(migrations.Migration):
    dependencies = [("wagtailcore", "0098_apitoken")]

    operations = [migrations.RunPython(rename, rename_back)]
