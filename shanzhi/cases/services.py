"""Every write to a case. Views, the API, Open311, commands and the demo call these.

Each step looks itself up in :mod:`shanzhi.cases.workflow` (403 when the actor's
role lacks the permission), re-checks the actor's scope inside the transaction
(404), locks the case row and re-reads its status (409 when the step cannot start
from it), validates every input before writing anything (422 with ``fields``), then
moves the status with a conditional UPDATE, writes one timeline event, the audit row
and the notifications, all in one transaction. Two officers pressing the same button
at once: the second waits for the first's lock, then finds the status moved and gets
409; the timeline holds one event.

``actor=None`` is the system itself (the demo builder, Open311 integrations, the
sweep), which acts on the whole county.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import uuid
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.choices import Role
from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area, Department
from shanzhi.cases import conf, notify
from shanzhi.cases.choices import (
    CLOCK_STATUSES,
    CaseSource,
    CaseStatus,
    DayKind,
    DeadlineUnit,
    EscalationLevel,
    EscalationReason,
    EventAction,
    NotificationKind,
    Priority,
)
from shanzhi.cases.models import (
    CalendarDay,
    Case,
    CaseAttachment,
    CaseCoDepartment,
    CaseEvent,
    CaseNumberSequence,
    Category,
    Open311Key,
)
from shanzhi.cases.signals import case_closed
from shanzhi.cases.uploads import CheckedUpload, check_uploads
from shanzhi.cases.workdays import WorkingCalendar
from shanzhi.cases.workflow import PERM_MANAGE, PERM_REPORT, STEPS
from shanzhi.core import audit
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.core.scoping import ensure_in_scope
from shanzhi.core.validators import validate_phone
from shanzhi.people.models import Household

CASE_AUDIT_FIELDS = [
    "number",
    "title",
    "category",
    "priority",
    "source",
    "status",
    "grid",
    "household",
    "department",
    "check_in_deadline",
    "resolution_deadline",
    "escalation_level",
]
MAX_TITLE = 100
MAX_DESCRIPTION = 4000
MAX_NOTE = 2000


# --- helpers -----------------------------------------------------------------------
def _label(actor, fallback: str = "") -> str:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return str(actor)[:150]
    return fallback or _("System")


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise Forbidden()


def _text(value, field: str, errors: dict, *, required: bool, limit: int, message: str = "") -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        errors[field] = [message or _("This field is required.")]
    elif len(text) > limit:
        errors[field] = [_("At most %(limit)d characters.") % {"limit": limit}]
    return text


def resolve_category(category) -> Category | None:
    if isinstance(category, Category):
        return category
    if category in (None, ""):
        return None
    found = Category.objects.filter(code=str(category)).first()
    if found is None and str(category).isdigit():
        found = Category.objects.filter(pk=int(category)).first()
    return found


def _as(model, value):
    if value is None or value == "" or isinstance(value, model):
        return value or None
    try:
        return model.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def _actor_department_ids(actor) -> set[int]:
    if actor is None:
        return set()
    return {
        a.department_id
        for a in actor.active_assignments
        if a.role == Role.DEPARTMENT_HANDLER and a.department_id is not None
    }


def _is_villager_only(actor) -> bool:
    return actor is not None and not actor.is_superuser and actor.roles == frozenset({Role.VILLAGER})


def _next_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    prefix = conf.case_prefix()
    for _attempt in range(3):
        if CaseNumberSequence.objects.filter(year=year).update(last=F("last") + 1):
            last = CaseNumberSequence.objects.get(year=year).last
            return f"{prefix}-{year}-{last:06d}"
        start = _highest_number(prefix, year)
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.create(year=year, last=start + 1)
            return f"{prefix}-{year}-{start + 1:06d}"
        except IntegrityError:
            continue
    raise Conflict(_("Could not allocate a case number; please try again."))


def _highest_number(prefix: str, year: int) -> int:
    top = Case.objects.filter(number__startswith=f"{prefix}-{year}-").aggregate(top=Max("number"))["top"]
    return int(top.rsplit("-", 1)[1]) if top else 0


def sync_number_sequence(year: int) -> None:
    """Make the sequence follow numbers written in bulk (demo, imports, benchmarks)."""
    top = _highest_number(conf.case_prefix(), year)
    updated = CaseNumberSequence.objects.filter(year=year, last__lt=top).update(last=top)
    if not updated and not CaseNumberSequence.objects.filter(year=year).exists():
        CaseNumberSequence.objects.create(year=year, last=top)


_written_files: contextvars.ContextVar[list | None] = contextvars.ContextVar("cases_written_files", default=None)


def _atomic_with_files(func):
    """``transaction.atomic`` that also removes the files a failed step had written."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        written: list = []
        token = _written_files.set(written)
        try:
            with transaction.atomic():
                audit.lock_chain()  # chain lock before row locks: no deadlock with another step's audit row
                return func(*args, **kwargs)
        except BaseException:
            for storage, name in written:
                storage.delete(name)
            raise
        finally:
            _written_files.reset(token)

    return wrapper


def _store_attachments(case, event, uploads: list[CheckedUpload], actor) -> list[CaseAttachment]:
    stored = []
    written = _written_files.get()
    for upload in uploads:
        attachment = CaseAttachment(
            case=case,
            event=event,
            original_name=upload.name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        )
        attachment.file.save(upload.name, ContentFile(upload.content), save=False)
        if written is not None:
            written.append((attachment.file.storage, attachment.file.name))
        attachment.save()
        stored.append(attachment)
    return stored


