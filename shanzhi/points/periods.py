"""Months, quarters and years: the periods points are ranked and capped by."""

from __future__ import annotations

import datetime as dt

from shanzhi.points.choices import PeriodKind


def period_start(day: dt.date, kind: str) -> dt.date:
    if kind == PeriodKind.MONTH:
        return day.replace(day=1)
    if kind == PeriodKind.QUARTER:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if kind == PeriodKind.YEAR:
        return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown period kind {kind!r}")


def period_end(start: dt.date, kind: str) -> dt.date:
    """The last day of the period that begins on ``start``."""
    months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def period_starts(day: dt.date) -> dict[str, dt.date]:
    return {kind: period_start(day, kind) for kind in PeriodKind.values}


def period_label(start: dt.date, kind: str) -> str:
    if kind == PeriodKind.MONTH:
        return f"{start.year}年{start.month}月"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年"


def parse_period(kind: str | None, start: str | dt.date | None, today: dt.date) -> tuple[str, dt.date]:
    """A (kind, first day) from user input; defaults to the current month. Raises ValueError."""
    kind = kind or PeriodKind.MONTH
    if kind not in PeriodKind.values:
        raise ValueError("kind")
    if start in (None, ""):
        day = today
    elif isinstance(start, dt.date):
        day = start
    else:
        day = dt.date.fromisoformat(str(start))
    return kind, period_start(day, kind)


def previous_period(start: dt.date, kind: str) -> dt.date:
    return period_start(start - dt.timedelta(days=1), kind)
