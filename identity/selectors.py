"""Reads of the identity app: the staff member an IdP names, which log-in methods a municipality
offers (the log-in page), and the access log as the viewer may read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from people import scoping
from people.models import Municipality, StaffMember

from .models import AccessEvent, DirectoryConfig, LoginPolicy, SsoProvider


@dataclass(frozen=True)
class SsoMatch:
    """The staff member an IdP's claim names, or why there is none (for the access log):
    "not_on_roster", "other_municipality", "inactive" or "ambiguous"."""

    staff: StaffMember | None
    reason: str = ""


def sso_staff_match(*, provider: SsoProvider, value: str) -> SsoMatch:
    """The one active staff member of the provider's municipality whose 職員番号 (or roster e-mail
    address) is `value`. Never anyone of another municipality, never a person who has left."""
    if provider.match_by == SsoProvider.MatchBy.EMAIL:
        lookup = {"user__email__iexact": value}
    else:
        lookup = {"staff_number": value}
    everyone = StaffMember.objects.filter(**lookup).select_related("user", "municipality")
    own = [s for s in everyone if s.municipality_id == provider.municipality_id]
    if not own:
        return SsoMatch(None, "other_municipality" if everyone else "not_on_roster")
    active = [s for s in own if s.is_active and s.user.is_active]
    if not active:
        return SsoMatch(None, "inactive")
    if len(active) > 1:
        return SsoMatch(None, "ambiguous")
    return SsoMatch(active[0])


def sso_providers_by_municipality() -> list[tuple]:
    """(municipality, its enabled providers) for every municipality that has one, for the log-in page."""
    groups: dict = {}
    for row in (
        SsoProvider.objects.filter(enabled=True).select_related("municipality").order_by("municipality__code", "label")
    ):
        groups.setdefault(row.municipality, []).append(row)
    return list(groups.items())


VIEW_PERMISSION = "identity.view_accessevent"


def access_events_for(*, user):
    """The entries the viewer may read (HR: their municipality; the platform admin: all), with
    what the list shows of each person loaded in the same query."""
    return AccessEvent.objects.visible_to(user).select_related(
        "municipality", "actor__staff_profile", "subject__staff_profile"
    )


def access_event_get(*, user, pk) -> AccessEvent:
    """One entry, or 404 when it is not the viewer's to read."""
    return get_object_or_404(access_events_for(user=user), pk=pk)


def person_label(user) -> str:
    """A person as the log shows them: 氏名（職員番号）, else the account's log-in name."""
    if user is None:
        return ""
    staff = getattr(user, "staff_profile", None)
    if staff is not None:
        return f"{staff.name}（{staff.staff_number}）"
    return user.get_username()


def staff_number_of(user) -> str:
    staff = getattr(user, "staff_profile", None) if user is not None else None
    return staff.staff_number if staff is not None else ""


@dataclass
class LoginMethods:
    municipality: Municipality
    policy: LoginPolicy
    directory: DirectoryConfig | None
    sso_providers: list[SsoProvider] = field(default_factory=list)

    @property
    def password(self) -> bool:
        return self.policy.password_allowed

    @property
    def any(self) -> bool:
        return bool(self.password or self.directory or self.sso_providers)


def municipality_by_code(code: str | None) -> Municipality | None:
    if not code or not isinstance(code, str) or len(code) > 6:
        return None
    return Municipality.objects.filter(code=code).first()


def login_methods(municipality: Municipality) -> LoginMethods:
    """The municipality's methods: staff number + password where its policy allows it, its
    enabled directory, its enabled single-sign-on providers."""
    return LoginMethods(
        municipality=municipality,
        policy=LoginPolicy.for_municipality(municipality.pk),
        directory=DirectoryConfig.objects.filter(municipality=municipality, enabled=True).first(),
        sso_providers=list(SsoProvider.objects.filter(municipality=municipality, enabled=True).order_by("label")),
    )


def staff_for_login_admin(*, user) -> QuerySet[StaffMember]:
    """Whose log-in (sessions, second factor) a viewer manages: HR their municipality's staff, the
    platform admin everyone's, anyone else nobody's."""
    viewer = scoping.viewer_of(user)
    queryset = StaffMember.objects.select_related("user", "department", "municipality")
    if viewer.platform_admin:
        return queryset.order_by("municipality__code", "staff_number")
    if not viewer.is_hr:
        return queryset.none()
    # A platform admin's log-in is the platform's business, even with a staff record in a city.
    queryset = queryset.exclude(user__is_superuser=True)
    return scoping.within_municipality(queryset, user).order_by("municipality__code", "staff_number")


def staff_for_login_admin_get(*, user, pk) -> StaffMember:
    return get_object_or_404(staff_for_login_admin(user=user), pk=pk)
