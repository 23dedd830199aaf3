"""What the HR dashboard's line chart reads beside the department summary (reports/views/dashboard.py)."""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.db.models.functions import TruncDate

from sns_training.fiscal_year import day_end
from training.models import Assignment, TrainingCycle
from training.status import active_at


def completions_by_day(*, cycle: TrainingCycle, as_of: datetime.date) -> dict[datetime.date, int]:
    """How many of the cycle's assignees completed on each day up to `as_of` (one grouped query)."""
    end = day_end(as_of)
    rows = (
        Assignment.objects.filter(cycle=cycle, assigned_on__lte=as_of, completed_at__lt=end)
        .filter(active_at(end))
        .annotate(day=TruncDate("completed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}
