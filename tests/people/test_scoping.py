"""Who sees which staff and departments: StaffMember/Department.objects.visible_to and the selectors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from people import selectors
from people.models import Department, StaffMember, User
from tests.factories import MunicipalityFactory, StaffMemberFactory, UserFactory, department_tree

pytestmark = pytest.mark.django_db

Role = StaffMember.Role


@pytest.fixture(scope="module")
def org(module_db):
    """芦屋市: 企画部 › 広報課 › 広報係 and 総務部 › 人事課; 須賀川市: 総務部."""
    ashiya, sukagawa = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    tree = department_tree(ashiya, sukagawa)
    kikaku, koho, koho_kakari = tree["kikaku"], tree["koho"], tree["koho_kakari"]
    somu, jinji, s_somu = tree["somu"], tree["jinji"], tree["s_somu"]

    def staff(key, department, role=Role.EMPLOYEE, municipality=ashiya):
        return StaffMemberFactory(municipality=municipality, department=department, role=role, name=key)

    people = {
        "employee": staff("employee", koho),
        "kakari": staff("kakari", koho_kakari),
        "bucho": staff("bucho", kikaku, Role.DEPARTMENT_HEAD),
        "kacho": staff("kacho", koho, Role.DEPARTMENT_HEAD),
        "somu": staff("somu", somu),
        "hr": staff("hr", jinji, Role.HR),
        "suka": staff("suka", s_somu, municipality=sukagawa),
        "suka_hr": staff("suka_hr", s_somu, Role.HR, municipality=sukagawa),
        "retired_hr": staff("retired_hr", jinji, Role.HR),
    }
    StaffMember.objects.filter(pk=people["retired_hr"].pk).update(is_active=False)
    departments = {
        "kikaku": kikaku,
        "koho": koho,
        "koho_kakari": koho_kakari,
        "somu": somu,
        "jinji": jinji,
        "s_somu": s_somu,
    }
    superuser = UserFactory(is_superuser=True, is_staff=True)
    no_profile = UserFactory()
    return SimpleNamespace(
        people={k: v.pk for k, v in people.items()},
        departments={k: v.pk for k, v in departments.items()},
        superuser=superuser.pk,
        no_profile=no_profile.pk,
    )


def _viewer(org, who):
    if who == "anonymous":
        return AnonymousUser()
    if who == "superuser":
        return User.objects.get(pk=org.superuser)
    if who == "no_profile":
        return User.objects.get(pk=org.no_profile)
    return User.objects.get(staff_profile__pk=org.people[who])


ALL_ASHIYA = {"employee", "kakari", "bucho", "kacho", "somu", "hr", "retired_hr"}
ALL = ALL_ASHIYA | {"suka", "suka_hr"}


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        pytest.param("employee", {"employee"}, id="employee-sees-only-self"),
        pytest.param("kakari", {"kakari"}, id="employee-in-a-kakari-sees-only-self"),
        pytest.param("bucho", {"bucho", "employee", "kakari", "kacho"}, id="bucho-sees-the-whole-bu"),
        pytest.param("kacho", {"kacho", "employee", "kakari"}, id="kacho-sees-ka-and-kakari-not-the-bu"),
        pytest.param("hr", ALL_ASHIYA, id="hr-sees-own-municipality"),
        pytest.param("suka_hr", {"suka", "suka_hr"}, id="other-hr-sees-other-municipality-only"),
        pytest.param("superuser", ALL, id="superuser-sees-all"),
        pytest.param("retired_hr", set(), id="inactive-staff-sees-nothing"),
        pytest.param("no_profile", set(), id="user-without-staff-record-sees-nothing"),
        pytest.param("anonymous", set(), id="anonymous-sees-nothing"),
    ],
)
def test_staff_visible_to(org, viewer, expected):
    names = set(StaffMember.objects.visible_to(_viewer(org, viewer)).values_list("name", flat=True))
    assert names == expected


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        pytest.param("employee", {"koho"}, id="employee-own-department"),
        pytest.param("bucho", {"kikaku", "koho", "koho_kakari"}, id="bucho-subtree"),
        pytest.param("kacho", {"koho", "koho_kakari"}, id="kacho-subtree"),
        pytest.param("hr", {"kikaku", "koho", "koho_kakari", "somu", "jinji"}, id="hr-municipality"),
        pytest.param("superuser", {"kikaku", "koho", "koho_kakari", "somu", "jinji", "s_somu"}, id="superuser"),
        pytest.param("retired_hr", set(), id="inactive"),
        pytest.param("no_profile", set(), id="no-staff-record"),
        pytest.param("anonymous", set(), id="anonymous"),
    ],
)
def test_departments_visible_to(org, viewer, expected):
    pks = set(Department.objects.visible_to(_viewer(org, viewer)).values_list("pk", flat=True))
    assert pks == {org.departments[key] for key in expected}


def test_staff_list_selector_is_scoped_and_ordered_by_department_then_number(org):
    hr = _viewer(org, "hr")
    listed = list(selectors.staff_list(user=hr))
    assert {s.name for s in listed} == ALL_ASHIYA
    keys = [(s.department.code, s.staff_number) for s in listed]
    assert keys == sorted(keys)


@pytest.mark.parametrize("target", ["somu", "suka", "hr"])
def test_staff_get_answers_404_outside_the_viewers_scope(org, target):
    with pytest.raises(Http404):
        selectors.staff_get(user=_viewer(org, "kacho"), pk=org.people[target])


def test_staff_get_returns_someone_in_scope(org):
    member = selectors.staff_get(user=_viewer(org, "bucho"), pk=org.people["kakari"])
    assert member.name == "kakari"


def test_a_transfer_moves_the_person_out_of_the_old_heads_scope(org):
    kacho = _viewer(org, "kacho")
    StaffMember.objects.filter(pk=org.people["kakari"]).update(department_id=org.departments["somu"])
    assert "kakari" not in set(StaffMember.objects.visible_to(kacho).values_list("name", flat=True))
    assert "kakari" in set(StaffMember.objects.visible_to(_viewer(org, "hr")).values_list("name", flat=True))
