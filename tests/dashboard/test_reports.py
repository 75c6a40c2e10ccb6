"""Report jobs: validation, claiming, building, masking, audit, notification, download, API."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from shanzhi.cases.models import Notification
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.core.models import AuditLog
from shanzhi.dashboard import services
from shanzhi.dashboard.choices import JobStatus
from shanzhi.dashboard.models import ReportJob


def month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def sheet_rows(job) -> list[tuple]:
    job.file.open("rb")
    try:
        workbook = load_workbook(io.BytesIO(job.file.read()), read_only=True)
    finally:
        job.file.close()
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def build(job) -> ReportJob:
    claimed = services.claim_next_job()
    assert claimed is not None and claimed.pk == job.pk
    return services.run_job(claimed)


# --- validation: nothing written on bad input ------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "file_format", "params", "field"),
    [
        ("monthly_return", "xlsx", {"month": "2026-13"}, "month"),
        ("monthly_return", "doc", {"month": "2026-01"}, "file_format"),
        ("monthly_return", "xlsx", {"month": "2999-01"}, "month"),
        ("nonsense", "xlsx", {}, "kind"),
        ("list_export", "xlsx", {"list": "passwords"}, "list"),
        ("list_export", "pdf", {"list": "cases"}, "file_format"),
        ("list_export", "xlsx", {"list": "cases", "query": {"status": "bogus"}}, "status"),
    ],
)
def test_bad_requests_name_the_field_and_write_nothing(county, kind, file_format, params, field):
    before = AuditLog.objects.count()
    with pytest.raises(InvalidInput) as error:
        services.request_report(actor=county.county_admin, kind=kind, file_format=file_format, params=params)
    assert field in error.value.fields
    assert not ReportJob.objects.exists()
    assert AuditLog.objects.count() == before


def test_a_grid_is_not_a_return_area(county):
    with pytest.raises(InvalidInput) as error:
        services.request_report(
            actor=county.county_admin, kind="monthly_return", file_format="xlsx", params={"area": county.grid.pk}
        )
    assert "area" in error.value.fields


def test_scope_and_permissions(county):
    officer = county.township_officer
    with pytest.raises(NotFound):
        services.request_report(
            actor=officer, kind="monthly_return", file_format="xlsx", params={"area": county.other_township.pk}
        )
    with pytest.raises(Forbidden):  # a village secretary exports lists but does not run returns
        services.request_report(actor=county.village_secretary, kind="monthly_return", file_format="xlsx")
    for persona in ("outsider", "villager", "department_handler", "grid_worker"):
        with pytest.raises(Forbidden):
            services.request_report(
                actor=getattr(county, persona), kind="list_export", file_format="xlsx", params={"list": "cases"}
            )
    with pytest.raises(NotFound):  # the list filter's area must be in scope too
        services.request_report(
            actor=county.village_secretary,
            kind="list_export",
            file_format="xlsx",
            params={"list": "households", "query": {"area": str(county.far_grid.pk)}},
        )
    assert not ReportJob.objects.exists()


def test_too_many_waiting_jobs_is_a_conflict(county):
    for _i in range(services.MAX_PENDING_PER_USER):
        services.request_report(actor=county.county_admin, kind="scorecard", file_format="xlsx")
    with pytest.raises(Conflict):
        services.request_report(actor=county.county_admin, kind="scorecard", file_format="xlsx")


# --- the queue ---------------------------------------------------------------------------
def test_a_job_is_claimed_once(county):
    job = services.request_report(actor=county.county_admin, kind="scorecard", file_format="xlsx")
    assert job.status == JobStatus.QUEUED
    first = services.claim_next_job()
    assert first.pk == job.pk and first.status == JobStatus.RUNNING
    assert services.claim_next_job() is None  # a second worker finds nothing to take
    # the conditional update itself refuses a job already running
    assert ReportJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING) == 0


def test_stale_running_jobs_fail_so_users_can_ask_again(county):
    job = services.request_report(actor=county.county_admin, kind="scorecard", file_format="xlsx")
    services.claim_next_job()
    ReportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - services.STALE_AFTER * 2)
    assert services.fail_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error


def test_finished_files_are_deleted_after_a_week(county):
    job = build(services.request_report(actor=county.county_admin, kind="scorecard", file_format="pdf"))
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    assert services.purge_old_jobs(now=timezone.now() + services.KEEP_FOR / 2) == 0
    assert services.purge_old_jobs(now=timezone.now() + services.KEEP_FOR * 2) == 1
    assert not ReportJob.objects.exists() and not storage.exists(name)


def test_the_worker_command_builds_queued_jobs(county):
    job = services.request_report(actor=county.county_admin, kind="monthly_return", file_format="pdf")
    call_command("run_reports")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.progress == 100
    assert job.file.name.endswith(".pdf") and job.filename.endswith(".pdf")
    from shanzhi.jobs import PERIODIC_JOBS

    assert (["run_reports"], 5) in PERIODIC_JOBS


# --- list exports: masking, audit, notification -------------------------------------------
def test_household_export_is_masked_for_a_village_secretary(county):
    job = services.request_report(
        actor=county.village_secretary, kind="list_export", file_format="xlsx", params={"list": "households"}
    )
    job = build(job)
    assert job.status == JobStatus.DONE, job.error
    rows = sheet_rows(job)
    from shanzhi.dashboard.exporters import EXPORTERS

    assert rows[0] == tuple(EXPORTERS["households"].headers())
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {"H0001", "H0002"}  # the village, not the far township
    text = repr(rows)
    full_id = county.resident.id_number
    assert full_id not in text
    assert full_id[:6] + "********" + full_id[-4:] in text
    assert "13812345678" not in text and "138****5678" in text
    assert job.row_count == 2
    audit = AuditLog.objects.filter(action="dashboard.report.exported", object_id=str(job.pk)).get()
    assert audit.after["rows"] == 2 and audit.after["masked"] is True
    assert audit.actor_id == county.village_secretary.pk
    note = Notification.objects.get(recipient=county.village_secretary, kind="report_ready")
    assert job.title in note.text
    # Opening the message goes to the finished file's page, which only its owner may see.
    from django.test import Client

    owner, other = Client(), Client()
    owner.force_login(county.village_secretary)
    other.force_login(county.other_village_secretary)
    opened = owner.get(f"/cases/notifications/{note.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/dashboard/reports/{job.pk}/"
    assert owner.get(opened["Location"]).status_code == 200
    assert other.get(opened["Location"]).status_code == 404


def test_household_export_is_full_for_the_county_admin(county):
    job = build(
        services.request_report(
            actor=county.county_admin,
            kind="list_export",
            file_format="xlsx",
            params={"list": "households", "query": {"q": "H0001"}},
        )
    )
    text = repr(sheet_rows(job))
    assert county.resident.id_number in text and "13812345678" in text
    assert job.row_count == 1
    assert AuditLog.objects.get(action="dashboard.report.exported", object_id=str(job.pk)).after["masked"] is False


def test_case_export_uses_the_case_filter_and_masks_the_reporter(county):
    from shanzhi.cases.models import Category
    from shanzhi.cases.services import report_case

    # (a module that builds the demo flushes the database afterwards, taking the default categories with it)
    category = Category.objects.filter(active=True).first() or Category.objects.create(code="roads", name="道路")
    report_case(
        actor=county.grid_worker,
        title="路灯不亮",
        description="村口路灯坏了",
        category=category,
        grid=county.grid,
        source="grid_patrol",
        reporter_name="李桂君",
        reporter_phone="13812345678",
    )
    job = build(
        services.request_report(
            actor=county.township_officer,
            kind="list_export",
            file_format="xlsx",
            params={"list": "cases", "query": {"status": "open"}},
        )
    )
    rows = sheet_rows(job)
    assert len(rows) == 2 and rows[1][1] == "路灯不亮"
    assert "13812345678" not in repr(rows) and "138****5678" in repr(rows)
    empty = build(
        services.request_report(
            actor=county.township_officer,
            kind="list_export",
            file_format="xlsx",
            params={"list": "cases", "query": {"status": "closed"}},
        )
    )
    assert empty.row_count == 0 and len(sheet_rows(empty)) == 1


# --- pages: progress, download, only the owner ----------------------------------------------
def test_report_pages_progress_and_download(county, page_as):
    client = page_as("township_officer")
    response = client.post(
        "/dashboard/reports/", {"kind": "monthly_return", "file_format": "xlsx", "month": month(), "area": ""}
    )
    assert response.status_code == 302
    job = ReportJob.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.content.decode()
    assert client.get(f"/dashboard/reports/{job.pk}/download/").status_code == 404  # not built yet
    call_command("run_reports")
    partial = client.get(f"/dashboard/reports/{job.pk}/", headers={"HX-Request": "true"})
    assert "hx-trigger" not in partial.content.decode() and "data-download" in partial.content.decode()
    download = client.get(f"/dashboard/reports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert AuditLog.objects.filter(action="dashboard.report.downloaded", object_id=str(job.pk)).exists()
    # nobody else sees the file, not even the county admin
    for persona in ("county_admin", "other_township_officer", "outsider"):
        other = page_as(persona)
        assert other.get(f"/dashboard/reports/{job.pk}/").status_code == 404
        assert other.get(f"/dashboard/reports/{job.pk}/download/").status_code == 404


def test_report_form_errors_are_shown(page_as):
    client = page_as("county_admin")
    response = client.post("/dashboard/reports/", {"kind": "monthly_return", "file_format": "xlsx", "month": "x"})
    assert response.status_code == 422
    assert 'class="errorlist"' in response.content.decode()
    assert not ReportJob.objects.exists()


def test_list_page_export_button_queues_the_filtered_list(county, page_as):
    client = page_as("village_secretary")
    assert "data-export-list" in client.get("/households/").content.decode()
    response = client.post("/dashboard/exports/", {"list": "households", "query": "q=H0002&page=3"})
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert job.params == {"list": "households", "query": {"q": "H0002"}}
    bad = client.post("/dashboard/exports/", {"list": "nope", "query": ""})
    assert bad.status_code == 302 and ReportJob.objects.count() == 1
    assert page_as("outsider").post("/dashboard/exports/", {"list": "households"}).status_code == 403
    assert client.get("/dashboard/exports/").status_code == 405


# --- API --------------------------------------------------------------------------------------
def test_api_report_round_trip(county, api_as):
    client = api_as("township_officer")
    response = client.post("stats/reports", {"kind": "monthly_return", "file_format": "pdf", "month": month()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["download_url"] is None
    call_command("run_reports")
    status = client.get(f"stats/reports/{body['id']}").json()
    assert status["status"] == "done" and status["progress"] == 100
    file = client.get(status["download_url"])
    assert file.status_code == 200 and b"".join(file.streaming_content).startswith(b"%PDF")
    assert client.get("stats/reports").json()["count"] == 1
    assert api_as("county_admin").get(f"stats/reports/{body['id']}").status_code == 404
    assert api_as("county_admin").get(f"stats/reports/{body['id']}/file").status_code == 404


def test_api_report_is_idempotent(county, api_as):
    client = api_as("county_admin")
    first = client.post("stats/reports", {"kind": "scorecard"}, **{"Idempotency-Key": "abc-123"})
    again = client.post("stats/reports", {"kind": "scorecard"}, **{"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert ReportJob.objects.count() == 1


def test_api_bad_input_and_outsiders(county, api_as):
    client = api_as("county_admin")
    response = client.post("stats/reports", {"kind": "monthly_return", "month": "2026-1x"})
    assert response.status_code == 422 and "month" in response.json()["fields"]
    assert client.post("stats/reports", {"file_format": "xlsx"}).status_code == 422
    assert client.get("stats/return", {"month": "bad"}).status_code == 422
    for path in ("stats/return", "stats/scorecard", "stats/map", "stats/reports"):
        assert api_as("outsider").get(path).status_code in (403, 200), path
    for path in ("stats/return", "stats/scorecard", "stats/map"):
        assert api_as("outsider").get(path).status_code == 403
        assert api_as("villager").get(path).status_code == 403
        assert api_as(None).get(path).status_code == 401
    assert api_as("outsider").get("stats/reports").json()["count"] == 0
    assert api_as("outsider").post("stats/reports", {"kind": "scorecard"}).status_code == 403
    officer = api_as("township_officer")
    assert officer.get("stats/return", {"area": county.other_township.pk}).status_code == 404
    assert officer.get("stats/map", {"area": county.far_grid.pk}).status_code == 404
    assert not ReportJob.objects.exists()


def test_topic_export_follows_the_list_filter_and_the_scope(county):
    from shanzhi.deliberation import services as deliberation

    deliberation.raise_topic(actor=county.villager, title="村口路面积水", topic_class="livelihood", description="雨后")
    deliberation.raise_topic(actor=county.villager, title="文化广场照明", topic_class="livelihood", description="")
    deliberation.raise_topic(actor=county.other_villager, title="阿北村桥梁", topic_class="livelihood", description="")
    secretary = build(
        services.request_report(
            actor=county.village_secretary, kind="list_export", file_format="xlsx", params={"list": "topics"}
        )
    )
    titles = {row[0] for row in sheet_rows(secretary)[1:]}
    assert titles == {"村口路面积水", "文化广场照明"}  # not the far village's topic
    searched = build(
        services.request_report(
            actor=county.county_admin,
            kind="list_export",
            file_format="xlsx",
            params={"list": "topics", "query": {"q": "桥梁"}},
        )
    )
    assert [row[0] for row in sheet_rows(searched)[1:]] == ["阿北村桥梁"]
    with pytest.raises(InvalidInput) as refused:
        services.request_report(
            actor=county.county_admin,
            kind="list_export",
            file_format="xlsx",
            params={"list": "topics", "query": {"resolved_since": "yesterday"}},
        )
    assert "resolved_since" in refused.value.fields


def test_grid_worker_export_masks_phones_and_keeps_to_the_scope(county):
    job = build(
        services.request_report(
            actor=county.village_secretary, kind="list_export", file_format="xlsx", params={"list": "grid_workers"}
        )
    )
    rows = sheet_rows(job)
    names = {row[0] for row in rows[1:]}
    assert "侯晓春" in names
    hou = next(row for row in rows[1:] if row[0] == "侯晓春")
    assert hou[4] == "136****3333" and "13600003333" not in repr(rows)
    far = build(
        services.request_report(
            actor=county.other_township_officer, kind="list_export", file_format="xlsx", params={"list": "grid_workers"}
        )
    )
    assert "侯晓春" not in {row[0] for row in sheet_rows(far)[1:]}
