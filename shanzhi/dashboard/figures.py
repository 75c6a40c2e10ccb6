"""The overview as pages show it: the overview document plus the link behind every number.

The numbers come from :func:`shanzhi.dashboard.overview.build_overview` (one section per
capability, each read through ``for_user``); this module adds the month window, the
top households of the points ledger and, for each figure, the URL of the filtered
list that produced it, so the monthly return, the API and the pages agree.
"""

from __future__ import annotations

import calendar
import datetime as dt
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.cases.choices import CLOCK_STATUSES, CaseStatus
from shanzhi.cases.filters import window_bounds
from shanzhi.cases.models import Case
from shanzhi.core.scoping import subtree_q
from shanzhi.dashboard.overview import build_overview
from shanzhi.points.choices import EntryKind, EntryStatus
from shanzhi.points.models import PointsEntry

OPEN_STATUSES = [s for s in CaseStatus.values if s not in ("rejected", "merged", "closed")]


def month_window(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


def parse_month(value: str | None, today: dt.date | None = None) -> dt.date | None:
    """``YYYY-MM`` → first day of that month; ``None`` for an empty value; ValueError otherwise."""
    if not value:
        return (today or timezone.localdate()).replace(day=1)
    year, month = str(value).split("-")[:2]
    day = dt.date(int(year), int(month), 1)
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 1):
        raise ValueError("month")
    return day


def _url(name: str, args=None, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name, args=args) + (f"?{query}" if query else "")


def top_households(user, since: dt.date, until: dt.date, area: Area | None = None, limit: int = 5) -> list[dict]:
    """Households with the most points awarded in the window (standing entries only)."""
    start, end = window_bounds(since, until)
    entries = (
        PointsEntry.objects.for_user(user)
        .filter(created__gte=start, created__lt=end, kind=EntryKind.AWARD)
        .exclude(state__status=EntryStatus.VOIDED)
    )
    if area is not None:
        entries = entries.filter(subtree_q("household__grid__path", [area.path]))
    rows = (
        entries.values(
            "household_id", "household__number", "household__grid__parent__name", "household__grid__parent_id"
        )
        .annotate(points=Sum("delta"), entries=Count("id"))
        .order_by("-points", "household_id")[:limit]
    )
    return [
        {
            "household": r["household_id"],
            "number": r["household__number"],
            "village": r["household__grid__parent__name"],
            "village_id": r["household__grid__parent_id"],
            "points": r["points"] or 0,
            "entries": r["entries"],
        }
        for r in rows
    ]


def overview_links(doc: dict, area: Area | None) -> dict:
    """The URL of the filtered list behind each figure of ``doc``."""
    since, until = doc["since"], doc["until"]
    area_id = area.pk if area else None
    window = {"since": since.isoformat(), "until": until.isoformat()}
    month = f"{since:%Y-%m}"
    links = {
        "grids": reverse("dashboard:area_detail", args=[area_id]) if area_id else reverse("dashboard:areas"),
        "map": _url("dashboard:map", area=area_id),
        "households": _url("people:household_list", area=area_id, status="active"),
        "residents": _url("people:household_list", area=area_id, status="active"),
        "grid_workers": {
            kind: _url("gridwork:roster", area=area_id, kind=kind, status="active") for kind in doc["grid_workers"]
        },
        "venues": {
            kind: _url("deliberation:venue_list", area=area_id, kind=kind) for kind in doc["deliberation"]["venues"]
        },
        "cases_reported": _url("cases:list", area=area_id, **window),
        "cases_by_status": {
            status: _url("cases:list", area=area_id, status=status, **window) for status in doc["cases"]["by_status"]
        },
        "cases_by_category": {
            code: _url("cases:list", area=area_id, category=code, **window) for code in doc["cases"]["by_category"]
        },
        "cases_overdue": _url("cases:list", area=area_id, late="true", **window),
        "scorecard": _url("dashboard:scorecard", area=area_id, month=month),
        "meetings": _url("deliberation:meeting_list", area=area_id),
        "resolved": _url(
            "deliberation:topic_list",
            area=area_id,
            status="resolved",
            resolved_since=window["since"],
            resolved_until=window["until"],
        ),
        "resolved_by_class": {
            cls: _url(
                "deliberation:topic_list",
                area=area_id,
                status="resolved",
                topic_class=cls,
                resolved_since=window["since"],
                resolved_until=window["until"],
            )
            for cls in doc["deliberation"]["resolved_by_class"]
        },
        "visits": _url("gridwork:visit_list", area=area_id, month=month),
        "care_overdue": _url("gridwork:care_list", area=area_id),
        "red_flags": _url("gridwork:red_flags", month=(doc["gridwork"]["latest_evaluation"] or {}).get("month")),
        "rankings": _url("points:rankings", area=area_id, period="month", start=since.isoformat()),
        "appeals": _url("points:appeals", status="all"),
    }
    return links


def overview_page(user, month: dt.date, area: Area | None = None) -> dict:
    """Everything the overview page, the big screen and the monthly return show for one month."""
    since, until = month_window(month)
    doc = build_overview(user, since, until, area)
    doc["top_households"] = top_households(user, since, until, area)
    cases = doc["cases"]
    cases["reported"] = sum(cases["by_status"].values())
    cases["open"] = sum(cases["by_status"].get(s, 0) for s in OPEN_STATUSES)
    doc["month"] = month
    doc["area"] = area
    doc["links"] = overview_links(doc, area)
    doc["computed_at"] = timezone.now()
    return doc


def grid_metrics(user, area: Area | None = None) -> dict[int, dict]:
    """Per grid of the scope: open cases, overdue cases and care-visit coverage, as of now."""
    from shanzhi.gridwork import care
    from shanzhi.people.choices import HouseholdStatus
    from shanzhi.people.models import Household

    now = timezone.now()
    today = timezone.localdate()
    cases = Case.objects.for_user(user)
    households = Household.objects.for_user(user).filter(status=HouseholdStatus.ACTIVE)
    if area is not None:
        cases = cases.filter(subtree_q("grid__path", [area.path]))
        households = households.in_area(area)
    metrics: dict[int, dict] = {}

    def row(grid_id):
        return metrics.setdefault(
            grid_id, {"open_cases": 0, "overdue_cases": 0, "care_due": 0, "care_ok": 0, "households": 0}
        )

    for grid_id, open_n, overdue_n in (
        cases.filter(status__in=OPEN_STATUSES)
        .values_list("grid_id")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(status__in=CLOCK_STATUSES, deadline__lt=now)),
        )
        .order_by()
    ):
        entry = row(grid_id)
        entry["open_cases"] = open_n
        entry["overdue_cases"] = overdue_n
    grid_of = dict(households.values_list("pk", "grid_id"))
    for grid_id in grid_of.values():
        row(grid_id)["households"] += 1
    for item in care.care_items(households, today=today):
        entry = row(grid_of.get(item.household_id))
        entry["care_due"] += 1
        entry["care_ok"] += 0 if item.is_overdue(today) else 1
    for entry in metrics.values():
        entry["care_coverage"] = round(entry["care_ok"] / entry["care_due"], 3) if entry["care_due"] else None
    return metrics


def scope_area_choices(user) -> list[Area]:
    """Areas a user may narrow the overview to: their county/townships/villages."""
    return list(
        Area.objects.for_user(user)
        .current()
        .filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
        .order_by("path")[:400]
    )
