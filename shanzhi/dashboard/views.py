from __future__ import annotations

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from shanzhi.areas.choices import CHILD_LEVEL, AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.scoping import get_in_scope, subtree_q
from shanzhi.dashboard.home import scope_roots
from shanzhi.gridwork.models import GridAssignment
from shanzhi.people.models import Household, Resident


def _child_code(path: str, depth: int) -> str | None:
    parts = path.strip("/").split("/")
    return parts[depth] if len(parts) > depth else None


def _counts_by_child(user, area: Area, children: list[Area]) -> dict[int, dict]:
    """Households, residents, grids and workers under each child: four grouped queries in all."""
    depth = area.depth + 1
    grids = Counter()
    villages = Counter()
    for path, level in Area.objects.for_user(user).current().subtree(area).values_list("path", "level"):
        code = _child_code(path, depth)
        if level == AreaLevel.GRID:
            grids[code] += 1
        elif level == AreaLevel.VILLAGE:
            villages[code] += 1
    households = Counter()
    for path, n in (
        Household.objects.for_user(user)
        .in_area(area)
        .filter(status="active")
        .values_list("grid__path")
        .annotate(n=Count("id"))
    ):
        households[_child_code(path, depth)] += n
    residents = Counter()
    for path, n in (
        Resident.objects.for_user(user)
        .filter(status="active")
        .filter(subtree_q("household__grid__path", [area.path]))
        .values_list("household__grid__path")
        .annotate(n=Count("id"))
    ):
        residents[_child_code(path, depth)] += n
    workers: dict[str, set] = {}
    for path, worker_id in (
        GridAssignment.objects.current()
        .filter(subtree_q("grid__path", [area.path]))
        .values_list("grid__path", "worker_id")
    ):
        workers.setdefault(_child_code(path, depth), set()).add(worker_id)
    return {
        child.pk: {
            "villages": villages[child.code],
            "grids": grids[child.code],
            "households": households[child.code],
            "residents": residents[child.code],
            "workers": len(workers.get(child.code, ())),
        }
        for child in children
    }


@login_required
def area_browser(request, pk: int | None = None):
    user = request.user
    if pk is None:
        roots = scope_roots(user)
        if len(roots) == 1:
            return area_detail(request, roots[0])
        rows = []
        for root in roots:
            parent_children = [root]
            counts = _counts_by_child(user, root.parent, parent_children) if root.parent_id else {}
            rows.append((root, counts.get(root.pk, {})))
        return render(request, "dashboard/area_browser.html", {"area": None, "rows": rows, "ancestors": []})
    area = get_in_scope(Area.objects, user, pk=pk)
    return area_detail(request, area)


def area_detail(request, area: Area):
    user = request.user
    children = list(Area.objects.for_user(user).current().filter(parent=area).order_by("sort_order", "code"))
    counts = _counts_by_child(user, area, children)
    ancestors = [a for a in area.ancestors() if Area.objects.for_user(user).filter(pk=a.pk).exists()]
    return render(
        request,
        "dashboard/area_browser.html",
        {
            "area": area,
            "rows": [(c, counts[c.pk]) for c in children],
            "ancestors": ancestors,
            "child_level": CHILD_LEVEL.get(area.level),
        },
    )
