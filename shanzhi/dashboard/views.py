from __future__ import annotations

import datetime as dt
from collections import Counter
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.areas.choices import CHILD_LEVEL, AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.audit import record
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.core.scoping import get_in_scope, subtree_q
from shanzhi.dashboard import services
from shanzhi.dashboard.choices import JobStatus, MapMetric, ReportFormat, ReportKind
from shanzhi.dashboard.figures import grid_metrics, month_window, overview_page, parse_month, scope_area_choices
from shanzhi.dashboard.home import scope_roots
from shanzhi.dashboard.models import ReportJob
from shanzhi.dashboard.scorecard import department_scorecard, percent
from shanzhi.dashboard.snapshots import overview_for
from shanzhi.gridwork.choices import WorkerKind
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


# --- overview, big screen, map, reports ----------------------------------------------------
def _need_view(user) -> None:
    if not user.has_perm(services.PERM_VIEW):
        raise Forbidden()


def _area_and_month(request):
    user = request.user
    area = None
    if request.GET.get("area"):
        area = get_in_scope(Area.objects, user, pk=request.GET["area"])
    try:
        month = parse_month(request.GET.get("month"))
    except (TypeError, ValueError):
        raise InvalidInput(fields={"month": [_("Enter a month as YYYY-MM")]}) from None
    return area or services.default_area(user), month


def _charts(doc: dict) -> list[dict]:
    """The charts of the overview and the big screen: title, kind, and (label, value) rows."""
    from shanzhi.cases.choices import CaseStatus
    from shanzhi.cases.models import Category
    from shanzhi.deliberation.choices import TopicClass, VenueKind
    from shanzhi.gridwork.choices import WorkerKind

    categories = dict(Category.objects.values_list("code", "name"))
    links = doc["links"]
    return [
        {
            "id": "cases-status",
            "title": str(_("Cases by status")),
            "kind": "bar",
            "rows": [
                {"label": str(CaseStatus(k).label), "value": v, "url": links["cases_by_status"][k]}
                for k, v in doc["cases"]["by_status"].items()
            ],
        },
        {
            "id": "cases-category",
            "title": str(_("Cases by category")),
            "kind": "pie",
            "rows": [
                {"label": categories.get(k, k), "value": v, "url": links["cases_by_category"][k]}
                for k, v in doc["cases"]["by_category"].items()
                if v
            ],
        },
        {
            "id": "workers",
            "title": str(_("Grid workers by kind")),
            "kind": "pie",
            "rows": [
                {"label": str(WorkerKind(k).label), "value": v, "url": links["grid_workers"][k]}
                for k, v in doc["grid_workers"].items()
            ],
        },
        {
            "id": "resolved",
            "title": str(_("Deliberation matters resolved by class")),
            "kind": "bar",
            "rows": [
                {"label": str(TopicClass(k).label), "value": v, "url": links["resolved_by_class"][k]}
                for k, v in doc["deliberation"]["resolved_by_class"].items()
            ],
        },
        {
            "id": "venues",
            "title": str(_("Venues by kind")),
            "kind": "bar",
            "rows": [
                {"label": str(VenueKind(k).label), "value": v, "url": links["venues"][k]}
                for k, v in doc["deliberation"]["venues"].items()
            ],
        },
        {
            "id": "top-households",
            "title": str(_("Top households by points this month")),
            "kind": "bar",
            "rows": [
                {"label": f"{r['village']} {r['number']}", "value": r["points"], "url": links["rankings"]}
                for r in doc["top_households"]
            ],
        },
    ]


@login_required
def overview(request):
    user = request.user
    _need_view(user)
    try:
        area, month = _area_and_month(request)
    except InvalidInput as exc:
        return render(request, "dashboard/overview.html", {"errors": exc.fields}, status=422)
    doc = overview_for(user, month, area)
    return render(
        request,
        "dashboard/overview.html",
        {
            "doc": doc,
            "charts": _charts(doc),
            "workers": [
                {"kind": k, "label": str(WorkerKind(k).label), "value": v, "url": doc["links"]["grid_workers"][k]}
                for k, v in doc["grid_workers"].items()
            ],
            "areas": scope_area_choices(user),
            "can_report": user.has_perm(services.PERM_REPORTS),
        },
    )


