"""The import flow, the same for the page, the API and the command:

upload → (map the columns it did not recognise, say which sheet is which area) →
check (a dry run with a row-level report) → commit (all or nothing, or the good rows
with the rejected ones returned as a workbook). Exports write the same shapes.

Who may import what: ``imports.import_data`` plus the permissions the kind's own
services require (households need people.add_household …), so a county admin imports
everything, a command centre its township's people and grid workers, a village
secretary its village's people, venues and points rules. Scope is checked again for
every row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.models import Area
from shanzhi.core import audit
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput
from shanzhi.core.masking import may_view_sensitive
from shanzhi.core.scoping import scope_for
from shanzhi.imports import engine, reading
from shanzhi.imports.choices import ImportMode, JobStatus
from shanzhi.imports.kinds import KINDS
from shanzhi.imports.kinds.base import AreaIndex, Context, Kind, SheetPlan
from shanzhi.imports.models import ColumnMapping, ImportJob
from shanzhi.imports.reading import FileProblem, RowCache, open_workbook
from shanzhi.imports.writing import template_csv, template_xlsx, write_export

PERMISSION = "imports.import_data"


def kind_class(kind: str) -> type[Kind]:
    try:
        return KINDS[kind]
    except KeyError:
        raise InvalidInput(
            _("Unknown kind of import: %(kind)s.") % {"kind": kind}, fields={"kind": _("Unknown kind of import.")}
        ) from None


def may_import(user, kind: str) -> bool:
    if user is None:
        return True
    cls = KINDS.get(kind)
    return bool(
        cls and user.is_authenticated and user.has_perm(PERMISSION) and all(user.has_perm(p) for p in cls.permissions)
    )


def allowed_kinds(user) -> list[str]:
    return [name for name in KINDS if may_import(user, name)]


def require_kind(user, kind: str) -> type[Kind]:
    cls = kind_class(kind)
    if not may_import(user, kind):
        raise Forbidden()
    return cls


def importer_area(user) -> Area | None:
    """The area of the importer's role: mappings without a sheet area are kept there."""
    if user is None:
        return Area.objects.filter(parent__isnull=True).order_by("pk").first()
    assignment = user.primary_assignment() if hasattr(user, "primary_assignment") else None
    if assignment is not None and assignment.area_id:
        return assignment.area
    if scope_for(user).everything:
        return Area.objects.filter(parent__isnull=True).order_by("pk").first()
    return None


def _problem(exc: FileProblem) -> InvalidInput:
    return InvalidInput(exc.message, code=exc.code, fields={"file": exc.message})


# --- upload and analysis -------------------------------------------------------------------------


