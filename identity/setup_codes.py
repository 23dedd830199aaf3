"""First-access codes: made to be typed from paper, stored only as an HMAC (decision 0026).

12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B), printed as
XXXX-XXXX-XXXX: 25^12 ≈ 2^55 codes. What a person types is normalised first (NFKC, so a
full-width code from a Japanese IME is accepted; case, spaces and hyphens ignored)."""

from __future__ import annotations

import datetime
import secrets
import unicodedata

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sns_training.fiscal_year import day_end

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 12
GROUP = 4
_HMAC_SALT = "identity.SetupCode"


def setup_code_generate() -> str:
    """A new random code, grouped for reading: "ACDE-FG34-HJK7"."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def setup_code_normalize(code: str) -> str:
    """What the person typed, as the code it stands for ("" when it cannot be one)."""
    text = unicodedata.normalize("NFKC", code or "").upper()
    text = "".join(ch for ch in text if ch not in " -\u2010\u2011\u2012\u2013\u2014\u2212\u30fc\t")
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return ""
    return text


def setup_code_hash(code: str, *, secret: str | None = None) -> str:
    """HMAC-SHA256 of the normalised code keyed with SECRET_KEY (or a fallback key)."""
    return salted_hmac(_HMAC_SALT, setup_code_normalize(code), secret=secret, algorithm="sha256").hexdigest()


def setup_code_hashes(code: str) -> list[str]:
    """The code's hash under SECRET_KEY and each SECRET_KEY_FALLBACKS, so letters printed before a
    key rotation still work until they expire; [] when the input cannot be a code."""
    if not setup_code_normalize(code):
        return []
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [setup_code_hash(code, secret=key) for key in keys]


def setup_code_expiry(*, issued: datetime.datetime, valid_days: int) -> datetime.datetime:
    """The end of the `valid_days`-th day after issue, local time (a letter says "until D")."""
    return day_end(timezone.localtime(issued).date() + datetime.timedelta(days=max(valid_days, 1)))
