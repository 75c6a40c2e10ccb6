"""The grid-work API: workers and their grids, duties, visits, the care list, the evaluation."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import Forbidden, InvalidInput, NotFound
from shanzhi.core.idempotency import key_from_request, run_idempotent
from shanzhi.core.scoping import get_in_scope
from shanzhi.gridwork import care, evaluation, services
from shanzhi.gridwork.choices import (
    DutyCategory,
    DutyFrequency,
    EvaluationStatus,
    VisitKind,
    VisitPurpose,
    WorkerKind,
)
from shanzhi.gridwork.home import due_duties
from shanzhi.gridwork.models import (
    CareRule,
    Duty,
    EvaluationMonth,
    GridAssignment,
    GridWorker,
    Visit,
    WorkerEvaluation,
)
from shanzhi.gridwork.presenters import roster_breakdown, workers_in_area
from shanzhi.people.models import Household, HouseholdTag

router = Router(tags=["gridwork"])


def _staff(user) -> None:
    if not user.is_staff_member:
        raise Forbidden()


def _area(user, area_id):
    return get_in_scope(Area.objects, user, pk=area_id) if area_id is not None else None


# --- schemas -----------------------------------------------------------------------------


class AssignmentOut(Schema):
    id: int
    grid: int
    grid_name: str
    is_lead: bool
    start_date: dt.date
    end_date: dt.date | None
    note: str


class WorkerOut(Schema):
    id: int
    name: str
    kind: WorkerKind
    phone: str
    home_area: int
    home_area_name: str
    start_date: dt.date
    end_date: dt.date | None
    grids: list[AssignmentOut]


class WorkerDetailOut(WorkerOut):
    history: list[AssignmentOut]


class WorkerPage(Schema):
    items: list[WorkerOut]
    count: int


class WorkerFilter(Schema):
    area: int | None = Field(None, description="workers serving a grid under this area, or belonging to it")
    kind: WorkerKind | None = None
    status: str = Field("active", pattern="^(active|left|all)$")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class WorkerIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    kind: WorkerKind
    home_area: int
    phone: str = Field("", max_length=30)
    start_date: dt.date | None = None


class WorkerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    kind: WorkerKind | None = None
    home_area: int | None = None
    phone: str | None = Field(None, max_length=30)


class AssignIn(Schema):
    grid: int
    is_lead: bool = False
    start_date: dt.date | None = None
    note: str = Field("", max_length=200)


class TransferIn(Schema):
    from_grid: int
    to_grid: int
    on_date: dt.date | None = None
    is_lead: bool | None = None
    note: str = Field("", max_length=200)


class EndIn(Schema):
    end_date: dt.date
    note: str = Field("", max_length=200)


class RosterRow(Schema):
    area: int
    name: str
    specialist: int
    full_time: int
    part_time: int
    total: int


class RosterOut(Schema):
    area: int | None
    counts: dict[str, int]
    total: int
    children: list[RosterRow]


class DutyOut(Schema):
    id: int
    number: int
    name: str
    category: DutyCategory
    description: str
    frequency: DutyFrequency
    evidence_required: bool
    kinds: list[WorkerKind]
    active: bool


class DutyPage(Schema):
    items: list[DutyOut]
    count: int


class DutyIn(Schema):
    number: int = Field(..., ge=1, le=999)
    name: str = Field(..., min_length=1, max_length=100)
    category: DutyCategory
    frequency: DutyFrequency
    description: str = Field("", max_length=1000)
    evidence_required: bool = False
    kinds: list[WorkerKind] = Field(..., min_length=1)
    active: bool = True


class DutyPatch(Schema):
    number: int | None = Field(None, ge=1, le=999)
    name: str | None = Field(None, min_length=1, max_length=100)
    category: DutyCategory | None = None
    frequency: DutyFrequency | None = None
    description: str | None = Field(None, max_length=1000)
    evidence_required: bool | None = None
    kinds: list[WorkerKind] | None = None
    active: bool | None = None


class VisitCaseIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    category: str = Field(..., min_length=1, max_length=40, description="a case category code")
    description: str = Field("", max_length=4000)
    priority: str = Field("normal", pattern="^(normal|urgent)$")


class VisitIn(Schema):
    kind: VisitKind
    purpose: VisitPurpose
    household: int | None = None
    grid: int | None = Field(None, description="the grid patrolled (patrols only)")
    worker: int | None = Field(None, description="log for another worker (needs gridwork.manage_workers)")
    visited_at: dt.datetime | None = Field(None, description="default: now; never in the future")
    notes: str = Field("", max_length=2000)
    location_lat: float | None = None
    location_lng: float | None = None
    duties: list[int] = []
    case: VisitCaseIn | None = Field(None, description="also report a case from this visit")


class VisitPhotoOut(Schema):
    id: int
    url: str
    content_type: str
    size: int


class VisitRecordOut(Schema):
    id: int
    kind: VisitKind
    purpose: VisitPurpose
    worker: int
    worker_name: str
    grid: int
    grid_name: str
    household: int | None
    household_number: str | None
    visited_at: dt.datetime
    visited_on: dt.date
    notes: str
    location_lat: float | None
    location_lng: float | None
    duties: list[int]
    photos: list[VisitPhotoOut]
    case: int | None


class VisitPage(Schema):
    items: list[VisitRecordOut]
    count: int


class VisitFilter(Schema):
    area: int | None = None
    worker: int | None = None
    household: int | None = None
    kind: VisitKind | None = None
    purpose: VisitPurpose | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class CareItemOut(Schema):
    household: int
    number: str
    head_name: str
    grid: int
    grid_name: str
    tags: list[str]
    interval_days: int
    last_visit: dt.date | None
    due_on: dt.date | None
    days_overdue: int | None


class CarePage(Schema):
    items: list[CareItemOut]
    count: int
    as_of: dt.date


class CareRuleOut(Schema):
    tag: str
    tag_name: str
    interval_days: int
    active: bool


class CareRuleIn(Schema):
    interval_days: int = Field(..., ge=1, le=366)
    active: bool = True


class DueDutyOut(Schema):
    duty: int
    number: int
    name: str
    frequency: DutyFrequency
    remaining: int


class TodayOut(Schema):
    worker: int
    date: dt.date
    grids: list[int]
    households: int
    visits_today: int
    visits_this_month: int
    care_due: list[CareItemOut]
    duties_due: list[DueDutyOut]


class SchemeOut(Schema):
    weight_duty_completion: int
    weight_care_on_time: int
    weight_cases_reported: int
    weight_resolved_on_the_spot: int
    weight_timeliness: int
    weight_satisfaction: int
    weight_manual: int
    target_cases_reported: int
    target_resolved_on_the_spot: int
    red_flags_per_township: int
    close_on_day: int


class SchemeIn(Schema):
    weight_duty_completion: int | None = Field(None, ge=0, le=100)
    weight_care_on_time: int | None = Field(None, ge=0, le=100)
    weight_cases_reported: int | None = Field(None, ge=0, le=100)
    weight_resolved_on_the_spot: int | None = Field(None, ge=0, le=100)
    weight_timeliness: int | None = Field(None, ge=0, le=100)
    weight_satisfaction: int | None = Field(None, ge=0, le=100)
    weight_manual: int | None = Field(None, ge=0, le=100)
    target_cases_reported: int | None = Field(None, ge=1, le=1000)
    target_resolved_on_the_spot: int | None = Field(None, ge=1, le=1000)
    red_flags_per_township: int | None = Field(None, ge=1, le=100)
    close_on_day: int | None = Field(None, ge=1, le=28)


class IndicatorOut(Schema):
    code: str
    label: str
    weight: int
    raw: str
    numerator: int
    denominator: int
    ratio: float
    points: str
    note: str


class ResultOut(Schema):
    id: int
    worker: int
    worker_name: str
    grids: str
    total: str
    rank: int
    is_red_flag: bool
    certificate_number: str
    indicators: list[IndicatorOut]


class EvaluationOut(Schema):
    id: int
    township: int
    township_name: str
    month: str
    status: EvaluationStatus
    workers_count: int
    computed_at: dt.datetime | None
    closed_at: dt.datetime | None
    scheme: dict


class EvaluationDetailOut(EvaluationOut):
    results: list[ResultOut]


class EvaluationPage(Schema):
    items: list[EvaluationOut]
    count: int


class EvaluationFilter(Schema):
    township: int | None = None
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$")
    status: EvaluationStatus | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class RunIn(Schema):
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$")
    township: int | None = None
    close: bool = False


class ManualScoreIn(Schema):
    worker: int
    month: str = Field(..., pattern=r"^\d{4}-\d{2}$")
    percent: int = Field(..., ge=0, le=100)
    note: str = Field("", max_length=300)


class ManualScoreOut(Schema):
    worker: int
    month: str
    percent: int
    note: str


class RedFlagOut(Schema):
    result: int
    month: str
    township: int
    township_name: str
    worker: int
    worker_name: str
    total: str
    rank: int
    certificate_number: str
    certificate_url: str


# --- helpers ---------------------------------------------------------------------------------


def _assignment_out(a: GridAssignment) -> dict:
    return {
        "id": a.pk,
        "grid": a.grid_id,
        "grid_name": a.grid.name,
        "is_lead": a.is_lead,
        "start_date": a.start_date,
        "end_date": a.end_date,
        "note": a.note,
    }


def worker_out(worker: GridWorker, *, history: bool = False) -> dict:
    current = getattr(worker, "now", None)
    if current is None:
        current = list(worker.assignments.current().select_related("grid"))
    data = {
        "id": worker.pk,
        "name": worker.name,
        "kind": worker.kind,
        "phone": worker.masked_phone,
        "home_area": worker.home_area_id,
        "home_area_name": worker.home_area.name,
        "start_date": worker.start_date,
        "end_date": worker.end_date,
        "grids": [_assignment_out(a) for a in current],
    }
    if history:
        rows = worker.assignments.select_related("grid").order_by("-start_date", "-pk")
        data["history"] = [_assignment_out(a) for a in rows]
    return data


def _month(value: str) -> dt.date:
    try:
        year, month = value.split("-")
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise InvalidInput(fields={"month": _("Enter a month as YYYY-MM.")}) from None


def _grid(user, grid_id: int | None, field: str = "grid"):
    if grid_id is None:
        return None
    grid = Area.objects.filter(pk=grid_id).first()
    if grid is None:
        raise InvalidInput(fields={field: _("Unknown grid")}, code="unknown_area")
    return grid


def _worker_detail(user, pk):
    worker = get_in_scope(GridWorker.objects.select_related("home_area"), user, pk=pk)
    return worker_out(worker, history=True)


# --- workers -----------------------------------------------------------------------------------


@router.get("/gridwork/workers", response={200: WorkerPage, **ERRORS}, summary="Grid workers in the caller's scope")
def list_workers(request, filters: Query[WorkerFilter]):
    user = request.auth
    _staff(user)
    workers = workers_in_area(user, _area(user, filters.area))
    if filters.status == "active":
        workers = workers.filter(end_date__isnull=True)
    elif filters.status == "left":
        workers = workers.filter(end_date__isnull=False)
    if filters.kind:
        workers = workers.filter(kind=filters.kind)
    count = workers.count()
    current = GridAssignment.objects.current().select_related("grid").order_by("grid__path")
    rows = (
        workers.select_related("home_area")
        .prefetch_related(Prefetch("assignments", queryset=current, to_attr="now"))
        .order_by("home_area__path", "kind", "name", "pk")[filters.offset : filters.offset + filters.limit]
    )
    return {"items": [worker_out(w) for w in rows], "count": count}


@router.get("/gridwork/roster", response={200: RosterOut, **ERRORS}, summary="Counts of grid workers by kind")
def roster(request, area: int | None = None):
    user = request.auth
    _staff(user)
    place = _area(user, area)
    workers = workers_in_area(user, place).filter(end_date__isnull=True)
    counts = {k: 0 for k in WorkerKind.values}
    for row in workers.values("kind").annotate(n=Count("id")):
        counts[row["kind"]] = row["n"]
    children = roster_breakdown(user, place, workers) if place is None or place.level != AreaLevel.GRID else []
    return {
        "area": place.pk if place else None,
        "counts": counts,
        "total": sum(counts.values()),
        "children": [
            {"area": r["area"].pk, "name": r["area"].name, **{k: r[k] for k in WorkerKind.values}, "total": r["total"]}
            for r in children
        ],
    }


@router.post("/gridwork/workers", response={201: WorkerDetailOut, **ERRORS}, summary="Add a grid worker")
def post_worker(request, payload: WorkerIn):
    user = request.auth
    home = Area.objects.filter(pk=payload.home_area).first()
    if home is None:
        raise InvalidInput(fields={"home_area": _("Unknown area")}, code="unknown_area")
    worker = services.create_grid_worker(
        actor=user,
        name=payload.name,
        kind=payload.kind,
        home_area=home,
        phone=payload.phone,
        start_date=payload.start_date,
    )
    return Status(201, _worker_detail(user, worker.pk))


@router.get(
    "/gridwork/workers/{worker_id}",
    response={200: WorkerDetailOut, **ERRORS},
    summary="One grid worker with the grids served and the transfer history",
)
def get_worker(request, worker_id: int):
    _staff(request.auth)
    return _worker_detail(request.auth, worker_id)


@router.patch("/gridwork/workers/{worker_id}", response={200: WorkerDetailOut, **ERRORS}, summary="Edit a worker")
def patch_worker(request, worker_id: int, payload: WorkerPatch):
    user = request.auth
    if not user.has_perm("gridwork.manage_workers"):
        raise Forbidden()
    worker = get_in_scope(GridWorker.objects, user, pk=worker_id)
    changes = payload.dict(exclude_unset=True)
    if "home_area" in changes:
        changes["home_area"] = Area.objects.filter(pk=changes["home_area"]).first()
    services.update_grid_worker(worker, actor=user, **changes)
    return _worker_detail(user, worker.pk)


@router.post(
    "/gridwork/workers/{worker_id}/assignments",
    response={201: WorkerDetailOut, **ERRORS},
    summary="Assign a worker to a grid; a second full-time lead is refused with 409",
)
def post_assignment(request, worker_id: int, payload: AssignIn):
    user = request.auth
    if not user.has_perm("gridwork.manage_workers"):
        raise Forbidden()
    worker = get_in_scope(GridWorker.objects, user, pk=worker_id)
    grid = _grid(user, payload.grid)
    services.assign_worker_to_grid(
        worker, grid, lead=payload.is_lead, start_date=payload.start_date, note=payload.note, actor=user
    )
    return Status(201, _worker_detail(user, worker.pk))


@router.post(
    "/gridwork/workers/{worker_id}/transfer",
    response={200: WorkerDetailOut, **ERRORS},
    summary="Transfer a worker from one grid to another (the history keeps both)",
)
def post_transfer(request, worker_id: int, payload: TransferIn):
    user = request.auth
    if not user.has_perm("gridwork.manage_workers"):
        raise Forbidden()
    worker = get_in_scope(GridWorker.objects, user, pk=worker_id)
    services.transfer_worker(
        worker,
        from_grid=_grid(user, payload.from_grid, "from_grid"),
        to_grid=_grid(user, payload.to_grid, "to_grid"),
        on_date=payload.on_date or timezone.localdate(),
        lead=payload.is_lead,
        note=payload.note,
        actor=user,
    )
    return _worker_detail(user, worker.pk)


@router.post(
    "/gridwork/workers/{worker_id}/leave", response={200: WorkerDetailOut, **ERRORS}, summary="A worker leaves"
)
def post_leave(request, worker_id: int, payload: EndIn):
    user = request.auth
    if not user.has_perm("gridwork.manage_workers"):
        raise Forbidden()
    worker = get_in_scope(GridWorker.objects, user, pk=worker_id)
    services.end_grid_worker_service(worker, end_date=payload.end_date, note=payload.note, actor=user)
    return _worker_detail(user, worker.pk)


@router.post(
    "/gridwork/assignments/{assignment_id}/end", response={200: AssignmentOut, **ERRORS}, summary="End an assignment"
)
def post_end_assignment(request, assignment_id: int, payload: EndIn):
    user = request.auth
    if not user.has_perm("gridwork.manage_workers"):
        raise Forbidden()
    assignment = GridAssignment.objects.select_related("grid").filter(pk=assignment_id).first()
    if assignment is None or not Area.objects.for_user(user).filter(pk=assignment.grid_id).exists():
        raise NotFound()
    assignment = services.end_assignment(assignment, end_date=payload.end_date, note=payload.note, actor=user)
    return _assignment_out(assignment)


# --- duties ------------------------------------------------------------------------------------


def duty_out(duty: Duty) -> dict:
    return {
        "id": duty.pk,
        "number": duty.number,
        "name": duty.name,
        "category": duty.category,
        "description": duty.description,
        "frequency": duty.frequency,
        "evidence_required": duty.evidence_required,
        "kinds": duty.kinds,
        "active": duty.active,
    }


def _kind_flags(kinds) -> dict:
    return {field: kind in kinds for kind, field in Duty.KIND_FIELDS.items()}


@router.get("/gridwork/duties", response={200: DutyPage, **ERRORS}, summary="The county's duty catalogue")
def list_duties(
    request,
    category: DutyCategory | None = None,
    frequency: DutyFrequency | None = None,
    kind: WorkerKind | None = None,
    include_inactive: bool = False,
):
    user = request.auth
    _staff(user)
    duties = Duty.objects.for_user(user)
    if not include_inactive:
        duties = duties.filter(active=True)
    if category:
        duties = duties.filter(category=category)
    if frequency:
        duties = duties.filter(frequency=frequency)
    if kind:
        duties = duties.for_kind(kind)
    rows = list(duties.order_by("number"))
    return {"items": [duty_out(d) for d in rows], "count": len(rows)}


@router.post("/gridwork/duties", response={201: DutyOut, **ERRORS}, summary="Add a duty to the catalogue")
def post_duty(request, payload: DutyIn):
    data = payload.dict()
    kinds = data.pop("kinds")
    duty = services.create_duty(actor=request.auth, **data, **_kind_flags(kinds))
    return Status(201, duty_out(duty))


@router.patch("/gridwork/duties/{duty_id}", response={200: DutyOut, **ERRORS}, summary="Edit a duty")
def patch_duty(request, duty_id: int, payload: DutyPatch):
    user = request.auth
    if not user.has_perm("gridwork.change_duty"):
        raise Forbidden()
    duty = get_in_scope(Duty.objects, user, pk=duty_id)
    changes = payload.dict(exclude_unset=True)
    if "kinds" in changes:
        changes.update(_kind_flags(changes.pop("kinds") or []))
    return duty_out(services.update_duty(duty, actor=user, **changes))


# --- visits -------------------------------------------------------------------------------------


def _photo_url(photo) -> str:
    from django.urls import reverse

    return reverse("gridwork:visit_photo", args=[photo.pk])


def visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk,
        "kind": visit.kind,
        "purpose": visit.purpose,
        "worker": visit.worker_id,
        "worker_name": visit.worker.name,
        "grid": visit.grid_id,
        "grid_name": visit.grid.name,
        "household": visit.household_id,
        "household_number": visit.household.number if visit.household_id else None,
        "visited_at": visit.visited_at,
        "visited_on": visit.visited_on,
        "notes": visit.notes,
        "location_lat": visit.location_lat,
        "location_lng": visit.location_lng,
        "duties": sorted(d.pk for d in visit.duties.all()),
        "photos": [
            {"id": p.pk, "url": _photo_url(p), "content_type": p.content_type, "size": p.size}
            for p in visit.photos.all()
        ],
        "case": visit.case_id,
    }


def _visit_queryset():
    return Visit.objects.select_related("worker", "grid", "household").prefetch_related("duties", "photos")


def _visit_detail(user, pk) -> dict:
    return visit_out(get_in_scope(_visit_queryset(), user, pk=pk))


@router.get("/gridwork/visits", response={200: VisitPage, **ERRORS}, summary="Visits and patrols in scope")
def list_visits(request, filters: Query[VisitFilter]):
    user = request.auth
    _staff(user)
    visits = _visit_queryset().for_user(user)
    area = _area(user, filters.area)
    if area is not None:
        visits = visits.in_area(area)
    if filters.worker is not None:
        visits = visits.filter(worker=get_in_scope(GridWorker.objects, user, pk=filters.worker))
    if filters.household is not None:
        visits = visits.filter(household=get_in_scope(Household.objects, user, pk=filters.household))
    if filters.kind:
        visits = visits.filter(kind=filters.kind)
    if filters.purpose:
        visits = visits.filter(purpose=filters.purpose)
    if filters.since:
        visits = visits.filter(visited_on__gte=filters.since)
    if filters.until:
        visits = visits.filter(visited_on__lte=filters.until)
    count = visits.count()
    rows = visits.order_by("-visited_at", "-pk")[filters.offset : filters.offset + filters.limit]
    return {"items": [visit_out(v) for v in rows], "count": count}


def _create_visit(user, payload: VisitIn) -> Visit:
    worker = None
    if payload.worker is not None:
        worker = get_in_scope(GridWorker.objects, user, pk=payload.worker)
        own = services.worker_for_user(user)
        if (own is None or own.pk != worker.pk) and not user.has_perm("gridwork.manage_workers"):
            raise Forbidden()
    household = None
    if payload.household is not None:
        household = Household.objects.filter(pk=payload.household).first()
        if household is None:
            raise InvalidInput(fields={"household": _("Unknown household")})
    duties = list(Duty.objects.filter(pk__in=payload.duties))
    if len(duties) != len(set(payload.duties)):
        raise InvalidInput(fields={"duties": _("Unknown duty")})
    return services.log_visit(
        actor=user,
        worker=worker,
        kind=payload.kind,
        purpose=payload.purpose,
        household=household,
        grid=_grid(user, payload.grid),
        visited_at=payload.visited_at,
        notes=payload.notes,
        location_lat=payload.location_lat,
        location_lng=payload.location_lng,
        duties=duties,
        case=payload.case.dict() if payload.case else None,
    )


@router.post(
    "/gridwork/visits",
    response={201: VisitRecordOut, **ERRORS},
    summary="Log a visit or a patrol (honours Idempotency-Key; `case` raises a case in the same step)",
)
def post_visit(request, payload: VisitIn):
    user = request.auth

    def run():
        visit = _create_visit(user, payload)
        return 201, _visit_detail(user, visit.pk)

    status, body = run_idempotent(
        user=user,
        operation="gridwork.visit.create",
        key=key_from_request(request),
        payload=payload.dict(),
        run=run,
    )
    return Status(status, body)


@router.get("/gridwork/visits/{visit_id}", response={200: VisitRecordOut, **ERRORS}, summary="One visit")
def get_visit(request, visit_id: int):
    _staff(request.auth)
    return _visit_detail(request.auth, visit_id)


@router.post(
    "/gridwork/visits/{visit_id}/photos",
    response={201: VisitRecordOut, **ERRORS},
    summary="Add photos to a visit (multipart field `photos`; JPEG, PNG or WebP, 8 MB each)",
)
def post_visit_photos(request, visit_id: int, photos: File[list[UploadedFile]]):
    user = request.auth
    visit = get_in_scope(Visit.objects, user, pk=visit_id)
    services.add_visit_photos(visit, photos=photos, actor=user)
    return Status(201, _visit_detail(user, visit.pk))


@router.post(
    "/gridwork/visits/{visit_id}/case",
    response={201: VisitRecordOut, **ERRORS},
    summary="Report a case from a logged visit (grid, household, location and notes carry over)",
)
def post_visit_case(request, visit_id: int, payload: VisitCaseIn):
    user = request.auth
    if not user.has_perm("gridwork.add_visit"):
        raise Forbidden()
    visit = get_in_scope(Visit.objects, user, pk=visit_id)
    services.raise_case_from_visit(visit, actor=user, **payload.dict())
    return Status(201, _visit_detail(user, visit.pk))


# --- care list ------------------------------------------------------------------------------------


def care_out(item: care.CareItem, today: dt.date) -> dict:
    household = item.household
    return {
        "household": household.pk,
        "number": household.number,
        "head_name": household.head_name,
        "grid": household.grid_id,
        "grid_name": household.grid.name,
        "tags": item.tags,
        "interval_days": item.interval,
        "last_visit": item.last_visit,
        "due_on": item.due_on,
        "days_overdue": item.days_overdue(today),
    }


@router.get(
    "/gridwork/care/overdue",
    response={200: CarePage, **ERRORS},
    summary="Care-list households whose visits are overdue, in scope (a worker, a village, a township)",
)
def care_overdue(
    request, area: int | None = None, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000)
):
    user = request.auth
    _staff(user)
    households = Household.objects.for_user(user)
    place = _area(user, area)
    if place is not None:
        households = households.in_area(place)
    today = timezone.localdate()
    items = care.overdue_items(households, today=today)
    return {
        "items": [care_out(i, today) for i in care.attach(items[offset : offset + limit])],
        "count": len(items),
        "as_of": today,
    }


@router.get("/gridwork/care/rules", response={200: list[CareRuleOut], **ERRORS}, summary="Care visit rules")
def care_rules(request):
    _staff(request.auth)
    rules = CareRule.objects.for_user(request.auth).select_related("tag").order_by("tag__sort_order")
    return [
        {"tag": r.tag.code, "tag_name": r.tag.name, "interval_days": r.interval_days, "active": r.active} for r in rules
    ]


@router.put("/gridwork/care/rules/{tag_code}", response={200: CareRuleOut, **ERRORS}, summary="Set a tag's rule")
def put_care_rule(request, tag_code: str, payload: CareRuleIn):
    user = request.auth
    if not user.has_perm("gridwork.change_carerule"):
        raise Forbidden()
    tag = HouseholdTag.objects.filter(code=tag_code).first()
    if tag is None:
        raise NotFound()
    rule = services.set_care_rule(tag, interval_days=payload.interval_days, active=payload.active, actor=user)
    return {"tag": tag.code, "tag_name": tag.name, "interval_days": rule.interval_days, "active": rule.active}


@router.get(
    "/gridwork/today",
    response={200: TodayOut, **ERRORS},
    summary="The calling grid worker's day: due care visits and duties, counts",
)
def today(request):
    user = request.auth
    worker = services.worker_for_user(user)
    if worker is None:
        raise Forbidden(_("Your account is not linked to a grid worker."))
    day = timezone.localdate()
    grids = services.grids_served(worker, day)
    households = Household.objects.for_user(user).filter(grid__in=grids)
    due = care.due_items(households, today=day)
    month_visits = Visit.objects.filter(worker=worker, visited_on__range=(day.replace(day=1), day))
    return {
        "worker": worker.pk,
        "date": day,
        "grids": [g.pk for g in grids],
        "households": households.filter(status="active").count(),
        "visits_today": month_visits.filter(visited_on=day).count(),
        "visits_this_month": month_visits.count(),
        "care_due": [care_out(i, day) for i in care.attach(due)],
        "duties_due": [
            {
                "duty": d["duty"].pk,
                "number": d["duty"].number,
                "name": d["duty"].name,
                "frequency": d["duty"].frequency,
                "remaining": d["remaining"],
            }
            for d in due_duties(worker, day)
        ],
    }


# --- evaluation ------------------------------------------------------------------------------------


def evaluation_out(month: EvaluationMonth) -> dict:
    return {
        "id": month.pk,
        "township": month.township_id,
        "township_name": month.township.name,
        "month": f"{month.month:%Y-%m}",
        "status": month.status,
        "workers_count": month.workers_count,
        "computed_at": month.computed_at,
        "closed_at": month.closed_at,
        "scheme": month.scheme,
    }


def result_out(result: WorkerEvaluation) -> dict:
    return {
        "id": result.pk,
        "worker": result.worker_id,
        "worker_name": result.worker.name,
        "grids": result.grid_names,
        "total": str(result.total),
        "rank": result.rank,
        "is_red_flag": result.is_red_flag,
        "certificate_number": result.certificate_number,
        "indicators": [
            {**i, "label": evaluation.indicator_label(i["code"])} for i in evaluation.ordered(result.indicators)
        ],
    }


@router.get("/gridwork/evaluations", response={200: EvaluationPage, **ERRORS}, summary="Monthly evaluations")
def list_evaluations(request, filters: Query[EvaluationFilter]):
    user = request.auth
    _staff(user)
    months = EvaluationMonth.objects.for_user(user).select_related("township")
    if filters.township is not None:
        months = months.filter(township=get_in_scope(Area.objects, user, pk=filters.township))
    if filters.month:
        months = months.filter(month=_month(filters.month))
    if filters.status:
        months = months.filter(status=filters.status)
    count = months.count()
    rows = months.order_by("-month", "township__path")[filters.offset : filters.offset + filters.limit]
    return {"items": [evaluation_out(m) for m in rows], "count": count}


@router.get(
    "/gridwork/evaluations/{evaluation_id}",
    response={200: EvaluationDetailOut, **ERRORS},
    summary="One township's month: every visible worker's score, rank and indicators (raw figure and points)",
)
def get_evaluation(request, evaluation_id: int):
    user = request.auth
    _staff(user)
    month = get_in_scope(EvaluationMonth.objects.select_related("township"), user, pk=evaluation_id)
    results = WorkerEvaluation.objects.for_user(user).filter(evaluation=month).select_related("worker").order_by("rank")
    return {**evaluation_out(month), "results": [result_out(r) for r in results]}


@router.post(
    "/gridwork/evaluation-runs",
    response={200: list[EvaluationOut], **ERRORS},
    summary="Compute a month (and close it when `close` and the month has ended); closed months stay as they are",
)
def run(request, payload: RunIn):
    user = request.auth
    if not user.has_perm("gridwork.run_evaluation"):
        raise Forbidden()
    townships = Area.objects.for_user(user).current().filter(level=AreaLevel.TOWNSHIP).order_by("path")
    if payload.township is not None:
        townships = townships.filter(pk=payload.township)
    townships = list(townships)
    if not townships:
        raise NotFound()
    months = evaluation.run_month(_month(payload.month), townships=townships, close=payload.close, actor=user)
    return [evaluation_out(m) for m in months]


@router.put(
    "/gridwork/manual-scores",
    response={200: ManualScoreOut, **ERRORS},
    summary="The township's assessment of a full-time worker for a month (0-100 % of the manual weight)",
)
def put_manual_score(request, payload: ManualScoreIn):
    user = request.auth
    if not user.has_perm("gridwork.score_evaluation"):
        raise Forbidden()
    worker = get_in_scope(GridWorker.objects, user, pk=payload.worker)
    score = services.set_manual_score(
        worker, month=_month(payload.month), percent=payload.percent, note=payload.note, actor=user
    )
    return {"worker": worker.pk, "month": payload.month, "percent": score.percent, "note": score.note}


@router.get("/gridwork/evaluation-scheme", response={200: SchemeOut, **ERRORS}, summary="Weights and targets")
def get_scheme(request):
    _staff(request.auth)
    return services.current_scheme()


@router.put(
    "/gridwork/evaluation-scheme",
    response={200: SchemeOut, **ERRORS},
    summary="Change weights and targets (the weights must sum to 100)",
)
def put_scheme(request, payload: SchemeIn):
    return services.update_evaluation_scheme(actor=request.auth, **payload.dict(exclude_unset=True))


@router.get(
    "/gridwork/red-flags",
    response={200: list[RedFlagOut], **ERRORS},
    summary="Published red-flag grid workers (closed months)",
)
def red_flags(request, month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$")):
    from django.urls import reverse

    user = request.auth
    _staff(user)
    rows = WorkerEvaluation.objects.published(user).select_related("worker", "evaluation__township")
    if month:
        rows = rows.filter(evaluation__month=_month(month))
    rows = rows.order_by("-evaluation__month", "evaluation__township__path", "rank")[:500]
    return [
        {
            "result": r.pk,
            "month": f"{r.evaluation.month:%Y-%m}",
            "township": r.evaluation.township_id,
            "township_name": r.evaluation.township.name,
            "worker": r.worker_id,
            "worker_name": r.worker.name,
            "total": str(r.total),
            "rank": r.rank,
            "certificate_number": r.certificate_number,
            "certificate_url": reverse("gridwork:certificate", args=[r.pk]),
        }
        for r in rows
    ]
