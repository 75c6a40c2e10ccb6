"""The hostile corpus: every file a township might really send, and some it should not.

Each one either imports correctly or is refused with a clear Chinese message, and a
refused file leaves the database exactly as it was.
"""

from __future__ import annotations

import time
import zipfile

import openpyxl
import pytest

from shanzhi.core.errors import InvalidInput
from shanzhi.imports import services
from shanzhi.imports.models import ImportJob
from shanzhi.people.models import Household, Resident
from tests.factories import make_id_number
from tests.imports.conftest import (
    HOUSEHOLD_HEADER,
    fingerprint,
    household_row,
    random_file,
    run,
    with_blank_rows,
    write_csv,
    write_xlsx,
    zip_bomb,
)


def refused_on_upload(tmp_path, county, path, code):
    before = fingerprint()
    jobs = ImportJob.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.upload(kind="households", source=path, actor=county.county_admin, original_name=path.name)
    assert caught.value.code == code
    assert fingerprint() == before
    assert ImportJob.objects.count() == jobs  # nothing stored either
    return caught.value.message


def test_a_ten_megabyte_non_spreadsheet_renamed_xlsx(county, tmp_path):
    path = random_file(tmp_path / "花名册.xlsx", 10 * 1024 * 1024)
    message = refused_on_upload(tmp_path, county, path, "not_a_spreadsheet")
    assert "不是表格文件" in message


def test_other_files_renamed_xlsx_say_what_they_are(county, tmp_path):
    pdf = tmp_path / "a.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 1000)
    assert "PDF" in refused_on_upload(tmp_path, county, pdf, "not_a_spreadsheet")
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)
    assert ".xls" in refused_on_upload(tmp_path, county, xls, "legacy_or_encrypted")
    docx = tmp_path / "word.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "Word" in refused_on_upload(tmp_path, county, docx, "not_a_spreadsheet")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "空" in refused_on_upload(tmp_path, county, empty, "empty_file")


def test_a_zip_bomb_is_refused_without_being_inflated(county, tmp_path):
    path = zip_bomb(tmp_path / "bomb.xlsx", megabytes=200)
    assert path.stat().st_size < 2 * 1024 * 1024
    started = time.perf_counter()
    message = refused_on_upload(tmp_path, county, path, "zip_bomb")
    assert time.perf_counter() - started < 5
    assert "200" in message and "MB" in message


def test_gbk_csv_and_utf8_with_bom(county, tmp_path):
    rows = [HOUSEHOLD_HEADER, household_row(1), household_row(2)]
    gbk = write_csv(tmp_path / "珍宝岛乡.csv", rows, encoding="gbk")
    assert "王".encode("gbk") in gbk.read_bytes()
    job, report = run("households", gbk, county.county_admin)
    assert job.encoding == "gb18030" and report.committed
    assert Household.objects.get(number="HT0001").head.name == household_row(1)[2]
    bom = write_csv(tmp_path / "bom.csv", [HOUSEHOLD_HEADER, household_row(3)], encoding="utf-8-sig")
    job, report = run("households", bom, county.county_admin)
    assert job.encoding == "utf-8-sig" and report.committed
    # The BOM did not stick to the first header.
    assert job.sheets[0]["columns"][0]["field"] == "number"


def test_a_gbk_file_with_a_bad_row_is_refused_whole(county, tmp_path):
    bad = household_row(2)
    bad[3] = bad[3][:17] + ("1" if bad[3][17] != "1" else "2")
    path = write_csv(tmp_path / "gbk.csv", [HOUSEHOLD_HEADER, household_row(1), bad], encoding="gbk")
    before = fingerprint()
    job, report = run("households", path, county.county_admin)
    assert job.status == "refused" and not report.committed
    assert fingerprint() == before
    issue = job.issues[0]
    assert (issue["row"], issue["column"], issue["code"]) == (3, "D", "id_checksum")
    assert issue["message"] == "身份证号码校验位不正确,请核对"