def _event(
    case: Case,
    action: str,
    actor,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    department=None,
    data: dict | None = None,
    uploads: list[CheckedUpload] = (),
    actor_label: str = "",
    when: dt.datetime | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=_label(actor, actor_label),
        created=when or timezone.now(),
        from_status=from_status,
        to_status=to_status,
        note=note,
        department=department,
        data=audit._json_value(data or {}),
    )
    event.save()
    if uploads:
        _store_attachments(case, event, list(uploads), actor)
    return event


def _lock(case: Case) -> Case:
    try:
        return Case.objects.select_for_update().select_related("category", "grid").get(pk=case.pk)
    except Case.DoesNotExist:
        raise NotFound() from None


def _begin(case: Case, step_name: str, actor) -> Case:
    """Permission (403), scope (404), lock, status (409) — in that order."""
    step = STEPS[step_name]
    _require(actor, step.permission)
    ensure_in_scope(case, actor)
    locked = _lock(case)
    if locked.status not in step.sources:
        raise Conflict(
            _("This case is now “%(status)s”; “%(step)s” is not possible from that status.")
            % {"status": locked.get_status_display(), "step": step.label},
            code="illegal_transition",
        )
    return locked


def _require_own_department(case: Case, actor) -> None:
    if actor is None or actor.is_superuser:
        return
    if case.department_id not in _actor_department_ids(actor):
        raise Forbidden(_("Only the lead department of this case can do this."))


def _move(case: Case, from_status: str, to_status: str, **updates) -> None:
    """The conditional UPDATE that moves the status: 0 rows means someone else moved it first."""
    moved = Case.objects.filter(pk=case.pk, status=from_status).update(
        status=to_status, updated_at=timezone.now(), **updates
    )
    if not moved:
        raise Conflict(_("Someone else has just changed this case. Please reload it."), code="illegal_transition")
    case.status = to_status
    for name, value in updates.items():
        setattr(case, name, value)


def _audit(verb: str, case: Case, actor, before: dict, **extra) -> None:
    old, new = audit.changed(before, audit.snapshot(case, CASE_AUDIT_FIELDS))
    audit.record(f"cases.case.{verb}", actor=actor, obj=case, before=old, after=new, **extra)


def _transition(
    case: Case,
    to_status: str,
    actor,
    *,
    action: str,
    verb: str,
    note: str = "",
    event_department=None,
    data: dict | None = None,
    uploads: list[CheckedUpload] = (),
    audit_extra: dict | None = None,
    **changes,
) -> CaseEvent:
    """One step of the workflow once its input is valid: the conditional status UPDATE
    (409 if someone moved the case first), the timeline event and the audit row.

    ``changes`` are the case's fields the step sets; ``event_department`` is the
    department the timeline shows the step for."""
    before = audit.snapshot(case, CASE_AUDIT_FIELDS)
    source = case.status
    _move(case, source, to_status, **changes)
    event = _event(
        case,
        action,
        actor,
        from_status=source,
        to_status=to_status,
        note=note,
        department=event_department,
        data=data,
        uploads=uploads,
    )
    _audit(verb, case, actor, before, **(audit_extra or {}))
    return event


def _uploads(attachments, field="attachments") -> list[CheckedUpload]:
    return check_uploads(attachments, field) if attachments else []


def _checked_uploads(attachments, errors: dict) -> list[CheckedUpload]:
    """The attachments, checked; problems go into ``errors`` with the other fields'."""
    try:
        return _uploads(attachments)
    except InvalidInput as exc:
        errors.update(exc.fields)
        return []


def _raise_if(errors: dict) -> None:
    if errors:
        raise InvalidInput(fields=errors)


def _grid_path(case: Case) -> str:
    return case.grid.path


