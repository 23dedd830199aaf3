"""Platform-level writes that span the apps: onboarding a municipality (decision 0038).

`municipality_onboard` is the one way a municipality comes into being with everything it needs:
`load_demo` calls it for the demo cities, the Wagtail admin's 自治体の追加 (sns_training/
onboarding_views.py) for a new one. It sits here, not in people/, because it builds pages
(courses) and log-in settings and letters (identity), which people/ may not import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from courses import services as course_services
from courses.models import GuidelinePage
from identity import services as identity_services
from identity.models import LoginPolicy
from people import services as people_services
from people.models import Municipality, StaffMember

ONBOARDED_ACTION = "sns_training.municipality_onboarded"
CODE_RE = re.compile(r"^[0-9]{6}$")


class OnboardingError(Exception):
    """Onboarding refused; `errors` are the Japanese messages to show. Nothing has been written."""

    def __init__(self, errors: list[str]):
        self.errors = [str(e) for e in errors]
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class FirstHR:
    """The municipality's first HR person and the department they sit in (created with them)."""

    staff_number: str
    name: str
    department_code: str
    department_name: str
    kana: str = ""
    email: str = ""


@dataclass
class Onboarded:
    municipality: Municipality
    guideline: GuidelinePage
    editors: object
    approvers: object
    policy: LoginPolicy
    hr: StaffMember | None
    letter: identity_services.IssuedSetupCode | None  # the only moment the plain code exists


def _checks(*, code: str, name: str, slug: str, guideline_data, guideline_source: str, guideline_title: str) -> list:
    errors = []
    if not CODE_RE.match(code or ""):
        errors.append(_("団体コードは6桁の数字で入力してください。"))
    if not (name or "").strip():
        errors.append(_("自治体名を入力してください。"))
    elif len(name) > 50:
        errors.append(_("自治体名は50文字以内で入力してください。"))
    if not slug or slugify(slug) != slug or len(slug) > 50:
        errors.append(_("スラッグは半角英小文字・数字・ハイフンで入力してください。"))
    if code and Municipality.objects.filter(code=code).exists():
        errors.append(_("団体コード %(code)s の自治体は既に登録されています。") % {"code": code})
    if name and Municipality.objects.filter(name=name).exists():
        errors.append(_("自治体名「%(name)s」は既に登録されています。") % {"name": name})
    if slug and Municipality.objects.filter(slug=slug).exists():
        errors.append(_("スラッグ「%(slug)s」は既に使われています。") % {"slug": slug})
    if guideline_data is not None:
        # Exactly the validation import_guidelines applies (courses/services.py).
        errors += course_services.guideline_fixture_validate(guideline_data, source=guideline_source)
        fixture_code = (
            (guideline_data.get("municipality") or {}).get("code") if isinstance(guideline_data, dict) else None
        )
        if fixture_code and code and fixture_code != code:
            errors.append(
                _("%(source)s: ファイルの団体コード（%(fixture)s）が入力した団体コード（%(code)s）と一致しません。")
                % {"source": guideline_source, "fixture": fixture_code, "code": code}
            )
    elif not (guideline_title or "").strip():
        errors.append(_("ガイドラインのファイルを選ばない場合は、ガイドラインの名称を入力してください。"))
    return errors


def _empty_guideline(*, municipality: Municipality, title: str, issuer: str, user) -> GuidelinePage:
    """The municipality's section of the site: a published guideline page without chapters, which
    its editors fill through the approval workflow."""
    home = course_services.site_root_ensure()
    base = f"{municipality.slug}-sns-guideline"
    if home.get_children().filter(slug=base).exists():
        raise OnboardingError([_("スラッグ「%(slug)s」のページは既にあります。") % {"slug": base}])
    guideline = GuidelinePage(
        slug=base,
        title=title,
        municipality=municipality,
        official_title=title,
        issuer=issuer or _("（未設定）"),
        version_label=_("第1版"),
        source=municipality.name,
    )
    home.add_child(instance=guideline)
    course_services._publish(guideline, user=user)
    return guideline