def upload(*, kind: str, source, actor, original_name: str = "", mode: str = ImportMode.ALL_OR_NOTHING) -> ImportJob:
    """Store an uploaded file (a Django upload or a path) as a new job and find its sheets' headers.

    A file that cannot be read as a spreadsheet is refused with a message and nothing
    is stored.
    """
    require_kind(actor, kind)
    if mode not in ImportMode.values:
        raise InvalidInput(fields={"mode": _("Unknown import mode.")})
    original_name = (original_name or getattr(source, "name", "") or "upload").rsplit("/", 1)[-1][:200]
    declared = getattr(source, "size", None) or (Path(source).stat().st_size if isinstance(source, str | Path) else 0)
    if declared > reading.max_file_bytes():  # refuse before copying a huge upload anywhere
        raise _problem(reading.too_large(declared))
    handle, temp_name = tempfile.mkstemp(prefix="shanzhi-upload-")
    temp = Path(temp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            if isinstance(source, str | Path):
                with open(source, "rb") as src:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            else:
                for chunk in source.chunks():
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        try:
            with open_workbook(temp, display_name=Path(original_name).stem) as workbook:
                file_format, encoding = workbook.file_format, workbook.encoding
        except FileProblem as exc:
            raise _problem(exc) from None
        job = ImportJob(
            kind=kind,
            created_by=actor if actor is not None else None,
            area=importer_area(actor),
            original_name=original_name,
            file_format=file_format,
            encoding=encoding,
            size=size,
            sha256=digest.hexdigest(),
            mode=mode,
        )
        suffix = ".xlsx" if file_format == "xlsx" else ".csv"
        with temp.open("rb") as stored:
            job.file.save(f"{digest.hexdigest()[:16]}{suffix}", File(stored), save=False)
        job.save()
    finally:
        temp.unlink(missing_ok=True)
    analyse_job(job, actor=actor)
    audit.record(
        "imports.job.uploaded",
        actor=actor,
        obj=job,
        after={"kind": kind, "file": original_name, "size": size, "sha256": job.sha256, "format": file_format},
    )
    return job


def _local_path(job: ImportJob):
    """A path openpyxl can read: the stored file itself, or a temporary copy."""
    try:
        return Path(job.file.path), False
    except NotImplementedError:  # a remote storage
        handle, name = tempfile.mkstemp(prefix="shanzhi-job-")
        with os.fdopen(handle, "wb") as out, job.file.open("rb") as src:
            shutil.copyfileobj(src, out)
        return Path(name), True


class _JobFile:
    def __init__(self, job):
        self.job = job

    def __enter__(self) -> Path:
        self.path, self.temporary = _local_path(self.job)
        return self.path

    def __exit__(self, *exc):
        if self.temporary:
            self.path.unlink(missing_ok=True)


def _saved_for(kind: str):
    cache = {}

    def saved(ref) -> dict:
        if ref.id not in cache:
            mapping = ColumnMapping.objects.filter(kind=kind, area_id=ref.id).first()
            cache[ref.id] = dict(mapping.columns) if mapping else {}
        return cache[ref.id]

    return saved


def plans_of(job: ImportJob) -> list[SheetPlan]:
    return [SheetPlan.from_json(data) for data in job.sheets]


def analyse_job(job: ImportJob, *, actor) -> list[SheetPlan]:
    cls = kind_class(job.kind)
    areas = AreaIndex()
    scope = Context(actor=actor, job_id=job.pk).scope
    default_area = areas.get(job.area_id) if job.area_id else None
    with _JobFile(job) as path:
        try:
            with open_workbook(path, display_name=Path(job.original_name).stem) as workbook:
                plans = engine.analyse(
                    workbook,
                    cls,
                    areas=areas,
                    scope_ok=scope.covers_path,
                    saved_for=_saved_for(job.kind),
                    overrides={int(k): v for k, v in (job.overrides or {}).items()},
                    default_area=default_area,
                )
        except FileProblem as exc:
            raise _problem(exc) from None
    job.sheets = [plan.as_json() for plan in plans]
    blocked = any(plan.problems for plan in plans if not plan.skip)
    if not any(not plan.skip for plan in plans):
        blocked = True
    if job.status in (JobStatus.NEEDS_MAPPING, JobStatus.READY, JobStatus.CHECKED, JobStatus.REFUSED):
        job.status = JobStatus.NEEDS_MAPPING if blocked else JobStatus.READY
    job.save(update_fields=["sheets", "status"])
    return plans


def _ensure_open(job: ImportJob) -> None:
    if not job.is_open:
        raise Conflict(_("This file has already been imported."), code="job_closed")


@transaction.atomic
def set_mapping(job: ImportJob, *, actor, sheets: list[dict]) -> ImportJob:
    """Record the user's choices per sheet (area, column → field, skip, header row) and keep the
    column choices as the mapping of the sheet's area for the next file."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    cls = require_kind(actor, job.kind)
    _ensure_open(job)
    field_names = {f.name for f in cls.fields}
    scope = Context(actor=actor, job_id=job.pk).scope
    known = {plan["index"]: plan for plan in job.sheets}
    overrides = {int(k): v for k, v in (job.overrides or {}).items()}
    errors: dict = {}
    for choice in sheets:
        index = choice.get("index")
        if index not in known:
            errors["sheets"] = [_("Unknown sheet: %(index)s.") % {"index": index}]
            continue
        entry = dict(overrides.get(index, {}))
        if "area" in choice:
            area_id = choice["area"]
            if area_id in (None, "", 0):
                entry["area_id"] = None
            else:
                area = Area.objects.filter(pk=area_id).first()
                if area is None or not scope.covers_path(area.path) or area.level not in cls.sheet_area_levels:
                    errors[f"sheets.{index}.area"] = [_("Choose an area within your jurisdiction.")]
                    continue
                entry["area_id"] = area.pk
        if "columns" in choice:
            columns = dict(entry.get("columns") or {})
            for key, value in (choice.get("columns") or {}).items():
                value = value or ""
                if value not in field_names and value != "":
                    errors[f"sheets.{index}.columns"] = [_("Unknown field: %(field)s.") % {"field": value}]
                    continue
                columns[str(key)] = value
            entry["columns"] = columns
        if "skip" in choice:
            entry["skip"] = bool(choice["skip"])
        if "header_row" in choice:
            header_row = choice["header_row"]
            if header_row in (None, "", 0):
                entry.pop("header_row", None)
            elif not isinstance(header_row, int) or header_row < 1 or header_row > engine.HEADER_SCAN_ROWS:
                errors[f"sheets.{index}.header_row"] = [
                    _("The header must be within the first %(n)s rows.") % {"n": engine.HEADER_SCAN_ROWS}
                ]
                continue
            else:
                entry["header_row"] = header_row
        overrides[index] = entry
    if errors:
        raise InvalidInput(fields=errors)
    job.overrides = {str(k): v for k, v in overrides.items()}
    job.save(update_fields=["overrides"])
    plans = analyse_job(job, actor=actor)
    _save_mappings(job, plans, actor)
    audit.record("imports.job.mapped", actor=actor, obj=job, after={"sheets": sheets})
    return job


def _save_mappings(job: ImportJob, plans: list[SheetPlan], actor) -> None:
    fallback = job.area_id or (importer_area(actor).pk if importer_area(actor) else None)
    for plan in plans:
        chosen = {c["key"]: c["field"] or "" for c in plan.columns if c.get("source") == "user" and c["header"]}
        area_id = plan.area_id or fallback
        if not chosen or area_id is None:
            continue
        mapping, _created = ColumnMapping.objects.select_for_update().get_or_create(
            kind=job.kind, area_id=area_id, defaults={"columns": {}}
        )
        before = dict(mapping.columns)
        mapping.columns = {**before, **chosen}
        mapping.updated_by = actor if actor is not None and actor.is_authenticated else None
        mapping.save()
        old, new = audit.changed(before, mapping.columns)
        if new:
            audit.record("imports.mapping.saved", actor=actor, obj=mapping, before=old, after=new)


# --- check and commit ---------------------------------------------------------------------------


def _store_report(job: ImportJob, report: engine.Report, run: engine.Run) -> None:
    job.summary = report.summary()
    order = {plan.name: plan.index for plan in run.all_plans}
    job.issues = sorted(report.issues, key=lambda issue: (order.get(issue["sheet"], 0), issue["row"]))
    job.sheets = [plan.as_json() for plan in run.all_plans]
    if job.rejected_file:
        job.rejected_file.delete(save=False)
    if report.rejected:
        handle, name = tempfile.mkstemp(prefix="shanzhi-rejected-", suffix=".xlsx")
        os.close(handle)
        target = Path(name)
        try:
            if run.rejected_workbook(report, target):
                with target.open("rb") as data:
                    job.rejected_file.save(f"rejected-{job.pk}.xlsx", File(data), save=False)
        finally:
            target.unlink(missing_ok=True)


def _runnable(job: ImportJob) -> list[SheetPlan]:
    if job.status == JobStatus.NEEDS_MAPPING:
        raise Conflict(
            _("Some columns or sheets still need your decision before the file can be checked."),
            code="needs_mapping",
            fields={
                "sheets": [p for plan in job.sheets for p in plan.get("problems", [])] or [_("No sheet to import.")]
            },
        )
    return plans_of(job)


def cache_dir(job: ImportJob) -> Path:
    """Where the job's parsed rows are kept: named by the job and its file's digest, so that a
    reused id (a database rebuilt next to an old media folder) can never read another file's rows."""
    return Path(settings.MEDIA_ROOT) / "imports" / "cache" / f"{job.pk}-{job.sha256[:16]}"


def _run(job: ImportJob, path: Path, cls, plans, actor) -> engine.Run:
    return engine.Run(
        path,
        cls,
        plans,
        actor=actor,
        job_id=job.pk,
        mode=job.mode,
        display_name=Path(job.original_name).stem,
        cache_dir=cache_dir(job),
    )


def check(job: ImportJob, *, actor) -> engine.Report:
    """The dry run: every row checked against the database; nothing written but the report."""
    cls = require_kind(actor, job.kind)
    _ensure_open(job)
    plans = _runnable(job)
    with _JobFile(job) as path:
        run = _run(job, path, cls, plans, actor)
        try:
            report = run.check()
        except FileProblem as exc:
            raise _problem(exc) from None
        _store_report(job, report, run)
    job.status = JobStatus.CHECKED
    job.checked_at = timezone.now()
    job.save()
    audit.record("imports.job.checked", actor=actor, obj=job, after=_audit_summary(job))
    return report


def commit(job: ImportJob, *, actor, mode: str | None = None) -> engine.Report:
    """Check again and write: everything or nothing, or the good rows (``mode``)."""
    cls = require_kind(actor, job.kind)
    if mode is not None and mode not in ImportMode.values:
        raise InvalidInput(fields={"mode": _("Unknown import mode.")})
    plans = _runnable(job)
    claimed = ImportJob.objects.filter(
        pk=job.pk, status__in=[JobStatus.READY, JobStatus.CHECKED, JobStatus.REFUSED]
    ).update(status=JobStatus.COMMITTING, mode=mode or job.mode)
    if not claimed:
        raise Conflict(_("This file is being imported or has already been imported."), code="job_closed")
    job.refresh_from_db()
    try:
        with _JobFile(job) as path:
            run = _run(job, path, cls, plans, actor)
            report = run.commit()
            _store_report(job, report, run)
    except FileProblem as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.REFUSED)
        raise _problem(exc) from None
    except BaseException:
        ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.REFUSED)
        raise
    job.status = JobStatus.COMMITTED if report.committed else JobStatus.REFUSED
    if report.committed:
        job.committed_at = timezone.now()
        RowCache(cache_dir(job)).clear()
    job.save()
    audit.record(
        "imports.job.committed" if report.committed else "imports.job.refused",
        actor=actor,
        obj=job,
        after=_audit_summary(job),
    )
    return report


