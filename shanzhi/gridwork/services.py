"""Writes to grid workers and their grids. "1+N" is enforced here and by a unique index."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.core import audit
from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.scoping import ensure_in_scope
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.models import GridAssignment, GridWorker

WORKER_AUDIT_FIELDS = ["name", "kind", "phone", "home_area", "user", "start_date", "end_date"]


@transaction.atomic
def create_grid_worker(
    *,
    name: str,
    kind: str,
    home_area,
    actor=None,
    phone: str = "",
    user=None,
    start_date: dt.date | None = None,
    audit_it: bool = True,
) -> GridWorker:
    from django.core.exceptions import ValidationError

    from shanzhi.core.validators import validate_phone

    errors = {}
    if kind not in WorkerKind.values:
        errors["kind"] = [_("Please select a grid worker category.")]
    if not (name or "").strip():
        errors["name"] = [_("Please enter a name.")]
    try:
        phone = validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if errors:
        raise InvalidInput(fields=errors)
    if actor is not None:
        ensure_in_scope(home_area, actor)
    worker = GridWorker.objects.create(
        name=name.strip(),
        kind=kind,
        home_area=home_area,
        phone=phone,
        user=user,
        start_date=start_date or timezone.localdate(),
    )
    if audit_it:
        audit.record(
            "gridwork.worker.created", actor=actor, obj=worker, after=audit.snapshot(worker, WORKER_AUDIT_FIELDS)
        )
    return worker


@transaction.atomic
def assign_worker_to_grid(
    worker: GridWorker,
    grid,
    *,
    lead: bool = False,
    actor=None,
    start_date: dt.date | None = None,
    audit_it: bool = True,
) -> GridAssignment:
    if grid.level != AreaLevel.GRID:
        raise InvalidInput(fields={"grid": _("Can only be assigned to a grid.")})
    if actor is not None:
        ensure_in_scope(grid, actor)
    if lead and worker.kind != WorkerKind.FULL_TIME:
        raise InvalidInput(fields={"is_lead": _("The grid lead must be a full-time grid worker.")})
    if lead and GridAssignment.objects.current().filter(grid=grid, is_lead=True).exists():
        raise Conflict(
            _("Grid %(grid)s already has a full-time grid lead (1+N: only one per grid).") % {"grid": grid.name},
            code="grid_has_lead",
            fields={"is_lead": _("This grid already has a full-time grid lead.")},
        )
    try:
        with transaction.atomic():
            assignment = GridAssignment.objects.create(
                worker=worker, grid=grid, is_lead=lead, start_date=start_date or timezone.localdate()
            )
    except IntegrityError:
        raise Conflict(
            _("This grid worker is already in this grid, or the grid already has a grid lead."),
            code="grid_assignment_conflict",
        ) from None
    if worker.user_id:
        from shanzhi.accounts.choices import Role
        from shanzhi.accounts.services import assign_role

        assign_role(worker.user, Role.GRID_WORKER, area=grid, actor=actor, audit_it=audit_it)
    if audit_it:
        audit.record(
            "gridwork.assignment.created",
            actor=actor,
            obj=assignment,
            after={"worker": worker.pk, "grid": grid.pk, "is_lead": lead},
        )
    return assignment
