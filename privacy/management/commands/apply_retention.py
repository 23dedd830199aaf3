"""`manage.py apply_retention`: apply every municipality's retention policy (decision 0040) once a
day from cron (README, production schedule), as the database owner role: removing the oldest
completion records needs DELETE on their table, which the application's role lacks (decision
0018). Running it twice the same day changes nothing more."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from people.models import Municipality
from privacy.services import retention_apply


class Command(BaseCommand):
    help = "Delete or anonymise personal data past each municipality's retention period."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="only this municipality (its code or slug)")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="apply as on this day (YYYY-MM-DD)")

    def handle(self, *args, municipality=None, today=None, **options):
        places = Municipality.objects.order_by("code")
        if municipality:
            places = places.filter(code=municipality) | places.filter(slug=municipality)
            if not places.exists():
                raise CommandError(f"no municipality {municipality!r}")
        failed = []
        for place in places:
            try:
                result = retention_apply(municipality=place, today=today)
            except DatabaseError as error:
                failed.append(place.code)
                self.stderr.write(f"{place.code} {place.name}: FAILED, nothing changed: {error}")
                continue
            counts = ", ".join(f"{name} {count}" for name, count in result.items())
            self.stdout.write(f"{place.code} {place.name}: {counts}")
        if failed:
            raise CommandError(f"retention not applied in {len(failed)} municipality(ies): {', '.join(failed)}")
