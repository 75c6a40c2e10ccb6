"""Requesting, claiming and building report jobs.

``request_report`` validates everything (permission, scope, month, list filter) before
writing the queued row. The worker's ``run_reports`` command claims queued rows one at
a time with a conditional UPDATE and builds the file with the requester's scope and
masking, updating ``progress`` as it goes; the finished file is audited with its row
count and the requester gets a notification.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.audit import record
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput
from shanzhi.core.scoping import get_in_scope
from shanzhi.dashboard.choices import JobStatus, ReportFormat, ReportKind
from shanzhi.dashboard.exporters import EXPORTERS, context_for
from shanzhi.dashboard.figures import month_window, parse_month
from shanzhi.dashboard.models import ReportJob

logger = logging.getLogger("shanzhi.reports")

PERM_VIEW = "dashboard.view_overview"
PERM_EXPORT = "dashboard.export_lists"
PERM_REPORTS = "dashboard.run_reports"
MAX_PENDING_PER_USER = 5
STALE_AFTER = dt.timedelta(hours=1)
KEEP_FOR = dt.timedelta(days=7)
PROGRESS_EVERY = 500


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise Forbidden()


def default_area(user) -> Area | None:
    """The outermost area of the user's scope when it is a single one (a township officer's township)."""
    from shanzhi.dashboard.home import scope_roots

    roots = scope_roots(user)
    return roots[0] if len(roots) == 1 else None


def _clean_params(user, kind: str, file_format: str, params: dict) -> tuple[dict, str]:
    errors: dict = {}
    if kind not in ReportKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown report")]})
    if file_format not in ReportFormat.values:
        errors["file_format"] = [_("Unknown format")]
    if kind == ReportKind.LIST_EXPORT:
        _need(user, PERM_EXPORT)
        exporter = EXPORTERS.get(str(params.get("list") or ""))
        if exporter is None:
            raise InvalidInput(fields={"list": [_("This list cannot be exported")]})
        if exporter.permission:
            _need(user, exporter.permission)
        if file_format != ReportFormat.XLSX:
            errors["file_format"] = [_("Lists are exported as .xlsx")]
        query = {str(k): str(v) for k, v in (params.get("query") or {}).items() if k != "page"}
        exporter.queryset(user, query)  # validates the filter (field errors, 404 for an area out of scope)
        if errors:
            raise InvalidInput(fields=errors)
        return {"list": exporter.name, "query": query}, f"{exporter.title} {timezone.localdate():%Y-%m-%d}"
    _need(user, PERM_REPORTS)
    try:
        month = parse_month(params.get("month"))
    except (TypeError, ValueError):
        errors["month"] = [_("Enter a month as YYYY-MM")]
        month = None
    if month is not None and month > timezone.localdate():
        errors["month"] = [_("The month has not begun yet")]
    area = None
    if params.get("area") not in (None, ""):
        area = get_in_scope(Area.objects, user, pk=params["area"])
        if area.level == AreaLevel.GRID:
            errors["area"] = [_("Choose the county, a township or a village")]
    if errors:
        raise InvalidInput(fields=errors)
    area = area or default_area(user)
    name = area.name if area else _("Whole scope")
    label = _("Monthly return") if kind == ReportKind.MONTHLY_RETURN else _("Department scorecard")
    return {"month": f"{month:%Y-%m}", "area": area.pk if area else None}, f"{name} {month:%Y-%m} {label}"


@transaction.atomic
def request_report(*, actor, kind: str, file_format: str, params: dict | None = None) -> ReportJob:
    _need(actor, PERM_VIEW)
    cleaned, title = _clean_params(actor, kind, file_format, dict(params or {}))
    pending = ReportJob.objects.filter(requested_by=actor, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()
    if pending >= MAX_PENDING_PER_USER:
        raise Conflict(_("You already have %(n)d reports waiting; wait for them to finish.") % {"n": pending})
    job = ReportJob.objects.create(
        kind=kind, file_format=file_format, params=cleaned, title=title[:200], requested_by=actor
    )
    record(
        "dashboard.report.requested",
        actor=actor,
        obj=job,
        after={"kind": kind, "format": file_format, "params": cleaned},
    )
    return job


# --- the worker side ---------------------------------------------------------------------
def claim_next_job() -> ReportJob | None:
    """Take the oldest queued job; a conditional UPDATE makes sure only one worker gets it."""
    candidates = ReportJob.objects.queued().order_by("created", "id").values_list("pk", flat=True)[:10]
    for pk in candidates:
        claimed = ReportJob.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=timezone.now(), progress=0
        )
        if claimed == 1:
            return ReportJob.objects.select_related("requested_by").get(pk=pk)
    return None


def fail_stale_jobs() -> int:
    """Jobs left running by a worker that died are marked failed, so the user can ask again."""
    return ReportJob.objects.filter(status=JobStatus.RUNNING, started_at__lt=timezone.now() - STALE_AFTER).update(
        status=JobStatus.FAILED, error=_("The worker stopped while building this file."), finished_at=timezone.now()
    )


def _set_progress(job: ReportJob, percent: int) -> None:
    percent = max(0, min(99, int(percent)))
    if percent != job.progress:
        job.progress = percent
        ReportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(progress=percent)


def run_job(job: ReportJob) -> ReportJob:
    """Build the file of a claimed job; never raises (a failure is recorded on the job)."""
    user = job.requested_by
    try:
        if not user.is_active:
            raise Forbidden()
        content, rows, extension = _build(job, user)
    except Exception as exc:  # the job fails, the worker carries on
        logger.exception("report job %s failed", job.pk)
        message = str(getattr(exc, "message", "")) or _("The file could not be built.")
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=message[:300], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    filename = f"{job.title}.{extension}".replace("/", "-").replace(" ", "_")
    with transaction.atomic():
        job.file.save(f"job-{job.pk}.{extension}", ContentFile(content), save=False)
        job.filename = filename[:200]
        job.row_count = rows
        job.status = JobStatus.DONE
        job.progress = 100
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "filename", "row_count", "status", "progress", "finished_at"])
        record(
            "dashboard.report.exported",
            actor=user,
            obj=job,
            after={
                "kind": job.kind,
                "format": job.file_format,
                "params": job.params,
                "rows": rows,
                "masked": not context_for(user).sensitive,
            },
        )
        from shanzhi.cases.choices import NotificationKind
        from shanzhi.cases.notify import notify

        notify(
            [user.pk],
            kind=NotificationKind.REPORT_READY,
            text=_("Ready to download: %(title)s") % {"title": job.title},
            link=reverse("dashboard:report_detail", args=[job.pk]),
        )
    return job


def _build(job: ReportJob, user) -> tuple[bytes, int, str]:
    from shanzhi.dashboard import reports
    from shanzhi.dashboard.snapshots import overview_for

    if job.kind == ReportKind.LIST_EXPORT:
        return _build_list(job, user), job.row_count or 0, "xlsx"
    area = Area.objects.for_user(user).filter(pk=job.params["area"]).first() if job.params.get("area") else None
    if job.params.get("area") and area is None:
        raise Forbidden()
    month = parse_month(job.params["month"])
    if job.kind == ReportKind.SCORECARD:
        from shanzhi.dashboard.scorecard import department_scorecard

        since, until = month_window(month)
        card = department_scorecard(user, since, until, area)
        _set_progress(job, 60)
        if job.file_format == ReportFormat.PDF:
            return reports.scorecard_pdf(job.title, card), len(card), "pdf"
        return reports.scorecard_xlsx(job.title, card), len(card), "xlsx"
    doc = overview_for(user, month, area)
    children = _children(user, area)
    parts = []
    for index, child in enumerate(children, 1):
        parts.append((child.name, overview_for(user, month, child)))
        _set_progress(job, 5 + 85 * index / max(len(children), 1))
    if job.file_format == ReportFormat.PDF:
        content = reports.monthly_return_pdf(job.title, doc, parts)
    else:
        content = reports.monthly_return_xlsx(job.title, doc, parts)
    return content, len(reports.return_rows(doc)), job.file_format


def _children(user, area: Area | None) -> list[Area]:
    """The townships of a county return, the villages of a township return."""
    if area is None or area.level not in (AreaLevel.COUNTY, AreaLevel.TOWNSHIP):
        return []
    return list(Area.objects.for_user(user).current().filter(parent=area).order_by("sort_order", "code"))


def _build_list(job: ReportJob, user) -> bytes:
    import io

    from openpyxl import Workbook

    from shanzhi.points.export import safe_cell

    exporter = EXPORTERS[job.params["list"]]
    context = context_for(user)
    queryset = exporter.queryset(user, job.params.get("query") or {})
    total = queryset.count()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(exporter.title)[:31])
    ws.append(exporter.headers())
    written = 0
    for obj in queryset.iterator(chunk_size=1000):
        ws.append([safe_cell(v) for v in exporter.row(obj, context)])
        written += 1
        if written % PROGRESS_EVERY == 0:
            _set_progress(job, 95 * written / max(total, 1))
    job.row_count = written
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def purge_old_jobs(now=None) -> int:
    """Finished jobs older than KEEP_FOR go, with their files: exports hold personal data."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    old = list(ReportJob.objects.filter(created__lt=cutoff, status__in=[JobStatus.DONE, JobStatus.FAILED]))
    for job in old:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return len(old)


def run_pending(limit: int = 20) -> int:
    """Build up to ``limit`` queued jobs; returns how many were built (or failed)."""
    fail_stale_jobs()
    purge_old_jobs()
    done = 0
    while done < limit:
        job = claim_next_job()
        if job is None:
            break
        run_job(job)
        done += 1
    return done
