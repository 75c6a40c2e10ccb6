"""The care list: households whose tags carry a visit-frequency rule, and which are overdue.

A household carrying several tags with rules follows the shortest interval. It is due
``interval`` days after its last household visit (by any grid worker) and overdue from
the day after; a household never visited is overdue.

The list is worked out from three narrow queries (tag pairs, last visit per household,
nothing else), so a county-wide count stays cheap; :func:`attach` loads the household
rows only for the items about to be shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils import timezone

from shanzhi.gridwork.models import CareRule, Visit
from shanzhi.people.choices import HouseholdStatus
from shanzhi.people.models import Household


@dataclass
class CareItem:
    household_id: int
    interval: int
    last_visit: dt.date | None
    tags: list[str] = field(default_factory=list)
    household: Household | None = None

    @property
    def due_on(self) -> dt.date | None:
        return self.last_visit + dt.timedelta(days=self.interval) if self.last_visit else None

    def days_overdue(self, today: dt.date) -> int | None:
        """Days past the due date; None for a household never visited."""
        return (today - self.due_on).days if self.due_on else None

    def is_overdue(self, today: dt.date) -> bool:
        return self.last_visit is None or (today - self.last_visit).days > self.interval

    def is_due(self, today: dt.date) -> bool:
        """Due today or overdue: what the worker should visit today."""
        return self.last_visit is None or (today - self.last_visit).days >= self.interval


def active_rules() -> dict[int, tuple[int, str]]:
    return {r.tag_id: (r.interval_days, r.tag.name) for r in CareRule.objects.active().select_related("tag")}


def care_items(households, *, today: dt.date | None = None) -> list[CareItem]:
    """Every household of ``households`` (a scoped queryset) that a care rule covers (rows not loaded)."""
    today = today or timezone.localdate()
    rules = active_rules()
    if not rules:
        return []
    pairs = Household.tags.through.objects.filter(
        household__in=households.filter(status=HouseholdStatus.ACTIVE).values("pk"), householdtag_id__in=list(rules)
    ).values_list("household_id", "householdtag_id")
    intervals: dict[int, int] = {}
    tag_names: dict[int, list[str]] = {}
    for household_id, tag_id in pairs:
        interval, name = rules[tag_id]
        intervals[household_id] = min(interval, intervals.get(household_id, interval))
        tag_names.setdefault(household_id, []).append(name)
    if not intervals:
        return []
    # Only household visits name a household, so (household, day) answers from one index.
    last = dict(
        Visit.objects.filter(household_id__in=list(intervals), visited_on__lte=today)
        .values("household_id")
        .annotate(last=Max("visited_on"))
        .values_list("household_id", "last")
    )
    return [
        CareItem(household_id=pk, interval=intervals[pk], last_visit=last.get(pk), tags=sorted(tag_names[pk]))
        for pk in sorted(intervals)
    ]


def attach(items: list[CareItem]) -> list[CareItem]:
    """Load the household rows (with grid, village and head) of the items about to be shown."""
    wanted = [i.household_id for i in items if i.household is None]
    if wanted:
        rows = Household.objects.filter(pk__in=wanted).select_related("grid__parent", "head").in_bulk()
        for item in items:
            if item.household is None:
                item.household = rows.get(item.household_id)
    return items


def _urgency(item: CareItem, today: dt.date):
    overdue = item.days_overdue(today)
    return (0 if item.last_visit is None else 1, -(overdue or 0), item.household_id)


def overdue_items(households, *, today: dt.date | None = None) -> list[CareItem]:
    """Overdue households, most urgent first (never visited, then the longest overdue)."""
    today = today or timezone.localdate()
    items = [i for i in care_items(households, today=today) if i.is_overdue(today)]
    return sorted(items, key=lambda i: _urgency(i, today))


def due_items(households, *, today: dt.date | None = None) -> list[CareItem]:
    today = today or timezone.localdate()
    items = [i for i in care_items(households, today=today) if i.is_due(today)]
    return sorted(items, key=lambda i: _urgency(i, today))


def overdue_count(households, *, today: dt.date | None = None) -> int:
    return len(overdue_items(households, today=today))