# --- reporting ---------------------------------------------------------------------
@_atomic_with_files
def report_case(
    *,
    actor,
    title,
    description,
    category,
    grid,
    source,
    household=None,
    priority=Priority.NORMAL,
    location_lat=None,
    location_lng=None,
    address="",
    reporter_name="",
    reporter_phone="",
    attachments=(),
    actor_label: str = "",
) -> Case:
    """Blow the whistle: a new case in ``reported``, waiting for the township command centre."""
    _require(actor, PERM_REPORT)
    errors: dict = {}
    description = _text(
        description,
        "description",
        errors,
        required=True,
        limit=MAX_DESCRIPTION,
        message=_("Please describe the problem."),
    )
    title = _text(title, "title", errors, required=False, limit=MAX_TITLE)
    if not title and description:
        title = description.splitlines()[0][:30]
    category_obj = resolve_category(category)
    if category_obj is None or not category_obj.active:
        errors["category"] = [_("Please select a category.")]
    if source not in CaseSource.values:
        errors["source"] = [_("Unknown source.")]
    if priority not in Priority.values:
        errors["priority"] = [_("Unknown priority.")]

    household = _as(Household, household)
    grid = _as(Area, grid)
    if _is_villager_only(actor):
        own = [a.household for a in actor.active_assignments if a.household_id]
        if household is None and own:
            household = own[0]
        if household is None or household.pk not in {h.pk for h in own}:
            errors["household"] = [_("You can only report about your own household.")]
        elif grid is None:
            grid = household.grid
        source = CaseSource.SELF_REPORT if source not in CaseSource.values else source
    elif household is not None and actor is not None:
        if not Household.objects.for_user(actor).filter(pk=household.pk).exists():
            errors["household"] = [_("This household is outside your jurisdiction.")]
    if grid is None and household is not None:
        grid = household.grid
    if grid is None:
        errors["grid"] = [_("Please select a grid.")]
    elif grid.level != AreaLevel.GRID:
        errors["grid"] = [_("A case belongs to a grid. Please select a grid.")]
    elif (
        actor is not None
        and not _is_villager_only(actor)
        and not Area.objects.for_user(actor).filter(pk=grid.pk).exists()
    ):
        errors["grid"] = [_("This grid is outside your jurisdiction.")]
    if household is not None and grid is not None and household.grid_id != grid.pk and "household" not in errors:
        errors["household"] = [_("This household is not in the selected grid.")]

    lat, lng = _coordinates(location_lat, location_lng, errors)
    address = _text(address, "address", errors, required=False, limit=200)
    reporter_name = _text(reporter_name, "reporter_name", errors, required=False, limit=50)
    phone = ""
    if reporter_phone:
        try:
            phone = validate_phone(reporter_phone)
        except ValidationError as exc:
            errors["reporter_phone"] = exc.messages
    uploads: list[CheckedUpload] = []
    try:
        uploads = _uploads(attachments)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)

    now = timezone.now()
    authenticated = actor is not None and actor.is_authenticated
    case = Case.objects.create(
        number=_next_number(now),
        title=title,
        description=description,
        category=category_obj,
        priority=priority,
        source=source,
        reporter=actor if authenticated else None,
        reporter_name=reporter_name or (str(actor) if authenticated else ""),
        reporter_phone=phone,
        grid=grid,
        household=household,
        location_lat=lat,
        location_lng=lng,
        address=address,
        reported_at=now,
    )
    _event(
        case,
        EventAction.REPORTED,
        actor,
        to_status=CaseStatus.REPORTED,
        note=description,
        data={"source": source},
        uploads=uploads,
        actor_label=actor_label,
        when=now,
    )
    audit.record(
        "cases.case.reported",
        actor=actor,
        obj=case,
        after=audit.snapshot(case, CASE_AUDIT_FIELDS),
        actor_label=actor_label,
    )
    notify.notify(
        notify.command_centre_users(grid.path),
        kind=NotificationKind.REPORTED,
        case=case,
        text=_("New case %(number)s: %(title)s") % {"number": case.number, "title": case.title},
        exclude=actor.pk if authenticated else None,
    )
    return case


def _coordinates(lat, lng, errors: dict) -> tuple[float | None, float | None]:
    if lat in (None, "") and lng in (None, ""):
        return None, None
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError):
        errors["location"] = [_("The location is not a valid coordinate.")]
        return None, None
    if not (-90 <= lat_f <= 90) or not (-180 <= lng_f <= 180):
        errors["location"] = [_("The location is not a valid coordinate.")]
        return None, None
    return lat_f, lng_f


# --- triage by the command centre --------------------------------------------------
@transaction.atomic
def accept_case(case: Case, *, actor, note: str = "") -> Case:
    case = _begin(case, "accept", actor)
    errors: dict = {}
    note = _text(note, "note", errors, required=False, limit=MAX_NOTE)
    _raise_if(errors)
    _transition(
        case,
        CaseStatus.ACCEPTED,
        actor,
        action=EventAction.ACCEPTED,
        verb="accepted",
        note=note,
        accepted_at=timezone.now(),
    )
    return case


@transaction.atomic
def reject_case(case: Case, *, reason: str, actor) -> Case:
    case = _begin(case, "reject", actor)
    errors: dict = {}
    reason = _text(
        reason, "reason", errors, required=True, limit=500, message=_("Please give the reason for rejecting.")
    )
    _raise_if(errors)
    _transition(
        case,
        CaseStatus.REJECTED,
        actor,
        action=EventAction.REJECTED,
        verb="rejected",
        note=reason,
        rejection_reason=reason,
        deadline=None,
    )
    return case


@transaction.atomic
def merge_case(case: Case, *, into, actor, note: str = "") -> Case:
    """Close a duplicate into the case that carries on."""
    case = _begin(case, "merge", actor)
    errors: dict = {}
    target = _as(Case, into)
    if target is None or (actor is not None and not Case.objects.for_user(actor).filter(pk=target.pk).exists()):
        errors["into"] = [_("Please choose the case this one duplicates.")]
    elif target.pk == case.pk:
        errors["into"] = [_("A case cannot be merged into itself.")]
    elif target.status in (CaseStatus.MERGED, CaseStatus.REJECTED):
        errors["into"] = [_("That case is itself merged or rejected; choose the case that carries on.")]
    note = _text(note, "note", errors, required=False, limit=MAX_NOTE)
    _raise_if(errors)
    _transition(
        case,
        CaseStatus.MERGED,
        actor,
        action=EventAction.MERGED,
        verb="merged",
        note=note,
        data={"into": target.number},
        audit_extra={"into": target.number},
        merged_into=target,
        deadline=None,
    )
    return case


@_atomic_with_files
def resolve_on_the_spot(case: Case, *, result: str, actor, attachments=()) -> Case:
    """就地化解: settled at grid level; the case closes without dispatch."""
    case = _begin(case, "resolve_on_the_spot", actor)
    errors: dict = {}
    result = _text(
        result, "result", errors, required=True, limit=MAX_NOTE, message=_("Please describe how it was resolved.")
    )
    uploads = _checked_uploads(attachments, errors)
    _raise_if(errors)
    now = timezone.now()
    _transition(
        case,
        CaseStatus.CLOSED,
        actor,
        action=EventAction.RESOLVED_ON_THE_SPOT,
        verb="resolved_on_the_spot",
        note=result,
        uploads=uploads,
        resolution=result,
        resolved_on_the_spot=True,
        resolved_at=now,
        closed_at=now,
        deadline=None,
    )
    case_closed.send(sender=Case, case=case)
    return case


