"""allauth adapter: no self sign-up, one generic message for every failed log-in, and the client
address read through trusted proxies only."""

import ipaddress

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
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

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code == "too_many_login_attempts":
                # The lock-out has no signal: the access log records it here (identity/receivers.py).
                from identity.receivers import record_locked_out

                record_locked_out(request=request, credentials=credentials)
            raise

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and not user.is_active:
            # allauth would answer the right password of a disabled account with its "account
            # inactive" page, telling anyone that the account exists; fail like a wrong password.
            return None
        return user

    def _get_login_attempts_cache_key(self, request, **credentials):
        # Count failures per account (docs/decisions/0004), whether it is named by e-mail or by
        # 自治体 + 職員番号 (its username); otherwise each name would get five attempts of its own.
        if credentials.get("directory_login") is not None:
            # A directory account name (identity.directory) counts per municipality and name.
            name = f"{credentials.get('municipality_code', '')}:directory:{credentials['directory_login']}"
            credentials = {"username": name.lower()}
        email = credentials.get("email")
        if email:
            users = filter_users_by_email(email)
            if len(users) == 1:
                credentials = {"username": users[0].username}
        return super()._get_login_attempts_cache_key(request, **credentials)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # Setting up a second factor right after logging in asks for no second password entry (an
        # SSO user has none to give): identity.mfa.logged_in_recently, decision 0025.
        from allauth.core import context

        from identity.mfa import logged_in_recently

        if app == "allauth.mfa" and context.request is not None and logged_in_recently(context.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_client_ip(self, request):
        # allauth keys its per-IP log-in limits on this (and would believe X-Forwarded-For from anyone).
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied
        return ip

    def is_open_for_signup(self, request):
        # Staff accounts come from HR's roster, never from self sign-up.
        return False

    def format_email_subject(self, subject):
        return f"[{_('SNSガイドライン研修')}] {subject}"


def user_display(user) -> str:
    """How allauth names the user in its messages ("… としてログインしました"), wired as
    ACCOUNT_USER_DISPLAY: the staff member's name, not the internal "<団体コード>-<職員番号>"."""
    return user.get_full_name() or user.email or user.username


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address a request came from: the peer, unless the peer is one of settings.TRUSTED_PROXIES;
    then X-Forwarded-For is read from the right, past trusted proxies, to the first other address.
    A client cannot choose its address by sending the header itself (docs/decisions/0017)."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXIES

    def is_trusted(address) -> bool:
        return any(address in network for network in trusted)

    if peer is None or not is_trusted(peer):
        return str(peer) if peer else None
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        address = _address(hop)
        if address is None:
            # Garbage handed on by a trusted proxy: the last address known is that proxy's.
            break
        peer = address
        if not is_trusted(address):
            break
    return str(peer)
