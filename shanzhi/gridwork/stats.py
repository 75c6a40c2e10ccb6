"""The ``gridwork`` section of /api/v1/stats/overview."""

from __future__ import annotations

from django.db.models import Q

from shanzhi.core.scoping import subtree_q
from shanzhi.gridwork import care
from shanzhi.gridwork.models import Duty, EvaluationMonth, Visit, WorkerEvaluation, ancestor_paths
from shanzhi.people.models import Household


def gridwork_section(user, since, until, area=None) -> dict:
    visits = Visit.objects.for_user(user)
    households = Household.objects.for_user(user)
    months = EvaluationMonth.objects.for_user(user).closed()
    if area is not None:
        visits = visits.in_area(area)
        households = households.in_area(area)
        months = months.filter(
            subtree_q("township__path", [area.path]) | Q(township__path__in=ancestor_paths([area.path]))
        )
    latest = months.order_by("-month").values_list("month", flat=True).first()
    red_flags = []
    if latest is not None:
        rows = (
            WorkerEvaluation.objects.published(user)
            .filter(evaluation__in=months.filter(month=latest))
            .select_related("worker", "evaluation__township")
            .order_by("evaluation__township__path", "rank")
        )
        red_flags = [
            {
                "worker": r.worker_id,
                "name": r.worker.name,
                "township": r.evaluation.township.name,
                "total": str(r.total),
                "rank": r.rank,
            }
            for r in rows
        ]
    return {
        "gridwork": {
            "visits": visits.filter(visited_on__range=(since, until)).count(),
            "visits_this_month": visits.filter(visited_on__range=(until.replace(day=1), until)).count(),
            "care_visits_overdue": care.overdue_count(households, today=until),
            "duties": Duty.objects.active().count(),
            "latest_evaluation": (
                {"month": f"{latest:%Y-%m}", "red_flag_workers": red_flags} if latest is not None else None
            ),
        }
    }