@login_required
def screen(request):
    user = request.user
    _need_view(user)
    area, month = _area_and_month(request)
    return render(request, "dashboard/screen.html", {"area": area, "month": month, "refresh_seconds": 60})


def _json_default(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Area):
        return {"id": value.pk, "name": value.name}
    return str(value)


@login_required
def screen_data(request):
    user = request.user
    _need_view(user)
    try:
        area, month = _area_and_month(request)
    except InvalidInput as exc:
        return JsonResponse({"code": exc.code, "message": str(exc.message), "fields": exc.fields}, status=422)
    doc = overview_for(user, month, area)
    cases = doc["cases"]
    body = {
        "title": area.name if area else str(_("Whole scope")),
        "month": f"{month:%Y-%m}",
        "computed_at": timezone.localtime(doc["computed_at"]).strftime("%Y-%m-%d %H:%M:%S"),
        "from_snapshot": bool(doc.get("snapshot_at")),
        "figures": [
            {"label": str(_("Grids")), "value": doc["areas"]["grids"], "url": doc["links"]["grids"]},
            {"label": str(_("Households")), "value": doc["households"], "url": doc["links"]["households"]},
            {"label": str(_("Cases reported")), "value": cases["reported"], "url": doc["links"]["cases_reported"]},
            {"label": str(_("Still open")), "value": cases["open"], "url": doc["links"]["cases_by_status"]["reported"]},
            {"label": str(_("Ran past a deadline")), "value": cases["overdue"], "url": doc["links"]["cases_overdue"]},
            {"label": str(_("Follow-up satisfaction")), "value": percent(cases["satisfaction_rate"]), "url": ""},
            {
                "label": str(_("Matters resolved")),
                "value": doc["deliberation"]["resolved"],
                "url": doc["links"]["resolved"],
            },
            {
                "label": str(_("Points awarded")),
                "value": doc["points"]["points_awarded"],
                "url": doc["links"]["rankings"],
            },
        ],
        "charts": _charts(doc),
        "red_flags": (doc["gridwork"]["latest_evaluation"] or {}).get("red_flag_workers", []),
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "default": _json_default})


@login_required
def grid_map(request):
    user = request.user
    _need_view(user)
    area, _month = _area_and_month(request)
    metric = request.GET.get("metric") if request.GET.get("metric") in MapMetric.values else MapMetric.OPEN_CASES
    return render(
        request,
        "dashboard/map.html",
        {
            "area": area,
            "metric": metric,
            "metrics": MapMetric.choices,
            "tile_url": settings.SHANZHI_MAP_TILE_URL,
            "tile_attribution": settings.SHANZHI_MAP_TILE_ATTRIBUTION,
            "areas": scope_area_choices(user),
        },
    )


