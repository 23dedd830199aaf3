"""people.services against the real database: department paths and subtrees, staff creation."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from people import services
from people.models import Department, StaffMember, User
from people.services import PeopleError
from tests.factories import PASSWORD, DepartmentFactory, MunicipalityFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def _counts():
    return (User.objects.count(), StaffMember.objects.count(), EmailAddress.objects.count(), Department.objects.count())


class TestDepartmentCreate:
    def test_paths_follow_the_tree(self, ashiya):
        bu = services.department_create(municipality=ashiya, code="1000", name="企画部")
        ka = services.department_create(municipality=ashiya, code="1100", name="市長公室", parent=bu)
        kakari = services.department_create(municipality=ashiya, code="1110", name="広報係", parent=ka)

        assert (bu.path, bu.depth) == (f"/{bu.pk}/", 1)
        assert (ka.path, ka.depth) == (f"/{bu.pk}/{ka.pk}/", 2)
        assert (kakari.path, kakari.depth) == (f"/{bu.pk}/{ka.pk}/{kakari.pk}/", 3)
        kakari.refresh_from_db()
        assert kakari.path == f"/{bu.pk}/{ka.pk}/{kakari.pk}/"

    def test_subtree_is_the_department_and_everything_below_it_only(self, ashiya, sukagawa):
        bu = services.department_create(municipality=ashiya, code="3000", name="こども福祉部")
        ka = services.department_create(municipality=ashiya, code="3100", name="子育て推進課", parent=bu)
        kakari = services.department_create(municipality=ashiya, code="3110", name="保育係", parent=ka)
        sibling = services.department_create(municipality=ashiya, code="3200", name="福祉センター", parent=bu)
        other_bu = services.department_create(municipality=ashiya, code="4000", name="都市建設部")
        # Ten more top-level departments, so ids share prefixes ("/3/" vs "/31/") somewhere.
        for i in range(10):
            services.department_create(municipality=ashiya, code=f"9{i:03d}", name=f"部{i}")
        elsewhere = services.department_create(municipality=sukagawa, code="3000", name="こども部")

        assert set(Department.objects.subtree_of(bu)) == {bu, ka, kakari, sibling}
        assert set(Department.objects.subtree_of(ka)) == {ka, kakari}
        assert set(Department.objects.subtree_of(kakari)) == {kakari}
        assert other_bu not in Department.objects.subtree_of(bu)
        assert elsewhere not in Department.objects.subtree_of(bu)

    def test_parent_of_another_municipality_is_refused_and_nothing_written(self, ashiya, sukagawa):
        parent = services.department_create(municipality=sukagawa, code="1000", name="総務部")
        before = Department.objects.count()

        with pytest.raises(PeopleError, match="上位所属が別の自治体に属しています"):
            services.department_create(municipality=ashiya, code="1100", name="人事課", parent=parent)

        assert Department.objects.count() == before

    def test_same_code_in_another_municipality_is_allowed(self, ashiya, sukagawa):
        services.department_create(municipality=ashiya, code="1000", name="企画部")
        services.department_create(municipality=sukagawa, code="1000", name="企画政策部")
        assert Department.objects.filter(code="1000").count() == 2

    def test_duplicate_code_is_refused_in_japanese_and_nothing_written(self, ashiya):
        services.department_create(municipality=ashiya, code="1000", name="企画部")
        before = Department.objects.count()

        with pytest.raises(PeopleError, match="所属コード を持った 所属 が既に存在します"):
            services.department_create(municipality=ashiya, code="1000", name="別の部")

        assert Department.objects.count() == before


class TestStaffCreate:
    def _create(self, municipality, department, **kwargs):
        values = {
            "municipality": municipality,
            "staff_number": "000123",
            "name": "芦田 花子",
            "kana": "アシダ ハナコ",
            "department": department,
            "start_date": datetime.date(2024, 4, 1),
            "password": PASSWORD,
        }
        values.update(kwargs)
        return services.staff_create(**values)

    def test_creates_staff_and_a_user_who_can_log_in_by_staff_number(self, ashiya):
        department = DepartmentFactory(municipality=ashiya)
        staff = self._create(ashiya, department, employment_type=StaffMember.EmploymentType.FISCAL_YEAR)

        assert staff.user.username == "282065-000123"
        assert staff.employment_type == "fiscal_year"
        assert staff.role == StaffMember.Role.EMPLOYEE
        assert authenticate(username="282065-000123", password=PASSWORD) == staff.user
        assert not EmailAddress.objects.filter(user=staff.user).exists()

    def test_with_email_the_address_is_stored_lower_case_and_verified(self, ashiya):
        staff = self._create(ashiya, DepartmentFactory(municipality=ashiya), email="Hanako@Ashiya.Example.JP")

        address = EmailAddress.objects.get(user=staff.user)
        assert (address.email, address.primary, address.verified) == ("hanako@ashiya.example.jp", True, True)
        assert staff.user.email == "hanako@ashiya.example.jp"

    def test_without_password_the_account_cannot_log_in(self, ashiya):
        staff = self._create(ashiya, DepartmentFactory(municipality=ashiya), password=None)
        assert not staff.user.has_usable_password()

    def test_duplicate_staff_number_is_refused_in_japanese_and_nothing_written(self, ashiya):
        department = DepartmentFactory(municipality=ashiya)
        self._create(ashiya, department, email="first@ashiya.example.jp")
        before = _counts()

        with pytest.raises(PeopleError) as excinfo:
            self._create(ashiya, department, name="別の 人", email="second@ashiya.example.jp")

        assert str(excinfo.value) == "職員番号 000123 は既に登録されています。"
        assert _counts() == before
        assert not User.objects.filter(email="second@ashiya.example.jp").exists()

    def test_duplicate_staff_number_differing_only_in_case_is_refused(self, ashiya):
        department = DepartmentFactory(municipality=ashiya)
        self._create(ashiya, department, staff_number="A-100")
        before = _counts()

        with pytest.raises(PeopleError, match="既に登録されています"):
            self._create(ashiya, department, staff_number="a-100")

        assert _counts() == before

    def test_same_staff_number_in_another_municipality_is_another_person(self, ashiya, sukagawa):
        self._create(ashiya, DepartmentFactory(municipality=ashiya))
        other = self._create(sukagawa, DepartmentFactory(municipality=sukagawa))
        assert other.user.username == "072079-000123"
        assert StaffMember.objects.filter(staff_number="000123").count() == 2

    def test_department_of_another_municipality_is_refused(self, ashiya, sukagawa):
        department = DepartmentFactory(municipality=sukagawa)
        before = _counts()
        with pytest.raises(PeopleError, match="所属が別の自治体に属しています"):
            self._create(ashiya, department)
        assert _counts() == before

    def test_malformed_staff_number_is_refused_in_japanese_and_the_user_is_rolled_back(self, ashiya):
        department = DepartmentFactory(municipality=ashiya)
        before = _counts()

        with pytest.raises(PeopleError, match="職員番号は半角英数字とハイフン"):
            self._create(ashiya, department, staff_number="職員１２３")

        assert _counts() == before

    def test_email_already_used_by_someone_else_is_refused_in_japanese(self, ashiya):
        department = DepartmentFactory(municipality=ashiya)
        self._create(ashiya, department, email="shared@ashiya.example.jp")
        before = _counts()

        with pytest.raises(PeopleError, match="メールアドレス"):
            self._create(ashiya, department, staff_number="000999", email="SHARED@ashiya.example.jp")

        assert _counts() == before

    def test_a_department_head_must_be_active(self, ashiya):
        staff = StaffMemberFactory(municipality=ashiya, role=StaffMember.Role.DEPARTMENT_HEAD)
        staff.is_active = False
        with pytest.raises(IntegrityError), transaction.atomic():
            staff.save()
        staff.refresh_from_db()
        assert staff.is_active


def test_municipality_get_or_create_is_repeatable(db):
    first = services.municipality_get_or_create(code="282065", name="芦屋市", slug="ashiya")
    second = services.municipality_get_or_create(code="282065", name="芦屋市", slug="ashiya")
    assert first.pk == second.pk
    assert MunicipalityFactory._meta.model.objects.filter(code="282065").count() == 1
