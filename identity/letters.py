"""Printable first-access letters (初回ログインのご案内): one A4 page per person with the setup code
and a QR code of the setup page, rendered with WeasyPrint like the certificates (sns_training/pdf.py:
the Japanese font embedded from a local file, nothing else fetched).

The QR code and the printed address carry 自治体 and 職員番号, never the code (decision 0026): a URL
ends up in browser history, proxy and server logs and in a photo of the page; the code is typed."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from sns_training import pdf
from sns_training.dates import date_display
from sns_training.fiscal_year import wareki_date

from .services import IssuedSetupCode

TEMPLATE = "identity/setup_letters_pdf.html"


def site_url(path: str) -> str:
    """An absolute address on the site (DJANGO_BASE_URL, as the reminder mails build theirs)."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def setup_url(*, municipality_code: str = "", staff_number: str = "") -> str:
    """The setup page, with 自治体 and 職員番号 filled in when given (never the code)."""
    query = urlencode({"municipality": municipality_code, "staff_number": staff_number}) if municipality_code else ""
    return site_url(reverse("first_access:setup")) + (f"?{query}" if query else "")


def qr_svg(data: str) -> str:
    """The QR code of `data` as inline SVG markup (no file, no data: URL for the renderer to fetch)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
    )
    return image.to_string(encoding="unicode")


def _last_day(expires_at: datetime.datetime) -> datetime.date:
    """The last local day a code works (it expires at the first instant after it)."""
    return timezone.localtime(expires_at - datetime.timedelta(microseconds=1)).date()


def letters_html(issued: list[IssuedSetupCode], *, font_url: str) -> str:
    """The letters' HTML, always in Japanese (an official document)."""
    letters = []
    for item in issued:
        staff = item.staff
        last_day = _last_day(item.expires_at)
        url = setup_url(municipality_code=staff.municipality.code, staff_number=staff.staff_number)
        letters.append(
            {
                "staff": staff,
                "code": item.code,
                "expires_wareki": wareki_date(last_day),
                "expires_display": date_display(last_day),
                "setup_url": url,
                "qr_svg": qr_svg(url),
            }
        )
    with translation.override("ja"):
        return render_to_string(
            TEMPLATE,
            {
                "letters": letters,
                "font_url": font_url,
                "login_url": site_url(reverse("account_login")),
                "setup_page_url": setup_url(),
                "issued_wareki": wareki_date(timezone.localdate()),
            },
        )


def letters_pdf(issued: list[IssuedSetupCode]) -> bytes:
    """The letters as one PDF, one A4 page per person."""
    font_url = pdf.font_url()
    return pdf.html_to_pdf(letters_html(issued, font_url=font_url), url_of_font=font_url)
