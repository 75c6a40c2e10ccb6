"""The county's working-day calendar.

Statutory holidays and the announced make-up working days (调休) come from the
``holidays`` package's China calendar, which computes the statutory days of any year
by rule (lunar festivals included) and carries the State Council's make-up
arrangements for the years already announced. The county corrects or completes it
with :class:`~shanzhi.cases.models.CalendarDay` rows (a local day off, a make-up day
announced after the installed ``holidays`` release).

A deadline of N working days ends at midnight after the N-th working day following
the day the clock started; a deadline in hours is plain clock time. Time spent on
hold is given back on resume, counted the same way the deadline was.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

from shanzhi.cases.choices import DayKind, DeadlineUnit

DAY = dt.timedelta(days=1)


@functools.lru_cache(maxsize=64)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year)


def statutory_makeup_days(year: int) -> set[dt.date]:
    """Weekend days the State Council made working days in ``year``, as far as ``holidays`` knows."""
    return {d for d in _china(year).weekend_workdays if d.year == year}


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


class WorkingCalendar:
    """Answers "is this a working day" for the county; build one per request or job."""

    def __init__(self, overrides: dict[dt.date, str] | None = None):
        self.overrides = overrides or {}

    @classmethod
    def load(cls) -> WorkingCalendar:
        from shanzhi.cases.models import CalendarDay

        return cls(dict(CalendarDay.objects.values_list("date", "kind")))

    def is_working_day(self, day: dt.date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == DayKind.WORKING_DAY
        return _china(day.year).is_working_day(day)

    def holiday_name(self, day: dt.date) -> str:
        return _china(day.year).get(day) or ""

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (``day`` itself not counted)."""
        current = day
        remaining = count
        while remaining > 0:
            current += DAY
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in the half-open range (start, end]."""
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + n * DAY))

    def deadline(self, start: dt.datetime, amount: int, unit: str) -> dt.datetime:
        if unit == DeadlineUnit.HOURS:
            return start + dt.timedelta(hours=amount)
        zone = local_zone()
        local_day = timezone.localtime(start, zone).date()
        last = self.add_working_days(local_day, amount)
        return dt.datetime.combine(last + DAY, dt.time.min, tzinfo=zone)

    # --- pausing the clock ---------------------------------------------------------
    def remaining_seconds(self, now: dt.datetime, deadline: dt.datetime, unit: str) -> int:
        """What is left of a running deadline, in the deadline's own kind of time."""
        if unit == DeadlineUnit.HOURS or deadline <= now:
            return int((deadline - now).total_seconds())
        zone = local_zone()
        cursor = timezone.localtime(now, zone)
        end = timezone.localtime(deadline, zone)
        total = 0.0
        while cursor < end:
            next_midnight = dt.datetime.combine(cursor.date() + DAY, dt.time.min, tzinfo=zone)
            stop = min(next_midnight, end)
            if self.is_working_day(cursor.date()):
                total += (stop - cursor).total_seconds()
            cursor = stop
        return int(total)

    def resume_deadline(self, now: dt.datetime, remaining: int, unit: str) -> dt.datetime:
        """The new deadline when a paused clock restarts at ``now`` with ``remaining`` seconds left."""
        if unit == DeadlineUnit.HOURS or remaining <= 0:
            return now + dt.timedelta(seconds=remaining)
        zone = local_zone()
        cursor = timezone.localtime(now, zone)
        left = float(remaining)
        for _guard in range(3660):
            next_midnight = dt.datetime.combine(cursor.date() + DAY, dt.time.min, tzinfo=zone)
            if self.is_working_day(cursor.date()):
                available = (next_midnight - cursor).total_seconds()
                if left <= available:
                    return cursor + dt.timedelta(seconds=left)
                left -= available
            cursor = next_midnight
        return cursor

    # --- what the county admin should know -----------------------------------------
    def makeup_days_known(self, year: int) -> bool:
        """True when the make-up working days of ``year`` are in ``holidays`` or entered by the county."""
        if statutory_makeup_days(year):
            return True
        return any(kind == DayKind.WORKING_DAY and day.year == year for day, kind in self.overrides.items())


def next_year_warning(today: dt.date | None = None, calendar: WorkingCalendar | None = None) -> int | None:
    """The year whose make-up working days are still unknown (next year), or None when known."""
    today = today or timezone.localdate()
    calendar = calendar or WorkingCalendar.load()
    year = today.year + 1
    return None if calendar.makeup_days_known(year) else year
