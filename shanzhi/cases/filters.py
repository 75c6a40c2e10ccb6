"""The one case filter, shared by the page lists, the API and the overview figures."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.models import Area, Department
from shanzhi.cases.choices import CLOCK_STATUSES, CaseSource, CaseStatus, Priority
from shanzhi.cases.models import Case, CaseCoDepartment, Category
from shanzhi.core.errors import InvalidInput
from shanzhi.core.params import parse_date, parse_id
from shanzhi.core.scoping import subtree_q


class CaseFilter:
    """Parsed, validated filter values; unknown values raise InvalidInput with the field named."""

    FIELDS = (
        "area",
        "status",
        "category",
        "department",
        "overdue",
        "late",
        "escalated",
        "source",
        "priority",
        "q",
        "since",
        "until",
    )

    def __init__(self, user, data) -> None:
        self.user = user
        errors: dict = {}
        get = data.get
        self.area = None
        if get("area"):
            self.area = Area.objects.for_user(user).filter(pk=parse_id(get("area"))).first()
            if self.area is None:
                errors["area"] = [_("Unknown area")]
        self.statuses = []
        for value in _values(data, "status"):
            if value == "open":
                self.statuses += [s for s in CaseStatus.values if s not in ("rejected", "merged", "closed")]
            elif value in CaseStatus.values:
                self.statuses.append(value)
            else:
                errors["status"] = [_("Unknown status")]
        self.category = None
        if get("category"):
            self.category = Category.objects.filter(code=get("category")).first()
            if self.category is None:
                errors["category"] = [_("Unknown category")]
        self.department = None
        if get("department"):
            self.department = Department.objects.filter(pk=parse_id(get("department"))).first()
            if self.department is None:
                errors["department"] = [_("Unknown department")]
        self.overdue = _bool(get("overdue"), "overdue", errors)
        self.escalated = _bool(get("escalated"), "escalated", errors)
        self.source = get("source") or None
        if self.source and self.source not in CaseSource.values:
            errors["source"] = [_("Unknown source")]
        self.priority = get("priority") or None
        if self.priority and self.priority not in Priority.values:
            errors["priority"] = [_("Unknown priority")]
        self.q = (get("q") or "").strip()[:50]
        # ``late``: ran past a deadline at some point (marked by the sweep) or is past it now, as the overview counts.
        self.late = _bool(get("late"), "late", errors)
        # ``since``/``until``: reported on these local dates (inclusive), the overview's window.
        self.since = parse_date(get("since"), "since", errors)
        self.until = parse_date(get("until"), "until", errors)
        if errors:
            raise InvalidInput(fields=errors)

    def apply(self, qs=None):
        qs = Case.objects.for_user(self.user) if qs is None else qs
        if self.area is not None:
            qs = qs.filter(subtree_q("grid__path", [self.area.path]))
        if self.statuses:
            qs = qs.filter(status__in=self.statuses)
        if self.category is not None:
            qs = qs.filter(category=self.category)
        if self.department is not None:
            co = CaseCoDepartment.objects.filter(department=self.department).values("case_id")
            qs = qs.filter(Q(department=self.department) | Q(pk__in=co))
        if self.overdue is not None:
            overdue = Q(status__in=CLOCK_STATUSES, deadline__lt=timezone.now())
            qs = qs.filter(overdue) if self.overdue else qs.exclude(overdue)
        if self.escalated is not None:
            qs = qs.filter(escalation_level__gt=0) if self.escalated else qs.filter(escalation_level=0)
        if self.source:
            qs = qs.filter(source=self.source)
        if self.priority:
            qs = qs.filter(priority=self.priority)
        if self.late is not None:
            late = Q(overdue_since__isnull=False) | Q(status__in=CLOCK_STATUSES, deadline__lt=timezone.now())
            qs = qs.filter(late) if self.late else qs.exclude(late)
        if self.since or self.until:
            start, end = window_bounds(self.since or dt.date(2000, 1, 1), self.until or dt.date(2100, 1, 1))
            qs = qs.filter(reported_at__gte=start, reported_at__lt=end)
        if self.q:
            qs = qs.filter(Q(number__icontains=self.q) | Q(title__icontains=self.q) | Q(address__icontains=self.q))
        return qs


def filtered_cases(user, data):
    return CaseFilter(user, data).apply()


def _values(data, name) -> list[str]:
    if hasattr(data, "getlist"):
        values = data.getlist(name)
    else:
        raw = data.get(name)
        values = raw if isinstance(raw, list | tuple) else ([raw] if raw else [])
    out = []
    for value in values:
        out += [v for v in str(value).split(",") if v]
    return out


def _bool(value, name, errors):
    if value in (None, ""):
        return None
    text = str(value).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    errors[name] = [_("Use true or false")]
    return None


def window_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes for [since 00:00, until+1 00:00) in the county's time zone."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end
