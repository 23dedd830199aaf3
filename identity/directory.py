"""Directory log-in (LDAP / Active Directory), configured per municipality by `DirectoryConfig`.

`MunicipalityDirectoryBackend` is django-auth-ldap's `LDAPBackend` with settings built per
attempt from the municipality's row. It only authenticates: it searches the account by the
configured log-in attribute (the input escaped with `ldap.filter.escape_filter_chars`), binds as
it with the password given, reads the 職員番号 attribute and returns the EXISTING user of the
active staff member with that 職員番号 in THAT municipality. It never creates or updates a user:
the roster decides who exists.

What happened is left on the request (`directory_result`) for the log-in form, which turns it into
the message shown and the access-log entry (identity.forms). Users are loaded per request by
people.backends.StaffAuthenticationBackend, never by this backend.
"""

from __future__ import annotations

import enum
import logging
import os
import re
from contextvars import ContextVar

import ldap
from django_auth_ldap.backend import LDAPBackend, ldap_error
from django_auth_ldap.config import LDAPSearch, LDAPSettings
from ldap.filter import escape_filter_chars

from people.backends import StaffAuthenticationBackend
from people.models import StaffMember

from .models import DirectoryConfig

logger = logging.getLogger(__name__)

# An attribute name as LDAP allows it (RFC 4512 descr): never anything that could change a filter.
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
MAX_LOGIN_LENGTH = 256


class Result(enum.StrEnum):
    OK = "ok"
    NOT_CONFIGURED = "not_configured"  # the municipality has no enabled directory
    UNAVAILABLE = "unavailable"  # connection, STARTTLS, service bind or search failed / timed out
    NOT_FOUND = "not_found"  # no (or more than one) directory account by that name
    WRONG_PASSWORD = "wrong_password"
    NO_STAFF_NUMBER = "no_staff_number"  # the directory account carries no 職員番号
    NOT_ON_ROSTER = "not_on_roster"  # the 職員番号 is on no roster of this platform
    OTHER_MUNICIPALITY = "other_municipality"  # ... only on another municipality's roster
    INACTIVE = "inactive"  # on the roster, but retired or the account is disabled


# The LDAP errors django-auth-ldap reports (and swallows) during this attempt.
_reported_errors: ContextVar[list | None] = ContextVar("directory_reported_errors", default=None)


def _on_ldap_error(sender, context, exception, **kwargs):
    errors = _reported_errors.get()
    if errors is not None:
        errors.append((context, exception))


ldap_error.connect(_on_ldap_error, dispatch_uid="identity.directory.ldap_error")


def user_filter(attribute: str, login: str) -> str:
    """The search filter for one log-in name: `(attribute=value)` with the value escaped, so `*`,
    `(`, `)`, `\\` and NUL match themselves and cannot widen or rewrite the filter."""
    if not ATTRIBUTE_NAME.match(attribute):
        raise ValueError(f"not an LDAP attribute name: {attribute!r}")
    return f"({attribute}={escape_filter_chars(login)})"


def bind_password(config: DirectoryConfig) -> str:
    """The service account's password: from the environment variable named, else the admin's."""
    if config.bind_password_env:
        return os.environ.get(config.bind_password_env, "")
    return config.bind_password


def ldap_settings(config: DirectoryConfig, login: str) -> LDAPSettings:
    """django-auth-ldap settings for one attempt against the municipality's directory. The prefix
    names no Django setting, so nothing global leaks in."""
    # LDAPSearch formats its filter with `%`; the value is already escaped, so no placeholder.
    search_filter = user_filter(config.login_attribute, login).replace("%", "%%")
    attributes = [config.staff_number_attribute, config.login_attribute]
    timeout = max(1, int(config.timeout_seconds or 5))
    return LDAPSettings(
        prefix="IDENTITY_DIRECTORY_UNUSED_",
        defaults={
            "SERVER_URI": config.server_uri,
            "START_TLS": config.start_tls,
            "BIND_DN": config.bind_dn,
            "BIND_PASSWORD": bind_password(config),
            "USER_SEARCH": LDAPSearch(config.user_search_base, ldap.SCOPE_SUBTREE, search_filter, attributes),
            "USER_ATTRLIST": attributes,
            "CONNECTION_OPTIONS": {
                ldap.OPT_NETWORK_TIMEOUT: timeout,
                ldap.OPT_TIMEOUT: timeout,
                ldap.OPT_REFERRALS: 0,  # AD's referrals would send the bind elsewhere
            },
            "NO_NEW_USERS": True,
            "ALWAYS_UPDATE_USER": False,
            "USER_ATTR_MAP": {},
            "CACHE_TIMEOUT": 0,
            "FIND_GROUP_PERMS": False,
            "MIRROR_GROUPS": None,
            "PERMIT_EMPTY_PASSWORD": False,
        },
    )


