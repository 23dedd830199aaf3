"""The per-address log-in limit believes X-Forwarded-For only from configured proxies
(settings.TRUSTED_PROXIES, DJANGO_TRUSTED_PROXIES; docs/decisions/0017)."""

from __future__ import annotations

import ipaddress

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED_ERROR = "ログインの失敗が続いたため、このアカウントへのログインを一時的に停止しています。"
PROXY = "10.0.0.5"
OUTSIDER = "203.0.113.9"


@pytest.fixture(autouse=True)
def small_limits(settings):
    """Three failures a minute per address (100 in production) keep the tests short; the
    per-account limit stays out of the way because every failure names another account."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip,5/5m/key"}
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/29")]


def _fail(client, n: int, **headers):
    response = client.post(
        "/accounts/login/", {"login": f"nobody{n}@ashiya.example.jp", "password": "wrong-pass-1"}, **headers
    )
    assert response.status_code == 200
    assert LOCKED_ERROR not in response.content.decode()


def _log_in(client, **headers):
    return client.post("/accounts/login/", {"login": "hanako@ashiya.example.jp", "password": PASSWORD}, **headers)


def _refused(response) -> bool:
    return response.status_code == 200 and LOCKED_ERROR in response.content.decode()


def test_an_untrusted_peer_cannot_escape_the_limit_by_inventing_forwarded_addresses(client, hanako):
    for n in range(3):
        _fail(client, n, REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}")

    response = _log_in(client, REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR="198.51.100.200")

    assert _refused(response)
    assert "_auth_user_id" not in client.session


def test_an_untrusted_peer_cannot_lock_out_the_address_it_names(client, hanako):
    """Failures from an outsider claiming a colleague's address are not counted against that address."""
    for n in range(3):
        _fail(client, n, REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR="198.51.100.7")

    response = _log_in(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(hanako.user.pk)


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(client, hanako):
    for n in range(3):
        _fail(client, n, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert _refused(_log_in(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1"))

    response = _log_in(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(hanako.user.pk)


def test_a_spoofed_hop_in_front_of_the_proxy_is_ignored(client, hanako):
    """The client sends its own X-Forwarded-For; the proxy appends the real address: only that counts."""
    for n in range(3):
        _fail(client, n, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}, 198.51.100.1")

    assert _refused(_log_in(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.1"))


def test_a_chain_of_trusted_proxies_is_followed_to_the_client(client, hanako):
    for n in range(3):
        _fail(client, n, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.1, 10.0.0.{n + 1}")

    assert _refused(_log_in(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.4"))