@transaction.atomic
def dispatch_case(
    case: Case,
    department,
    *,
    actor,
    co_departments=(),
    check_in_deadline: dt.datetime | None = None,
    resolution_deadline: dt.datetime | None = None,
    deadline: dt.datetime | None = None,
    note: str = "",
    calendar: WorkingCalendar | None = None,
) -> Case:
    """Send an accepted case to a lead department (and co-handlers) with its deadlines.

    Deadlines default to the category's limits counted from now on the working-day
    calendar; ``deadline`` is another name for ``resolution_deadline``.
    """
    case = _begin(case, "dispatch", actor)
    errors: dict = {}
    department = _as(Department, department)
    visible = Department.objects.for_user(actor) if actor is not None else Department.objects.all()
    if department is None or not department.active:
        errors["department"] = [_("Please choose the lead department.")]
    elif not visible.filter(pk=department.pk).exists():
        errors["department"] = [_("This department does not serve your area.")]
    co = []
    for item in co_departments or ():
        dep = _as(Department, item)
        if dep is None or not dep.active or not visible.filter(pk=dep.pk).exists():
            errors["co_departments"] = [_("One of the co-handling departments is not available.")]
            break
        if department is not None and dep.pk == department.pk:
            continue
        if dep.pk not in {d.pk for d in co}:
            co.append(dep)
    now = timezone.now()
    calendar = calendar or WorkingCalendar.load()
    category = case.category
    resolution_deadline = resolution_deadline or deadline
    check_in_deadline = check_in_deadline or calendar.deadline(now, category.check_in_limit, category.check_in_unit)
    resolution_deadline = resolution_deadline or calendar.deadline(
        now, category.resolution_limit, category.resolution_unit
    )
    if check_in_deadline <= now:
        errors["check_in_deadline"] = [_("The check-in deadline must be in the future.")]
    if resolution_deadline <= now:
        errors["resolution_deadline"] = [_("The resolution deadline must be in the future.")]
    elif resolution_deadline < check_in_deadline:
        errors["resolution_deadline"] = [_("The resolution deadline cannot be before the check-in deadline.")]
    note = _text(note, "note", errors, required=False, limit=MAX_NOTE)
    _raise_if(errors)
    _transition(
        case,
        CaseStatus.DISPATCHED,
        actor,
        action=EventAction.DISPATCHED,
        verb="dispatched",
        note=note,
        event_department=department,
        data={
            "co_departments": [d.name for d in co],
            "check_in_deadline": check_in_deadline,
            "resolution_deadline": resolution_deadline,
        },
        audit_extra={"co_departments": [d.pk for d in co]},
        department=department,
        dispatched_at=now,
        check_in_deadline=check_in_deadline,
        resolution_deadline=resolution_deadline,
        resolution_unit=category.resolution_unit,
        deadline=check_in_deadline,
    )
    CaseCoDepartment.objects.filter(case=case).delete()
    CaseCoDepartment.objects.bulk_create([CaseCoDepartment(case=case, department=d) for d in co])
    notify.notify(
        notify.department_users([department.pk, *[d.pk for d in co]]),
        kind=NotificationKind.DISPATCHED,
        case=case,
        text=_("Case %(number)s dispatched to %(department)s: %(title)s")
        % {"number": case.number, "department": department.name, "title": case.title},
    )
    return case


# --- the department ----------------------------------------------------------------
@transaction.atomic
def check_in_case(case: Case, *, actor, note: str = "") -> Case:
    """报到: the lead department takes the case; the resolution clock runs."""
    case = _begin(case, "check_in", actor)
    _require_own_department(case, actor)
    errors: dict = {}
    note = _text(note, "note", errors, required=False, limit=MAX_NOTE)
    _raise_if(errors)
    now = timezone.now()
    _transition(
        case,
        CaseStatus.CHECKED_IN,
        actor,
        action=EventAction.CHECKED_IN,
        verb="checked_in",
        note=note,
        event_department=case.department,
        data={"late": bool(case.check_in_deadline and now > case.check_in_deadline)},
        checked_in_at=case.checked_in_at or now,
        deadline=case.resolution_deadline,
    )
    return case


@transaction.atomic
def return_case(case: Case, *, reason: str, actor) -> Case:
    """Not ours: back to the command centre to dispatch elsewhere."""
    case = _begin(case, "return", actor)
    _require_own_department(case, actor)
    errors: dict = {}
    reason = _text(
        reason, "reason", errors, required=True, limit=500, message=_("Please say why this is not your department's.")
    )
    _raise_if(errors)
    department = case.department
    _transition(
        case,
        CaseStatus.ACCEPTED,
        actor,
        action=EventAction.RETURNED,
        verb="returned",
        note=reason,
        event_department=department,
        department=None,
        check_in_deadline=None,
        resolution_deadline=None,
        deadline=None,
    )
    CaseCoDepartment.objects.filter(case=case).delete()
    notify.notify(
        notify.command_centre_users(_grid_path(case)),
        kind=NotificationKind.RETURNED,
        case=case,
        text=_("Case %(number)s was returned by %(department)s: %(reason)s")
        % {"number": case.number, "department": department.name if department else "", "reason": reason},
    )
    return case


