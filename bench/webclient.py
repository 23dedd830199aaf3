"""A minimal cookie-keeping HTTP client on http.client: logs in through the real allauth form."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Browser:
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in sorted(self.cookies.items()))

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Response:
        """One request, no redirect following; Set-Cookie is kept. `body` is sent as is, with `headers`."""
        parts = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        headers = {"Host": parts.netloc, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(raw.status, raw.headers, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def login(self, *, municipality_code: str, staff_number: str, password: str) -> None:
        """GET the log-in form for csrftoken and the form token, POST it, expect a redirect with a session."""
        page = self.get("/accounts/login/")
        if page.status != 200:
            raise RuntimeError(f"GET /accounts/login/ answered {page.status}")
        match = CSRF_INPUT.search(page.body)
        if not match or "csrftoken" not in self.cookies:
            raise RuntimeError("the log-in form has no csrfmiddlewaretoken or no csrftoken cookie")
        answer = self.request(
            "POST",
            "/accounts/login/",
            form={
                "csrfmiddlewaretoken": match.group(1),
                "municipality": municipality_code,
                "login": staff_number,
                "password": password,
            },
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(
                f"log-in as {municipality_code}/{staff_number} failed: {answer.status} {answer.location!r}, "
                f"cookies {sorted(self.cookies)}"
            )
