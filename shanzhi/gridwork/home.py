"""The grid worker's phone home: what is due today, the care visits, one tap to log or report."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shanzhi.gridwork import care
from shanzhi.gridwork.choices import SCHEDULED_FREQUENCIES, DutyFrequency, VisitKind
from shanzhi.gridwork.evaluation import month_start, week_of_month
from shanzhi.gridwork.models import Duty, Visit
from shanzhi.gridwork.services import grids_served, worker_for_user
from shanzhi.people.choices import HouseholdStatus
from shanzhi.people.models import Household


def due_duties(worker, today: dt.date) -> list[dict]:
    """Scheduled duties of the worker's kind not yet done in their current period."""
    duties = list(
        Duty.objects.active().for_kind(worker.kind).filter(frequency__in=SCHEDULED_FREQUENCIES).order_by("number")
    )
    if not duties:
        return []
    first = month_start(today)
    through = Visit.duties.through
    done_rows = through.objects.filter(
        visit__worker=worker, visit__visited_on__range=(first, today), duty__in=duties
    ).values_list("duty_id", "visit__visited_on", "visit__household_id")
    done: dict[int, list[tuple]] = {}
    for duty_id, day, household_id in done_rows:
        done.setdefault(duty_id, []).append((day, household_id))
    grids = [g.pk for g in grids_served(worker, today)]
    households = Household.objects.filter(grid_id__in=grids, status=HouseholdStatus.ACTIVE).count()
    due = []
    for duty in duties:
        rows = done.get(duty.pk, [])
        if duty.frequency == DutyFrequency.DAILY:
            remaining = 0 if any(d == today for d, _h in rows) else 1
        elif duty.frequency == DutyFrequency.WEEKLY:
            remaining = 0 if any(week_of_month(d) == week_of_month(today) for d, _h in rows) else 1
        elif duty.frequency == DutyFrequency.MONTHLY:
            remaining = 0 if rows else 1
        else:
            remaining = max(households - len({h for _d, h in rows if h}), 0)
        if remaining:
            due.append({"duty": duty, "remaining": remaining})
    return due


def worker_panel(user, today: dt.date | None = None) -> dict | None:
    worker = worker_for_user(user)
    if worker is None:
        return None
    today = today or timezone.localdate()
    households = Household.objects.for_user(user).filter(grid__in=[g.pk for g in grids_served(worker, today)])
    due_care = care.due_items(households, today=today)
    month_visits = Visit.objects.filter(worker=worker, visited_on__range=(month_start(today), today))
    return {
        "worker": worker,
        "today": today,
        "care_due": care.attach(due_care[:30]),
        "care_due_count": len(due_care),
        "care_overdue_count": sum(1 for i in due_care if i.is_overdue(today)),
        "duties_due": due_duties(worker, today),
        "visits_today": month_visits.filter(visited_on=today).count(),
        "visits_this_month": month_visits.count(),
        "household_visits_this_month": month_visits.filter(kind=VisitKind.HOUSEHOLD).count(),
        "grids": grids_served(worker, today),
    }
