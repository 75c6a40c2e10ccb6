"""The ``cases`` section of ``/api/v1/stats/overview`` (scoped, for the since/until window).

* ``by_status`` / ``by_category``: cases reported in the window, by current status and by category code.
* ``department_handled``: cases dispatched to a department and closed in the window.
* ``overdue``: cases reported in the window that ran past a deadline (marked by the sweep) or are past it now.
* ``median_hours_to_check_in``: dispatch → first check-in, over check-ins in the window.
* ``median_hours_to_resolution``: dispatch → resolution, over department resolutions in the window.
* ``satisfaction_rate``: satisfied follow-ups / all follow-ups done in the window (None without any).
"""

from __future__ import annotations

import statistics

from django.db.models import Count, Q
from django.utils import timezone

from shanzhi.cases.choices import CLOCK_STATUSES, CaseStatus, EventAction
from shanzhi.cases.filters import window_bounds
from shanzhi.cases.models import Case, CaseEvent, Category
from shanzhi.core.scoping import subtree_q


def _hours(pairs) -> float | None:
    values = [(end - start).total_seconds() / 3600 for start, end in pairs if start and end and end >= start]
    return round(statistics.median(values), 1) if values else None


def cases_section(user, since, until, area=None) -> dict:
    start, end = window_bounds(since, until)
    cases = Case.objects.for_user(user)
    if area is not None:
        cases = cases.filter(subtree_q("grid__path", [area.path]))
    reported = cases.filter(reported_at__gte=start, reported_at__lt=end)
    by_status = dict.fromkeys(CaseStatus.values, 0)
    for status, n in reported.values_list("status").annotate(n=Count("id")).order_by():
        by_status[status] = n
    by_category = dict.fromkeys(Category.objects.order_by("sort_order", "code").values_list("code", flat=True), 0)
    for code, n in reported.values_list("category__code").annotate(n=Count("id")).order_by():
        by_category[code] = n
    now = timezone.now()
    overdue = reported.filter(Q(overdue_since__isnull=False) | Q(status__in=CLOCK_STATUSES, deadline__lt=now)).count()
    department_handled = cases.filter(
        status=CaseStatus.CLOSED,
        dispatched_at__isnull=False,
        resolved_on_the_spot=False,
        closed_at__gte=start,
        closed_at__lt=end,
    ).count()
    check_ins = cases.filter(checked_in_at__gte=start, checked_in_at__lt=end).values_list(
        "dispatched_at", "checked_in_at"
    )
    resolutions = cases.filter(
        resolved_at__gte=start, resolved_at__lt=end, dispatched_at__isnull=False, resolved_on_the_spot=False
    ).values_list("dispatched_at", "resolved_at")
    follow_ups = CaseEvent.objects.filter(
        case__in=cases.values("pk"),
        action__in=[EventAction.CLOSED, EventAction.REOPENED],
        created__gte=start,
        created__lt=end,
    ).aggregate(
        satisfied=Count("id", filter=Q(action=EventAction.CLOSED)),
        total=Count("id"),
    )
    rate = round(follow_ups["satisfied"] / follow_ups["total"], 3) if follow_ups["total"] else None
    return {
        "cases": {
            "by_status": by_status,
            "by_category": by_category,
            "department_handled": department_handled,
            "overdue": overdue,
            "median_hours_to_check_in": _hours(check_ins),
            "median_hours_to_resolution": _hours(resolutions),
            "satisfaction_rate": rate,
        }
    }
