"""`manage.py verify_records`: proves the completion records' hash chain of every municipality
(decision 0018); exits non-zero at the first broken link. Run by scripts/restore-drill.sh. A chain
whose oldest records a retention purge removed starts at the first index kept, its first record
checked against the hash the purge's audit entry holds (chain.start_of)."""

from django.core.management.base import BaseCommand, CommandError

from people.models import Municipality
from quizzes import chain
from quizzes.models import CompletionRecord


class Command(BaseCommand):
    help = "Verify the hash chain and content hash of every completion record, per municipality."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", help="only this municipality (its code or slug)")

    def handle(self, *args, municipality=None, **options):
        municipalities = Municipality.objects.order_by("code")
        if municipality:
            municipalities = municipalities.filter(code=municipality) | municipalities.filter(slug=municipality)
            if not municipalities.exists():
                raise CommandError(f"no municipality {municipality!r}")
        total, broken = 0, []
        for place in municipalities:
            start = chain.start_of(place.pk)
            checked, failure, head = chain.verify(CompletionRecord.objects.filter(municipality=place), start=start)
            total += checked
            if failure is None:
                # The head, kept outside the database (cron's mail, the log), shows a cut-off tail.
                since = f" from index {start[0]} (older ones purged)" if start[0] else ""
                self.stdout.write(f"{place.code} {place.name}: {checked} records{since}, chain intact, head {head}")
            else:
                broken.append(place)
                self.stdout.write(
                    f"{place.code} {place.name}: BROKEN after {checked} good records: first broken link at "
                    f"chain index {failure.chain_index} (record id {failure.record_id}): {failure.reason}"
                )
        if broken:
            raise CommandError(f"completion record chain broken in {len(broken)} municipality(ies)")
        self.stdout.write(self.style.SUCCESS(f"{total} completion records verified"))
