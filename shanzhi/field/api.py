"""The field app's API under /api/v1/field: a day's snapshot, and the writes a phone queues offline.

Every write needs an ``Idempotency-Key`` (the phone makes one per queued action and keeps
it until the server answers): the server applies each action exactly once and replays
the first answer to a retry. The writes themselves are the owning apps' services
(``report_case``, ``log_visit``, ``record_entry``, ``add_attachments``); this module only
parses the phone's multipart form, checks what changed since the phone saved the action
(:mod:`shanzhi.field.conflicts`: 409 with a code the phone explains) and shapes answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field, ValidationError, field_validator

from shanzhi.areas.models import Area
from shanzhi.cases.choices import CaseSource
from shanzhi.cases.services import add_attachments, report_case
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import InvalidInput
from shanzhi.core.idempotency import key_from_request, run_idempotent
from shanzhi.field import conflicts, snapshot
from shanzhi.field.access import require_field_user
from shanzhi.gridwork.choices import VisitKind
from shanzhi.gridwork.models import Duty
from shanzhi.gridwork.services import log_visit
from shanzhi.points.services import record_entry

router = Router(tags=["field"])

MAX_PHOTOS = 3


# --- input ---------------------------------------------------------------------------
class _Form(Schema):
    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if value == "" else value


class _Located(_Form):
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)


class CaseForm(_Located):
    household: int | None = None
    household_grid: int | None = None
    grid: int | None = None
    title: str = Field("", max_length=100)
    description: str = Field(..., min_length=1, max_length=4000)
    category: str = Field(..., min_length=1, max_length=40)
    priority: str = "normal"
    address: str = Field("", max_length=200)

    @field_validator("title", "address", mode="before")
    @classmethod
    def _text(cls, value):
        return "" if value is None else value


class VisitForm(_Located):
    kind: str = VisitKind.HOUSEHOLD
    household: int | None = None
    household_grid: int | None = None
    grid: int | None = None
    purpose: str
    notes: str = Field("", max_length=2000)
    visited_at: dt.datetime | None = None
    duties: list[int] = []

    @field_validator("notes", mode="before")
    @classmethod
    def _text(cls, value):
        return "" if value is None else value


class PointsForm(_Form):
    household: int
    household_grid: int | None = None
    rule: int
    delta: int | None = None
    note: str = Field("", max_length=300)
    occurred_on: dt.date | None = None

    @field_validator("note", mode="before")
    @classmethod
    def _text(cls, value):
        return "" if value is None else value


class CasePhotosForm(_Form):
    note: str = Field("", max_length=2000)

    @field_validator("note", mode="before")
    @classmethod
    def _text(cls, value):
        return "" if value is None else value


def _form(request, schema, list_fields=()):
    """The multipart (or urlencoded) form as ``schema``; field-level 422 on bad values."""
    if request.method != "POST" or not (request.content_type or "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        raise InvalidInput(
            _("Send the record as multipart/form-data."),
            code="multipart_required",
            fields={"__all__": _("multipart/form-data expected")},
        )
    raw = {k: v for k, v in request.POST.items() if k not in list_fields}
    for name in list_fields:
        raw[name] = [v for v in request.POST.getlist(name) if v != ""]
    try:
        return schema.model_validate(raw), raw
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors():
            name = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int)) or "__all__"
            message = _("Required") if error.get("type") == "missing" else error.get("msg", "invalid")
            fields.setdefault(name, []).append(str(message))
        raise InvalidInput(fields=fields) from None


def _photos(request, field: str = "photos", limit: int = MAX_PHOTOS) -> list:
    files = request.FILES.getlist(field)
    if len(files) > limit:
        raise InvalidInput(fields={field: _("At most %(n)d photos.") % {"n": limit}})
    return files


def _key(request) -> str:
    key = key_from_request(request)
    if key is None:
        raise InvalidInput(
            _("Every record from the field app carries an Idempotency-Key."),
            code="idempotency_key_required",
            fields={"Idempotency-Key": _("Required")},
        )
    return key


def _fingerprint(raw: dict, files) -> dict:
    digests = []
    for upload in files:
        upload.seek(0)
        digests.append(hashlib.sha256(upload.read()).hexdigest())
        upload.seek(0)
    return {"body": raw, "files": digests}


# --- output --------------------------------------------------------------------------
class PhotoOut(Schema):
    id: int
    size: int
    sha256: str


class CaseOut(Schema):
    id: int
    number: str
    title: str
    status: str
    photos: list[PhotoOut]


class VisitOut(Schema):
    id: int
    kind: str
    household: int | None
    grid: int
    visited_at: dt.datetime
    photos: list[PhotoOut]


class PointsOut(Schema):
    id: int
    household: int
    rule: int
    delta: int
    status: str


class SnapshotOut(Schema):
    user: dict
    today: str
    generated_at: str
    worker: dict | None
    can: dict
    grids: list[dict]
    households: list[dict]
    households_total: int
    care_due: list[dict]
    duties: list[dict]
    duties_due: list[dict]
    purposes: list[dict]
    categories: list[dict]
    rules: list[dict]
    recent_cases: list[dict]
    source: str


def _photo_rows(rows) -> list[dict]:
    return [{"id": p.pk, "size": p.size, "sha256": p.sha256} for p in rows]


def _case_out(case) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "status": case.get_status_display(),
        "photos": _photo_rows(case.attachments.order_by("pk")),
    }


# --- endpoints -----------------------------------------------------------------------
@router.get("/field/snapshot", response={200: SnapshotOut, **ERRORS}, summary="The phone's offline snapshot")
def get_snapshot(request):
    require_field_user(request.auth)
    return snapshot.build(request.auth)


@router.post(
    "/field/cases",
    response={201: CaseOut, **ERRORS},
    summary="Report a case from the field (multipart; `photos`; Idempotency-Key required)",
)
def post_case(request):
    user = request.auth
    require_field_user(user)
    key = _key(request)
    form, raw = _form(request, CaseForm)
    photos = _photos(request)

    def run():
        household = conflicts.household_as_seen(user, form.household, form.household_grid) if form.household else None
        case = report_case(
            actor=user,
            title=form.title,
            description=form.description,
            category=form.category,
            grid=form.grid,
            household=household,
            source=CaseSource.GRID_PATROL,
            priority=form.priority,
            location_lat=form.lat,
            location_lng=form.lng,
            address=form.address,
            attachments=photos,
        )
        return 201, _case_out(case)

    status, body = run_idempotent(
        user=user, operation="field.case", key=key, payload=_fingerprint(raw, photos), run=run
    )
    return Status(status, body)


@router.post(
    "/field/visits",
    response={201: VisitOut, **ERRORS},
    summary="Log a visit or patrol from the field (multipart; `photos`; Idempotency-Key required)",
)
def post_visit(request):
    user = request.auth
    require_field_user(user)
    key = _key(request)
    form, raw = _form(request, VisitForm, list_fields=("duties",))
    photos = _photos(request)

    def run():
        household = None
        if form.kind == VisitKind.HOUSEHOLD and form.household is not None:
            household = conflicts.household_as_seen(user, form.household, form.household_grid)
        duties = list(Duty.objects.filter(pk__in=form.duties))
        if len(duties) != len(set(form.duties)):
            raise InvalidInput(fields={"duties": _("Unknown duty.")})
        grid = None
        if form.grid is not None:
            grid = Area.objects.for_user(user).filter(pk=form.grid).first()
            if grid is None:
                raise InvalidInput(fields={"grid": _("This grid is outside your jurisdiction.")})
        visited_at = form.visited_at
        if visited_at is not None and timezone.is_naive(visited_at):
            visited_at = timezone.make_aware(visited_at)
        visit = log_visit(
            actor=user,
            kind=form.kind,
            purpose=form.purpose,
            household=household,
            grid=grid,
            visited_at=visited_at,
            notes=form.notes,
            location_lat=form.lat,
            location_lng=form.lng,
            duties=duties,
            photos=photos,
        )
        return 201, {
            "id": visit.pk,
            "kind": visit.kind,
            "household": visit.household_id,
            "grid": visit.grid_id,
            "visited_at": visit.visited_at,
            "photos": _photo_rows(visit.photos.order_by("pk")),
        }

    status, body = run_idempotent(
        user=user, operation="field.visit", key=key, payload=_fingerprint(raw, photos), run=run
    )
    return Status(status, body)


@router.post(
    "/field/points",
    response={201: PointsOut, **ERRORS},
    summary="Record points for a household by a village rule (multipart; optional `evidence`; Idempotency-Key)",
)
def post_points(request):
    user = request.auth
    require_field_user(user)
    key = _key(request)
    form, raw = _form(request, PointsForm)
    evidence = _photos(request, "evidence", limit=1)

    def run():
        household = conflicts.household_as_seen(user, form.household, form.household_grid)
        rule = conflicts.rule_as_seen(user, form.rule)
        entry = record_entry(
            household=household,
            rule=rule,
            actor=user,
            delta=form.delta,
            note=form.note,
            occurred_on=form.occurred_on,
            evidence=evidence[0] if evidence else None,
        )
        return 201, {
            "id": entry.pk,
            "household": entry.household_id,
            "rule": entry.rule_id,
            "delta": entry.delta,
            "status": entry.state.get_status_display(),
        }

    status, body = run_idempotent(
        user=user, operation="field.points", key=key, payload=_fingerprint(raw, evidence), run=run
    )
    return Status(status, body)


@router.post(
    "/field/cases/{case_id}/photos",
    response={201: CaseOut, **ERRORS},
    summary="Add photos to a case reported earlier (multipart `photos`; 409 case_merged; Idempotency-Key)",
)
def post_case_photos(request, case_id: int):
    user = request.auth
    require_field_user(user)
    key = _key(request)
    form, raw = _form(request, CasePhotosForm)
    photos = _photos(request)

    def run():
        case = conflicts.case_as_seen(user, case_id)
        if not photos:
            raise InvalidInput(fields={"photos": _("Please choose a photo.")})
        add_attachments(case, files=photos, actor=user, note=form.note)
        return 201, _case_out(case)

    status, body = run_idempotent(
        user=user,
        operation="field.case_photos",
        key=key,
        payload={"case": case_id, **_fingerprint(raw, photos)},
        run=run,
    )
    return Status(status, body)
