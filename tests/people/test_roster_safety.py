"""Roster safety (issue 15): a new 職員番号 that looks like a registered person (leading zeros
dropped by Excel, or the same 氏名 + カナ under another number) is a 警告 in the dry run and needs
HR's choice to commit; 「この名簿にない職員を退職扱いにする」 (off by default) retires whoever a
full roster leaves out. Services and plan first, then the admin views (decision 0031)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people import roster, services
from people.models import DepartmentMembership, RosterImport, StaffMember
from people.services import PeopleError, RosterPlanChanged
from people.signals import roster_changed
from tests.factories import StaffMemberFactory, roster_csv
from tests.helpers import visible_text

from .test_roster import counts, line, plan, unchanged, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db

INDEX = "/admin/roster-import/"


def upload(world, *lines, retire_missing=False):  # noqa: F811
    return services.roster_import_create(
        municipality=world.ashiya,
        kind="staff",
        file_name="meibo.csv",
        content=roster_csv(*lines),
        user=world.hr.user,
        retire_missing=retire_missing,
    )


def commit(world, imported, choices=None):  # noqa: F811
    return services.roster_import_commit(
        roster_import=imported, plan_digest=imported.plan_digest, user=world.hr.user, choices=choices
    )


# --- the warnings ---------------------------------------------------------------------------


class TestWarnings:
    def test_a_number_with_its_leading_zeros_dropped_is_a_warning_not_a_silent_create(self, world):  # noqa: F811
        result = plan(world, line("101", "芦屋 太郎", "1100"))

        (row,) = result.rows
        assert (row.kind, row.number, row.resembles.number, row.resemblance, row.choice) == (
            "create",
            "101",
            "000101",
            "zeros",
            None,
        )
        assert result.unresolved == [row]
        summary = result.summary()
        (entry,) = summary["resembling"]
        assert entry["other_number"] == "000101" and entry["other_name"] == "芦屋 太郎"
        assert entry["other_department"] == "広報課（1100）"
        assert "先頭の 0 が落ちた" in entry["reason"]
        assert summary["tables"][0]["rows"][0]["note"].startswith("警告：既存の職員（000101）に似ています")
        assert any("警告" in w for w in result.warnings)

    def test_the_same_name_and_kana_under_another_number_is_a_warning(self, world):  # noqa: F811
        # Full-width space and half-width kana as other tools write them: the same person.
        result = plan(world, line("000555", "芦屋\u3000太郎", "2100", kana="ｼｮｸｲﾝ"))

        (row,) = result.rows
        assert (row.resembles.number, row.resemblance) == ("000101", "name")
        assert "氏名とカナ" in result.summary()["resembling"][0]["reason"]

    def test_a_line_with_the_registered_persons_own_address_is_a_warning_not_an_error(self, world):  # noqa: F811
        # Rosters carry the e-mail address: Excel drops the zeros, the address stays that person's.
        email = world.taro.user.email
        assert email
        result = plan(world, line("101", "芦屋 太郎", "2100", email=email))

        assert not result.errors
        (row,) = result.rows
        assert (row.kind, row.resembles.number, row.choice) == ("create", "000101", None)
        assert result.unresolved == [row]

    def test_a_different_person_is_not_flagged(self, world):  # noqa: F811
        result = plan(
            world,
            line("000555", "芦屋 太郎", "2100", kana="アシヤ タロウ"),  # a namesake with another カナ
            line("000556", "新人 一郎", "2100"),
        )
        assert [r.resembles for r in result.rows] == [None, None]
        assert not result.unresolved

    def test_a_person_named_by_their_own_number_in_the_file_is_accounted_for(self, world):  # noqa: F811
        result = plan(world, unchanged(world, "taro"), line("101", "別人 百一", "2100", kana="ベツジン"))
        assert [r.resembles for r in result.rows] == [None, None]

    def test_another_municipality_is_never_resembled(self, world):  # noqa: F811
        result = plan(world, line("0555", "須賀 一郎", "2100"))  # 須賀川市 has 000101 須賀 一郎
        assert result.rows[0].resembles is None


# --- the explicit choice ----------------------------------------------------------------------


class TestChoice:
    def test_commit_is_refused_while_a_warning_is_unresolved_and_writes_nothing(self, world):  # noqa: F811
        imported = upload(world, line("101", "芦屋 太郎", "2100"), line("000201", "新人 一郎", "2100"))
        before = counts()

        with pytest.raises(PeopleError, match="警告のある行が1件あります（2行目）"):
            commit(world, imported)

        assert counts() == before
        assert RosterImport.objects.get(pk=imported.pk).status == RosterImport.Status.DRY_RUN

    def test_a_choice_for_another_person_than_the_one_shown_does_not_resolve(self, world):  # noqa: F811
        imported = upload(world, line("101", "芦屋 太郎", "2100"))
        with pytest.raises(PeopleError, match="警告のある行"):
            commit(world, imported, choices={2: "same:000102"})
        assert StaffMember.objects.get(pk=world.taro.pk).department.code == "1100"

    def test_new_creates_another_person_and_the_choice_is_logged(self, world):  # noqa: F811
        imported = upload(world, line("101", "芦屋 太郎", "2100"))

        commit(world, imported, choices={2: "new"})

        created = StaffMember.objects.get(municipality=world.ashiya, staff_number="101")
        assert created.pk != world.taro.pk and created.department.code == "2100"
        assert StaffMember.objects.get(pk=world.taro.pk).department.code == "1100"
        entry = ModelLogEntry.objects.get(action="people.roster_imported")
        assert entry.data["choices"] == [
            {"line": 2, "number": "101", "resembles": "000101", "reason": "zeros", "choice": "new"}
        ]
        (shown,) = RosterImport.objects.get(pk=imported.pk).summary["resembling"]
        assert shown["choice"] == "new"

    def test_same_applies_the_line_to_the_registered_person_keeping_their_number(self, world):  # noqa: F811
        imported = upload(world, line("101", "芦屋 太郎", "2100"))
        seen = []
        roster_changed.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="safety-same")
        try:
            commit(world, imported, choices={2: "same:000101"})
        finally:
            roster_changed.disconnect(dispatch_uid="safety-same")

        assert not StaffMember.objects.filter(municipality=world.ashiya, staff_number="101").exists()
        taro = StaffMember.objects.get(pk=world.taro.pk)
        assert (taro.staff_number, taro.department.code) == ("000101", "2100")
        assert seen[0]["transferred"] == [taro.pk] and seen[0]["created"] == []

    def test_same_with_the_persons_own_address_commits_and_keeps_it(self, world):  # noqa: F811
        email = world.taro.user.email
        imported = upload(world, line("101", "芦屋 太郎", "2100", email=email))
        assert imported.summary["resembling_count"] == 1

        commit(world, imported, choices={2: "same:000101"})

        taro = StaffMember.objects.select_related("user").get(pk=world.taro.pk)
        assert (taro.staff_number, taro.department.code, taro.user.email) == ("000101", "2100", email)
        assert not StaffMember.objects.filter(municipality=world.ashiya, staff_number="101").exists()

    def test_new_with_the_registered_persons_address_is_an_error(self, world):  # noqa: F811
        # Another person cannot take 000101's address: the choice 「別の人」 brings the conflict back.
        email = world.taro.user.email
        result = roster.staff_plan(
            municipality=world.ashiya,
            content=roster_csv(line("101", "芦屋 太郎", "2100", email=email)),
            user=world.hr.user,
            choices={2: "new"},
        )
        (error,) = result.errors
        assert (error.line, error.key) == (2, "101")
        assert f"メールアドレス {email} は職員番号 000101 の人が使っています" in error.message

    def test_same_for_two_lines_of_one_person_is_refused(self, world):  # noqa: F811
        imported = upload(
            world, line("101", "芦屋 太郎", "2100"), line("000777", "芦屋 太郎", "2100", kana="ショクイン")
        )
        before = counts()
        with pytest.raises(PeopleError, match="2行目でも選んでいます"):
            commit(world, imported, choices={2: "same:000101", 3: "same:000101"})
        assert counts() == before


class TestDigest:
    def test_the_digest_covers_the_choices(self, world):  # noqa: F811
        content = roster_csv(line("101", "芦屋 太郎", "2100"))

        def digest(choices):
            return roster.staff_plan(
                municipality=world.ashiya, content=content, user=world.hr.user, choices=choices
            ).digest

        assert len({digest({}), digest({2: "new"}), digest({2: "same:000101"})}) == 3

    def test_a_resembled_person_changed_since_the_dry_run_is_caught(self, world):  # noqa: F811
        imported = upload(world, line("102", "新人 一郎", "2100", kana="シンジン"))
        assert imported.summary["resembling"][0]["other_number"] == "000102"
        # After the dry run the registered 000102 becomes someone the line no longer resembles…
        StaffMember.objects.filter(pk=world.head.pk).update(staff_number="000199")

        with pytest.raises(RosterPlanChanged):
            commit(world, imported, choices={2: "new"})
        assert not StaffMember.objects.filter(staff_number="102").exists()

    def test_a_warning_that_appears_after_the_dry_run_is_caught(self, world):  # noqa: F811
        imported = upload(world, line("555", "新人 一郎", "2100", kana="シンジン"))
        assert imported.summary["resembling_count"] == 0
        StaffMemberFactory(municipality=world.ashiya, department=world.tree["koho"], staff_number="000555")

        with pytest.raises(RosterPlanChanged):
            commit(world, imported)


# --- retiring staff missing from a full roster -------------------------------------------------


class TestRetireMissing:
    def test_off_by_default_nobody_is_retired(self, world):  # noqa: F811
        imported = services.roster_import_create(
            municipality=world.ashiya,
            kind="staff",
            file_name="meibo.csv",
            content=roster_csv(unchanged(world, "taro")),
            user=world.hr.user,
        )
        assert imported.retire_missing is False
        commit(world, imported)

        assert StaffMember.objects.get(pk=world.head.pk).is_active
        assert StaffMember.objects.filter(municipality=world.ashiya, is_active=True).count() == 3
        assert imported.summary["absent"]["count"] == 2  # listed, not changed

    def test_on_the_missing_are_listed_then_retired_on_the_import_date(self, world):  # noqa: F811
        imported = upload(world, unchanged(world, "taro"), retire_missing=True)

        summary = imported.summary
        assert summary["retire_missing"] is True
        assert summary["counts"]["deactivate"] == 1  # the head; HR themselves are never retired
        (row,) = next(t for t in summary["tables"] if t["kind"] == "deactivate")["rows"]
        assert (row["key"], row["line"], row["note"]) == ("000102", "", "この名簿にないため、退職にします。")
        assert any("ご自身（000900）" in w for w in summary["warnings"])
        assert any("退職にします（取込日付け）" in w for w in summary["warnings"])
        assert StaffMember.objects.get(pk=world.head.pk).is_active  # the dry run wrote nothing

        seen = []
        roster_changed.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="safety-retire")
        try:
            commit(world, imported)
        finally:
            roster_changed.disconnect(dispatch_uid="safety-retire")

        head = StaffMember.objects.select_related("user").get(pk=world.head.pk)
        assert not head.is_active and not head.user.is_active
        assert head.role == StaffMember.Role.EMPLOYEE  # a 所属長 who leaves is demoted (decision 0027)
        membership = DepartmentMembership.objects.filter(staff=head).latest("valid_from")
        assert membership.valid_to == timezone.localdate()
        assert StaffMember.objects.get(pk=world.hr.pk).is_active
        assert StaffMember.objects.get(pk=world.suka.pk).is_active  # another municipality
        assert seen[0]["deactivated"] == [head.pk]
        entry = ModelLogEntry.objects.get(action="people.roster_imported")
        assert entry.data["retired_missing"] == ["000102"]

    def test_a_zero_dropped_line_is_not_silently_a_new_person_and_a_retirement(self, world):  # noqa: F811
        # Excel dropped taro's zeros: without the warning, 000101 would be retired and 101 created.
        imported = upload(world, line("101", "芦屋 太郎", "1100"), retire_missing=True)
        before = counts()
        with pytest.raises(PeopleError, match="警告のある行"):
            commit(world, imported)
        assert counts() == before

        commit(world, imported, choices={2: "same:000101"})
        assert StaffMember.objects.get(pk=world.taro.pk).is_active
        assert not StaffMember.objects.get(pk=world.head.pk).is_active
        assert not StaffMember.objects.filter(staff_number="101").exists()

    def test_the_option_is_for_staff_rosters_only(self, world):  # noqa: F811
        imported = services.roster_import_create(
            municipality=world.ashiya,
            kind="departments",
            file_name="master.csv",
            content="所属コード,名称,上位所属コード\n1100,広報課,1000\n".encode(),
            user=world.hr.user,
            retire_missing=True,
        )
        assert imported.retire_missing is False


# --- the admin views --------------------------------------------------------------------------


def _text(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def test_hr_sees_the_warning_on_the_dry_run_resolves_it_and_commits(client, world):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.hr.user)
    index = client.get(INDEX)
    assert "この名簿にない職員を退職扱いにする" in _text(index)
    content = roster_csv(line("101", "芦屋 太郎", "1100"), unchanged(world, "hr"))
    response = client.post(
        INDEX, {"kind": "staff", "file": SimpleUploadedFile("名簿.csv", content, "text/csv"), "retire_missing": "on"}
    )
    imported = RosterImport.objects.get()
    assert imported.retire_missing
    page = client.get(response["Location"])
    body = _text(page)
    assert "警告：登録済みの職員に似ている行（1件）" in body
    assert "000101 芦屋 太郎" in body and "広報課（1100）" in body
    assert "別人として新規登録する" in body and "既存の職員（000101）の番号の誤りとして扱う" in body
    html = page.content.decode()
    assert 'name="choice-2" value="same:000101"' in html
    digest = re.search(r'name="plan_digest" value="([0-9a-f]{64})"', html)[1]
    commit_url = f"{INDEX}{imported.pk}/commit/"

    refused = client.post(commit_url, {"plan_digest": digest}, follow=True)
    assert "警告のある行が1件あります" in _text(refused)
    assert RosterImport.objects.get().status == RosterImport.Status.DRY_RUN
    assert StaffMember.objects.get(pk=world.head.pk).is_active

    done = client.post(commit_url, {"plan_digest": digest, "choice-2": "same:000101"}, follow=True)
    assert "「名簿.csv」を取り込みました。" in _text(done)
    assert "既存の職員（000101）の番号の誤りとして扱う" in _text(done)  # the choice on the result
    assert not StaffMember.objects.get(pk=world.head.pk).is_active  # missing from the full roster
    assert not StaffMember.objects.filter(staff_number="101").exists()


def test_a_get_on_commit_changes_nothing(client, world):  # noqa: F811
    client.force_login(world.hr.user)
    imported = upload(world, line("101", "芦屋 太郎", "1100"))
    assert client.get(f"{INDEX}{imported.pk}/commit/?choice-2=new").status_code == 405
    assert RosterImport.objects.get().status == RosterImport.Status.DRY_RUN
