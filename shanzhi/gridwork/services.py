"""Writes of grid work: workers and their grids ("1+N"), duties, visits, care rules, evaluation.

Every function validates everything before writing anything, re-checks the actor's
scope inside its transaction and writes its audit row. ``actor=None`` is the system
(the demo builder, commands).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core import audit, uploads
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.core.scoping import ensure_in_scope
from shanzhi.core.uploads import CheckedUpload
from shanzhi.core.validators import validate_phone
from shanzhi.gridwork.choices import (
    DutyCategory,
    DutyFrequency,
    EvaluationStatus,
    VisitKind,
    VisitPurpose,
    WorkerKind,
)
from shanzhi.gridwork.models import (
    CareRule,
    Duty,
    EvaluationMonth,
    EvaluationScheme,
    GridAssignment,
    GridWorker,
    ManualScore,
    Visit,
    VisitPhoto,
)

WORKER_AUDIT_FIELDS = ["name", "kind", "phone", "home_area", "user", "start_date", "end_date"]
DUTY_AUDIT_FIELDS = [
    "number",
    "name",
    "category",
    "description",
    "frequency",
    "evidence_required",
    "for_specialist",
    "for_full_time",
    "for_part_time",
    "active",
]
SCHEME_WEIGHT_FIELDS = [
    "weight_duty_completion",
    "weight_care_on_time",
    "weight_cases_reported",
    "weight_resolved_on_the_spot",
    "weight_timeliness",
    "weight_satisfaction",
    "weight_manual",
]
SCHEME_OTHER_FIELDS = ["target_cases_reported", "target_resolved_on_the_spot", "red_flags_per_township", "close_on_day"]
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTOS_PER_VISIT = 6
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


_written_photos: contextvars.ContextVar[list | None] = contextvars.ContextVar("gridwork_photos", default=None)


def _atomic_with_photos(func):
    """``transaction.atomic`` that also deletes the photo files a failed write had stored."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        written: list = []
        token = _written_photos.set(written)
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except BaseException:
            for storage, name in written:
                storage.delete(name)
            raise
        finally:
            _written_photos.reset(token)

    return wrapper


def _require(actor, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise Forbidden()


# --- grid workers -----------------------------------------------------------------------


def _check_home_area(home_area, actor, errors: dict) -> None:
    if home_area is None:
        errors["home_area"] = [_("Please select the township or village the worker belongs to.")]
    elif home_area.level not in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE):
        errors["home_area"] = [_("A grid worker belongs to a township or a village.")]
    elif actor is not None and not Area.objects.for_user(actor).filter(pk=home_area.pk).exists():
        errors["home_area"] = [_("This area is outside your jurisdiction.")]


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
    _require(actor, "gridwork.manage_workers")
    errors: dict = {}
    if kind not in WorkerKind.values:
        errors["kind"] = [_("Please select a grid worker category.")]
    if not (name or "").strip():
        errors["name"] = [_("Please enter a name.")]
    try:
        phone = validate_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if actor is not None:
        _check_home_area(home_area, actor, errors)
    start_date = start_date or timezone.localdate()
    if start_date > timezone.localdate():
        errors["start_date"] = [_("The service start cannot be in the future.")]
    if user is not None and GridWorker.objects.filter(user=user).exists():
        errors["user"] = [_("This login account already belongs to another grid worker.")]
    if errors:
        raise InvalidInput(fields=errors)
    worker = GridWorker.objects.create(
        name=name.strip(), kind=kind, home_area=home_area, phone=phone, user=user, start_date=start_date
    )
    if audit_it:
        audit.record(
            "gridwork.worker.created", actor=actor, obj=worker, after=audit.snapshot(worker, WORKER_AUDIT_FIELDS)
        )
    return worker


