"""Password reset by e-mail: a Japanese mail with a link that sets a new password once."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_mail_is_japanese_and_the_link_sets_a_new_password(client, hanako):
    response = client.post("/accounts/password/reset/", {"email": "hanako@ashiya.example.jp"})
    assert response.status_code == 302

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hanako@ashiya.example.jp"]
    assert message.subject == "[SNSガイドライン研修] パスワード再設定のご案内"
    assert "新しいパスワードを設定してください" in message.body
    assert "282065-" not in message.body  # the internal username is not shown

    form_page = client.get(_reset_link(message), follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0]
    new_password = "atarashii-pass-2026"
    done = client.post(action, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302

    hanako.user.refresh_from_db()
    assert hanako.user.check_password(new_password)
    assert not hanako.user.check_password(PASSWORD)
    # The link works once.
    again = client.get(_reset_link(message), follow=True)
    assert "atarashii" not in again.content.decode()
    assert 'name="password1"' not in again.content.decode()


def test_unknown_address_sends_nothing_and_says_the_same(client, hanako):
    known = client.post("/accounts/password/reset/", {"email": "hanako@ashiya.example.jp"}, follow=True)
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@ashiya.example.jp"}, follow=True)

    assert known.redirect_chain[-1][0] == unknown.redirect_chain[-1][0]
    assert [m.to for m in mail.outbox] == [["hanako@ashiya.example.jp"]]


def test_wagtails_own_reset_form_is_closed(client, hanako):
    response = client.post("/admin/password_reset/", {"email": "hanako@ashiya.example.jp"})
    assert response.status_code == 404
    assert mail.outbox == []
