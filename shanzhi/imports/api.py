"""The import flow over the API: upload → map → check → commit, plus templates and exports.

POST /api/v1/imports                       multipart: kind, file, mode → the job (201)
POST /api/v1/imports/{id}/mapping          {"sheets": [{"index", "area", "columns", "skip", "header_row"}]}
POST /api/v1/imports/{id}/check            the dry run: the job with its row-level report
POST /api/v1/imports/{id}/commit           {"mode": "all"|"good"}; 422 rows_rejected when refused
GET  /api/v1/imports/{id}/rejected.xlsx    the rejected rows with an error column
GET  /api/v1/imports/templates/{kind}      ?format=xlsx|csv&encoding=utf-8|gbk
GET  /api/v1/imports/exports/{kind}        the same shape, masked as the role requires; audited
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import Forbidden, InvalidInput, NotFound
from shanzhi.core.scoping import get_in_scope
from shanzhi.imports import services
from shanzhi.imports.choices import ImportMode, JobStatus
from shanzhi.imports.kinds import KINDS
from shanzhi.imports.models import ImportJob
from shanzhi.imports.presenters import kind_label

router = Router(tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ColumnOut(Schema):
    letter: str
    header: str
    key: str
    field: str | None = None
    source: str | None = None


class SheetOut(Schema):
    index: int
    name: str
    header_row: int | None = None
    area_id: int | None = None
    skip: bool
    rows: int
    columns: list[ColumnOut]
    problems: list[str]
    notes: list[str]


class IssueOut(Schema):
    sheet: str
    row: int
    column: str
    header: str
    value: str
    message: str
    code: str


class JobOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: JobStatus
    mode: ImportMode
    file_name: str
    file_format: str
    encoding: str
    size: int
    created: dt.datetime
    checked_at: dt.datetime | None
    committed_at: dt.datetime | None
    sheets: list[SheetOut]
    summary: dict
    issues: list[IssueOut]
    rejected_rows_url: str | None


class JobPage(Schema):
    items: list[JobOut]
    count: int


class FieldOut(Schema):
    name: str
    header: str
    variants: list[str]
    required: str
    exported: bool


class KindOut(Schema):
    kind: str
    label: str
    allowed: bool
    fields: list[FieldOut]


class SheetChoice(Schema):
    index: int
    area: int | None = Field(None, description="the area the sheet is about; null: none")
    columns: dict[str, str] | None = Field(None, description='column key → field name, or "" to leave it out')
    skip: bool | None = None
    header_row: int | None = Field(None, ge=0, le=30)


class MappingIn(Schema):
    sheets: list[SheetChoice]


class CommitIn(Schema):
    mode: ImportMode | None = None


class FileQuery(Schema):
    format: Literal["xlsx", "csv"] = "xlsx"
    encoding: Literal["utf-8", "gbk"] = "utf-8"


def job_out(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": kind_label(job.kind),
        "status": job.status,
        "mode": job.mode,
        "file_name": job.original_name,
        "file_format": job.file_format,
        "encoding": job.encoding,
        "size": job.size,
        "created": job.created,
        "checked_at": job.checked_at,
        "committed_at": job.committed_at,
        "sheets": [
            {
                **sheet,
                "columns": [c for c in sheet.get("columns", [])],
                "rows": sheet.get("rows") or 0,
                "skip": bool(sheet.get("skip")),
            }
            for sheet in job.sheets
        ],
        "summary": job.summary or {},
        "issues": [{k: issue.get(k, "") for k in IssueOut.model_fields} for issue in job.issues or []],
        "rejected_rows_url": f"/api/v1/imports/{job.pk}/rejected.xlsx" if job.rejected_file else None,
    }


def _job(request, job_id: int) -> ImportJob:
    if not request.auth.has_perm(services.PERMISSION):
        raise Forbidden()
    return get_in_scope(ImportJob.objects, request.auth, pk=job_id)


@router.get("/imports/kinds", response={200: list[KindOut], **ERRORS}, summary="What can be imported, with the columns")
def list_kinds(request):
    allowed = set(services.allowed_kinds(request.auth))
    return [
        {
            "kind": name,
            "label": kind_label(name),
            "allowed": name in allowed,
            "fields": [
                {
                    "name": f.name,
                    "header": f.header,
                    "variants": list(f.variants),
                    "required": f.required,
                    "exported": f.exported,
                }
                for f in cls.fields
            ],
        }
        for name, cls in KINDS.items()
    ]


@router.get("/imports/templates/{kind}", response={200: None, **ERRORS}, summary="An empty template (.xlsx or .csv)")
def get_template(request, kind: str, query: Query[FileQuery]):
    if not request.auth.has_perm(services.PERMISSION):
        raise Forbidden()
    body, name = services.template(kind, file_format=query.format, encoding=query.encoding)
    response = HttpResponse(body, content_type=XLSX if query.format == "xlsx" else "text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/imports/exports/{kind}",
    response={200: None, **ERRORS},
    summary="The records in the caller's scope, in the template's shape (masked unless the role may see "
    "personal data in full); audited",
)
def get_export(request, kind: str, query: Query[FileQuery]):
    path, name, _count = services.export(kind, actor=request.auth, file_format=query.format, encoding=query.encoding)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Content-Type"] = XLSX if query.format == "xlsx" else "text/csv"
    path.unlink(missing_ok=True)  # the open handle keeps the data readable until sent
    return response


@router.get("/imports", response={200: JobPage, **ERRORS}, summary="The caller's import jobs, newest first")
def list_jobs(request, limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=10_000_000)):
    if not request.auth.has_perm(services.PERMISSION):
        raise Forbidden()
    queryset = ImportJob.objects.for_user(request.auth)
    count = queryset.count()
    return {"items": [job_out(job) for job in queryset[offset : offset + limit]], "count": count}


@router.post(
    "/imports", response={201: JobOut, **ERRORS}, summary="Upload a file: the job, with its sheets' headers found"
)
def post_job(
    request,
    file: File[UploadedFile],
    kind: Form[str],
    mode: Form[ImportMode] = ImportMode.ALL_OR_NOTHING,
):
    if kind not in KINDS:
        raise InvalidInput(fields={"kind": _("Unknown kind of import.")}, code="unknown_kind")
    job = services.upload(kind=kind, source=file, actor=request.auth, original_name=file.name, mode=mode)
    return Status(201, job_out(job))


@router.get("/imports/{job_id}", response={200: JobOut, **ERRORS}, summary="One job with its report")
def get_job(request, job_id: int):
    return job_out(_job(request, job_id))


@router.post("/imports/{job_id}/mapping", response={200: JobOut, **ERRORS}, summary="Map columns and sheets")
def post_mapping(request, job_id: int, payload: MappingIn):
    job = _job(request, job_id)
    sheets = [choice.model_dump(exclude_unset=True) for choice in payload.sheets]
    job = services.set_mapping(job, actor=request.auth, sheets=sheets)
    return job_out(job)


@router.post("/imports/{job_id}/check", response={200: JobOut, **ERRORS}, summary="Dry run: the row-level report")
def post_check(request, job_id: int):
    job = _job(request, job_id)
    services.check(job, actor=request.auth)
    job.refresh_from_db()
    return job_out(job)


@router.post(
    "/imports/{job_id}/commit",
    response={200: JobOut, **ERRORS},
    summary="Import: all or nothing (refused with 422 rows_rejected if any row is), or the good rows",
)
def post_commit(request, job_id: int, payload: CommitIn):
    job = _job(request, job_id)
    report = services.commit(job, actor=request.auth, mode=payload.mode)
    job.refresh_from_db()
    if not report.committed:
        raise InvalidInput(report.aborted or _("Nothing was imported."), code="rows_rejected")
    return job_out(job)


@router.get("/imports/{job_id}/rejected.xlsx", response={200: None, **ERRORS}, summary="The rejected rows to fix")
def get_rejected(request, job_id: int):
    job = _job(request, job_id)
    if not job.rejected_file:
        raise NotFound(_("This file has no rejected rows."))
    return FileResponse(
        job.rejected_file.open("rb"), as_attachment=True, filename=f"rejected-{job.pk}.xlsx", content_type=XLSX
    )
