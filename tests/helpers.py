"""Small helpers shared by the test modules."""

from __future__ import annotations

import html
import json
import re

_INVISIBLE = re.compile(r"<(script|style|template|head)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_WHITESPACE = re.compile(r"\s+")


def visible_text(markup: str) -> str:
    """The text a person sees: no tags, no attributes, no <head>, entities decoded."""
    return html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", markup)))


def squeeze(text: str) -> str:
    """Delete every whitespace character (line breaks in the seeds are extraction artefacts)."""
    return _WHITESPACE.sub("", text)


def response_text(response) -> str:
    """Everything a response could show: decoded HTML, or every string inside a JSON body
    (Wagtail's modal choosers answer JSON, where Japanese is \\u-escaped)."""
    body = response.content.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        strings: list[str] = []

        def walk(value):
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(json.loads(body))
        body = "\n".join(strings)
    return html.unescape(body)


def write_json(tmp_path, name: str, data):
    """A fixture file for an import test: JSON of `data`, or `data` itself when it is text."""
    import json

    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- second factor (identity/mfa.py, decision 0025) -------------------------------------------------


def totp_code(secret: str, *, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    """The TOTP code of a base32 secret (RFC 6238 over RFC 4226 HOTP, SHA-1), written here from
    the RFCs so the tests do not trust the code they test."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // period)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_enrol(user, secret: str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") -> str:
    """Give `user` an authenticator app (as allauth's activation does) and return its secret."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)
    return secret


def mark_second_factor_passed(client, user) -> None:
    """Record in the client's session that its log-in passed a second factor, as allauth's MFA
    stage does (identity.mfa.passed_second_factor reads it)."""
    import time

    from allauth.account.internal.flows import login as login_flow

    session = client.session
    session[login_flow.AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": time.time(), "type": "totp"}]
    session[login_flow._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def refused_as_not_for_staff(response) -> bool:
    """An employee or 所属長 who opens any /admin/ URL gets the Japanese page saying the admin is for
    HR and editors (sns_training.admin_access.not_for_staff, decision 0042): 403, nothing of the view."""
    return response.status_code == 403 and "管理画面は人事担当・編集担当の方向けです" in response.content.decode()