def grid_features(user, area: Area | None) -> dict:
    """GeoJSON of the scope's current grids with their map metrics."""
    grids = Area.objects.for_user(user).current().filter(level=AreaLevel.GRID, boundary__isnull=False)
    if area is not None:
        grids = grids.subtree(area)
    metrics = grid_metrics(user, area)
    features = []
    for grid in grids.select_related("parent").only("id", "name", "boundary", "parent__name").order_by("path"):
        m = metrics.get(grid.pk, {})
        geometry = grid.boundary.get("geometry", grid.boundary) if isinstance(grid.boundary, dict) else None
        if not geometry:
            continue
        features.append(
            {
                "type": "Feature",
                "id": grid.pk,
                "geometry": geometry,
                "properties": {
                    "id": grid.pk,
                    "name": grid.name,
                    "village": grid.parent.name,
                    "households": m.get("households", 0),
                    "open_cases": m.get("open_cases", 0),
                    "overdue_cases": m.get("overdue_cases", 0),
                    "care_coverage": m.get("care_coverage"),
                    "panel": reverse("dashboard:map_grid", args=[grid.pk]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@login_required
def map_grids(request):
    user = request.user
    _need_view(user)
    area = get_in_scope(Area.objects, user, pk=request.GET["area"]) if request.GET.get("area") else None
    return JsonResponse(grid_features(user, area), json_dumps_params={"ensure_ascii": False})


@login_required
def map_grid_panel(request, pk: int):
    user = request.user
    _need_view(user)
    grid = get_in_scope(Area.objects.filter(level=AreaLevel.GRID).select_related("parent__parent"), user, pk=pk)
    metrics = grid_metrics(user, grid).get(grid.pk, {})
    workers = (
        GridAssignment.objects.current()
        .filter(grid=grid)
        .select_related("worker")
        .order_by("worker__kind", "worker__name")
    )
    month = timezone.localdate().replace(day=1)
    doc = overview_page(user, month, grid)
    return render(
        request,
        "dashboard/_grid_panel.html",
        {"grid": grid, "metrics": metrics, "workers": workers, "doc": doc},
    )


@login_required
def scorecard(request):
    user = request.user
    _need_view(user)
    try:
        area, month = _area_and_month(request)
    except InvalidInput as exc:
        return render(request, "dashboard/scorecard.html", {"errors": exc.fields}, status=422)
    since, until = month_window(month)
    card = department_scorecard(user, since, until, area)
    for row in card:
        row["url"] = (
            reverse("cases:list")
            + "?"
            + urlencode(
                {"department": row["department"], "since": since, "until": until, **({"area": area.pk} if area else {})}
            )
        )
    chart = {
        "id": "scorecard",
        "title": str(_("Resolved on time (%)")),
        "kind": "bar",
        "rows": [
            {"label": r["name"], "value": round((r["resolved_on_time"] or 0) * 100, 1), "url": r["url"]} for r in card
        ],
    }
    return render(
        request,
        "dashboard/scorecard.html",
        {
            "chart": chart,
            "charts": [chart],
            "card": card,
            "area": area,
            "month": month,
            "areas": scope_area_choices(user),
            "can_report": user.has_perm(services.PERM_REPORTS),
        },
    )


@login_required
def report_list(request):
    user = request.user
    _need_view(user)
    errors = {}
    if request.method == "POST":
        params = {"month": request.POST.get("month", ""), "area": request.POST.get("area", "")}
        try:
            job = services.request_report(
                actor=user,
                kind=request.POST.get("kind", ""),
                file_format=request.POST.get("file_format", ""),
                params=params,
            )
        except (InvalidInput, Conflict) as exc:
            errors = exc.fields or {"form": [str(exc.message)]}
        else:
            return redirect("dashboard:report_detail", pk=job.pk)
    jobs = ReportJob.objects.for_user(user)[:30]
    return render(
        request,
        "dashboard/reports.html",
        {
            "jobs": jobs,
            "errors": errors,
            "areas": scope_area_choices(user),
            "kinds": [(k, label) for k, label in ReportKind.choices if k != ReportKind.LIST_EXPORT],
            "formats": ReportFormat.choices,
            "this_month": timezone.localdate().strftime("%Y-%m"),
            "values": request.POST if request.method == "POST" else {},
            "can_report": user.has_perm(services.PERM_REPORTS),
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def export_list(request):
    """Queue an .xlsx export of a list page with its current filter (the list's Export button)."""
    user = request.user
    _need_view(user)
    query = QueryDict(request.POST.get("query", ""))
    try:
        job = services.request_report(
            actor=user,
            kind=ReportKind.LIST_EXPORT,
            file_format=ReportFormat.XLSX,
            params={"list": request.POST.get("list", ""), "query": {k: query.get(k) for k in query}},
        )
    except (InvalidInput, Conflict) as exc:
        messages.error(request, "; ".join(str(m) for v in (exc.fields or {"": [exc.message]}).values() for m in v))
        return redirect("dashboard:reports")
    return redirect("dashboard:report_detail", pk=job.pk)


@login_required
def report_detail(request, pk: int):
    job = get_in_scope(ReportJob.objects, request.user, pk=pk)
    template = "dashboard/_job_progress.html" if request.headers.get("HX-Request") else "dashboard/report_detail.html"
    return render(request, template, {"job": job})


@login_required
def report_download(request, pk: int):
    job = get_in_scope(ReportJob.objects, request.user, pk=pk)
    if job.status != JobStatus.DONE or not job.file:
        raise NotFound()
    record("dashboard.report.downloaded", actor=request.user, obj=job, after={"rows": job.row_count})
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
