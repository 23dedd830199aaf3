"""Create each municipality's self-check rules from the defaults where missing (selfcheck.services.rules_seed)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from people.models import Municipality
from selfcheck.services import rules_seed


class Command(BaseCommand):
    help = "Create the pre-posting self-check's rules of every municipality from the defaults where missing."

    def handle(self, *args, **options):
        for municipality in Municipality.objects.order_by("pk"):
            created = rules_seed(municipality=municipality)
            self.stdout.write(
                _("%(name)s: ルール %(count)s 件を作成しました。") % {"name": municipality.name, "count": created}
            )
