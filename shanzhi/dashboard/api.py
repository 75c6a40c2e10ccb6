from __future__ import annotations

import datetime as dt

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from shanzhi.areas.models import Area
from shanzhi.core.api_schemas import ERRORS, paginate
from shanzhi.core.audit import record
from shanzhi.core.errors import Forbidden, InvalidInput, NotFound
from shanzhi.core.idempotency import key_from_request, run_idempotent
from shanzhi.core.scoping import get_in_scope
from shanzhi.dashboard import services
from shanzhi.dashboard.choices import JobStatus, ReportKind
from shanzhi.dashboard.figures import month_window, parse_month
from shanzhi.dashboard.models import ReportJob
from shanzhi.dashboard.overview import build_overview
from shanzhi.dashboard.reports import return_rows
from shanzhi.dashboard.scorecard import department_scorecard
from shanzhi.dashboard.snapshots import overview_for

router = Router(tags=["stats"])


class OverviewQuery(Schema):
    since: dt.date | None = Field(None, description="first day of the window (default: 12 months ago)")
    until: dt.date | None = Field(None, description="last day of the window (default: today)")
    area: int | None = Field(None, description="narrow to one area of the caller's scope")


def overview_window(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    until = until or today
    if since is None:
        try:
            since = until.replace(year=until.year - 1) + dt.timedelta(days=1)
        except ValueError:  # 29 February
            since = until.replace(year=until.year - 1, day=28) + dt.timedelta(days=1)
    if since > until:
        raise InvalidInput(
            fields={"since": _("The start date cannot be later than the end date.")}, code="invalid_window"
        )
    return since, until


@router.get("/overview", response={200: dict, **ERRORS}, summary="Figures of the caller's scope")
def overview(request, params: Query[OverviewQuery]):
    since, until = overview_window(params.since, params.until)
    area = get_in_scope(Area.objects, request.auth, pk=params.area) if params.area is not None else None
    return build_overview(request.auth, since, until, area)


# --- month figures, map, scorecard, report jobs -------------------------------------------
class MonthQuery(Schema):
    month: str | None = Field(None, description="YYYY-MM (default: this month)", pattern=r"^\d{4}-\d{2}$")
    area: int | None = Field(None, description="narrow to one area of the caller's scope")


def _month_and_area(request, params: MonthQuery):
    user = request.auth
    if not user.has_perm(services.PERM_VIEW):
        raise Forbidden()
    try:
        month = parse_month(params.month)
    except (TypeError, ValueError):
        raise InvalidInput(fields={"month": [_("Enter a month as YYYY-MM")]}, code="invalid_month") from None
    area = get_in_scope(Area.objects, user, pk=params.area) if params.area is not None else None
    return month, area


@router.get("/return", response={200: dict, **ERRORS}, summary="The monthly return: every figure of one month")
def monthly_return(request, params: Query[MonthQuery]):
    """The rows of the monthly return (the same as the .xlsx and PDF files), with the overview's links."""
    month, area = _month_and_area(request, params)
    doc = overview_for(request.auth, month, area)
    return {
        "month": f"{month:%Y-%m}",
        "snapshot_at": doc.get("snapshot_at"),
        "area": area.pk if area else None,
        "rows": [
            {"section": section, "code": code, "label": label, "value": value}
            for section, code, label, value in return_rows(doc)
        ],
        "links": doc["links"],
    }


@router.get("/scorecard", response={200: dict, **ERRORS}, summary="Department scorecard of one month")
def scorecard(request, params: Query[MonthQuery]):
    month, area = _month_and_area(request, params)
    since, until = month_window(month)
    return {"month": f"{month:%Y-%m}", "departments": department_scorecard(request.auth, since, until, area)}


class MapQuery(Schema):
    area: int | None = Field(None, description="narrow to one area of the caller's scope")


@router.get(
    "/map", response={200: dict, **ERRORS}, summary="Grid polygons (GeoJSON) with open, overdue and care figures"
)
def grid_map(request, params: Query[MapQuery]):
    user = request.auth
    if not user.has_perm(services.PERM_VIEW):
        raise Forbidden()
    area = get_in_scope(Area.objects, user, pk=params.area) if params.area is not None else None
    from shanzhi.dashboard.views import grid_features

    return grid_features(user, area)


class ReportIn(Schema):
    kind: str = Field(..., description="monthly_return, scorecard or list_export")
    file_format: str = Field("xlsx", description="xlsx or pdf (list exports: xlsx)")
    month: str | None = Field(None, description="YYYY-MM, for monthly_return and scorecard")
    area: int | None = None
    list: str | None = Field(None, description="for list_export: households or cases")
    query: dict[str, str] = Field(default_factory=dict, description="for list_export: the list's filter")


class ReportOut(Schema):
    id: int
    kind: str
    file_format: str
    title: str
    status: str
    progress: int
    row_count: int | None
    error: str
    created: dt.datetime
    finished_at: dt.datetime | None
    download_url: str | None


def report_out(job: ReportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_format": job.file_format,
        "title": job.title,
        "status": job.status,
        "progress": job.progress,
        "row_count": job.row_count,
        "error": job.error,
        "created": job.created,
        "finished_at": job.finished_at,
        "download_url": reverse("api:report_file", args=[job.pk]) if job.status == JobStatus.DONE else None,
    }


@router.post("/reports", response={201: ReportOut, **ERRORS}, summary="Queue a report or a list export")
def create_report(request, payload: ReportIn):
    params = (
        {"list": payload.list, "query": payload.query}
        if payload.kind == ReportKind.LIST_EXPORT
        else {"month": payload.month, "area": payload.area}
    )
    job = run_idempotent(
        user=request.auth,
        operation="dashboard.report",
        key=key_from_request(request),
        payload=payload.dict(),
        run=lambda: (
            201,
            report_out(
                services.request_report(
                    actor=request.auth, kind=payload.kind, file_format=payload.file_format, params=params
                )
            ),
        ),
    )
    return Status(job[0], job[1])


@router.get("/reports", response={200: dict, **ERRORS}, summary="My reports and exports")
def list_reports(request, limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=10_000_000)):
    page = paginate(ReportJob.objects.for_user(request.auth), limit, offset)
    return {"items": [report_out(job) for job in page["items"]], "count": page["count"]}


@router.get("/reports/{job_id}", response={200: ReportOut, **ERRORS}, summary="Progress of a report")
def report_status(request, job_id: int):
    return report_out(get_in_scope(ReportJob.objects, request.auth, pk=job_id))


@router.get("/reports/{job_id}/file", response={200: None, **ERRORS}, url_name="report_file", summary="The file")
def report_file(request, job_id: int):
    job = get_in_scope(ReportJob.objects, request.auth, pk=job_id)
    if job.status != JobStatus.DONE or not job.file:
        raise NotFound()
    record("dashboard.report.downloaded", actor=request.auth, obj=job, after={"rows": job.row_count})
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
