"""Prints how far surface-only strategies get on the question bank, per guideline (quizzes.audit);
with --fail it exits non-zero when the bank misses a target, as CI runs it."""

import json
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quizzes.audit import NEAR_DUPLICATE_THRESHOLD, audit_guideline, audit_report, items_from_fixture
from sns_training.fiscal_year import current_fiscal_year

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


class Command(BaseCommand):
    help = "Audit the question bank: surface strategies against chance, counts, near-duplicates."

    def add_arguments(self, parser):
        parser.add_argument("--files", nargs="+", type=Path, help="question fixtures (default: fixtures/questions)")
        parser.add_argument(
            "--guidelines", nargs="+", type=Path, help="guideline fixtures (default: fixtures/guidelines)"
        )
        parser.add_argument("--year", type=int, help="年度 whose live items are counted (default: this 年度)")
        parser.add_argument("--threshold", type=float, default=NEAR_DUPLICATE_THRESHOLD)
        parser.add_argument("--fail", action="store_true", help="exit non-zero when a target is missed")

    def handle(self, *args, files, guidelines, year, threshold, fail, **options):
        files = files or sorted((FIXTURES / "questions").glob("*.json"))
        guidelines = guidelines or sorted((FIXTURES / "guidelines").glob("*.json"))
        year = year or current_fiscal_year()
        texts = {}
        for path in guidelines:
            data = json.loads(path.read_text(encoding="utf-8"))
            texts[data["slug"]] = data
        items = defaultdict(list)
        for path in files:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("guideline") not in texts:
                raise CommandError(f"{path.name}: guideline {data.get('guideline')!r} not among the guideline fixtures")
            items[data["guideline"]] += items_from_fixture(data)
        problems = []
        for slug, bank in items.items():
            audit = audit_guideline(guideline=texts[slug], items=bank, year=year, threshold=threshold)
            self.stdout.write("\n".join(audit_report(audit)) + "\n")
            problems += audit.failures()
        if problems:
            self.stdout.write("目標に届いていない点:\n" + "\n".join(f"  - {p}" for p in problems))
            if fail:
                raise CommandError(f"question bank misses its targets ({len(problems)} problems)")
        else:
            self.stdout.write("すべての目標を満たしています。")