@transaction.atomic
def update_grid_worker(worker: GridWorker, *, actor, **changes) -> GridWorker:
    """Change a worker's name, kind, phone or home area. Grids change through assignments."""
    _require(actor, "gridwork.manage_workers")
    worker = GridWorker.objects.select_for_update().get(pk=worker.pk)
    ensure_in_scope(worker, actor)
    before = audit.snapshot(worker, WORKER_AUDIT_FIELDS)
    errors: dict = {}
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            errors["name"] = [_("Please enter a name.")]
        worker.name = name
    if "phone" in changes:
        try:
            worker.phone = validate_phone(changes["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if "kind" in changes:
        kind = changes["kind"]
        if kind not in WorkerKind.values:
            errors["kind"] = [_("Please select a grid worker category.")]
        elif (
            kind != WorkerKind.FULL_TIME
            and GridAssignment.objects.current().filter(worker=worker, is_lead=True).exists()
        ):
            errors["kind"] = [
                _("This worker leads a grid: hand the lead to another full-time worker before changing the category.")
            ]
        worker.kind = kind
    if "home_area" in changes:
        _check_home_area(changes["home_area"], actor, errors)
        worker.home_area = changes["home_area"]
    if errors:
        raise InvalidInput(fields=errors)
    worker.save()
    old, new = audit.changed(before, audit.snapshot(worker, WORKER_AUDIT_FIELDS))
    if new:
        audit.record("gridwork.worker.updated", actor=actor, obj=worker, before=old, after=new)
    return worker


def _release_grid_role(worker: GridWorker, grid, actor) -> None:
    """A worker leaving a grid loses the login scope over it (unless still serving it otherwise)."""
    if not worker.user_id:
        return
    from shanzhi.accounts.choices import Role
    from shanzhi.accounts.models import RoleAssignment

    if GridAssignment.objects.current().filter(worker=worker, grid=grid).exists():
        return
    released = RoleAssignment.objects.filter(user_id=worker.user_id, role=Role.GRID_WORKER, area=grid, active=True)
    ids = list(released.values_list("pk", flat=True))
    if ids:
        released.update(active=False)
        audit.record(
            "accounts.role.revoked",
            actor=actor,
            object_type="accounts.roleassignment",
            object_id=",".join(str(i) for i in ids),
            object_repr=f"{worker.name} {grid.name}",
            after={"active": False},
        )


@transaction.atomic
def end_grid_worker_service(worker: GridWorker, *, end_date: dt.date, actor, note: str = "") -> GridWorker:
    """The worker leaves: every current assignment ends and the login loses its grids."""
    _require(actor, "gridwork.manage_workers")
    worker = GridWorker.objects.select_for_update().get(pk=worker.pk)
    ensure_in_scope(worker, actor)
    if worker.end_date is not None:
        raise Conflict(_("This grid worker has already left."), code="worker_already_left")
    errors = {}
    if end_date is None:
        errors["end_date"] = [_("Please enter the date of leaving.")]
    elif end_date > timezone.localdate():
        errors["end_date"] = [_("The date of leaving cannot be in the future.")]
    elif end_date <= worker.start_date:
        errors["end_date"] = [_("The date of leaving must be after the service start.")]
    if errors:
        raise InvalidInput(fields=errors)
    for assignment in list(GridAssignment.objects.current().filter(worker=worker).select_related("grid")):
        _end(assignment, max(end_date, assignment.start_date + dt.timedelta(days=1)), note or _("Left the service"))
        _release_grid_role(worker, assignment.grid, actor)
    before = audit.snapshot(worker, WORKER_AUDIT_FIELDS)
    worker.end_date = end_date
    worker.save(update_fields=["end_date"])
    audit.record(
        "gridwork.worker.left",
        actor=actor,
        obj=worker,
        before=before,
        after=audit.snapshot(worker, WORKER_AUDIT_FIELDS),
    )
    return worker


def _end(assignment: GridAssignment, end_date: dt.date, note: str) -> None:
    assignment.end_date = end_date
    if note:
        assignment.note = note[:200]
    assignment.save(update_fields=["end_date", "note"])


def _assignment_errors(worker: GridWorker, grid, *, lead: bool, start_date: dt.date, actor) -> dict:
    errors: dict = {}
    if grid is None or grid.level != AreaLevel.GRID:
        errors["grid"] = [_("Can only be assigned to a grid.")]
        return errors
    if actor is not None and not Area.objects.for_user(actor).filter(pk=grid.pk).exists():
        errors["grid"] = [_("This grid is outside your jurisdiction.")]
    if grid.valid_to is not None and grid.valid_to <= start_date:
        errors["grid"] = [_("This grid has been retired.")]
    if worker.end_date is not None:
        errors["worker"] = [_("This grid worker has left the service.")]
    if lead and worker.kind != WorkerKind.FULL_TIME:
        errors["is_lead"] = [_("The grid lead must be a full-time grid worker.")]
    if start_date > timezone.localdate():
        errors["start_date"] = [_("The start date cannot be in the future.")]
    if start_date < worker.start_date:
        errors["start_date"] = [_("The start date cannot be before the worker's service start.")]
    return errors


def _lead_conflict(grid) -> Conflict:
    return Conflict(
        _("Grid %(grid)s already has a full-time grid lead (1+N: only one per grid).") % {"grid": grid.name},
        code="grid_has_lead",
        fields={"is_lead": _("This grid already has a full-time grid lead.")},
    )


def _create_assignment(worker, grid, *, lead: bool, start_date, note: str = "") -> GridAssignment:
    if lead and GridAssignment.objects.current().filter(grid=grid, is_lead=True).exists():
        raise _lead_conflict(grid)
    if GridAssignment.objects.current().filter(grid=grid, worker=worker).exists():
        raise Conflict(
            _("This grid worker already serves this grid."),
            code="already_assigned",
            fields={"grid": _("This grid worker already serves this grid.")},
        )
    try:
        with transaction.atomic():
            return GridAssignment.objects.create(
                worker=worker, grid=grid, is_lead=lead, start_date=start_date, note=note[:200]
            )
    except IntegrityError:
        # Two officers naming a lead at once: the unique index lets one win.
        raise _lead_conflict(grid) from None


@transaction.atomic
def assign_worker_to_grid(
    worker: GridWorker,
    grid,
    *,
    lead: bool = False,
    actor=None,
    start_date: dt.date | None = None,
    audit_it: bool = True,
    note: str = "",
) -> GridAssignment:
    _require(actor, "gridwork.manage_workers")
    if actor is not None:
        ensure_in_scope(worker, actor)
    start_date = start_date or timezone.localdate()
    errors = _assignment_errors(worker, grid, lead=lead, start_date=start_date, actor=actor)
    if errors:
        raise InvalidInput(fields=errors)
    assignment = _create_assignment(worker, grid, lead=lead, start_date=start_date, note=note)
    if worker.user_id:
        from shanzhi.accounts.choices import Role
        from shanzhi.accounts.models import RoleAssignment
        from shanzhi.accounts.services import assign_role

        held = RoleAssignment.objects.filter(user_id=worker.user_id, role=Role.GRID_WORKER, area=grid, active=True)
        if not held.exists():
            assign_role(worker.user, Role.GRID_WORKER, area=grid, actor=actor, audit_it=audit_it)
    if audit_it:
        audit.record(
            "gridwork.assignment.created",
            actor=actor,
            obj=assignment,
            after={"worker": worker.pk, "grid": grid.pk, "is_lead": lead, "start_date": start_date},
        )
    return assignment


@transaction.atomic
def end_assignment(assignment: GridAssignment, *, end_date: dt.date, actor, note: str = "") -> GridAssignment:
    _require(actor, "gridwork.manage_workers")
    assignment = GridAssignment.objects.select_for_update().select_related("grid", "worker").get(pk=assignment.pk)
    if actor is not None and not Area.objects.for_user(actor).filter(pk=assignment.grid_id).exists():
        raise NotFound()
    if assignment.end_date is not None:
        raise Conflict(_("This assignment has already ended."), code="assignment_ended")
    if end_date is None or end_date <= assignment.start_date:
        raise InvalidInput(fields={"end_date": _("The end date must be after the start date.")})
    if end_date > timezone.localdate():
        raise InvalidInput(fields={"end_date": _("The end date cannot be in the future.")})
    _end(assignment, end_date, note)
    _release_grid_role(assignment.worker, assignment.grid, actor)
    audit.record(
        "gridwork.assignment.ended", actor=actor, obj=assignment, after={"end_date": end_date, "note": assignment.note}
    )
    return assignment


@transaction.atomic
def transfer_worker(
    worker: GridWorker,
    *,
    from_grid,
    to_grid,
    on_date: dt.date,
    actor,
    lead: bool | None = None,
    note: str = "",
) -> GridAssignment:
    """Move a worker from one grid to another on ``on_date``; the old assignment stays in the history."""
    _require(actor, "gridwork.manage_workers")
    worker = GridWorker.objects.select_for_update().get(pk=worker.pk)
    ensure_in_scope(worker, actor)
    current = (
        GridAssignment.objects.current().select_for_update().filter(worker=worker, grid=from_grid).first()
        if from_grid is not None
        else None
    )
    errors: dict = {}
    if current is None:
        errors["from_grid"] = [_("This grid worker does not currently serve that grid.")]
    on_date = on_date or timezone.localdate()
    if current is not None and on_date <= current.start_date:
        errors["on_date"] = [_("The transfer date must be after the start of the current assignment.")]
    lead = current.is_lead if lead is None and current is not None else bool(lead)
    if to_grid is not None and from_grid is not None and to_grid.pk == from_grid.pk:
        errors["to_grid"] = [_("Please select a different grid.")]
    errors.update(_assignment_errors(worker, to_grid, lead=lead, start_date=on_date, actor=actor))
    if errors:
        raise InvalidInput(fields=errors)
    note = note or _("Transferred from %(from)s to %(to)s") % {"from": from_grid.name, "to": to_grid.name}
    _end(current, on_date, note)
    assignment = _create_assignment(worker, to_grid, lead=lead, start_date=on_date, note=note)
    _release_grid_role(worker, from_grid, actor)
    if worker.user_id:
        from shanzhi.accounts.choices import Role
        from shanzhi.accounts.services import assign_role

        assign_role(worker.user, Role.GRID_WORKER, area=to_grid, actor=actor)
    audit.record(
        "gridwork.worker.transferred",
        actor=actor,
        obj=worker,
        before={"grid": from_grid.pk, "assignment": current.pk},
        after={"grid": to_grid.pk, "assignment": assignment.pk, "is_lead": lead, "on_date": on_date},
    )
    return assignment


# --- duties -------------------------------------------------------------------------------


def _duty_errors(data: dict, *, instance: Duty | None = None) -> dict:
    errors: dict = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Please enter the duty.")]
    elif Duty.objects.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["name"] = [_("A duty with this name already exists.")]
    number = data.get("number")
    if not isinstance(number, int) or number < 1:
        errors["number"] = [_("Please enter a positive number.")]
    elif Duty.objects.filter(number=number).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["number"] = [_("Number %(n)s is already used.") % {"n": number}]
    if data.get("category") not in DutyCategory.values:
        errors["category"] = [_("Please select a category.")]
    if data.get("frequency") not in DutyFrequency.values:
        errors["frequency"] = [_("Please select a frequency.")]
    if not (data.get("for_specialist") or data.get("for_full_time") or data.get("for_part_time")):
        errors["kinds"] = [_("Select at least one kind of grid worker the duty applies to.")]
    return errors


@transaction.atomic
def create_duty(*, actor, **data) -> Duty:
    _require(actor, "gridwork.change_duty")
    fields = {f: data.get(f) for f in DUTY_AUDIT_FIELDS if f in data}
    fields.setdefault("active", True)
    errors = _duty_errors(fields)
    if errors:
        raise InvalidInput(fields=errors)
    fields["name"] = fields["name"].strip()
    duty = Duty.objects.create(**fields)
    audit.record("gridwork.duty.created", actor=actor, obj=duty, after=audit.snapshot(duty, DUTY_AUDIT_FIELDS))
    return duty


@transaction.atomic
def update_duty(duty: Duty, *, actor, **changes) -> Duty:
    _require(actor, "gridwork.change_duty")
    duty = Duty.objects.select_for_update().get(pk=duty.pk)
    before = audit.snapshot(duty, DUTY_AUDIT_FIELDS)
    data = {**before, **{k: v for k, v in changes.items() if k in DUTY_AUDIT_FIELDS}}
    errors = _duty_errors(data, instance=duty)
    if errors:
        raise InvalidInput(fields=errors)
    for name in DUTY_AUDIT_FIELDS:
        setattr(duty, name, data[name].strip() if name == "name" else data[name])
    duty.save()
    old, new = audit.changed(before, audit.snapshot(duty, DUTY_AUDIT_FIELDS))
    if new:
        audit.record("gridwork.duty.updated", actor=actor, obj=duty, before=old, after=new)
    return duty


# --- visits ---------------------------------------------------------------------------------


def worker_for_user(user) -> GridWorker | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return GridWorker.objects.filter(user=user, end_date__isnull=True).first()


def grids_served(worker: GridWorker, on: dt.date) -> list[Area]:
    ids = GridAssignment.objects.on(on).filter(worker=worker).values("grid_id")
    return list(Area.objects.filter(pk__in=ids).order_by("path"))


def check_photos(photos) -> list[CheckedUpload]:
    """Read and check uploaded photos (JPEG, PNG, WebP) before anything is written."""
    return uploads.check_files(
        photos, field="photos", accept=uploads.PHOTOS, max_bytes=PHOTO_MAX_BYTES, max_count=PHOTOS_PER_VISIT
    )


def closed_month_for(grid: Area, day: dt.date) -> bool:
    township = Area.objects.filter(code=grid.ancestor_code(AreaLevel.TOWNSHIP)).values_list("pk", flat=True).first()
    return EvaluationMonth.objects.filter(
        township_id=township, month=day.replace(day=1), status=EvaluationStatus.CLOSED
    ).exists()


@_atomic_with_photos
def log_visit(
    *,
    actor,
    kind: str,
    purpose: str,
    worker: GridWorker | None = None,
    household=None,
    grid=None,
    visited_at: dt.datetime | None = None,
    notes: str = "",
    location_lat: float | None = None,
    location_lng: float | None = None,
    duties=(),
    photos=(),
    case: dict | None = None,
) -> Visit:
    """Log a household visit or a grid patrol, optionally raising a case from it in the same step.

    ``case`` is ``{"title", "description", "category", "priority"}``; the case is reported
    with source "grid_patrol" for the visit's grid and household.
    """
    _require(actor, "gridwork.add_visit")
    errors: dict = {}
    own = worker_for_user(actor)
    if worker is None:
        worker = own
        if worker is None and actor is not None:
            raise Forbidden(_("Only a grid worker can log a visit; your account is not linked to a grid worker."))
    elif actor is not None and (own is None or own.pk != worker.pk):
        ensure_in_scope(worker, actor)
    if worker is None:
        raise InvalidInput(fields={"worker": _("Please select the grid worker.")})
    if worker.end_date is not None:
        errors["worker"] = [_("This grid worker has left the service.")]
    now = timezone.now()
    visited_at = visited_at or now
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    visited_on = timezone.localdate(visited_at)
    if visited_at > now + FUTURE_TOLERANCE:
        errors["visited_at"] = [_("The time of the visit cannot be in the future.")]
    elif visited_on < worker.start_date:
        errors["visited_at"] = [_("The visit is dated before the worker's service start.")]
    if kind not in VisitKind.values:
        errors["kind"] = [_("Please choose a household visit or a grid patrol.")]
    if purpose not in VisitPurpose.values:
        errors["purpose"] = [_("Please select the purpose of the visit.")]
    served = {g.pk: g for g in grids_served(worker, visited_on)}
    if kind == VisitKind.HOUSEHOLD:
        if household is None:
            errors["household"] = [_("Please select the household visited.")]
        else:
            if actor is not None and not household.__class__.objects.for_user(actor).filter(pk=household.pk).exists():
                errors["household"] = [_("This household is outside your jurisdiction.")]
            elif household.grid_id not in served:
                errors["household"] = [
                    _("Household %(number)s is not in a grid this worker serves.") % {"number": household.number}
                ]
            grid = served.get(household.grid_id) or household.grid
    elif kind == VisitKind.PATROL:
        if grid is None:
            if len(served) == 1:
                grid = next(iter(served.values()))
            else:
                errors["grid"] = [_("Please select the grid patrolled.")]
        elif grid.pk not in served:
            errors["grid"] = [_("This worker does not serve grid %(grid)s.") % {"grid": grid.name}]
        household = None
    for value, field, low, high in ((location_lat, "location_lat", -90, 90), (location_lng, "location_lng", -180, 180)):
        if value is not None and not (low <= value <= high):
            errors[field] = [_("Invalid coordinate.")]
    duty_list = list(duties or [])
    inactive = [d for d in duty_list if not d.active]
    if inactive:
        errors["duties"] = [_("Duty %(name)s is no longer in the catalogue.") % {"name": inactive[0].name}]
    not_mine = [d for d in duty_list if not d.applies_to(worker.kind)]
    if not_mine:
        errors["duties"] = [
            _("Duty %(name)s does not apply to a %(kind)s.")
            % {"name": not_mine[0].name, "kind": worker.get_kind_display()}
        ]
    if grid is not None and not errors.get("visited_at") and closed_month_for(grid, visited_on):
        errors["visited_at"] = [
            _("The evaluation of %(month)s is closed; visits of that month can no longer be added.")
            % {"month": f"{visited_on.year}年{visited_on.month}月"}
        ]
    notes = (notes or "").strip()
    if len(notes) > 2000:
        errors["notes"] = [_("At most 2000 characters.")]
    if case is not None:
        if not (case.get("title") or "").strip():
            errors["case.title"] = [_("Please enter the title of the case.")]
        if not case.get("category"):
            errors["case.category"] = [_("Please select the category of the case.")]
    if errors:
        raise InvalidInput(fields=errors)
    checked = check_photos(photos)
    evidence = [d for d in duty_list if d.evidence_required]
    if evidence and not checked and not notes:
        raise InvalidInput(
            fields={"photos": _("Duty %(name)s requires evidence: add a photo or notes.") % {"name": evidence[0].name}}
        )
    visit = Visit.objects.create(
        worker=worker,
        kind=kind,
        purpose=purpose,
        grid=grid,
        household=household if kind == VisitKind.HOUSEHOLD else None,
        visited_at=visited_at,
        visited_on=visited_on,
        notes=notes,
        location_lat=location_lat,
        location_lng=location_lng,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if duty_list:
        visit.duties.set(duty_list)
    if case is not None:
        _raise_case(visit, actor=actor, **case)
    _store_photos(visit, checked)
    audit.record(
        "gridwork.visit.created",
        actor=actor,
        obj=visit,
        after={
            "worker": worker.pk,
            "kind": kind,
            "purpose": purpose,
            "grid": grid.pk,
            "household": visit.household_id,
            "visited_at": visited_at,
            "duties": sorted(d.pk for d in duty_list),
            "photos": len(checked),
        },
    )
    return visit


def _store_photos(visit: Visit, checked) -> list[VisitPhoto]:
    """Write the files. Called last in a write, after every check that could still fail."""
    from django.core.files.base import ContentFile

    saved = []
    for upload in checked:
        photo = VisitPhoto(visit=visit, content_type=upload.content_type, size=upload.size, sha256=upload.sha256)
        photo.file.save("photo", ContentFile(upload.content), save=False)
        written = _written_photos.get()
        if written is not None:
            written.append((photo.file.storage, photo.file.name))
        photo.save()
        saved.append(photo)
    return saved


@_atomic_with_photos
def add_visit_photos(visit: Visit, *, photos, actor) -> list[VisitPhoto]:
    _require(actor, "gridwork.add_visit")
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    ensure_in_scope(visit, actor)
    own = worker_for_user(actor)
    if (
        actor is not None
        and (own is None or own.pk != visit.worker_id)
        and not actor.has_perm("gridwork.manage_workers")
    ):
        raise Forbidden(_("Only the worker who logged the visit can add photos to it."))
    if visit.photos.count() + len(list(photos)) > PHOTOS_PER_VISIT:
        raise InvalidInput(fields={"photos": _("At most %(n)d photos per visit.") % {"n": PHOTOS_PER_VISIT}})
    checked = check_photos(photos)
    if not checked:
        raise InvalidInput(fields={"photos": _("Please choose a photo.")})
    saved = _store_photos(visit, checked)
    audit.record("gridwork.visit.photos_added", actor=actor, obj=visit, after={"photos": [p.pk for p in saved]})
    return saved


def _raise_case(visit: Visit, *, actor, title: str, category, description: str = "", priority: str = "normal"):
    from shanzhi.cases.choices import CaseSource
    from shanzhi.cases.services import report_case

    case = report_case(
        actor=actor,
        title=title.strip(),
        description=(description or visit.notes or title).strip(),
        category=category,
        grid=visit.grid,
        source=CaseSource.GRID_PATROL,
        household=visit.household,
        priority=priority or "normal",
        location_lat=visit.location_lat,
        location_lng=visit.location_lng,
    )
    visit.case = case
    visit.save(update_fields=["case"])
    audit.record("gridwork.visit.case_raised", actor=actor, obj=visit, after={"case": case.pk})
    return case


@transaction.atomic
def raise_case_from_visit(
    visit: Visit, *, actor, title: str, category, description: str = "", priority: str = "normal"
):
    """Report a case from a logged visit: grid, household, location and notes carry over."""
    _require(actor, "gridwork.add_visit")
    visit = Visit.objects.select_for_update(of=("self",)).select_related("grid", "household").get(pk=visit.pk)
    ensure_in_scope(visit, actor)
    if visit.case_id:
        raise Conflict(_("A case has already been raised from this visit."), code="case_already_raised")
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("Please enter the title of the case.")]
    if not category:
        errors["category"] = [_("Please select the category of the case.")]
    if errors:
        raise InvalidInput(fields=errors)
    return _raise_case(visit, actor=actor, title=title, category=category, description=description, priority=priority)


# --- care rules ---------------------------------------------------------------------------


@transaction.atomic
def set_care_rule(tag, *, interval_days, actor, active: bool = True) -> CareRule:
    _require(actor, "gridwork.change_carerule")
    if not isinstance(interval_days, int) or not (1 <= interval_days <= 366):
        raise InvalidInput(fields={"interval_days": _("Enter a number of days from 1 to 366.")})
    rule = CareRule.objects.select_for_update().filter(tag=tag).first()
    before = {"interval_days": rule.interval_days, "active": rule.active} if rule else None
    if rule is None:
        rule = CareRule.objects.create(tag=tag, interval_days=interval_days, active=active)
    else:
        rule.interval_days, rule.active = interval_days, active
        rule.save()
    audit.record(
        "gridwork.care_rule.set",
        actor=actor,
        obj=rule,
        before=before,
        after={"tag": tag.code, "interval_days": interval_days, "active": active},
    )
    return rule


# --- the evaluation scheme and the township's assessment -------------------------------------


def current_scheme() -> EvaluationScheme:
    scheme = EvaluationScheme.objects.order_by("pk").first()
    if scheme is None:
        scheme, _created = EvaluationScheme.objects.get_or_create(pk=1)
    return scheme


@transaction.atomic
def update_evaluation_scheme(*, actor, **values) -> EvaluationScheme:
    _require(actor, "gridwork.change_evaluationscheme")
    scheme = EvaluationScheme.objects.select_for_update().filter(pk=current_scheme().pk).get()
    fields = SCHEME_WEIGHT_FIELDS + SCHEME_OTHER_FIELDS
    before = {f: getattr(scheme, f) for f in fields}
    merged = {**before, **{k: v for k, v in values.items() if k in fields and v is not None}}
    errors: dict = {}
    for name in fields:
        value = merged[name]
        if not isinstance(value, int) or value < 0:
            errors[name] = [_("Enter a whole number of 0 or more.")]
    for name in SCHEME_OTHER_FIELDS:
        if name not in errors and merged[name] < 1:
            errors[name] = [_("Enter a whole number of 1 or more.")]
    if "close_on_day" not in errors and merged["close_on_day"] > 28:
        errors["close_on_day"] = [_("Enter a day from 1 to 28.")]
    if not errors:
        total = sum(merged[f] for f in SCHEME_WEIGHT_FIELDS)
        if total != 100:
            errors["weights"] = [
                _("The weights add up to %(total)d; they must add up to exactly 100.") % {"total": total}
            ]
    if errors:
        raise InvalidInput(fields=errors)
    for name, value in merged.items():
        setattr(scheme, name, value)
    scheme.updated_by = actor if actor is not None and actor.is_authenticated else None
    scheme.save()
    old, new = audit.changed(before, {f: getattr(scheme, f) for f in fields})
    if new:
        audit.record("gridwork.scheme.updated", actor=actor, obj=scheme, before=old, after=new)
    return scheme


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


@transaction.atomic
def set_manual_score(
    worker: GridWorker, *, month: dt.date, percent: int, actor, note: str = "", township=None
) -> ManualScore:
    """The township's assessment of a full-time worker for a month, 0-100 % of the manual weight."""
    _require(actor, "gridwork.score_evaluation")
    month = month_start(month)
    errors: dict = {}
    if not isinstance(percent, int) or not (0 <= percent <= 100):
        errors["percent"] = [_("Enter a score from 0 to 100.")]
    if worker.kind != WorkerKind.FULL_TIME:
        errors["worker"] = [_("Only full-time grid workers are evaluated monthly.")]
    if month > month_start(timezone.localdate()):
        errors["month"] = [_("The month cannot be in the future.")]
    if township is None:
        from shanzhi.gridwork.evaluation import township_of_worker

        township = township_of_worker(worker, month)
    if township is None:
        errors["worker"] = [_("This worker served no grid in that month.")]
    if errors:
        raise InvalidInput(fields=errors)
    if actor is not None and not Area.objects.for_user(actor).filter(pk=township.pk).exists():
        raise NotFound()
    if EvaluationMonth.objects.filter(township=township, month=month, status=EvaluationStatus.CLOSED).exists():
        raise Conflict(
            _("The evaluation of this month is closed and can no longer be changed."), code="evaluation_closed"
        )
    score = ManualScore.objects.select_for_update().filter(worker=worker, month=month).first()
    before = {"percent": score.percent, "note": score.note} if score else None
    if score is None:
        score = ManualScore(worker=worker, month=month, township=township)
    score.percent, score.note, score.township = percent, (note or "").strip()[:300], township
    score.scored_by = actor if actor is not None and actor.is_authenticated else None
    score.save()
    audit.record(
        "gridwork.manual_score.set",
        actor=actor,
        obj=score,
        before=before,
        after={"worker": worker.pk, "month": month, "percent": percent, "note": score.note},
    )
    return score
