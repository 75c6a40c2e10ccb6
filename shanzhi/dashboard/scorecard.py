"""Department scorecard: how each department handled the cases dispatched to it.

Over cases reported in the window and dispatched to a department (its lead department;
co-handling departments are not scored), within the caller's scope:

* ``checked_in_on_time``: checked in no later than the check-in deadline, over the cases
  whose check-in deadline has passed or that have been checked in;
* ``resolved_on_time``: resolved no later than the resolution deadline, over the cases
  whose resolution deadline has passed or that have been resolved;
* ``satisfaction``: satisfied follow-ups over follow-ups with an answer;
* ``reopen_rate``: cases reopened at least once over the dispatched cases.

A rate with no cases to count is ``None`` (shown as "–"), never 0 %.
"""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.utils import timezone

from shanzhi.areas.models import Area, Department
from shanzhi.cases.filters import window_bounds
from shanzhi.cases.models import Case
from shanzhi.core.scoping import subtree_q


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def department_scorecard(user, since, until, area: Area | None = None) -> list[dict]:
    start, end = window_bounds(since, until)
    now = timezone.now()
    cases = Case.objects.for_user(user).filter(
        reported_at__gte=start, reported_at__lt=end, department__isnull=False, dispatched_at__isnull=False
    )
    if area is not None:
        cases = cases.filter(subtree_q("grid__path", [area.path]))
    check_in_due = Q(checked_in_at__isnull=False) | Q(check_in_deadline__lt=now)
    resolve_due = Q(resolved_at__isnull=False) | Q(resolution_deadline__lt=now)
    rows = (
        cases.values("department_id")
        .annotate(
            dispatched=Count("id"),
            check_in_counted=Count("id", filter=check_in_due & Q(check_in_deadline__isnull=False)),
            checked_in_on_time=Count("id", filter=Q(checked_in_at__lte=F("check_in_deadline"))),
            resolve_counted=Count("id", filter=resolve_due & Q(resolution_deadline__isnull=False)),
            resolved_on_time=Count("id", filter=Q(resolved_at__lte=F("resolution_deadline"))),
            answered=Count("id", filter=Q(satisfied__isnull=False)),
            satisfied_n=Count("id", filter=Q(satisfied=True)),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
            overdue=Count("id", filter=Q(overdue_since__isnull=False)),
        )
        .order_by()
    )
    names = dict(Department.objects.filter(pk__in=[r["department_id"] for r in rows]).values_list("pk", "name"))
    card = []
    for r in rows:
        card.append(
            {
                "department": r["department_id"],
                "name": names.get(r["department_id"], ""),
                "dispatched": r["dispatched"],
                "overdue": r["overdue"],
                "checked_in_on_time": _rate(r["checked_in_on_time"], r["check_in_counted"]),
                "resolved_on_time": _rate(r["resolved_on_time"], r["resolve_counted"]),
                "satisfaction": _rate(r["satisfied_n"], r["answered"]),
                "reopen_rate": _rate(r["reopened"], r["dispatched"]),
            }
        )
    card.sort(key=lambda row: (-(row["resolved_on_time"] or 0), -row["dispatched"], row["name"]))
    return card


def percent(value) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"