def test_merged_header_cells_and_title_rows(county, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "永和村"
    sheet.append(["永和村2024年农户信息表"])
    sheet.append(["制表单位:永和村村委会"])
    sheet.append(["户号", "户主信息", None, "联系电话", "所属网格"])
    sheet.append([None, "姓名", "身份证号", None, None])
    sheet.merge_cells("A1:E1")
    sheet.merge_cells("A3:A4")
    sheet.merge_cells("B3:C3")
    sheet.merge_cells("D3:D4")
    sheet.merge_cells("E3:E4")
    for n in (1, 2):
        row = household_row(n)
        sheet.append([row[0], row[2], row[3], row[5], "第1网格"])
    path = tmp_path / "merged.xlsx"
    workbook.save(path)
    job, report = run("households", path, county.county_admin)
    plan = job.sheets[0]
    assert plan["header_row"] == 4
    assert [c["field"] for c in plan["columns"]] == ["number", "head_name", "head_id_number", "phone", "grid"]
    assert report.committed, job.issues
    assert Household.objects.get(number="HT0002").grid == county.grid  # 第1网格 inside the sheet's village


def test_duplicated_headers_need_a_decision(county, tmp_path):
    rows = [["户号", "所属网格", "户主姓名", "身份证号", "身份证号"]]
    for n in (1, 2):
        row = household_row(n)
        rows.append([row[0], row[1], row[2], row[3], make_id_number("19990101", 900 + n)])
    path = write_xlsx(tmp_path / "dup.xlsx", {"数据": rows})
    before = fingerprint()
    job = services.upload(kind="households", source=path, actor=county.county_admin, original_name=path.name)
    assert job.status == "needs_mapping"
    problems = job.sheets[0]["problems"]
    assert any("E" in p and "身份证号" in p for p in problems), problems
    with pytest.raises(Exception) as caught:
        services.check(job, actor=county.county_admin)
    assert getattr(caught.value, "code", "") == "needs_mapping"
    assert fingerprint() == before
    job = services.set_mapping(job, actor=county.county_admin, sheets=[{"index": 0, "columns": {"身份证号(2)": ""}}])
    assert job.status == "ready"
    report = services.commit(job, actor=county.county_admin)
    assert report.committed and Household.objects.filter(number__in=["HT0001", "HT0002"]).count() == 2


def test_ids_stored_as_numbers_lowercase_x_and_full_width(county, tmp_path):
    x_id = next(make_id_number("19660606", n) for n in range(300, 999) if make_id_number("19660606", n).endswith("X"))
    rows = [HOUSEHOLD_HEADER]
    lost = household_row(1)
    lost[3] = float(lost[3])  # what Excel keeps of an 18-digit number
    rows.append(lost)
    lower = household_row(2)
    lower[3] = x_id.lower()
    rows.append(lower)
    wide = household_row(3)
    wide[3] = "".join(chr(ord(c) + 0xFEE0) for c in wide[3][:9]) + "　" + wide[3][9:]
    wide[5] = "１３９ ０００ ０００ ０３"
    rows.append(wide)
    path = write_xlsx(tmp_path / "ids.xlsx", {"数据": rows})
    before = fingerprint()
    job, report = run("households", path, county.county_admin)
    assert not report.committed and fingerprint() == before
    assert [(i["row"], i["code"]) for i in job.issues] == [(2, "id_stored_as_number")]
    assert "文本" in job.issues[0]["message"]
    # Good rows mode: the other two go in, normalised.
    job, report = run("households", path, county.county_admin, mode="good")
    assert report.committed and job.summary["created"] == 2 and job.summary["rejected"] == 1
    assert Resident.objects.get(pk=Household.objects.get(number="HT0002").head_id).id_number == x_id
    third = Household.objects.get(number="HT0003")
    assert third.phone == "13900000003"
    assert Resident.objects.get(pk=third.head_id).id_number == household_row(3)[3]


def test_a_million_blank_rows(county, tmp_path):
    rows = [HOUSEHOLD_HEADER] + [household_row(n) for n in (1, 2, 3)]
    path = write_csv(tmp_path / "blank.csv", rows)
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write(",,,,,,,\r\n" * 1_000_000)
    assert path.stat().st_size > 9_000_000
    started = time.perf_counter()
    job, report = run("households", path, county.county_admin)
    assert report.committed and job.summary["created"] == 3
    assert any("为空" in note for note in job.summary["notes"]), job.summary
    source = write_xlsx(tmp_path / "small.xlsx", {"数据": [HOUSEHOLD_HEADER] + [household_row(n) for n in (4, 5)]})
    blank = with_blank_rows(source, tmp_path / "blank.xlsx", 1_000_000)
    job, report = run("households", blank, county.county_admin)
    assert report.committed and job.summary["created"] == 2
    assert time.perf_counter() - started < 120


def test_formulas(county, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["序号", *HOUSEHOLD_HEADER])
    for n in (1, 2, 3):
        sheet.append(["=ROW()-1", *household_row(n)])
    sheet["G3"] = "=G2"  # a phone copied by formula
    sheet["E4"] = '=CONCATENATE("2303811980","0101","2037")'
    path = tmp_path / "formulas.xlsx"
    workbook.save(path)
    before = fingerprint()
    job, report = run("households", path, county.county_admin)
    assert not report.committed and fingerprint() == before
    assert [(i["row"], i["column"], i["code"]) for i in job.issues] == [(3, "G", "formula"), (4, "E", "formula")]
    assert "公式" in job.issues[0]["message"] and "数值" in job.issues[0]["message"]
    # The 序号 formulas sit in a column that is left out: they do not matter.
    assert job.sheets[0]["columns"][0]["field"] == ""


def test_a_village_name_merged_down_its_households(county, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["行政村", "所属网格", "户号", "户主姓名", "户主身份证号"])
    for n in (1, 2, 3):
        row = household_row(n)
        sheet.append(["永和村" if n == 1 else None, "第1网格", row[0], row[2], row[3]])
    sheet.merge_cells("A2:A4")
    path = tmp_path / "merged-rows.xlsx"
    workbook.save(path)
    job, report = run("households", path, county.county_admin)
    assert report.committed, job.issues
    assert set(Household.objects.filter(number__startswith="HT").values_list("grid__code", flat=True)) == {"T01V1G1"}


def test_a_file_over_the_limit_is_refused_before_it_is_copied(county, tmp_path, settings):
    settings.SHANZHI_IMPORT_MAX_BYTES = 1024
    path = write_csv(tmp_path / "big.csv", [HOUSEHOLD_HEADER] + [household_row(n) for n in range(1, 40)])
    message = refused_on_upload(tmp_path, county, path, "file_too_large")
    assert "上限" in message
