"""The 所属長's page of a past cycle names each person's department as it was then (decision 0039):
a rename today does not rewrite last year's list."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from people import services as people_services
from tests.factories import TrainingCycleFactory

from .conftest import this_year_dates

pytestmark = pytest.mark.django_db

CELL = re.compile(r'class="staff-status__department">([^<]*)<')


def test_a_past_cycle_keeps_the_department_names_of_then(client, guideline, chapters, people_ready, tree):
    year, opens, due, closes = this_year_dates()
    past = TrainingCycleFactory(
        guideline=guideline,
        fiscal_year=year - 1,
        opens_on=opens.replace(year=opens.year - 1),
        due_on=opens.replace(year=opens.year - 1, month=6, day=30),
        closes_on=closes.replace(year=closes.year - 1),
    )
    assert past.closes_on < timezone.localdate()
    people_services.department_rename(department=tree["koho_kakari"], name="広報戦略係")
    client.force_login(people_ready["koho_head"].user)
    cells = CELL.findall(client.get(f"/department/?cycle={past.pk}").content.decode())
    assert "広報係" in cells and "広報戦略係" not in cells
    # A cycle running today shows today's name.
    current = TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=opens, due_on=due, closes_on=closes)
    cells = CELL.findall(client.get(f"/department/?cycle={current.pk}").content.decode())
    assert "広報戦略係" in cells and "広報係" not in cells