@_atomic_with_files
def resolve_case(case: Case, *, result: str, actor, attachments=()) -> Case:
    """办结: the department reports the result and its evidence; follow-up is due."""
    case = _begin(case, "resolve", actor)
    _require_own_department(case, actor)
    errors: dict = {}
    result = _text(result, "result", errors, required=True, limit=MAX_NOTE, message=_("Please describe the result."))
    uploads = _checked_uploads(attachments, errors)
    _raise_if(errors)
    now = timezone.now()
    _transition(
        case,
        CaseStatus.RESOLVED,
        actor,
        action=EventAction.RESOLVED,
        verb="resolved",
        note=result,
        event_department=case.department,
        uploads=uploads,
        data={"late": bool(case.deadline and now > case.deadline)},
        resolution=result,
        resolved_at=now,
        deadline=None,
    )
    notify.notify(
        notify.command_centre_users(_grid_path(case)),
        kind=NotificationKind.FOLLOW_UP_DUE,
        case=case,
        text=_("Case %(number)s is resolved; please follow up with the reporter.") % {"number": case.number},
    )
    return case


@transaction.atomic
def put_on_hold(case: Case, *, reason: str, actor, calendar: WorkingCalendar | None = None) -> Case:
    """Pause the clock (waiting for the weather, a court date ...); the time left is kept."""
    case = _begin(case, "put_on_hold", actor)
    _require_own_department(case, actor)
    errors: dict = {}
    reason = _text(
        reason, "reason", errors, required=True, limit=500, message=_("Please give the reason for the hold.")
    )
    _raise_if(errors)
    calendar = calendar or WorkingCalendar.load()
    now = timezone.now()
    remaining = calendar.remaining_seconds(now, case.deadline, case.resolution_unit) if case.deadline else None
    _transition(
        case,
        CaseStatus.ON_HOLD,
        actor,
        action=EventAction.PUT_ON_HOLD,
        verb="put_on_hold",
        note=reason,
        event_department=case.department,
        data={"remaining_seconds": remaining},
        on_hold_since=now,
        hold_remaining_seconds=remaining,
        deadline=None,
    )
    return case


@transaction.atomic
def resume_case(case: Case, *, actor, note: str = "", calendar: WorkingCalendar | None = None) -> Case:
    """Restart the clock with the time that was left when the case went on hold."""
    case = _begin(case, "resume", actor)
    _require_own_department(case, actor)
    errors: dict = {}
    note = _text(note, "note", errors, required=False, limit=MAX_NOTE)
    _raise_if(errors)
    calendar = calendar or WorkingCalendar.load()
    now = timezone.now()
    new_deadline = None
    if case.hold_remaining_seconds is not None:
        new_deadline = calendar.resume_deadline(now, case.hold_remaining_seconds, case.resolution_unit)
    held = int((now - case.on_hold_since).total_seconds()) if case.on_hold_since else 0
    _transition(
        case,
        CaseStatus.CHECKED_IN,
        actor,
        action=EventAction.RESUMED,
        verb="resumed",
        note=note,
        event_department=case.department,
        data={"held_seconds": held, "resolution_deadline": new_deadline},
        on_hold_since=None,
        hold_remaining_seconds=None,
        deadline=new_deadline,
        resolution_deadline=new_deadline or case.resolution_deadline,
    )
    return case


# --- follow-up -----------------------------------------------------------------------
@transaction.atomic
def follow_up_case(case: Case, *, satisfied: bool, note: str, actor, calendar: WorkingCalendar | None = None) -> Case:
    """回访: satisfied closes the case; unsatisfied reopens it to the department with the reporter's words."""
    case = _begin(case, "follow_up", actor)
    errors: dict = {}
    if satisfied not in (True, False):
        errors["satisfied"] = [_("Please say whether the reporter is satisfied.")]
    note = _text(
        note,
        "note",
        errors,
        required=satisfied is False,
        limit=MAX_NOTE,
        message=_("Please write down what the reporter said."),
    )
    _raise_if(errors)
    now = timezone.now()
    if satisfied:
        _transition(
            case,
            CaseStatus.CLOSED,
            actor,
            action=EventAction.CLOSED,
            verb="closed",
            note=note,
            satisfied=True,
            closed_at=now,
            deadline=None,
        )
        case_closed.send(sender=Case, case=case)
        return case

    calendar = calendar or WorkingCalendar.load()
    category = case.category
    check_in_deadline = calendar.deadline(now, category.check_in_limit, category.check_in_unit)
    resolution_deadline = calendar.deadline(now, category.resolution_limit, category.resolution_unit)
    _transition(
        case,
        CaseStatus.DISPATCHED,
        actor,
        action=EventAction.REOPENED,
        verb="reopened",
        note=note,
        event_department=case.department,
        data={"reopen_count": case.reopen_count + 1, "resolution_deadline": resolution_deadline},
        satisfied=False,
        reopen_count=case.reopen_count + 1,
        check_in_deadline=check_in_deadline,
        resolution_deadline=resolution_deadline,
        resolution_unit=category.resolution_unit,
        deadline=check_in_deadline,
    )
    co_ids = list(CaseCoDepartment.objects.filter(case=case).values_list("department_id", flat=True))
    notify.notify(
        notify.department_users([case.department_id, *co_ids]),
        kind=NotificationKind.REOPENED,
        case=case,
        text=_("Case %(number)s was reopened after follow-up: %(note)s") % {"number": case.number, "note": note},
    )
    if case.reopen_count >= conf.REOPEN_ESCALATION_COUNT and case.escalation_level == EscalationLevel.NONE:
        _escalate_one(case, EscalationLevel.TOWNSHIP, EscalationReason.REOPENED, now)
    return case


