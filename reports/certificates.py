"""PDF certificates (修了証) rendered from a CompletionRecord with WeasyPrint (decision 0014).

Everything printed comes from the record's snapshot (name, 職員番号, 所属 at completion), never
from today's roster. The Japanese font is embedded from a local file (REPORTS_CERTIFICATE_FONT,
Debian's fonts-noto-cjk by default); WeasyPrint may fetch nothing else.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from quizzes.models import CompletionRecord
from sns_training.fiscal_year import wareki_date

DEFAULT_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
TEMPLATE = "reports/certificate_pdf.html"


def certificate_font_path() -> Path:
    return Path(getattr(settings, "REPORTS_CERTIFICATE_FONT", "") or DEFAULT_FONT)


def _font_url() -> str:
    path = certificate_font_path()
    if not path.is_file():
        raise ImproperlyConfigured(
            f"Certificate font {path} not found: install Debian's fonts-noto-cjk "
            "or point REPORTS_CERTIFICATE_FONT (DJANGO_CERTIFICATE_FONT) at a Japanese OpenType font."
        )
    return path.resolve().as_uri()


def verification_url() -> str:
    """Where HR checks a certificate's code (the admin's 修了証の確認 page)."""
    return urljoin(settings.WAGTAILADMIN_BASE_URL, reverse("reports_admin:verify"))


def certificate_html(record: CompletionRecord, *, font_url: str | None = None) -> str:
    """The certificate's HTML, always in Japanese: it is an official document, whatever language
    the person reads the site in."""
    completed = timezone.localtime(record.completed_at).date()
    attested = timezone.localtime(record.attested_at)
    with translation.override("ja"):
        return render_to_string(
            TEMPLATE,
            {
                "record": record,
                "font_url": font_url or _font_url(),
                "completed_iso": completed.isoformat(),
                "completed_wareki": wareki_date(completed),
                "attested": attested,
                "attested_wareki": wareki_date(attested.date()),
                "verification_url": verification_url(),
            },
        )


def font_only_fetcher(font_url: str):
    """A URL fetcher that hands WeasyPrint the font file and refuses everything else, so no
    text in a record can make the renderer read a file or reach the network."""
    from weasyprint.urls import URLFetcher

    class FontOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url != font_url:
                raise ValueError(f"certificate rendering fetches nothing but its font, not {url!r}")
            return super().fetch(url, headers)

    return FontOnlyFetcher(allowed_protocols={"file"})


def certificate_pdf(record: CompletionRecord, *, font_config=None) -> bytes:
    """The record's certificate as PDF bytes (one A4 page). Pass one FontConfiguration to render
    many: the font is then read once (about 0.06 s a page instead of 0.2 s)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_url = _font_url()
    html = HTML(string=certificate_html(record, font_url=font_url), url_fetcher=font_only_fetcher(font_url))
    return html.write_pdf(font_config=font_config or FontConfiguration())


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def certificate_filename(record: CompletionRecord) -> str:
    """職員番号_氏名.pdf, with characters no file system accepts replaced."""
    name = _UNSAFE.sub("_", f"{record.staff_number}_{record.staff_name}".strip()).strip(". ")
    return f"{name or record.verification_code}.pdf"


def certificates_zip(records: Iterable[CompletionRecord], *, progress: Callable[[int], None] | None = None):
    """A ZIP of one PDF per record, written to a temporary file on disk (returned at position 0,
    for the caller to store or send, and close). PDFs are already compressed: stored, not deflated.
    Names are 職員番号_氏名.pdf; a second record of the same person gets _2, _3. One PDF is in
    memory at a time; `progress(count)` is called after each PDF written."""
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    out = tempfile.TemporaryFile(prefix="certificates-", suffix=".zip")  # noqa: SIM115 - returned open
    try:
        seen: dict[str, int] = {}
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for count, record in enumerate(records, start=1):
                name = certificate_filename(record)
                seen[name] = seen.get(name, 0) + 1
                if seen[name] > 1:
                    name = f"{name[:-4]}_{seen[name]}.pdf"
                archive.writestr(name, certificate_pdf(record, font_config=font_config))
                if progress is not None:
                    progress(count)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out
