"""What each role sees first after logging in."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from shanzhi.accounts.choices import Role
from shanzhi.areas.models import Area
from shanzhi.dashboard.overview import build_overview
from shanzhi.people.models import Household


def scope_roots(user) -> list[Area]:
    """The outermost areas a user's scope covers, the starting points of their browsing."""
    areas = list(Area.objects.for_user(user).current().filter(depth__lte=3).order_by("depth", "path")[:400])
    roots: list[Area] = []
    for area in areas:
        if not any(area.path.startswith(r.path) for r in roots):
            roots.append(area)
    return roots


def home_context(user) -> dict:
    today = timezone.localdate()
    context: dict = {"roles": [a for a in user.active_assignments], "today": today}
    primary = user.primary_assignment()
    context["primary_role"] = Role(primary.role).label if primary else ""
    if user.is_staff_member and not user.roles <= {Role.DEPARTMENT_HANDLER}:
        context["overview"] = build_overview(user, today.replace(day=1), today)
        context["roots"] = scope_roots(user)
    if Role.GRID_WORKER in user.roles:
        grids = Area.objects.for_user(user).filter(level="grid").current().select_related("parent")
        counts = dict(
            Household.objects.for_user(user).filter(status="active").values_list("grid_id").annotate(n=Count("id"))
        )
        context["my_grids"] = [(g, counts.get(g.pk, 0)) for g in grids]
        from shanzhi.gridwork.home import worker_panel

        context["gridwork_panel"] = worker_panel(user, today)
    if Role.VILLAGER in user.roles:
        context["my_households"] = list(
            Household.objects.for_user(user).select_related("grid__parent", "head").prefetch_related("tags")
        )
    if Role.DEPARTMENT_HANDLER in user.roles:
        context["departments"] = [a.department for a in user.active_assignments if a.department_id]
    return context