# --- supervision -------------------------------------------------------------------
@_atomic_with_files
def supervise_case(case: Case, *, note: str, actor, attachments=()) -> Case:
    """督哨: a supervisor's note on the case, shown on its timeline and sent to the department."""
    case = _begin(case, "supervise", actor)
    errors: dict = {}
    note = _text(note, "note", errors, required=True, limit=MAX_NOTE, message=_("Please write the supervision note."))
    uploads = _checked_uploads(attachments, errors)
    _raise_if(errors)
    _event(case, EventAction.SUPERVISED, actor, note=note, department=case.department, uploads=uploads)
    audit.record("cases.case.supervised", actor=actor, obj=case, note=note[:200])
    co_ids = list(CaseCoDepartment.objects.filter(case=case).values_list("department_id", flat=True))
    recipients = notify.department_users([case.department_id, *co_ids]) + notify.command_centre_users(_grid_path(case))
    notify.notify(
        recipients,
        kind=NotificationKind.SUPERVISED,
        case=case,
        text=_("Supervision note on case %(number)s: %(note)s") % {"number": case.number, "note": note},
        exclude=actor.pk if actor is not None else None,
    )
    return case


@transaction.atomic
def urge_case(case: Case, *, actor, note: str = "") -> Case:
    """催办: press the department handling the case."""
    case = _begin(case, "urge", actor)
    errors: dict = {}
    note = _text(note, "note", errors, required=False, limit=MAX_NOTE)
    if errors:
        raise InvalidInput(fields=errors)
    Case.objects.filter(pk=case.pk).update(urge_count=F("urge_count") + 1)
    case.urge_count += 1
    _event(case, EventAction.URGED, actor, note=note, department=case.department, data={"count": case.urge_count})
    audit.record("cases.case.urged", actor=actor, obj=case, count=case.urge_count)
    co_ids = list(CaseCoDepartment.objects.filter(case=case).values_list("department_id", flat=True))
    notify.notify(
        notify.department_users([case.department_id, *co_ids]),
        kind=NotificationKind.URGED,
        case=case,
        text=_("Case %(number)s is urged: please act now. %(note)s") % {"number": case.number, "note": note},
    )
    return case


# Names the brief uses for the same steps.
supervise = supervise_case
urge = urge_case


# --- attachments and the step dispatcher ------------------------------------------
ATTACH_PERMISSIONS = ("cases.report_case", "cases.handle_case", "cases.triage_case", "cases.supervise_case")


@_atomic_with_files
def add_attachments(case: Case, *, files, actor, note: str = "") -> list[CaseAttachment]:
    """Photos or documents added to a case outside a step (more evidence, a clearer photo)."""
    if actor is not None and not any(actor.has_perm(p) for p in ATTACH_PERMISSIONS):
        raise Forbidden()
    ensure_in_scope(case, actor)
    case = _lock(case)
    errors: dict = {}
    note = _text(note, "note", errors, required=False, limit=MAX_NOTE)
    if not files:
        errors["files"] = [_("Please choose at least one file.")]
    if errors:
        raise InvalidInput(fields=errors)
    uploads = check_uploads(files, "files")
    event = _event(case, EventAction.ATTACHED, actor, note=note, data={"count": len(uploads)}, uploads=uploads)
    stored = list(event.attachments.all())
    audit.record("cases.case.attached", actor=actor, obj=case, files=[a.original_name for a in stored])
    return stored


def perform_step(case: Case, action: str, *, actor, data: dict | None = None, attachments=()) -> Case:
    """One workflow step by name (pages and API). The audit chain is locked before any row, so two
    concurrent steps never deadlock (see ``audit.lock_chain``)."""
    with transaction.atomic():
        audit.lock_chain()
        return _perform_step(case, action, actor=actor, data=data, attachments=attachments)


def _perform_step(case: Case, action: str, *, actor, data: dict | None = None, attachments=()) -> Case:
    """Run the step named ``action`` with the fields a page or API call sent (already parsed)."""
    data = data or {}
    if action not in STEPS:
        raise InvalidInput(fields={"action": _("Unknown action.")}, code="unknown_action")
    if action == "accept":
        return accept_case(case, actor=actor, note=data.get("note", ""))
    if action == "reject":
        return reject_case(case, reason=data.get("reason") or data.get("note", ""), actor=actor)
    if action == "merge":
        return merge_case(case, into=data.get("into"), actor=actor, note=data.get("note", ""))
    if action == "resolve_on_the_spot":
        return resolve_on_the_spot(
            case, result=data.get("result") or data.get("note", ""), actor=actor, attachments=attachments
        )
    if action == "dispatch":
        return dispatch_case(
            case,
            data.get("department"),
            actor=actor,
            co_departments=data.get("co_departments") or (),
            check_in_deadline=data.get("check_in_deadline"),
            resolution_deadline=data.get("resolution_deadline"),
            note=data.get("note", ""),
        )
    if action == "check_in":
        return check_in_case(case, actor=actor, note=data.get("note", ""))
    if action == "return":
        return return_case(case, reason=data.get("reason") or data.get("note", ""), actor=actor)
    if action == "resolve":
        return resolve_case(
            case, result=data.get("result") or data.get("note", ""), actor=actor, attachments=attachments
        )
    if action == "put_on_hold":
        return put_on_hold(case, reason=data.get("reason") or data.get("note", ""), actor=actor)
    if action == "resume":
        return resume_case(case, actor=actor, note=data.get("note", ""))
    if action == "follow_up":
        return follow_up_case(case, satisfied=data.get("satisfied"), note=data.get("note", ""), actor=actor)
    if action == "supervise":
        return supervise_case(case, note=data.get("note", ""), actor=actor, attachments=attachments)
    return urge_case(case, actor=actor, note=data.get("note", ""))


