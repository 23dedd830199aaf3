"""HR's cycle form at 1280 px (issue 16, decision 0043): native date pickers, the department tree
(部 › 課 › 係, indented, with codes, one checkbox each, a 部 taking its children), and the cycle's
detail page showing its audience. HR of the other municipality sees none of it."""

from __future__ import annotations

import re

import pytest

from tests.factories import TrainingCycleFactory
from tests.helpers import squeeze, visible_text
from training.models import Assignment, TrainingCycle

from .conftest import CLOSES, DUE, FY, OPENS, person

pytestmark = pytest.mark.django_db

ADD = "/admin/training_cycles/new/"


def inspect_url(cycle) -> str:
    return f"/admin/training_cycles/inspect/{cycle.pk}/"


@pytest.fixture
def s_hr(sukagawa, tree):
    return person(sukagawa, tree["s_somu"], "500009", name="須賀 人事", role="hr")


def test_the_form_has_date_pickers_and_the_department_tree(client, people_ready, tree, guideline):
    client.force_login(people_ready["hr"].user)
    page = client.get(ADD).content.decode()

    for name in ("opens_on", "due_on", "closes_on"):
        assert re.search(rf'<input type="date" name="{name}"', page), name
    # One checkbox per department, in tree order, indented by depth, with codes.
    boxes = re.findall(
        r'department-tree__item--depth-(\d)"><label for="[^"]+"><input type="checkbox" name="departments" '
        r'value="(\d+)"[^>]*data-path="([^"]+)"[^>]*>\s*([^<]+)</label>',
        page,
    )
    assert [(depth, label.strip()) for depth, _pk, _path, label in boxes] == [
        ("1", "企画部（1000）"),
        ("2", "広報課（1100）"),
        ("3", "広報係（1110）"),
        ("1", "総務部（2000）"),
        ("2", "人事課（2100）"),
    ]
    assert "training/admin/department_tree.js" in page and "<script>" not in page.split("department-tree")[1][:2000]
    assert "須賀川" not in page


def test_ticking_a_bu_alone_assigns_its_children(client, people_ready, tree, guideline):
    """Without the script only the 部's own box is ticked: the server still takes the whole 部."""
    client.force_login(people_ready["hr"].user)
    data = {
        "guideline": guideline.pk,
        "fiscal_year": FY,
        "opens_on": OPENS.isoformat(),
        "due_on": DUE.isoformat(),
        "closes_on": CLOSES.isoformat(),
        "new_hire_due_days": 30,
        "departments": [tree["kikaku"].pk],
    }
    assert client.post(ADD, data).status_code == 302
    cycle = TrainingCycle.objects.get()
    numbers = set(Assignment.objects.filter(cycle=cycle).values_list("staff__staff_number", flat=True))
    # 企画部 and everything under it (広報課, 広報係); not 総務部 or 人事課; the elected mayor never.
    assert numbers == {"100001", "110001", "110002", "110003", "111001", "111002"}


def test_the_other_municipalitys_hr_sees_none_of_these_departments(client, people_ready, tree, s_hr, guideline):
    client.force_login(s_hr.user)
    page = client.get(ADD).content.decode()
    assert "総務部（2000）" in page
    for name in ("企画部", "広報課", "広報係", "人事課"):
        assert name not in page, name


def test_the_detail_page_shows_the_audience(client, people_ready, tree, guideline):
    cycle = TrainingCycleFactory(guideline=guideline, departments=[tree["koho"]], employment_types=["regular"])
    client.force_login(people_ready["hr"].user)
    response = client.get(inspect_url(cycle))
    assert response.status_code == 200
    text = squeeze(visible_text(response.content.decode()))
    assert "企画部›広報課（1100）とその下の所属" in text
    assert "一般職" in text and "会計年度任用職員" not in text
    assigned = Assignment.objects.filter(cycle=cycle, withdrawn_at__isnull=True).count()
    assert assigned == 4
    assert "対象者数4人" in text
    assert "2026年6月30日" in text


def test_the_detail_page_of_a_cycle_for_everyone_says_so(client, people_ready, tree, guideline):
    cycle = TrainingCycleFactory(guideline=guideline)
    client.force_login(people_ready["hr"].user)
    text = squeeze(visible_text(client.get(inspect_url(cycle)).content.decode()))
    assert "全所属" in text and "全任用形態（公選職を除く）" in text
    assert "対象者数8人" in text


def test_the_edit_page_links_to_the_detail_page(client, people_ready, guideline):
    cycle = TrainingCycleFactory(guideline=guideline)
    client.force_login(people_ready["hr"].user)
    page = client.get(f"/admin/training_cycles/edit/{cycle.pk}/").content.decode()
    assert inspect_url(cycle) in page
    assert 'type="date" name="due_on"' in page


def test_the_other_municipalitys_hr_gets_404_on_the_detail_page(client, people_ready, tree, s_hr, guideline):
    cycle = TrainingCycleFactory(guideline=guideline, departments=[tree["koho"]])
    client.force_login(s_hr.user)
    assert client.get(inspect_url(cycle)).status_code == 404
    client.force_login(people_ready["koho_head"].user)
    assert client.get(inspect_url(cycle)).status_code in (302, 403, 404)
