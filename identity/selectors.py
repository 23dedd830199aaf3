"""Reads of the identity app: which log-in methods a municipality offers."""

from __future__ import annotations

from dataclasses import dataclass, field

from people.models import Municipality

from .models import DirectoryConfig, LoginPolicy, SsoProvider


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
