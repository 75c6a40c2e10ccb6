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
