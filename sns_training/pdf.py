"""PDFs rendered with WeasyPrint from the site's own HTML (certificates, first-access letters, the
新旧対照表): the Japanese font embedded from a local file (REPORTS_CERTIFICATE_FONT, Debian's
fonts-noto-cjk by default), and nothing else fetched — no text in a document can make the
renderer read a file or reach the network (decision 0014)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"


def font_path() -> Path:
    return Path(getattr(settings, "REPORTS_CERTIFICATE_FONT", "") or DEFAULT_FONT)


def font_url() -> str:
    path = font_path()
    if not path.is_file():
        raise ImproperlyConfigured(
            f"PDF font {path} not found: install Debian's fonts-noto-cjk "
            "or point REPORTS_CERTIFICATE_FONT (DJANGO_CERTIFICATE_FONT) at a Japanese OpenType font."
        )
    return path.resolve().as_uri()


def font_only_fetcher(url_of_font: str):
    """A URL fetcher that hands WeasyPrint the font file and refuses everything else."""
    from weasyprint.urls import URLFetcher

    class FontOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url != url_of_font:
                raise ValueError(f"PDF rendering fetches nothing but its font, not {url!r}")
            return super().fetch(url, headers)

    return FontOnlyFetcher(allowed_protocols={"file"})


def html_to_pdf(html: str, *, url_of_font: str, font_config=None) -> bytes:
    """`html` (which names `url_of_font` in its @font-face) as PDF bytes. Pass one
    FontConfiguration to render many: the font is then read once."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    document = HTML(string=html, url_fetcher=font_only_fetcher(url_of_font))
    return document.write_pdf(font_config=font_config or FontConfiguration())