def _first_value(attrs, name: str) -> str:
    if not attrs:
        return ""
    for key, values in attrs.items():  # attribute names are case-insensitive
        if key.lower() == name.lower() and values:
            return str(values[0]).strip()
    return ""


class _Refused(Exception):
    def __init__(self, result: Result, **detail):
        super().__init__(result.value)
        self.result = result
        self.detail = detail


class MunicipalityDirectoryBackend(LDAPBackend):
    """Authenticate only (see the module docstring). Called by Django for every authenticate();
    it acts only on `directory_login` + `municipality_code` credentials."""

    settings_prefix = "IDENTITY_DIRECTORY_UNUSED_"

    def authenticate(self, request, directory_login=None, municipality_code=None, password=None, **kwargs):
        if directory_login is None or municipality_code is None:
            return None
        self.result, self.detail, self.staff = Result.NOT_FOUND, {}, None
        config = (
            DirectoryConfig.objects.select_related("municipality")
            .filter(municipality__code=municipality_code, enabled=True)
            .first()
        )
        login = (directory_login or "").strip()
        if config is None:
            self.result = Result.NOT_CONFIGURED
        elif not password or not login or len(login) > MAX_LOGIN_LENGTH or "\x00" in login:
            self.result = Result.NOT_FOUND
        elif config.bind_dn and not bind_password(config):
            # A service account without its password (the environment variable unset) would bind
            # unauthenticated: the directory is unusable until the server is configured.
            logger.warning("directory of %s: no bind password (%s unset?)", municipality_code, config.bind_password_env)
            self.result, self.detail = Result.UNAVAILABLE, {"error": "bind_password_missing"}
        else:
            self.config = config
            self.settings = ldap_settings(config, login)
            errors: list = []
            token = _reported_errors.set(errors)
            try:
                user = super().authenticate(request, username=login, password=password)
            finally:
                _reported_errors.reset(token)
            if user is not None:
                self.result = Result.OK
            elif errors and self.result in (Result.NOT_FOUND, Result.WRONG_PASSWORD):
                self.result = Result.UNAVAILABLE
                self.detail = {"error": type(errors[-1][1]).__name__, "context": errors[-1][0]}
        if request is not None:
            request.directory_result = self.result
            request.directory_detail = self.detail
            request.directory_staff = self.staff
        if self.result is not Result.OK:
            logger.info("directory log-in refused (%s) for %r in %s", self.result, login[:64], municipality_code)
            return None
        return user

    def authenticate_ldap_user(self, ldap_user, password):
        try:
            _ = ldap_user.connection  # connect, STARTTLS and bind as the service account, or fail now
        except ldap.LDAPError as exc:
            self.result = Result.UNAVAILABLE
            self.detail = {"error": type(exc).__name__, "context": "connect"}
            logger.warning("directory of %s unreachable: %s", self.config.municipality.code, type(exc).__name__)
            return None
        try:
            if ldap_user.dn is None:
                self.result = Result.NOT_FOUND
                return None
        except ldap.LDAPError as exc:
            self.result = Result.UNAVAILABLE
            self.detail = {"error": type(exc).__name__, "context": "search"}
            return None
        self.result = Result.WRONG_PASSWORD  # until the bind and the roster say otherwise
        try:
            return ldap_user.authenticate(password)
        except _Refused as refused:
            self.result, self.detail = refused.result, refused.detail
            return None

    def get_or_build_user(self, username, ldap_user):
        """The roster's user for the directory account's 職員番号 in this municipality, or refuse.
        Reached only after the bind with the person's own password succeeded."""
        number = _first_value(ldap_user.attrs, self.config.staff_number_attribute)
        if not number:
            raise _Refused(Result.NO_STAFF_NUMBER, dn=ldap_user.dn)
        staff = (
            StaffMember.objects.select_related("user", "municipality")
            .filter(municipality=self.config.municipality, staff_number__iexact=number)
            .first()
        )
        if staff is None or staff.user_id is None:
            elsewhere = list(
                StaffMember.objects.filter(staff_number__iexact=number)
                .exclude(municipality=self.config.municipality)
                .values_list("municipality__code", flat=True)
            )
            if elsewhere:
                raise _Refused(Result.OTHER_MUNICIPALITY, staff_number=number, roster_of=elsewhere)
            raise _Refused(Result.NOT_ON_ROSTER, staff_number=number)
        self.staff = staff
        if not staff.is_active or not staff.user.is_active:
            raise _Refused(Result.INACTIVE, staff_number=number)
        return staff.user, False

    # Users are loaded per request by the staff backend; this one grants nothing.
    def get_user(self, user_id):
        return StaffAuthenticationBackend().get_user(user_id)

    def get_all_permissions(self, user, obj=None):
        return set()

    def get_group_permissions(self, user, obj=None):
        return set()

    def has_perm(self, user, perm, obj=None):
        return False

    def has_module_perms(self, user, app_label):
        return False
