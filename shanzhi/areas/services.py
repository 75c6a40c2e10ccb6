"""Writes to the county tree. Every function runs in one transaction and audits."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from shanzhi.areas.choices import CHILD_LEVEL, AreaLevel
from shanzhi.areas.models import Area, Department
from shanzhi.core import audit
from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.scoping import ensure_in_scope

AREA_AUDIT_FIELDS = ["parent", "level", "code", "name", "valid_from", "valid_to", "centroid_lat", "centroid_lng"]


def _check_placement(level: str, parent: Area | None) -> None:
    if level == AreaLevel.COUNTY:
        if parent is not None:
            raise InvalidInput(fields={"parent": _("A county cannot have a parent area.")})
        return
    if parent is None:
        raise InvalidInput(fields={"parent": _("Please select a parent area.")})
    if CHILD_LEVEL.get(parent.level) != level:
        raise InvalidInput(
            fields={
                "parent": _("The parent of a %(child)s must be a %(parent)s.")
                % {"child": AreaLevel(level).label, "parent": AreaLevel(CHILD_LEVEL_PARENT[level]).label}
            }
        )


CHILD_LEVEL_PARENT = {child: parent for parent, child in CHILD_LEVEL.items()}


@transaction.atomic
def create_area(
    *,
    level: str,
    code: str,
    name: str,
    parent: Area | None = None,
    actor=None,
    valid_from: dt.date | None = None,
    centroid: tuple[float, float] | None = None,
    boundary: dict | None = None,
    sort_order: int = 0,
    audit_it: bool = True,
) -> Area:
    if level not in AreaLevel.values:
        raise InvalidInput(fields={"level": _("Unknown area level.")})
    _check_placement(level, parent)
    if actor is not None and parent is not None:
        ensure_in_scope(parent, actor)
    if Area.objects.filter(code=code).exists():
        raise Conflict(
            _("Area code %(code)s already exists.") % {"code": code},
            code="duplicate_code",
            fields={"code": _("This code is already in use.")},
        )
    area = Area(level=level, code=code, name=name.strip(), parent=parent, sort_order=sort_order, boundary=boundary)
    if valid_from:
        area.valid_from = valid_from
    if centroid:
        area.centroid_lat, area.centroid_lng = centroid
    area.path = area.build_path()
    area.depth = area.path.count("/") - 2
    area.full_clean()
    area.save()
    if audit_it:
        audit.record("areas.area.created", actor=actor, obj=area, after=audit.snapshot(area, AREA_AUDIT_FIELDS))
    return area


@transaction.atomic
def retire_area(area: Area, *, on: dt.date, actor) -> Area:
    """End an area's validity (a redrawn grid); its records keep pointing at it."""
    area = Area.objects.select_for_update().get(pk=area.pk)
    ensure_in_scope(area, actor)
    if area.valid_to is not None:
        raise Conflict(_("This area has been deactivated."), code="already_retired")
    if on <= area.valid_from:
        raise InvalidInput(fields={"valid_to": _("The deactivation date must be later than the activation date.")})
    before = audit.snapshot(area, AREA_AUDIT_FIELDS)
    area.valid_to = on
    area.save(update_fields=["valid_to", "updated"])
    audit.record(
        "areas.area.retired", actor=actor, obj=area, before=before, after=audit.snapshot(area, AREA_AUDIT_FIELDS)
    )
    return area


@transaction.atomic
def create_department(
    *, name: str, code: str, kind: str, area: Area, actor=None, phone: str = "", audit_it: bool = True
) -> Department:
    if Department.objects.filter(code=code).exists():
        raise Conflict(
            _("Department code %(code)s already exists.") % {"code": code},
            code="duplicate_code",
            fields={"code": _("This code is already in use.")},
        )
    department = Department(name=name, code=code, kind=kind, area=area, phone=phone)
    department.full_clean()
    department.save()
    if audit_it:
        audit.record(
            "areas.department.created",
            actor=actor,
            obj=department,
            after=audit.snapshot(department, ["name", "code", "kind", "area"]),
        )
    return department
