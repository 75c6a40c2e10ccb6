"""The import pages: the same flow as the API and the command, one screen per file."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.areas.models import Area
from shanzhi.core.errors import DomainError, Forbidden
from shanzhi.core.forms import apply_domain_error
from shanzhi.core.scoping import get_in_scope
from shanzhi.imports import services
from shanzhi.imports.choices import ImportMode, JobStatus
from shanzhi.imports.forms import CommitForm, UploadForm
from shanzhi.imports.kinds import KINDS
from shanzhi.imports.models import ImportJob
from shanzhi.imports.presenters import SOURCE_LABELS, code_label, kind_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gb18030": "GBK", "utf-16": "UTF-16"}


def _require_importer(user) -> list[str]:
    kinds = services.allowed_kinds(user) if user.has_perm(services.PERMISSION) else []
    if not kinds:
        raise Forbidden()
    return kinds


def _index_context(user, kinds, form):
    return {
        "form": form,
        "kinds": [{"kind": k, "label": kind_label(k), "fields": KINDS[k].exported_fields()} for k in kinds],
        "jobs": ImportJob.objects.for_user(user)[:10],
    }


@login_required
def index(request):
    kinds = _require_importer(request.user)
    form = UploadForm(kinds=kinds, initial={"kind": request.GET.get("kind") or kinds[0]})
    return render(request, "imports/index.html", _index_context(request.user, kinds, form))


@login_required
@require_POST
def upload(request):
    kinds = _require_importer(request.user)
    form = UploadForm(request.POST, request.FILES, kinds=kinds)
    if form.is_valid():
        data = form.cleaned_data
        try:
            job = services.upload(
                kind=data["kind"],
                source=data["file"],
                actor=request.user,
                original_name=data["file"].name,
                mode=data["mode"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if job.status == JobStatus.READY:
                return _check_and_redirect(request, job)
            messages.info(request, _("Some columns need your decision before the file is checked."))
            return redirect("imports:job", pk=job.pk)
    return render(request, "imports/index.html", _index_context(request.user, kinds, form), status=422)


def _check_and_redirect(request, job):
    try:
        report = services.check(job, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if report.rejected:
            messages.error(
                request, _("Checked: %(n)s rows have problems; see the list below.") % {"n": report.rejected}
            )
        else:
            messages.success(request, _("Checked: every row can be imported."))
    return redirect("imports:job", pk=job.pk)


def _job(request, pk: int) -> ImportJob:
    _require_importer(request.user)
    return get_in_scope(ImportJob.objects, request.user, pk=pk)


@login_required
def job_detail(request, pk: int):
    job = _job(request, pk)
    cls = KINDS[job.kind]
    areas = (
        Area.objects.for_user(request.user)
        .current()
        .filter(level__in=[level for level in cls.sheet_area_levels if level != "grid"])
        .order_by("path")
    )
    area_names = dict(
        Area.objects.filter(pk__in=[s.get("area_id") for s in job.sheets if s.get("area_id")]).values_list("pk", "name")
    )
    field_choices = [(f.name, f.header) for f in cls.fields]
    sheets = []
    for sheet in job.sheets:
        columns = []
        for column in sheet.get("columns", []):
            columns.append({**column, "source_label": SOURCE_LABELS.get(column.get("source"), "")})
        chosen = (job.overrides or {}).get(str(sheet["index"]), {})
        sheets.append(
            {
                **sheet,
                "columns": columns,
                "area_name": area_names.get(sheet.get("area_id"), ""),
                "left_out_by_user": bool(chosen.get("skip")),
            }
        )
    summary = job.summary or {}
    codes = Counter(summary.get("codes") or {})
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "kind_label": kind_label(job.kind),
            "encoding_label": ENCODING_LABELS.get(job.encoding, job.encoding),
            "sheets": sheets,
            "areas": areas,
            "field_choices": field_choices,
            "summary": summary,
            "codes": [(code_label(code), n) for code, n in codes.most_common()],
            "issues": job.issues or [],
            "more_issues": max(0, (summary.get("issues") or 0) - len(job.issues or [])),
            "commit_form": CommitForm(initial={"mode": job.mode}),
            "can_map": job.is_open,
            "can_check": job.is_open and job.status != JobStatus.NEEDS_MAPPING,
            "can_commit": job.status in (JobStatus.CHECKED, JobStatus.REFUSED),
            "all_or_nothing": ImportMode.ALL_OR_NOTHING,
        },
    )


@login_required
@require_POST
def job_mapping(request, pk: int):
    job = _job(request, pk)
    post = request.POST
    sheets = []
    for sheet in job.sheets:
        index = sheet["index"]
        prefix = f"sheet-{index}-"
        choice = {"index": index, "skip": post.get(prefix + "skip") == "1"}
        if prefix + "area" in post:
            choice["area"] = int(post[prefix + "area"]) if post[prefix + "area"].isdigit() else None
        header_row = post.get(prefix + "header_row", "").strip()
        if header_row:
            choice["header_row"] = int(header_row) if header_row.isdigit() else -1
        columns = {}
        for column in sheet.get("columns", []):
            name = prefix + "col-" + column["key"]
            if name in post and post[name] != "?":
                columns[column["key"]] = post[name]
        if columns:
            choice["columns"] = columns
        sheets.append(choice)
    try:
        job = services.set_mapping(job, actor=request.user, sheets=sheets)
    except DomainError as exc:
        for messages_list in exc.fields.values():
            for message in messages_list:
                messages.error(request, message)
        if not exc.fields:
            messages.error(request, exc.message)
        return redirect("imports:job", pk=job.pk)
    if job.status == JobStatus.READY:
        return _check_and_redirect(request, job)
    messages.info(request, _("Saved. Some columns or sheets still need your decision."))
    return redirect("imports:job", pk=job.pk)


@login_required
@require_POST
def job_check(request, pk: int):
    return _check_and_redirect(request, _job(request, pk))


@login_required
@require_POST
def job_commit(request, pk: int):
    job = _job(request, pk)
    form = CommitForm(request.POST)
    mode = form.cleaned_data["mode"] if form.is_valid() else job.mode
    try:
        report = services.commit(job, actor=request.user, mode=mode)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("imports:job", pk=job.pk)
    summary = report.summary()
    if report.committed:
        messages.success(
            request,
            _("Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected.")
            % summary,
        )
    else:
        messages.error(request, report.aborted or _("Nothing was imported."))
    return redirect("imports:job", pk=job.pk)


@login_required
def job_rejected(request, pk: int):
    job = _job(request, pk)
    if not job.rejected_file:
        raise Http404
    return FileResponse(
        job.rejected_file.open("rb"), as_attachment=True, filename=f"rejected-{job.pk}.xlsx", content_type=XLSX
    )


@login_required
def template(request, kind: str, fmt: str):
    if not request.user.has_perm(services.PERMISSION):
        raise Forbidden()
    body, name = services.template(kind, file_format=fmt, encoding=request.GET.get("encoding", "utf-8"))
    response = HttpResponse(body, content_type=XLSX if fmt == "xlsx" else "text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export(request, kind: str, fmt: str):
    path, name, _count = services.export(
        kind, actor=request.user, file_format=fmt, encoding=request.GET.get("encoding", "utf-8")
    )
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Content-Type"] = XLSX if fmt == "xlsx" else "text/csv"
    path.unlink(missing_ok=True)
    return response