@transaction.atomic
def municipality_onboard(
    *,
    code: str,
    name: str,
    slug: str,
    actor=None,
    guideline_data: dict | None = None,
    guideline_source: str = "fixture",
    guideline_title: str = "",
    guideline_issuer: str = "",
    password_allowed: bool = True,
    no_mailbox_contact: str = "",
    hr: FirstHR | None = None,
    letter: bool = True,
    request=None,
) -> Onboarded:
    """Create a municipality with its guideline page (imported from `guideline_data`, a guideline
    fixture, or empty), its editor and approver groups and approval workflow
    (courses.services.editorial_setup), its log-in policy, and its first HR person with a
    first-access letter (identity.services.setup_codes_issue, issued by `actor`, the platform admin).
    Any problem raises OnboardingError and writes nothing. `hr=None` (load_demo, which brings its own
    roster) skips the HR person and the letter."""
    if actor is not None and not actor.is_superuser:
        raise OnboardingError([_("自治体を追加できるのはシステム管理者だけです。")])
    code, name, slug = (code or "").strip(), (name or "").strip(), (slug or "").strip()
    errors = _checks(
        code=code,
        name=name,
        slug=slug,
        guideline_data=guideline_data,
        guideline_source=guideline_source,
        guideline_title=guideline_title,
    )
    if errors:
        raise OnboardingError(errors)
    try:
        with transaction.atomic():
            return _onboard(
                code=code,
                name=name,
                slug=slug,
                actor=actor,
                guideline_data=guideline_data,
                guideline_source=guideline_source,
                guideline_title=guideline_title.strip(),
                guideline_issuer=guideline_issuer.strip(),
                password_allowed=password_allowed,
                no_mailbox_contact=no_mailbox_contact,
                hr=hr,
                letter=letter,
                request=request,
            )
    except course_services.GuidelineImportError as exc:
        raise OnboardingError(exc.errors) from exc
    except people_services.PeopleError as exc:
        raise OnboardingError([str(exc)]) from exc
    except identity_services.SetupCodeError as exc:
        raise OnboardingError(exc.messages) from exc


def _onboard(*, code, name, slug, actor, guideline_data, guideline_source, guideline_title, guideline_issuer,
             password_allowed, no_mailbox_contact, hr, letter, request) -> Onboarded:  # fmt: skip
    municipality = Municipality.objects.create(code=code, name=name, slug=slug)
    user = actor if getattr(actor, "pk", None) else None
    if guideline_data is not None:
        data = {**guideline_data, "municipality": {"code": code, "name": name, "slug": slug}}
        result = course_services.guideline_import(data=data, source=guideline_source, user=user)
        if not result.created:
            raise OnboardingError(
                [
                    _("%(source)s: スラッグ「%(slug)s」のガイドラインは既にあります。")
                    % {"source": guideline_source, "slug": data["slug"]}
                ]
            )
        guideline = GuidelinePage.objects.get(municipality=municipality, slug=data["slug"])
    else:
        guideline = _empty_guideline(
            municipality=municipality, title=guideline_title, issuer=guideline_issuer, user=user
        )
    editors, approvers = course_services.editorial_setup(guideline=guideline)
    policy = LoginPolicy.objects.create(
        municipality=municipality, password_allowed=password_allowed, no_mailbox_contact=no_mailbox_contact
    )
    staff = issued = None
    if hr is not None:
        department = people_services.department_create(
            municipality=municipality, code=hr.department_code.strip(), name=hr.department_name.strip()
        )
        staff = people_services.staff_create(
            municipality=municipality,
            staff_number=hr.staff_number.strip(),
            name=hr.name.strip(),
            kana=hr.kana.strip(),
            email=hr.email.strip(),
            department=department,
            role=StaffMember.Role.HR,
            start_date=timezone.localdate(),
        )
        if letter and identity_services.passwords_in_use(policy):
            [issued] = identity_services.setup_codes_issue(
                issued_by=actor, staff_qs=StaffMember.objects.filter(pk=staff.pk), request=request
            )
    log(
        instance=municipality,
        action=ONBOARDED_ACTION,
        user=user,
        data={
            "guideline": guideline.pk,
            "imported": guideline_data is not None,
            "hr_staff_number": staff.staff_number if staff else "",
            "letter": issued is not None,
        },
    )
    return Onboarded(
        municipality=municipality,
        guideline=guideline,
        editors=editors,
        approvers=approvers,
        policy=policy,
        hr=staff,
        letter=issued,
    )
