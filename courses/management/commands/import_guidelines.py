"""Imports the guideline fixtures (fixtures/guidelines/*.json) into Wagtail pages, atomically."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from courses.services import GuidelineImportError, guidelines_import_files

DEFAULT_DIR = Path(settings.BASE_DIR) / "fixtures" / "guidelines"


class Command(BaseCommand):
    help = "Import guideline fixtures into course and chapter pages (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="Fixture files (default: fixtures/guidelines/*.json)")
        parser.add_argument(
            "--update", action="store_true", help="Publish the fixture text over existing pages where it differs."
        )

    def handle(self, *args, paths, update, **options):
        paths = paths or sorted(DEFAULT_DIR.glob("*.json"))
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(_("ファイルが見つかりません: %(files)s") % {"files": ", ".join(missing)})
        try:
            result = guidelines_import_files(paths=paths, update=update)
        except GuidelineImportError as exc:
            raise CommandError(
                _("取り込みを中止しました（何も書き込んでいません）:") + "\n" + "\n".join(exc.errors)
            ) from exc
        for label in result.created:
            self.stdout.write(_("作成: %(label)s") % {"label": label})
        for label in result.updated:
            self.stdout.write(_("更新: %(label)s") % {"label": label})
        self.stdout.write(
            self.style.SUCCESS(
                _("完了: 作成 %(created)s 件、更新 %(updated)s 件、変更なし %(unchanged)s 件")
                % {"created": len(result.created), "updated": len(result.updated), "unchanged": len(result.unchanged)}
            )
        )
