"""Areas, departments and grid workers ("1+N") by import."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shanzhi.areas.models import Area, Department
from shanzhi.core.models import AuditLog
from shanzhi.gridwork.models import GridAssignment, GridWorker
from tests.imports.conftest import fingerprint, run, write_csv, write_xlsx

AREA_HEADER = ["级别", "编码", "名称", "上级编码", "启用日期", "中心纬度", "中心经度", "排序"]


def test_areas_with_parents_in_the_same_file_in_any_order(county, tmp_path):
    rows = [
        AREA_HEADER,
        ["网格", "T03V1G1", "新兴村第一网格", "新兴村", "", "", "", 1],
        ["网格", "T03V1G2", "新兴村第二网格", "T03V1", 44927, 45.7, 132.9, 2],
        ["行政村", "T03V1", "新兴村", "T03", "2023/01/01", "", "", ""],
        ["乡镇", "T03", "新兴镇", "T00", "", "", "", ""],
    ]
    job, report = run("areas", write_csv(tmp_path / "areas.csv", rows), county.county_admin)
    assert report.committed and job.summary["created"] == 4, job.issues
    grid = Area.objects.get(code="T03V1G2")
    assert grid.path == "/T00/T03/T03V1/T03V1G2/" and grid.parent.name == "新兴村"
    assert grid.valid_from == dt.date(2023, 1, 1) and grid.centroid_lat == 45.7
    assert AuditLog.objects.filter(action="areas.area.created", object_id=str(grid.pk)).exists()
    # Again: unchanged. Then a rename, audited with before and after.
    job, _ = run("areas", write_csv(tmp_path / "areas.csv", rows), county.county_admin)
    assert job.summary["unchanged"] == 4
    rows[1][2] = "新兴村第1网格"
    job, _ = run("areas", write_csv(tmp_path / "areas2.csv", rows), county.county_admin)
    assert (job.summary["updated"], job.summary["unchanged"]) == (1, 3)
    entry = AuditLog.objects.filter(action="areas.area.updated").latest("id")
    assert entry.before == {"name": "新兴村第一网格"} and entry.after == {"name": "新兴村第1网格"}


def test_area_problems(county, tmp_path):
    rows = [
        AREA_HEADER,
        ["网格", "T01V1G1", "永和村第1网格", "T01V2", "", "", "", ""],  # a move
        ["行政村", "T01V1G2", "", "", "", "", "", ""],  # a level change
        ["网格", "T09G1", "孤儿网格", "不存在村", "", "", "", ""],
        ["村", "T01V3", "新村", "T01V1", "", "", "", ""],  # a village under a village
        ["网格", "T01V1G9", "网格9", "T01V1", "", 95, "", ""],
    ]
    before = fingerprint()
    job, report = run("areas", write_csv(tmp_path / "bad.csv", rows), county.county_admin)
    assert not report.committed and fingerprint() == before
    assert {(i["row"], i["code"]) for i in job.issues} == {
        (2, "move"),
        (3, "level_change"),
        (4, "unknown_area"),
        (5, "parent_level"),
        (6, "number_range"),
    }


def test_only_the_county_imports_the_tree(county, tmp_path, api_as):
    from shanzhi.imports import services

    assert "areas" in services.allowed_kinds(county.county_admin)
    assert "areas" not in services.allowed_kinds(county.township_officer)


def test_departments(county, tmp_path):
    rows = [
        ["编码", "名称", "类别", "所属区域", "电话", "是否启用"],
        ["T-mzj", "民政局", "县级部门", "", "0467-5820001", "是"],
        ["T01-nj", "珍宝岛乡农经站", "乡镇站所", "珍宝岛乡", "", "是"],
        ["T-zjj", "住房和城乡建设局", "县级部门", "T00", "", ""],  # a rename of an existing one
    ]
    job, report = run("departments", write_xlsx(tmp_path / "d.xlsx", {"部门": rows}), county.county_admin)
    assert report.committed, job.issues
    assert (job.summary["created"], job.summary["updated"]) == (2, 1)
    assert Department.objects.get(code="T01-nj").area == county.township
    assert Department.objects.get(code="T-mzj").area == county.county
    assert Department.objects.get(code="T-zjj").name == "住房和城乡建设局"
    entry = AuditLog.objects.filter(action="areas.department.updated").latest("id")
    assert entry.before == {"name": "住建局"} and entry.after == {"name": "住房和城乡建设局"}
    bad = [rows[0], ["T02-x", "站", "乡镇站所", "永和村", "", ""], ["T-y", "局", "部门2", "", "", ""]]
    job, report = run("departments", write_csv(tmp_path / "bad.csv", bad), county.county_admin)
    assert not report.committed
    assert {(i["row"], i["code"]) for i in job.issues} == {(2, "unknown_area"), (3, "unknown_choice")}


WORKER_HEADER = ["姓名", "类别", "手机号", "所属区域", "服务网格", "牵头网格", "上岗日期"]


def test_grid_workers_and_their_grids(county, tmp_path):
    rows = [
        WORKER_HEADER,
        ["张建国", "专职网格员", "13511110001", "永和村", "永和村第2网格", "永和村第2网格", 44927],
        ["李春花", "兼职", "13511110002", "永和村", "第1网格、第2网格", "", "2023-03-01"],
        ["王专业", "专业网格员", "13511110003", "珍宝岛乡", "永和村第1网格、珍宝村第1网格", "", ""],
    ]
    path = write_xlsx(tmp_path / "w.xlsx", {"网格员": rows})
    job, report = run("grid_workers", path, county.township_officer)
    assert report.committed, job.issues
    assert job.summary["created"] == 3
    lead = GridWorker.objects.get(phone="13511110001")
    assert lead.start_date == dt.date(2023, 1, 1)
    assert GridAssignment.objects.current().get(grid=county.grid2, is_lead=True).worker == lead
    part = GridWorker.objects.get(phone="13511110002")
    assert set(GridAssignment.objects.current().filter(worker=part).values_list("grid__code", flat=True)) == {
        "T01V1G1",
        "T01V1G2",
    }
    job, _ = run("grid_workers", path, county.township_officer)
    assert job.summary["unchanged"] == 3
    # She leaves grid 2 (the assignment ends today; the history stays).
    rows[2][4] = "永和村第1网格"
    GridAssignment.objects.filter(worker=part).update(start_date=dt.date(2023, 3, 1))
    job, report = run("grid_workers", write_xlsx(tmp_path / "w2.xlsx", {"网格员": rows}), county.township_officer)
    assert report.committed and job.summary["updated"] == 1, job.issues
    ended = GridAssignment.objects.get(worker=part, grid=county.grid2)
    assert ended.end_date == timezone.localdate()


def test_grid_worker_problems(county, tmp_path):
    rows = [
        WORKER_HEADER,
        ["赵网格", "专职网格员", "13511110009", "永和村", "永和村第1网格", "永和村第1网格", ""],  # grid 1 has a lead
        ["钱网格", "兼职网格员", "13511110010", "永和村", "永和村第1网格", "永和村第1网格", ""],  # part-time lead
        ["孙网格", "兼职网格员", "13511110011", "永和村", "阿北村第1网格", "", ""],  # another township
        ["周网格", "兼职网格员", "1351111", "永和村", "", "", "2099-01-01"],
    ]
    before = fingerprint()
    job, report = run("grid_workers", write_csv(tmp_path / "bad.csv", rows), county.township_officer)
    assert not report.committed and fingerprint() == before
    found = {(i["row"], i["code"]) for i in job.issues}
    assert (2, "grid_has_lead") in found
    assert (3, "lead_kind") in found
    assert (4, "out_of_scope") in found or (4, "outside_sheet_area") in found
    assert (5, "phone_format") in found and (5, "future_date") in found
