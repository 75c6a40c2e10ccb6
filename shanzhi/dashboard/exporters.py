"""Export any registered list view as .xlsx, with the list's own filter and the role's masking.

A list registers a :class:`ListExporter`: how to turn the list page's query string into
its (scoped) queryset, and its columns. The export job reads through ``for_user`` of
the user who asked, writes rows in chunks (reporting progress), and masks ID numbers
and phones unless that user holds ``people.view_sensitive``.

    register(ListExporter(name="cases", title=..., queryset=..., columns=[...]))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.core.masking import mask_phone, may_view_sensitive
from shanzhi.core.params import optional_date


@dataclass
class ExportContext:
    user: object
    sensitive: bool


@dataclass
class ListExporter:
    name: str
    title: object
    # (user, query dict) -> scoped queryset; raises InvalidInput / NotFound on bad filters
    queryset: Callable
    # (header, (row object, ExportContext) -> value)
    columns: list[tuple[object, Callable]] = field(default_factory=list)
    permission: str | None = None  # besides dashboard.export_lists
    list_url: str = ""  # URL name of the list page

    def headers(self) -> list[str]:
        return [str(header) for header, _value in self.columns]

    def row(self, obj, context: ExportContext) -> list:
        return [value(obj, context) for _header, value in self.columns]


EXPORTERS: dict[str, ListExporter] = {}


def register(exporter: ListExporter) -> ListExporter:
    EXPORTERS[exporter.name] = exporter
    return exporter


def context_for(user) -> ExportContext:
    return ExportContext(user=user, sensitive=may_view_sensitive(user))


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


# --- households -------------------------------------------------------------------------
def _household_queryset(user, params):
    from shanzhi.areas.models import Area
    from shanzhi.core.scoping import get_in_scope
    from shanzhi.people.choices import HouseholdStatus
    from shanzhi.people.filters import filtered_households

    area = get_in_scope(Area.objects, user, pk=params["area"]) if params.get("area") else None
    status = params.get("status", HouseholdStatus.ACTIVE)
    if status not in HouseholdStatus.values:
        status = None
    qs = filtered_households(
        user, q=(params.get("q") or "").strip()[:50], area=area, tag=params.get("tag") or None, status=status
    )
    return qs.select_related("grid__parent__parent", "head").prefetch_related("tags").order_by("number")


def _head_id(household, context: ExportContext) -> str:
    head = household.head
    if head is None:
        return ""
    if context.sensitive:
        return head.id_number
    # masked without opening the sealed value: the stored prefix and last four digits
    return head.id_prefix6 + "*" * 8 + head.id_last4


def _phone(value: str, context: ExportContext) -> str:
    return value if context.sensitive else mask_phone(value)


register(
    ListExporter(
        name="households",
        title=_("Households"),
        queryset=_household_queryset,
        list_url="people:household_list",
        columns=[
            (_("Household number"), lambda h, c: h.number),
            (_("Township"), lambda h, c: h.grid.parent.parent.name),
            (_("Village"), lambda h, c: h.grid.parent.name),
            (_("Grid"), lambda h, c: h.grid.name),
            (_("Address"), lambda h, c: h.address),
            (_("Head of household"), lambda h, c: h.head_name),
            (_("Head's ID number"), _head_id),
            (_("Phone"), lambda h, c: _phone(h.phone, c)),
            (_("Tags"), lambda h, c: "、".join(t.name for t in h.tags.all())),
            (_("Status"), lambda h, c: str(h.get_status_display())),
        ],
    )
)


# --- cases ------------------------------------------------------------------------------
def _case_queryset(user, params):
    from shanzhi.cases.filters import CaseFilter

    return (
        CaseFilter(user, params)
        .apply()
        .select_related("category", "grid__parent", "department")
        .order_by("-reported_at", "-id")
    )


register(
    ListExporter(
        name="cases",
        title=_("Cases"),
        queryset=_case_queryset,
        list_url="cases:list",
        columns=[
            (_("Case number"), lambda x, c: x.number),
            (_("Title"), lambda x, c: x.title),
            (_("Category"), lambda x, c: x.category.name),
            (_("Status"), lambda x, c: str(x.get_status_display())),
            (_("Priority"), lambda x, c: str(x.get_priority_display())),
            (_("Source"), lambda x, c: str(x.get_source_display())),
            (_("Village"), lambda x, c: x.grid.parent.name),
            (_("Grid"), lambda x, c: x.grid.name),
            (_("Reporter name"), lambda x, c: x.reporter_name),
            (_("Reporter phone"), lambda x, c: _phone(x.reporter_phone, c)),
            (_("Department"), lambda x, c: x.department.name if x.department_id else ""),
            (_("Reported at"), lambda x, c: _local(x.reported_at)),
            (_("Current deadline"), lambda x, c: _local(x.deadline)),
            (_("Closed at"), lambda x, c: _local(x.closed_at)),
            (_("Times reopened"), lambda x, c: x.reopen_count),
        ],
    )
)


# --- deliberation topics ----------------------------------------------------------------
def _topic_queryset(user, params):
    from shanzhi.areas.models import Area
    from shanzhi.core.scoping import get_in_scope
    from shanzhi.deliberation.choices import TopicClass, TopicStatus
    from shanzhi.deliberation.filters import filtered_topics

    area = get_in_scope(Area.objects, user, pk=params["area"]) if params.get("area") else None
    status = params.get("status") if params.get("status") in TopicStatus.values else None
    topic_class = params.get("topic_class") if params.get("topic_class") in TopicClass.values else None
    qs = filtered_topics(
        user,
        status=status,
        topic_class=topic_class,
        area=area,
        q=(params.get("q") or "")[:50],
        resolved_since=optional_date(params, "resolved_since"),
        resolved_until=optional_date(params, "resolved_until"),
    )
    return qs.select_related("village__parent").order_by("-raised_at", "-id")


register(
    ListExporter(
        name="topics",
        title=_("Topics"),
        queryset=_topic_queryset,
        permission="deliberation.view_deliberation",
        list_url="deliberation:topic_list",
        columns=[
            (_("Title"), lambda t, c: t.title),
            (_("Class"), lambda t, c: str(t.get_topic_class_display())),
            (_("Status"), lambda t, c: str(t.get_status_display())),
            (_("Township"), lambda t, c: t.village.parent.name),
            (_("Village"), lambda t, c: t.village.name),
            (_("Raised by"), lambda t, c: t.raiser_name),
            (_("Raised at"), lambda t, c: _local(t.raised_at)),
            (_("Description"), lambda t, c: t.description[:500]),
        ],
    )
)


# --- grid workers -----------------------------------------------------------------------
def _worker_queryset(user, params):
    from django.db.models import Prefetch

    from shanzhi.areas.models import Area
    from shanzhi.core.scoping import get_in_scope
    from shanzhi.gridwork.choices import WorkerKind
    from shanzhi.gridwork.models import GridAssignment
    from shanzhi.gridwork.presenters import workers_in_area

    area = get_in_scope(Area.objects, user, pk=params["area"]) if params.get("area") else None
    workers = workers_in_area(user, area)
    status = params.get("status", "active")
    if status == "active":
        workers = workers.filter(end_date__isnull=True)
    elif status == "left":
        workers = workers.filter(end_date__isnull=False)
    if params.get("kind") in WorkerKind.values:
        workers = workers.filter(kind=params["kind"])
    current = GridAssignment.objects.current().select_related("grid").order_by("grid__path")
    return (
        workers.select_related("home_area")
        .prefetch_related(Prefetch("assignments", queryset=current, to_attr="now"))
        .order_by("home_area__path", "name", "id")
    )


register(
    ListExporter(
        name="grid_workers",
        title=_("Grid workers"),
        queryset=_worker_queryset,
        list_url="gridwork:roster",
        columns=[
            (_("Full name"), lambda w, c: w.name),
            (_("Category"), lambda w, c: str(w.get_kind_display())),
            (_("Area"), lambda w, c: w.home_area.name),
            (_("Grids"), lambda w, c: "、".join(a.grid.name for a in w.now)),
            (_("Mobile"), lambda w, c: _phone(w.phone, c)),
            (_("Service start"), lambda w, c: w.start_date.isoformat()),
            (_("Service end"), lambda w, c: w.end_date.isoformat() if w.end_date else ""),
        ],
    )
)


# --- a village's points ledger ----------------------------------------------------------------
def _ledger_queryset(user, params):
    from shanzhi.core.errors import Forbidden
    from shanzhi.points.access import visible_village
    from shanzhi.points.filters import LedgerFilter
    from shanzhi.points.models import PointsEntry

    if not user.is_staff_member:
        raise Forbidden()
    village = visible_village(user, params.get("village"))  # 404 when missing or out of scope
    entries = PointsEntry.objects.for_user(user).select_related(
        "state", "rule", "household__head", "recorded_by", "reverses"
    )
    return LedgerFilter(village, params).check().apply(entries)


register(
    ListExporter(
        name="points_ledger",
        title=_("Points ledger"),
        queryset=_ledger_queryset,
        list_url="points:ledger",
        columns=[
            (_("Number"), lambda e, c: e.seq),
            (_("Date"), lambda e, c: e.occurred_on.isoformat()),
            (_("Household number"), lambda e, c: e.household.number),
            (_("Head of household"), lambda e, c: e.household.head_name),
            (_("Rule code"), lambda e, c: e.rule.code if e.rule_id else ""),
            (_("Village rule"), lambda e, c: e.rule.text if e.rule_id else ""),
            (_("Kind"), lambda e, c: str(e.get_kind_display())),
            (_("Points"), lambda e, c: e.delta),
            (_("Reason"), lambda e, c: e.note),
            (_("Status"), lambda e, c: str(e.state.get_status_display())),
            (_("Recorded by"), lambda e, c: str(e.recorded_by) if e.recorded_by_id else ""),
            (_("Recorded at"), lambda e, c: _local(e.created)),
            (_("Took effect at"), lambda e, c: _local(e.state.effective_at)),
            (_("Reverses entry number"), lambda e, c: e.reverses.seq if e.reverses_id else ""),
            (_("SM3 hash"), lambda e, c: e.hash),
        ],
    )
)
