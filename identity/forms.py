"""The log-in form by municipality: e-mail + password, or 自治体 + 職員番号 + password, or 自治体 +
the directory's account name + its password (decision 0023). Every attempt is written to the
access log with its method; the municipality's LoginPolicy decides which methods it accepts."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.internal import flows
from allauth.account.models import Login
from allauth.account.utils import filter_users_by_email
from allauth.core import context
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from people.adapters import GENERIC_LOGIN_ERROR
from people.forms import StaffLoginForm
from people.models import User, login_username

from .directory import Result
from .models import AccessEvent, LoginPolicy
from .services import access_event_record, login_method_note

STAFF_BACKEND = "people.backends.StaffAuthenticationBackend"

DIRECTORY_UNAVAILABLE = _("ディレクトリサーバーに接続できません。しばらくしてから、もう一度お試しください。")
DIRECTORY_UNAVAILABLE_FALLBACK = _(
    "ディレクトリサーバーに接続できません。接続できない間は、同じ欄に職員番号を、パスワード欄に"
    "この研修サイトのパスワードを入力してもログインできます。"
)
NOT_ON_ROSTER = _(
    "このアカウントは%(municipality)sの職員名簿に登録されていないため、ログインできません。"
    "人事担当課にお問い合わせください。"
)
OTHER_MUNICIPALITY = _(
    "このアカウントの職員番号は%(municipality)sの職員名簿にありません。選んだ自治体が正しいか、ご確認ください。"
)
NO_DIRECTORY = _("%(municipality)sでは、庁内アカウント（ディレクトリ）でのログインを使っていません。")
PASSWORD_DISALLOWED = _(
    "%(municipality)sでは、パスワードでのログインは使えません。庁内アカウントまたはシングルサインオンでログインしてください。"
)


def _account_named(credentials: dict):
    """The account a failed attempt named, for the access log only (HR sees its own city's)."""
    if credentials.get("email"):
        users = filter_users_by_email(credentials["email"])
        return users[0] if len(users) == 1 else None
    if credentials.get("username"):
        return User.objects.filter(username=credentials["username"]).select_related("staff_profile").first()
    return None


class MunicipalityLoginForm(StaffLoginForm):
    METHOD_PASSWORD = "password"
    METHOD_DIRECTORY = "directory"

    method = forms.ChoiceField(
        choices=[("", ""), (METHOD_PASSWORD, METHOD_PASSWORD), (METHOD_DIRECTORY, METHOD_DIRECTORY)],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].label = _("自治体")
        self.order_fields(["municipality", "login", "password", "method"])

    # --- which method -------------------------------------------------------------------------------

    @property
    def is_directory(self) -> bool:
        return self.cleaned_data.get("method") == self.METHOD_DIRECTORY

    def clean(self):
        # This form records its own failures and lock-outs, with their reasons; the access log's
        # receivers (identity/receivers.py) leave this request's to it. The log-in itself is
        # recorded by the receiver when it completes (after a second factor), with the method noted.
        self.request.identity_login_form = True
        if self.is_directory and not self.cleaned_data.get("municipality"):
            if not self.has_error("municipality"):
                self.add_error("municipality", _("自治体を選んでください。"))
            return self.cleaned_data
        try:
            return super().clean()
        except ValidationError as exc:
            if getattr(exc, "code", None) == "too_many_login_attempts":
                subject = None if self.is_directory else _account_named(self.user_credentials())
                self._record(AccessEvent.Kind.LOCKED_OUT, subject=subject, reason="rate_limited")
            raise

    def user_credentials(self) -> dict:
        if not self.is_directory:
            return super().user_credentials()
        credentials = {
            "directory_login": self.cleaned_data["login"].strip(),
            "municipality_code": self.cleaned_data["municipality"].code,
        }
        if self.cleaned_data.get("password"):
            credentials["password"] = self.cleaned_data["password"]
        return credentials

    # --- checking the credentials ---------------------------------------------------------------------

    def _clean_with_password(self, credentials: dict):
        if self.is_directory:
            return self._clean_with_directory(credentials)
        municipality = self.cleaned_data.get("municipality")
        by_number = "username" in credentials
        if by_number and not self._password_allowed(municipality.pk):
            self._record(AccessEvent.Kind.LOGIN_FAILED, AccessEvent.Method.PASSWORD, reason="password_disallowed")
            raise ValidationError(PASSWORD_DISALLOWED % {"municipality": municipality.name})
        try:
            super()._clean_with_password(credentials)
        except ValidationError as exc:
            if getattr(exc, "code", None) != "too_many_login_attempts":
                self._record(
                    AccessEvent.Kind.LOGIN_FAILED,
                    AccessEvent.Method.PASSWORD,
                    subject=_account_named(credentials),
                    reason="invalid",
                )
            raise
        staff = getattr(self.user, "staff_profile", None)
        if staff is not None and not self._password_allowed(staff.municipality_id):
            # By e-mail: the municipality is known only now.
            self._record(
                AccessEvent.Kind.LOGIN_FAILED,
                AccessEvent.Method.PASSWORD,
                subject=self.user,
                reason="password_disallowed",
            )
            self.user = None
            raise ValidationError(PASSWORD_DISALLOWED % {"municipality": staff.municipality.name})
        login_method_note(request=self.request, method=AccessEvent.Method.PASSWORD, username=self._typed())
        return self.cleaned_data

    def _typed(self) -> str:
        return (self.cleaned_data.get("login") or "").strip()

    def _password_allowed(self, municipality_id: int) -> bool:
        return LoginPolicy.for_municipality(municipality_id).password_allowed

    def _clean_with_directory(self, credentials: dict):
        adapter = get_adapter(self.request)
        municipality = self.cleaned_data["municipality"]
        user = adapter.authenticate(self.request, **credentials)  # the per-account limit applies (0004)
        result = getattr(self.request, "directory_result", Result.NOT_FOUND)
        detail = dict(getattr(self.request, "directory_detail", {}) or {})
        staff = getattr(self.request, "directory_staff", None)
        if user is not None:
            self._accept(user)
            login_method_note(request=self.request, method=AccessEvent.Method.DIRECTORY, username=self._typed())
            return self.cleaned_data
        subject = staff.user if staff is not None else None
        self._record(
            AccessEvent.Kind.LOGIN_FAILED, AccessEvent.Method.DIRECTORY, subject=subject, reason=result.value, **detail
        )
        names = {"municipality": municipality.name}
        if result is Result.UNAVAILABLE:
            # The directory being down is not the person's failure: give the attempt back.
            adapter._rollback_login_failed_rl_usage()
            policy = LoginPolicy.for_municipality(municipality.pk)
            if policy.password_when_directory_down:
                return self._clean_fallback(credentials, municipality)
            raise ValidationError(DIRECTORY_UNAVAILABLE)
        if result is Result.NOT_CONFIGURED:
            raise ValidationError(NO_DIRECTORY % names)
        if result in (Result.NOT_ON_ROSTER, Result.NO_STAFF_NUMBER):
            raise ValidationError(NOT_ON_ROSTER % names)
        if result is Result.OTHER_MUNICIPALITY:
            raise ValidationError(OTHER_MUNICIPALITY % names)
        raise ValidationError(GENERIC_LOGIN_ERROR)

    def _clean_fallback(self, credentials: dict, municipality):
        """The directory is down and the municipality allows the local password meanwhile: the
        name entered is taken as the 職員番号."""
        fallback = {
            "username": login_username(municipality.code, credentials["directory_login"]),
            "password": credentials["password"],
        }
        user = get_adapter(self.request).authenticate(self.request, **fallback)
        if user is None:
            self._record(
                AccessEvent.Kind.LOGIN_FAILED, AccessEvent.Method.PASSWORD, reason="invalid", fallback="directory_down"
            )
            raise ValidationError(DIRECTORY_UNAVAILABLE_FALLBACK)
        self._accept(user)
        login_method_note(
            request=self.request,
            method=AccessEvent.Method.PASSWORD,
            username=self._typed(),
            detail={"fallback": "directory_down"},
        )
        return self.cleaned_data

    def _accept(self, user) -> None:
        """What allauth's own form does with an authenticated user, with the session tied to the
        staff backend (which loads users per request), whichever backend authenticated."""
        login = Login(user=user)
        if flows.login.is_login_rate_limited(context.request, login):
            raise get_adapter(self.request).validation_error("too_many_login_attempts")
        user.backend = STAFF_BACKEND
        self._login = login
        self.user = user

    def _record(self, kind: str, method: str = "", *, subject=None, **detail) -> None:
        municipality = self.cleaned_data.get("municipality")
        access_event_record(
            kind=kind,
            request=self.request,
            subject=subject,
            municipality_id=(
                None
                if subject is not None and getattr(subject, "staff_profile", None)
                else getattr(municipality, "pk", None)
            ),
            method=method or (AccessEvent.Method.DIRECTORY if self.is_directory else AccessEvent.Method.PASSWORD),
            username=(self.cleaned_data.get("login") or "").strip(),
            detail={key: value for key, value in detail.items() if value is not None},
        )
