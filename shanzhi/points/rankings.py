"""Rankings read the per-period totals; every ordering follows the stated tie rule.

Tie rule (in this order): more points earned in the period; fewer points deducted in
the period; reached the total earlier (the time the household's last entry of the
period took effect); registered earlier (smaller household id). Ranks are therefore
1, 2, 3 … with no shared places, so a reward tier never has to split a prize.
The ordering is exactly the column order of the ``points_rank_*`` indexes, so a
village, township or county ranking page is one index range scan.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, Sum

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.points.choices import PeriodKind
from shanzhi.points.models import PeriodPoints

ORDER = ["-earned", "deducted", "reached_at", "household_id"]
LEVEL_FIELD = {AreaLevel.VILLAGE: "village_id", AreaLevel.TOWNSHIP: "township_id", AreaLevel.COUNTY: "county_id"}


def ranking_queryset(area: Area, period_kind: str, period_start: dt.date):
    field = LEVEL_FIELD.get(area.level)
    if field is None:
        raise ValueError("rankings are by village, township or county")
    return PeriodPoints.objects.filter(**{field: area.pk}, period_kind=period_kind, period_start=period_start).order_by(
        *ORDER
    )


def ranking_page(area: Area, period_kind: str, period_start: dt.date, *, limit: int = 50, offset: int = 0) -> list:
    rows = list(
        ranking_queryset(area, period_kind, period_start).select_related("household__head", "village")[
            offset : offset + limit
        ]
    )
    for index, row in enumerate(rows):
        row.rank = offset + index + 1
    return rows


def rank_of(household_id: int, area: Area, period_kind: str, period_start: dt.date) -> tuple[int | None, int]:
    """(the household's rank or None if it has no points in the period, households ranked)."""
    qs = ranking_queryset(area, period_kind, period_start)
    total = qs.count()
    row = qs.filter(household_id=household_id).first()
    if row is None:
        return None, total
    ahead = qs.filter(
        Q(earned__gt=row.earned)
        | Q(earned=row.earned, deducted__lt=row.deducted)
        | Q(earned=row.earned, deducted=row.deducted, reached_at__lt=row.reached_at)
        | Q(earned=row.earned, deducted=row.deducted, reached_at=row.reached_at, household_id__lt=household_id)
    ).count()
    return ahead + 1, total


def eligible_points(
    village: Area | None,
    date_from: dt.date,
    date_to: dt.date,
    *,
    household_ids: list[int] | None = None,
    require_no_major: bool = False,
) -> dict[int, tuple[int, int]]:
    """household → (net points earned in the months of [date_from, date_to], major deductions)."""
    qs = PeriodPoints.objects.filter(
        period_kind=PeriodKind.MONTH, period_start__gte=date_from.replace(day=1), period_start__lte=date_to
    )
    if village is not None:
        qs = qs.filter(village=village)
    if household_ids is not None:
        qs = qs.filter(household_id__in=household_ids)
    rows = qs.values("household_id").annotate(points=Sum("earned"), major=Sum("major_deductions"))
    out = {r["household_id"]: (r["points"], r["major"]) for r in rows}
    if require_no_major:
        out = {h: v for h, v in out.items() if not v[1]}
    return out