def _audit_summary(job: ImportJob) -> dict:
    summary = job.summary or {}
    return {
        key: summary.get(key)
        for key in ("rows", "created", "updated", "unchanged", "rejected", "aborted")
        if summary.get(key) not in (None, "")
    } | {"mode": job.mode}


# --- templates and exports ---------------------------------------------------------------------------


def template(kind: str, *, file_format: str, encoding: str = "utf-8") -> tuple[bytes, str]:
    cls = kind_class(kind)
    if file_format == "xlsx":
        return template_xlsx(cls), f"{kind}-template.xlsx"
    if file_format == "csv" and encoding in ("utf-8", "gbk"):
        return template_csv(cls, encoding), f"{kind}-template-{encoding}.csv"
    raise InvalidInput(fields={"format": _("Choose .xlsx, or CSV in UTF-8 or GBK.")})


def export(kind: str, *, actor, file_format: str, encoding: str = "utf-8") -> tuple[Path, str, int]:
    """The records of ``kind`` in the actor's scope, in the template's shape; always audited.

    ID numbers and phones are masked unless the role may see them in full; a masked
    export still re-imports (the masked cells are compared, never written).
    """
    cls = require_kind(actor, kind)
    if file_format not in ("xlsx", "csv") or encoding not in ("utf-8", "gbk"):
        raise InvalidInput(fields={"format": _("Choose .xlsx, or CSV in UTF-8 or GBK.")})
    masked = actor is not None and not may_view_sensitive(actor)
    instance = cls(Context(actor=actor, job_id=None))
    path, count = write_export(cls, instance.export(actor, masked=masked), file_format=file_format, encoding=encoding)
    audit.record(
        "imports.export.downloaded",
        actor=actor,
        object_type="imports.export",
        object_id=kind,
        object_repr=str(cls.name),
        after={"kind": kind, "format": file_format, "encoding": encoding, "rows": count, "masked": masked},
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    suffix = "csv" if file_format == "csv" else "xlsx"
    return path, f"{kind}-{stamp}.{suffix}", count


def purge_files(*, older_than_days: int = 30) -> int:
    """Delete stored uploads and rejected-row files of jobs older than the cut-off; keep the jobs."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    removed = 0
    for job in ImportJob.objects.filter(created__lt=cutoff).exclude(file=""):
        for field_file in (job.file, job.rejected_file):
            if field_file and default_storage.exists(field_file.name):
                field_file.delete(save=False)
                removed += 1
        ImportJob.objects.filter(pk=job.pk).update(file="", rejected_file="")
        RowCache(cache_dir(job)).clear()
    return removed
