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

from django.template.loader import render_to_string
from django.utils import timezone, translation

from quizzes.models import CompletionRecord
from sns_training import pdf

TEMPLATE = "reports/certificate_pdf.html"

# The font and the fetcher are sns_training.pdf's (shared with letters and the 新旧対照表).
certificate_font_path = pdf.font_path
_font_url = pdf.font_url
font_only_fetcher = pdf.font_only_fetcher


def certificate_html(record: CompletionRecord, *, font_url: str | None = None) -> str:
    """The certificate's HTML, always in Japanese: it is an official document, whatever language
    the person reads the site in."""
    with translation.override("ja"):
        return render_to_string(
            TEMPLATE,
            {
                "record": record,
                "font_url": font_url or _font_url(),
                "verification_url": record.verification_url,
                **record.certificate_dates(),
            },
        )


def warm_up() -> None:
    """Render one certificate of an unsaved sample record: WeasyPrint, the font, the template and
    the glyphs every certificate shares are loaded before the first real request (gunicorn's
    post_worker_init; bench/pdf_warmup.py measures it). Nothing is written anywhere."""
    if not certificate_font_path().is_file():
        return
    moment = timezone.now()
    sample = CompletionRecord(
        staff_name="氏名",
        staff_number="000000",
        department_name="所属",
        department_code="0000",
        employment_type_label="正規職員",
        municipality_name="市役所",
        guideline_title="職員のソーシャルメディア利用ガイドライン",
        guideline_version="第1版",
        fiscal_year=2026,
        completed_at=moment,
        attested_at=moment,
        verification_code="000000000000",
    )
    certificate_pdf(sample)


def certificate_pdf(record: CompletionRecord, *, font_config=None) -> bytes:
    """The record's certificate as PDF bytes (one A4 page). Pass one FontConfiguration to render
    many: the font is then read once (about 0.06 s a page instead of 0.2 s)."""
    font_url = _font_url()
    return pdf.html_to_pdf(certificate_html(record, font_url=font_url), url_of_font=font_url, font_config=font_config)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def certificate_filename(record: CompletionRecord) -> str:
    """職員番号_氏名.pdf, with characters no file system accepts replaced."""
    name = _UNSAFE.sub("_", f"{record.staff_number}_{record.staff_name}".strip()).strip(". ")
    return f"{name or record.verification_code}.pdf"


def certificates_zip(
    records: Iterable[CompletionRecord],
    *,
    progress: Callable[[int], None] | None = None,
    pdf_of: Callable[[CompletionRecord], bytes] | None = None,
):
    """A ZIP of one PDF per record, written to a temporary file on disk (returned at position 0,
    for the caller to store or send, and close). PDFs are already compressed: stored, not deflated.
    Names are 職員番号_氏名.pdf; a second record of the same person gets _2, _3. One PDF is in
    memory at a time; `progress(count)` is called after each PDF written. `pdf_of` gives a
    record's PDF (a certificate ZIP reads those it rendered earlier); rendered here by default."""
    if pdf_of is None:
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()

        def pdf_of(record):
            return certificate_pdf(record, font_config=font_config)

    out = tempfile.TemporaryFile(prefix="certificates-", suffix=".zip")  # noqa: SIM115 - returned open
    try:
        seen: dict[str, int] = {}
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for count, record in enumerate(records, start=1):
                name = certificate_filename(record)
                seen[name] = seen.get(name, 0) + 1
                if seen[name] > 1:
                    name = f"{name[:-4]}_{seen[name]}.pdf"
                archive.writestr(name, pdf_of(record))
                if progress is not None:
                    progress(count)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out