# --- escalation and the sweep ------------------------------------------------------
def _escalation_text(number: str, title: str, level: int, reason: str) -> str:
    if reason == EscalationReason.REOPENED:
        return _("Case %(number)s was reopened repeatedly and is escalated for supervision: %(title)s") % {
            "number": number,
            "title": title,
        }
    if level >= EscalationLevel.COUNTY:
        return _("Case %(number)s is still overdue and is escalated to county supervision: %(title)s") % {
            "number": number,
            "title": title,
        }
    return _("Case %(number)s is overdue and is escalated for supervision: %(title)s") % {
        "number": number,
        "title": title,
    }


def _escalation_recipients(grid_path: str, department_id, level: int) -> list[int]:
    users = notify.supervisor_users(grid_path) + notify.command_centre_users(grid_path)
    users += notify.department_users([department_id])
    if level >= EscalationLevel.COUNTY:
        users += notify.county_admin_users()
    return users


def _escalate_one(case: Case, level: int, reason: str, now: dt.datetime) -> bool:
    """Claim and escalate one case (used when a follow-up reopens it once too often)."""
    claimed = Case.objects.filter(pk=case.pk, escalation_level__lt=level).update(
        escalation_level=level, escalated_at=now
    )
    if not claimed:
        return False
    case.escalation_level, case.escalated_at = level, now
    _event(
        case,
        EventAction.ESCALATED,
        None,
        note=_escalation_text(case.number, case.title, level, reason),
        department=case.department,
        data={"level": level, "reason": reason},
        when=now,
    )
    notify.notify(
        _escalation_recipients(_grid_path(case), case.department_id, level),
        kind=NotificationKind.ESCALATED,
        case=case,
        text=_escalation_text(case.number, case.title, level, reason),
    )
    return True


