"""Cases in the REST API: create (idempotent), scoped list, detail with timeline, steps, attachments.

Create and step endpoints take JSON, or ``multipart/form-data`` when photos go with
them (files in ``attachments``). Bad files are refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from shanzhi.accounts.choices import Role
from shanzhi.cases import notify as notifications
from shanzhi.cases.choices import CaseSource, CaseStatus, Priority
from shanzhi.cases.filters import CaseFilter
from shanzhi.cases.models import Case, CaseAttachment, Category, Notification
from shanzhi.cases.present import attachment_out, case_detail, case_out, list_queryset
from shanzhi.cases.services import add_attachments, perform_step, report_case
from shanzhi.cases.templatetags.cases_tags import CASE_PERMISSIONS
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import Forbidden, InvalidInput
from shanzhi.core.idempotency import key_from_request, run_idempotent
from shanzhi.core.scoping import get_in_scope

router = Router(tags=["cases"])

MULTIPART_DOC = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CaseIn"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"attachments": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            },
        },
        "required": True,
    }
}


class CaseIn(Schema):
    title: str = Field("", max_length=100, description="defaults to the first line of the description")
    description: str = Field(..., min_length=1, max_length=4000)
    category: str = Field(..., description="a category code, see GET /case-categories")
    grid: int | None = Field(None, description="the grid; defaults to the household's grid")
    household: int | None = None
    source: CaseSource | None = Field(None, description="default: grid_patrol for staff, self_report for villagers")
    priority: Priority = Priority.NORMAL
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=200)
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=30)


class StepIn(Schema):
    action: str = Field(..., description="one of the workflow steps, e.g. accept, dispatch, check_in, resolve")
    note: str = Field("", max_length=2000)
    reason: str = Field("", max_length=500)
    result: str = Field("", max_length=2000)
    department: int | None = None
    co_departments: list[int] = []
    check_in_deadline: dt.datetime | None = None
    resolution_deadline: dt.datetime | None = None
    into: str | None = Field(None, description="merge: id or number of the case that carries on")
    satisfied: bool | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str
    page_url: str
    event: int | None


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    actor: str
    created: dt.datetime
    from_status: str
    to_status: str
    note: str
    department: str
    data: dict
    attachments: list[AttachmentOut]


class CaseOut(Schema):
    id: int
    number: str
    title: str
    description: str
    category: str
    category_name: str
    priority: Priority
    source: CaseSource
    status: CaseStatus
    status_label: str
    grid: int
    grid_name: str
    village: str
    township: str
    household: int | None
    household_number: str
    location: dict | None
    address: str
    reporter_name: str
    reporter_phone: str
    department: int | None
    department_name: str
    co_departments: list[str]
    check_in_deadline: dt.datetime | None
    resolution_deadline: dt.datetime | None
    deadline: dt.datetime | None
    overdue: bool
    escalation_level: int
    reopen_count: int
    urge_count: int
    resolution: str
    rejection_reason: str
    satisfied: bool | None
    resolved_on_the_spot: bool
    merged_into: str | None
    reported_at: dt.datetime
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime


class CaseDetailOut(CaseOut):
    timeline: list[EventOut]
    attachments: list[AttachmentOut]
    steps: list[str]


class CasePage(Schema):
    items: list[CaseOut]
    count: int


class CaseListQuery(Schema):
    area: int | None = Field(None, description="an area of the caller's scope; cases in grids under it")
    status: str | None = Field(None, description="a status, several separated by commas, or `open`")
    category: str | None = None
    department: int | None = Field(None, description="lead or co-handling department")
    overdue: bool | None = None
    escalated: bool | None = None
    source: str | None = None
    priority: str | None = None
    q: str | None = Field(None, max_length=50, description="number, title or address contains")
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class CategoryOut(Schema):
    code: str
    name: str
    check_in_limit: int
    check_in_unit: str
    resolution_limit: int
    resolution_unit: str
    default_department: int | None


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    case: int | None
    created: dt.datetime
    read: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int
    unread: int


class ReadIn(Schema):
    ids: list[int] | None = Field(None, description="omit to mark every notification read")


# --- parsing -----------------------------------------------------------------------
def _is_multipart(request) -> bool:
    return (request.content_type or "").startswith("multipart/form-data")


def _parse(request, schema, list_fields=()):
    """The body as ``schema`` (JSON or multipart) and the uploaded files."""
    if _is_multipart(request):
        raw = {k: v for k, v in request.POST.items() if k != "form_token"}
        for name in list_fields:
            if name in request.POST:
                raw[name] = [v for v in request.POST.getlist(name) if v]
        files = request.FILES.getlist("attachments") + request.FILES.getlist("files")
    else:
        try:
            raw = json.loads(request.body or b"{}")
        except ValueError:
            raise InvalidInput(_("The request body is not valid JSON."), code="invalid_json") from None
        if not isinstance(raw, dict):
            raise InvalidInput(_("The request body must be a JSON object."), code="invalid_json")
        files = []
    try:
        return schema.model_validate(raw), raw, files
    except PydanticValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors():
            name = ".".join(str(p) for p in error.get("loc", ())) or "__all__"
            message = _("Required") if error.get("type") == "missing" else error.get("msg", "invalid")
            fields.setdefault(name, []).append(str(message))
        raise InvalidInput(fields=fields) from None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _fingerprint(raw: dict, files) -> dict:
    digests = []
    for upload in files:
        upload.seek(0)
        digests.append(hashlib.sha256(upload.read()).hexdigest())
        upload.seek(0)
    return {"body": raw, "files": digests}


# --- endpoints ---------------------------------------------------------------------
@router.get("/case-categories", response={200: list[CategoryOut], **ERRORS}, summary="The case categories")
def list_categories(request):
    return [
        {
            "code": c.code,
            "name": c.name,
            "check_in_limit": c.check_in_limit,
            "check_in_unit": c.check_in_unit,
            "resolution_limit": c.resolution_limit,
            "resolution_unit": c.resolution_unit,
            "default_department": c.default_department_id,
        }
        for c in Category.objects.filter(active=True)
    ]


@router.get("/cases", response={200: CasePage, **ERRORS}, summary="Cases in the caller's scope, filtered")
def list_cases(request, filters: Query[CaseListQuery]):
    if not any(request.auth.has_perm(p) for p in CASE_PERMISSIONS):
        raise Forbidden()
    data = filters.dict(exclude={"limit", "offset"})
    qs = CaseFilter(request.auth, {k: v for k, v in data.items() if v is not None}).apply()
    count = qs.count()
    page = list_queryset(qs.order_by("-reported_at", "-id"))[filters.offset : filters.offset + filters.limit]
    return {"items": [case_out(c, request.auth) for c in page], "count": count}


@router.post(
    "/cases",
    response={201: CaseDetailOut, 200: CaseDetailOut, **ERRORS},
    summary="Report a case (send an Idempotency-Key header: a retry returns the first case)",
    openapi_extra=MULTIPART_DOC,
)
def create_case(request):
    user = request.auth
    payload, raw, files = _parse(request, CaseIn)
    key = key_from_request(request)
    source = payload.source or (
        CaseSource.SELF_REPORT if user.roles == frozenset({Role.VILLAGER}) else CaseSource.GRID_PATROL
    )

    def run():
        case = report_case(
            actor=user,
            title=payload.title,
            description=payload.description,
            category=payload.category,
            grid=payload.grid,
            household=payload.household,
            source=source,
            priority=payload.priority,
            location_lat=payload.lat,
            location_lng=payload.lng,
            address=payload.address,
            reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone,
            attachments=files,
        )
        return 201, case_detail(case, user)

    status, body = run_idempotent(
        user=user, operation="cases.create", key=key, payload=_fingerprint(raw, files), run=run
    )
    return Status(status, body)


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="One case with its timeline")
def get_case(request, case_id: int):
    return case_detail(get_in_scope(Case.objects, request.auth, pk=case_id), request.auth)


@router.post(
    "/cases/{case_id}/transitions",
    response={200: CaseDetailOut, **ERRORS},
    summary="Take a workflow step: 403 if your role may not, 409 if the case's status does not allow it",
)
def post_transition(request, case_id: int):
    user = request.auth
    case = get_in_scope(Case.objects, user, pk=case_id)
    payload, _raw, files = _parse(request, StepIn, list_fields=("co_departments",))
    into = payload.into
    if into:
        target = Case.objects.filter(number=into).first()
        if target is None and str(into).isdigit():
            target = Case.objects.filter(pk=int(into)).first()
        into = target
    data = {
        "note": payload.note,
        "reason": payload.reason,
        "result": payload.result,
        "department": payload.department,
        "co_departments": payload.co_departments,
        "check_in_deadline": _aware(payload.check_in_deadline),
        "resolution_deadline": _aware(payload.resolution_deadline),
        "into": into,
        "satisfied": payload.satisfied,
    }
    case = perform_step(case, payload.action, actor=user, data=data, attachments=files)
    return case_detail(case, user)


@router.post(
    "/cases/{case_id}/attachments",
    response={201: list[AttachmentOut], **ERRORS},
    summary="Add photos or documents (multipart, field `files`): JPEG, PNG, WebP, HEIC or PDF",
)
def post_attachments(request, case_id: int):
    user = request.auth
    case = get_in_scope(Case.objects, user, pk=case_id)
    if not _is_multipart(request):
        raise InvalidInput(
            _("Send the files as multipart/form-data in the field “files”."),
            code="multipart_required",
            fields={"files": _("Please choose at least one file.")},
        )
    files = request.FILES.getlist("files") + request.FILES.getlist("attachments")
    stored = add_attachments(case, files=files, actor=user, note=request.POST.get("note", ""))
    return Status(201, [attachment_out(a) for a in stored])


@router.get(
    "/case-attachments/{attachment_id}",
    response={200: None, **ERRORS},
    url_name="case_attachment_file",
    summary="Download one attachment",
)
def get_attachment(request, attachment_id: int):
    attachment = get_in_scope(CaseAttachment.objects, request.auth, pk=attachment_id)
    return FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.original_name
    )


@router.get("/notifications", response={200: NotificationPage, **ERRORS}, summary="My notifications")
def list_notifications(
    request, unread: bool = False, limit: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0, le=10_000_000)
):
    qs = Notification.objects.for_user(request.auth)
    unread_count = qs.unread().count()
    if unread:
        qs = qs.unread()
    limit = max(1, min(limit, 200))
    items = [
        {"id": n.pk, "kind": n.kind, "text": n.text, "case": n.case_id, "created": n.created, "read": bool(n.read_at)}
        for n in qs[offset : offset + limit]
    ]
    return {"items": items, "count": qs.count(), "unread": unread_count}


@router.post("/notifications/read", response={200: dict, **ERRORS}, summary="Mark notifications read")
def read_notifications(request, payload: ReadIn):
    return {"marked": notifications.mark_read(request.auth, payload.ids)}
