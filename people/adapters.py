"""allauth adapter: no self sign-up, and one generic message for every failed log-in."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import gettext_lazy as _

GENERIC_LOGIN_ERROR = _("ログインできませんでした。入力内容をご確認ください。")


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": GENERIC_LOGIN_ERROR,
        "username_password_mismatch": GENERIC_LOGIN_ERROR,
        "phone_password_mismatch": GENERIC_LOGIN_ERROR,
        "invalid_login": GENERIC_LOGIN_ERROR,
        "account_inactive": GENERIC_LOGIN_ERROR,
        "too_many_login_attempts": _(
            "ログインの失敗が続いたため、このアカウントへのログインを一時的に停止しています。"
            "5分ほど待ってから、もう一度お試しください。"
        ),
    }

    def is_open_for_signup(self, request):
        # Staff accounts come from HR's roster, never from self sign-up.
        return False

    def format_email_subject(self, subject):
        return f"[{_('SNSガイドライン研修')}] {subject}"
