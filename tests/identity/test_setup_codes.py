"""First-access codes (identity.services): issued by HR of the person's municipality, stored only
as a hash, single use, expiring, re-issuable; the admin action that prints the letters."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from identity import services
from identity.models import AccessEvent, LoginPolicy, SetupCode
from identity.setup_codes import ALPHABET, setup_code_hash, setup_code_normalize
from people.models import StaffMember
from sns_training.fiscal_year import wareki_date
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kaori-no-pass-2026"
CODE_RE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


def issue(hr, *staff):
    return services.setup_codes_issue(
        issued_by=hr.user, staff_qs=StaffMember.objects.filter(pk__in=[s.pk for s in staff])
    )


def redeem(staff, code, *, municipality=None, password=NEW_PASSWORD):
    return services.setup_code_redeem(
        municipality=municipality or staff.municipality, staff_number=staff.staff_number, code=code, password=password
    )


def refusal_reasons():
    return list(
        AccessEvent.objects.filter(kind=AccessEvent.Kind.SETUP_CODE_REFUSED)
        .order_by("pk")
        .values_list("detail__reason", flat=True)
    )


# --- issue -------------------------------------------------------------------------------------------


def test_issue_makes_a_typeable_code_that_expires_after_the_policy_days_and_logs_it(hr, kaori):
    LoginPolicy.objects.create(municipality=kaori.municipality, setup_code_valid_days=7)
    [issued] = issue(hr, kaori)

    assert CODE_RE.fullmatch(issued.code)
    assert issued.staff == kaori
    last_day = timezone.localtime(issued.expires_at - datetime.timedelta(microseconds=1)).date()
    assert last_day == timezone.localdate() + datetime.timedelta(days=7)
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.SETUP_CODE_ISSUED)
    assert (event.actor, event.subject, event.municipality_id) == (hr.user, kaori.user, kaori.municipality_id)


def test_the_hash_is_stored_never_the_code(hr, kaori):
    [issued] = issue(hr, kaori)
    row = SetupCode.objects.get(staff=kaori)
    plain = issued.code.replace("-", "")
    assert row.code_hash == setup_code_hash(issued.code)
    assert len(row.code_hash) == 64
    for field in SetupCode._meta.concrete_fields:
        value = str(getattr(row, field.attname))
        assert plain not in value.replace("-", "") and issued.code not in value


def test_codes_are_random(hr, kaori, jun):
    codes = {i.code for _ in range(5) for i in issue(hr, kaori, jun)}
    assert len(codes) == 10


def test_typed_codes_are_normalised_full_width_lower_case_without_hyphens():
    assert setup_code_normalize("acde fg34 hjk7") == "ACDEFG34HJK7"
    assert setup_code_normalize("ＡＣＤＥ－ＦＧ３４－ＨＪＫ７") == "ACDEFG34HJK7"
    assert setup_code_normalize("ACDE-FG34-HJK") == ""  # too short
    assert setup_code_normalize("ACDE-FG34-HJK0") == ""  # 0 is not in the alphabet


def test_re_issue_kills_the_old_code(hr, kaori):
    [old] = issue(hr, kaori)
    [new] = issue(hr, kaori)
    assert SetupCode.objects.filter(staff=kaori).count() == 2
    assert SetupCode.objects.live().get(staff=kaori).code_hash == setup_code_hash(new.code)

    with pytest.raises(services.SetupCodeError):
        redeem(kaori, old.code)
    assert refusal_reasons() == ["revoked"]
    redeem(kaori, new.code)
    kaori.user.refresh_from_db()
    assert kaori.user.check_password(NEW_PASSWORD)


def test_department_wide_issue_covers_the_subtree_and_only_the_issuers_municipality(tree, hr, kaori, jun, s_kaori):
    koho = tree["koho"]
    in_department = StaffMember.objects.filter(department__path__startswith=koho.path)
    issued = services.setup_codes_issue(issued_by=hr.user, staff_qs=in_department)
    assert {i.staff for i in issued} == {kaori, jun}

    # A selection that reaches into another municipality issues nothing at all.
    with pytest.raises(services.SetupCodeError):
        issue(hr, kaori, s_kaori)
    assert not SetupCode.objects.filter(staff=s_kaori).exists()
    assert SetupCode.objects.filter(staff=kaori).count() == 1  # the refused call revoked nothing


def test_employee_and_department_head_may_not_issue(tree, kaori, jun):
    head = StaffMemberFactory(
        municipality=tree["koho"].municipality, department=tree["koho"], role="department_head", staff_number="000800"
    )
    for person in (jun, head):
        with pytest.raises(services.SetupCodeError):
            issue(person, kaori)
    assert not SetupCode.objects.exists()
    assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.SETUP_CODE_ISSUED).exists()


def test_leavers_get_no_code(hr, kaori, jun):
    StaffMember.objects.filter(pk=jun.pk).update(is_active=False)
    issued = issue(hr, kaori, jun)
    assert [i.staff for i in issued] == [kaori]


# --- redeem ------------------------------------------------------------------------------------------


def test_redeem_sets_the_password_uses_the_code_and_logs_it(hr, kaori):
    assert not kaori.user.has_usable_password()
    [issued] = issue(hr, kaori)
    user = redeem(kaori, issued.code.lower().replace("-", " "))

    assert user == kaori.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    row = SetupCode.objects.get(staff=kaori)
    assert row.used_at is not None
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.SETUP_CODE_USED)
    assert (event.subject, event.method, event.municipality_id) == (kaori.user, "setup_code", kaori.municipality_id)


def test_a_used_code_is_refused_the_second_time(hr, kaori):
    [issued] = issue(hr, kaori)
    redeem(kaori, issued.code)
    with pytest.raises(services.SetupCodeError) as refused:
        redeem(kaori, issued.code, password="another-pass-2026")
    assert str(refused.value) == str(services.SETUP_CODE_GENERIC_ERROR)
    kaori.user.refresh_from_db()
    assert kaori.user.check_password(NEW_PASSWORD)
    assert refusal_reasons() == ["used"]


def test_an_expired_code_is_refused_and_changes_nothing(hr, kaori):
    [issued] = issue(hr, kaori)
    SetupCode.objects.filter(staff=kaori).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(services.SetupCodeError) as refused:
        redeem(kaori, issued.code)
    assert str(refused.value) == str(services.SETUP_CODE_GENERIC_ERROR)
    kaori.user.refresh_from_db()
    assert not kaori.user.has_usable_password()
    assert SetupCode.objects.get(staff=kaori).used_at is None
    assert refusal_reasons() == ["expired"]


def test_a_wrong_code_is_refused(hr, kaori):
    issue(hr, kaori)
    for wrong in ("ACDE-FG34-HJK7", "not a code", ""):
        with pytest.raises(services.SetupCodeError) as refused:
            redeem(kaori, wrong)
        assert str(refused.value) == str(services.SETUP_CODE_GENERIC_ERROR)
    kaori.user.refresh_from_db()
    assert not kaori.user.has_usable_password()
    assert refusal_reasons() == ["wrong_code"] * 3


def test_another_municipalitys_code_is_refused_with_the_same_message(hr, s_hr, kaori, s_kaori):
    [s_issued] = issue(s_hr, s_kaori)
    # 芦屋市 + 000501 with the code 須賀川市 gave its own 000501.
    with pytest.raises(services.SetupCodeError) as refused:
        redeem(kaori, s_issued.code)
    assert str(refused.value) == str(services.SETUP_CODE_GENERIC_ERROR)
    kaori.user.refresh_from_db()
    s_kaori.user.refresh_from_db()
    assert not kaori.user.has_usable_password() and not s_kaori.user.has_usable_password()
    assert SetupCode.objects.get(staff=s_kaori).used_at is None
    assert refusal_reasons() == ["other_municipality"]
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.SETUP_CODE_REFUSED)
    assert event.municipality_id == kaori.municipality_id and event.username == "282065-000501"


def test_someone_elses_code_and_an_unknown_number_are_refused(hr, kaori, jun):
    [issued] = issue(hr, kaori)
    with pytest.raises(services.SetupCodeError):
        redeem(jun, issued.code)
    with pytest.raises(services.SetupCodeError):
        services.setup_code_redeem(
            municipality=kaori.municipality, staff_number="999999", code=issued.code, password=NEW_PASSWORD
        )
    assert refusal_reasons() == ["other_staff", "unknown_staff"]
    assert SetupCode.objects.get(staff=kaori).used_at is None


def test_a_weak_password_is_refused_by_the_validators_and_the_code_stays_usable(hr, kaori):
    [issued] = issue(hr, kaori)
    with pytest.raises(services.SetupCodeError) as refused:
        redeem(kaori, issued.code, password="12345678")
    assert refused.value.field == "password"
    assert any("短すぎ" in m or "10" in m for m in refused.value.messages), refused.value.messages
    assert SetupCode.objects.get(staff=kaori).used_at is None
    redeem(kaori, issued.code)


def test_a_leaver_cannot_redeem(hr, kaori):
    [issued] = issue(hr, kaori)
    StaffMember.objects.filter(pk=kaori.pk).update(is_active=False)
    with pytest.raises(services.SetupCodeError):
        redeem(kaori, issued.code)
    assert refusal_reasons() == ["inactive"]


# --- the admin action --------------------------------------------------------------------------------

INDEX = "/admin/setup-letters/"
CONFIRM = "/admin/setup-letters/confirm/"
ISSUE = "/admin/setup-letters/issue/"


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def pdf_pages(response) -> list[str]:
    assert response["Content-Type"] == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def test_hr_issues_letters_for_a_department_and_gets_one_page_a_person(tree, hr, kaori, jun, s_kaori):
    client = client_for(hr)
    listing = client.get(INDEX, {"department": tree["koho"].pk})
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "芦田 かおり" in page and "芦川 純" in page and "須賀 かおり" not in page

    confirm = client.get(CONFIRM, {"department": tree["koho"].pk})
    assert confirm.status_code == 200
    assert "以前発行した設定コードは、発行した時点で使えなくなります" in confirm.content.decode()
    assert not SetupCode.objects.exists()  # the confirmation issues nothing

    response = client.post(ISSUE, {"department": tree["koho"].pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    pages = pdf_pages(response)
    assert len(pages) == 2
    for text, staff in zip(pages, [kaori, jun], strict=True):
        flat = re.sub(r"\s+", "", text)
        assert staff.name.replace(" ", "") in flat and staff.staff_number in flat and "芦屋市" in flat
        assert "初回ログインのご案内" in flat
        last_day = timezone.localdate() + datetime.timedelta(days=14)  # the default validity
        assert f"{wareki_date(last_day)}（{last_day.year}年{last_day.month}月{last_day.day}日）まで" in flat
        assert "/accounts/setup/" in flat and "/accounts/login/" in flat
        [code] = CODE_RE.findall(flat)
        # The code printed works, once, for that person.
        redeem(staff, code)
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.SETUP_CODE_ISSUED).count() == 2


def test_the_letter_addresses_carry_municipality_and_number_but_not_the_code(hr, kaori):
    from identity.letters import letters_html, qr_svg, setup_url

    [issued] = issue(hr, kaori)
    html = letters_html([issued], font_url="file:///font.ttc")
    url = setup_url(municipality_code="282065", staff_number="000501")
    assert url.endswith("/accounts/setup/?municipality=282065&staff_number=000501")
    assert qr_svg(url) in html  # the QR code is of that address, with no code in it
    assert html.count(issued.code) == 1  # printed once, in the table
    assert setup_url() + "</td>" in html  # the address to type


def test_hr_of_another_municipality_gets_404_and_nothing_is_issued(tree, s_hr, kaori):
    client = client_for(s_hr)
    assert client.get(CONFIRM, {"staff": kaori.pk}).status_code == 404
    assert client.get(INDEX, {"department": tree["koho"].pk}).status_code == 404
    assert client.post(ISSUE, {"staff": kaori.pk}).status_code == 404
    assert client.post(ISSUE, {"department": tree["koho"].pk}).status_code == 404
    assert not SetupCode.objects.exists()
    # Their own list does not show 芦屋市's staff.
    assert "芦田 かおり" not in client.get(INDEX).content.decode()


def test_employee_is_refused_the_admin_action(tree, hr, kaori, jun):
    client = client_for(jun)
    assert client.get(INDEX).status_code in (302, 403)
    assert client.post(ISSUE, {"staff": jun.pk}).status_code in (302, 403)  # even for themselves
    assert client.post(ISSUE, {"staff": kaori.pk}).status_code == 403  # the admin is not theirs at all
    assert not SetupCode.objects.exists()


def test_issue_needs_post_and_csrf(hr, kaori):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr.user)
    assert client.get(ISSUE, {"staff": kaori.pk}).status_code == 405
    assert client.post(ISSUE, {"staff": kaori.pk}).status_code == 403
    assert not SetupCode.objects.exists()


def test_the_confirmation_warns_when_a_person_holds_a_live_code(hr, kaori):
    issue(hr, kaori)
    response = client_for(hr).get(CONFIRM, {"staff": kaori.pk})
    assert "有効なコードを持っています" in response.content.decode()


def test_hr_cannot_issue_a_code_for_a_privileged_account_but_the_platform_admin_can(tree, hr, kaori):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    colleague = StaffMemberFactory(
        municipality=hr.municipality, department=tree["jinji"], role="hr", staff_number="000901"
    )
    editor = StaffMemberFactory(municipality=hr.municipality, department=tree["koho"], staff_number="000902")
    editor.user.groups.add(Group.objects.get_or_create(name="芦屋市 編集者")[0])

    # In a batch they are left out; alone, nothing is issued.
    issued = issue(hr, kaori, colleague, editor)
    assert [i.staff for i in issued] == [kaori]
    for person in (colleague, editor, hr):
        with pytest.raises(services.SetupCodeError):
            issue(hr, person)
    assert not SetupCode.objects.filter(staff__in=[colleague, editor, hr]).exists()
    confirm = client_for(hr).get(CONFIRM, {"staff": [kaori.pk, colleague.pk]}).content.decode()
    assert "管理権限があるため発行しません" in confirm and "000901" in confirm

    admin = UserFactory(is_superuser=True, is_staff=True)
    [by_admin] = services.setup_codes_issue(issued_by=admin, staff_qs=StaffMember.objects.filter(pk=colleague.pk))
    assert by_admin.staff == colleague


def test_the_confirmation_costs_the_same_queries_for_two_people_or_six(tree, hr):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(hr)
    people = [
        StaffMemberFactory(municipality=hr.municipality, department=tree["koho"], staff_number=f"0006{i:02d}", email="")
        for i in range(6)
    ]
    client.get(CONFIRM, {"staff": people[0].pk})  # warm the session and Wagtail's caches
    counts = []
    for group in (people[:2], people):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CONFIRM, {"staff": [p.pk for p in group]}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_no_letters_where_the_municipality_does_not_log_in_by_password(hr, kaori):
    [issued] = issue(hr, kaori)
    LoginPolicy.objects.create(municipality=kaori.municipality, password_allowed=False)
    with pytest.raises(services.SetupCodeError):
        issue(hr, kaori)
    with pytest.raises(services.SetupCodeError):
        redeem(kaori, issued.code)
    assert refusal_reasons() == ["password_not_allowed"]
    # Where the password is the fallback when the directory is down, it is set up as usual.
    LoginPolicy.objects.filter(municipality=kaori.municipality).update(password_when_directory_down=True)
    redeem(kaori, issued.code)


def test_the_personnel_record_offers_the_letter_for_that_person(hr, kaori):
    from django.urls import reverse

    page = client_for(hr).get(reverse("hr_reports:personnel", kwargs={"pk": kaori.pk})).content.decode()
    assert f'href="{CONFIRM}?staff={kaori.pk}"' in page


def test_a_spent_code_is_refused_before_the_password_is_looked_at(hr, kaori):
    [issued] = issue(hr, kaori)
    redeem(kaori, issued.code)
    with pytest.raises(services.SetupCodeError) as refused:
        redeem(kaori, issued.code, password="123")
    assert refused.value.field is None and str(refused.value) == str(services.SETUP_CODE_GENERIC_ERROR)
