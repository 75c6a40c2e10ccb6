"""Read-side helpers shared by pages and the API: rosters and score explanations."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.scoping import subtree_q
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.evaluation import indicator_label, ordered
from shanzhi.gridwork.models import GridAssignment, GridWorker


def workers_in_area(user, area: Area | None):
    """Workers the user may see who serve a grid of ``area`` now or belong to it."""
    workers = GridWorker.objects.for_user(user)
    if area is None:
        return workers
    serving = GridAssignment.objects.current().filter(subtree_q("grid__path", [area.path])).values("worker_id")
    return workers.filter(Q(pk__in=serving) | subtree_q("home_area__path", [area.path]))


def _child_code(path: str, depth: int) -> str | None:
    parts = path.strip("/").split("/")
    return parts[depth] if len(parts) > depth else None


def roster_breakdown(user, area: Area | None, workers) -> list[dict]:
    """Counts by kind for each child area (townships of the county, villages of a township)."""
    if area is None:
        roots = list(Area.objects.for_user(user).current().filter(level=AreaLevel.TOWNSHIP).order_by("path"))
        if not roots:
            roots = list(Area.objects.for_user(user).current().filter(level=AreaLevel.VILLAGE).order_by("path"))
        if not roots:
            return []
        depth = roots[0].depth
        children = roots
    else:
        children = list(Area.objects.for_user(user).current().filter(parent=area).order_by("sort_order", "code"))
        depth = area.depth + 1
    if not children:
        return []
    worker_rows = dict(workers.values_list("pk", "kind"))
    places: dict[int, set[str]] = defaultdict(set)
    for pk, path in workers.values_list("pk", "home_area__path"):
        places[pk].add(_child_code(path, depth))
    for pk, path in (
        GridAssignment.objects.current().filter(worker_id__in=list(worker_rows)).values_list("worker_id", "grid__path")
    ):
        places[pk].add(_child_code(path, depth))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {k: 0 for k in WorkerKind.values})
    for pk, codes in places.items():
        for code in codes:
            if code:
                counts[code][worker_rows[pk]] += 1
    rows = []
    for child in children:
        c = counts.get(child.code, {k: 0 for k in WorkerKind.values})
        rows.append({"area": child, **c, "total": sum(c.values())})
    return rows


def explain(result) -> list[dict]:
    """Each indicator of a stored result with its label, raw figure, percentage and points."""
    rows = []
    for indicator in ordered(result.indicators):
        rows.append(
            {
                **indicator,
                "label": indicator_label(indicator["code"]),
                "percent": round(indicator["ratio"] * 100, 1),
                "points": Decimal(indicator["points"]),
            }
        )
    return rows