def sweep(*, now: dt.datetime | None = None, batch: int | None = None) -> dict:
    """Mark overdue cases and escalate them; safe to run twice at once.

    Level 1 (township Party organisation) when a running deadline has passed; level 2
    (county supervision) when it passed more than ``SHANZHI_CASE_SECOND_LEVEL_HOURS``
    ago. Each batch is claimed with one conditional UPDATE (``escalation_level`` still
    below the new level) stamped with a fresh token; only rows carrying our token get
    an event and notifications, so a concurrent sweep that lost the race does nothing.
    """
    now = now or timezone.now()
    batch = batch or conf.SWEEP_BATCH
    counts = {"overdue": 0, "county": 0}
    second = now - dt.timedelta(hours=conf.SECOND_LEVEL_AFTER_HOURS)
    for level, cutoff, key in ((EscalationLevel.TOWNSHIP, now, "overdue"), (EscalationLevel.COUNTY, second, "county")):
        while True:
            ids = list(
                Case.objects.filter(status__in=CLOCK_STATUSES, deadline__lt=cutoff, escalation_level__lt=level)
                .order_by("deadline")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            counts[key] += _claim_and_escalate(ids, level, cutoff, now)
    # Cases escalated for another reason that have now also run late keep their level;
    # record when they first ran late.
    Case.objects.filter(status__in=CLOCK_STATUSES, deadline__lt=now, overdue_since__isnull=True).update(
        overdue_since=now
    )
    if counts["overdue"] or counts["county"]:
        audit.record("cases.sweep.escalated", actor=None, actor_label="sweep", object_type="cases.case", **counts)
    return counts


@transaction.atomic
def _claim_and_escalate(ids: list[int], level: int, cutoff: dt.datetime, now: dt.datetime) -> int:
    token = uuid.uuid4().hex
    claimed = Case.objects.filter(
        pk__in=ids, status__in=CLOCK_STATUSES, deadline__lt=cutoff, escalation_level__lt=level
    ).update(
        escalation_level=level,
        escalated_at=now,
        overdue_since=Coalesce(F("overdue_since"), now),
        sweep_claim=token,
    )
    if not claimed:
        return 0
    rows = list(
        Case.objects.filter(pk__in=ids, sweep_claim=token).values_list(
            "pk", "number", "title", "department_id", "grid__path"
        )
    )
    action = EventAction.OVERDUE if level == EscalationLevel.TOWNSHIP else EventAction.ESCALATED
    reason = EscalationReason.OVERDUE if level == EscalationLevel.TOWNSHIP else EscalationReason.STILL_OVERDUE
    events = []
    by_path: dict[str, list] = defaultdict(list)
    system = _("System")
    data = json.dumps({"level": int(level), "reason": str(reason)})
    for pk, number, title, department_id, path in rows:
        note = _escalation_text(number, title, level, reason)
        events.append((pk, str(action), None, system, now, "", "", note, department_id, data))
        by_path[path].append((pk, note, department_id))
    fast_insert(CaseEvent, EVENT_COLUMNS, events)
    _bulk_escalation_notifications(by_path, level, reason, now)
    return len(rows)


def _bulk_escalation_notifications(by_path: dict, level: int, reason: str, now: dt.datetime) -> None:
    from shanzhi.accounts.models import RoleAssignment
    from shanzhi.cases.models import Notification

    department_ids = {d for rows in by_path.values() for (_pk, _note, d) in rows if d}
    handlers: dict[int, list[int]] = defaultdict(list)
    for user_id, department_id in RoleAssignment.objects.filter(
        role=Role.DEPARTMENT_HANDLER, department_id__in=department_ids, active=True, user__is_active=True
    ).values_list("user_id", "department_id"):
        handlers[department_id].append(user_id)
    area_users: dict[str, list[int]] = defaultdict(list)
    for user_id, path in RoleAssignment.objects.filter(
        role__in=[Role.SUPERVISOR, Role.COMMAND_CENTRE], active=True, user__is_active=True, area__isnull=False
    ).values_list("user_id", "area__path"):
        area_users[path].append(user_id)
    county = notify.county_admin_users() if level >= EscalationLevel.COUNTY else []
    kind = str(NotificationKind.OVERDUE if level == EscalationLevel.TOWNSHIP else NotificationKind.ESCALATED)
    notifications = []
    for grid_path, rows in by_path.items():
        parts = grid_path.strip("/").split("/")
        above = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        area_recipients = {u for p in above for u in area_users.get(p, ())} | set(county)
        for pk, note, department_id in rows:
            recipients = area_recipients | set(handlers.get(department_id, ()))
            text = note[:300]
            notifications.extend((u, kind, pk, text, "", now, None, None, 0, "", None) for u in sorted(recipients))
    fast_insert(Notification, NOTIFICATION_COLUMNS, notifications)


EVENT_COLUMNS = (
    "case_id",
    "action",
    "actor_id",
    "actor_label",
    "created",
    "from_status",
    "to_status",
    "note",
    "department_id",
    "data",
)
NOTIFICATION_COLUMNS = (
    "recipient_id",
    "kind",
    "case_id",
    "text",
    "link",
    "created",
    "read_at",
    "sent_at",
    "attempts",
    "last_error",
    "failed_at",
)


def fast_insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows at once: COPY on PostgreSQL (the sweep writes thousands), bulk_create elsewhere.

    JSON columns take their value already serialised.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    json_columns = {f.column for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"}
    objects = []
    for row in rows:
        values = {}
        for column, value in zip(columns, row, strict=True):
            values[column] = json.loads(value) if column in json_columns and isinstance(value, str) else value
        objects.append(model(**values))
    model.objects.bulk_create(objects, batch_size=1000)


# --- county settings ---------------------------------------------------------------
@transaction.atomic
def set_calendar_day(*, date, kind: str, note: str = "", actor) -> CalendarDay:
    _require(actor, PERM_MANAGE)
    errors: dict = {}
    if not isinstance(date, dt.date):
        errors["date"] = [_("Please enter a date.")]
    if kind not in DayKind.values:
        errors["kind"] = [_("Please choose working day or day off.")]
    note = _text(note, "note", errors, required=False, limit=100)
    if errors:
        raise InvalidInput(fields=errors)
    day, created = CalendarDay.objects.update_or_create(
        date=date, defaults={"kind": kind, "note": note, "created_by": actor if actor is not None else None}
    )
    audit.record(
        "cases.calendar.set", actor=actor, obj=day, after={"date": date, "kind": kind, "note": note}, created=created
    )
    return day


@transaction.atomic
def remove_calendar_day(day: CalendarDay, *, actor) -> None:
    _require(actor, PERM_MANAGE)
    audit.record("cases.calendar.removed", actor=actor, obj=day, before={"date": day.date, "kind": day.kind})
    day.delete()


@transaction.atomic
def issue_open311_key(*, name: str, default_grid, actor, key: str | None = None) -> tuple[str, Open311Key]:
    """A new key for one integration. The value is returned once; only its hash is kept."""
    import secrets

    _require(actor, PERM_MANAGE)
    errors: dict = {}
    name = _text(name, "name", errors, required=True, limit=100, message=_("Please name the integration."))
    if name and Open311Key.objects.filter(name=name).exists():
        errors["name"] = [_("An integration with this name already exists.")]
    grid = _as(Area, default_grid)
    if grid is None or grid.level != AreaLevel.GRID:
        errors["default_grid"] = [_("Please select a grid.")]
    if errors:
        raise InvalidInput(fields=errors)
    key = key or "o311_" + secrets.token_urlsafe(24)
    record = Open311Key.objects.create(
        name=name,
        key_hash=Open311Key.hash_key(key),
        prefix=key[:8],
        default_grid=grid,
        created_by=actor if actor is not None else None,
    )
    audit.record("cases.open311_key.issued", actor=actor, obj=record, after={"name": name, "prefix": record.prefix})
    return key, record


@transaction.atomic
def revoke_open311_key(record: Open311Key, *, actor) -> Open311Key:
    _require(actor, PERM_MANAGE)
    Open311Key.objects.filter(pk=record.pk).update(active=False)
    record.active = False
    audit.record("cases.open311_key.revoked", actor=actor, obj=record)
    return record


def open311_key_for(value: str) -> Open311Key | None:
    if not value:
        return None
    record = (
        Open311Key.objects.live().select_related("default_grid").filter(key_hash=Open311Key.hash_key(value)).first()
    )
    if record is not None:
        Open311Key.objects.filter(pk=record.pk).update(last_used=timezone.now())
    return record


__all__ = [
    "DeadlineUnit",
    "accept_case",
    "check_in_case",
    "dispatch_case",
    "follow_up_case",
    "merge_case",
    "put_on_hold",
    "reject_case",
    "report_case",
    "resolve_case",
    "resolve_on_the_spot",
    "resume_case",
    "return_case",
    "supervise",
    "supervise_case",
    "sweep",
    "urge",
    "urge_case",
]
