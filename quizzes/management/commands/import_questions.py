"""Imports scenario questions (fixtures/questions/*.json), all or nothing."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from quizzes.importing import QuestionImportError, questions_import_files

DEFAULT_DIR = Path(settings.BASE_DIR) / "fixtures" / "questions"


class Command(BaseCommand):
    help = "Import scenario questions; existing ones (by id) are left as they are."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)

    def handle(self, *args, paths, **options):
        paths = paths or sorted(DEFAULT_DIR.glob("*.json"))
        try:
            created, unchanged = questions_import_files(paths=paths)
        except QuestionImportError as exc:
            raise CommandError(
                _("取り込みを中止しました（何も書き込んでいません）:") + "\n" + "\n".join(exc.errors)
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("設問: 作成 %(created)s 件、変更なし %(unchanged)s 件") % {"created": created, "unchanged": unchanged}
            )
        )
