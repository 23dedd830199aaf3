"""Reads of the identity app."""

from __future__ import annotations

from dataclasses import dataclass

from people.models import StaffMember

from .models import SsoProvider


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
