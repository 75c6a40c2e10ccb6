"""Real county sheets: one sheet per township, title rows, their own column names, LibreOffice files."""

from __future__ import annotations

import csv
import shutil
import subprocess

import openpyxl
import pytest

from shanzhi.imports import services
from shanzhi.imports.models import ColumnMapping
from shanzhi.people.models import Household
from tests.factories import make_id_number
from tests.imports.conftest import HOUSEHOLD_HEADER, fingerprint, household_row, run

COUNTY_HEADER = [
    "序号",
    "村",
    "网格名称",
    "户编号",
    "户主",
    "公民身份号码",
    "手机号",
    "家庭住址",
    "户属性",
    "包户干部",
    "备注",
]


def township_sheet(workbook, name, rows):
    sheet = workbook.create_sheet(name)
    sheet.append([f"{name}农户花名册(2024年)"])
    sheet.append(["填报单位:" + name + "人民政府", None, None, None, None, None, None, "填报日期:2024年6月"])
    sheet.merge_cells("A1:K1")
    sheet.append(COUNTY_HEADER)
    for index, row in enumerate(rows, start=1):
        sheet.append([index, *row])
    sheet.append(["合计", None, None, f"{len(rows)}户"])


def county_rows(prefix, village, grids, start):
    rows = []
    for n in range(start, start + 4):
        grid = grids[n % len(grids)]
        rows.append(
            [
                village,
                grid,
                f"{prefix}{n:04d}",
                "赵" + "甲乙丙丁戊己庚辛"[n % 8] + "山",
                make_id_number("19650101", 600 + n),
                f"135{n:08d}",
                f"{village}{n}号",
                "低保户" if n % 3 == 0 else "",
                "县派干部某某",
                "",
            ]
        )
    return rows


def test_a_county_workbook_imports_with_only_the_unknown_columns_mapped_by_hand(county, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    township_sheet(workbook, "珍宝岛乡", county_rows("ZB", "永和村", ["第1网格", "第二网格"], 1))
    township_sheet(workbook, "阿北乡", county_rows("AB", "阿北村", ["阿北村第1网格"], 11))
    path = tmp_path / "虎林市农户花名册.xlsx"
    workbook.save(path)

    job = services.upload(kind="households", source=path, actor=county.county_admin, original_name=path.name)
    assert job.status == "needs_mapping"
    for sheet, township in zip(job.sheets, (county.township, county.other_township), strict=True):
        assert sheet["header_row"] == 3
        assert sheet["area_id"] == township.pk  # the sheet's name says which township it is
        unmapped = [c["header"] for c in sheet["columns"] if c["field"] is None]
        assert unmapped == ["户属性", "包户干部"]
        recognised = {c["header"]: c["field"] for c in sheet["columns"] if c["field"]}
        assert recognised == {
            "村": "village",
            "网格名称": "grid",
            "户编号": "number",
            "户主": "head_name",
            "公民身份号码": "head_id_number",
            "手机号": "phone",
            "家庭住址": "address",
        }
    by_hand = {"户属性": "tags", "包户干部": ""}
    job = services.set_mapping(
        job, actor=county.county_admin, sheets=[{"index": s["index"], "columns": by_hand} for s in job.sheets]
    )
    assert job.status == "ready"
    report = services.commit(job, actor=county.county_admin)
    assert report.committed, job.issues
    assert report.summary()["created"] == 8
    assert Household.objects.get(number="ZB0001").grid == county.grid2  # 第二网格 of 永和村
    assert Household.objects.get(number="ZB0002").grid == county.grid
    assert Household.objects.get(number="AB0012").grid == county.far_grid
    assert Household.objects.get(number="ZB0003").tags.filter(name="低保户").exists()
    assert not Household.objects.filter(number__startswith="合计").exists()
    # The choices were kept per township, and the next file from 珍宝岛乡 maps itself.
    assert ColumnMapping.objects.get(kind="households", area=county.township).columns == {
        "户属性": "tags",
        "包户干部": "",
    }
    assert ColumnMapping.objects.filter(kind="households", area=county.other_township).exists()
    later = tmp_path / "珍宝岛乡2024年下半年新增户.csv"
    with later.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COUNTY_HEADER)
        for index, row in enumerate(county_rows("ZB", "永和村", ["第1网格"], 21), start=1):
            writer.writerow([index, *row])
    job = services.upload(kind="households", source=later, actor=county.township_officer, original_name=later.name)
    assert job.status == "ready", job.sheets[0]["problems"]
    sources = {c["header"]: c["source"] for c in job.sheets[0]["columns"]}
    assert sources["户属性"] == sources["包户干部"] == "saved"
    report = services.commit(job, actor=county.township_officer)
    assert report.committed and report.summary()["created"] == 4


def _soffice(csv_path, outdir, *, text_columns: bool):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is missing: run scripts/ensure_system_deps.sh")
    formats = "/".join(f"{n}/2" for n in range(1, 9)) if text_columns else ""
    filter_options = f"CSV:44,34,76,1,{formats}"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{outdir}/lo-profile",
            "--headless",
            f"--infilter={filter_options}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            str(csv_path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return outdir / (csv_path.stem + ".xlsx")


def test_an_xlsx_made_by_libreoffice(county, tmp_path):
    source = tmp_path / "永和村.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HOUSEHOLD_HEADER] + [household_row(n) for n in range(1, 6)])
    made = _soffice(source, tmp_path, text_columns=True)
    assert made.exists() and made.read_bytes()[:2] == b"PK"
    job, report = run("households", made, county.village_secretary)
    assert report.committed, job.issues
    assert job.summary["created"] == 5
    assert Household.objects.get(number="HT0004").head.id_number == household_row(4)[3]


def test_libreoffice_with_ids_left_as_numbers_says_the_digits_are_lost(county, tmp_path):
    source = tmp_path / "numbers.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HOUSEHOLD_HEADER] + [household_row(n) for n in range(1, 3)])
    made = _soffice(source, tmp_path, text_columns=False)
    before = fingerprint()
    job, report = run("households", made, county.village_secretary)
    assert not report.committed and fingerprint() == before
    assert {i["code"] for i in job.issues} == {"id_stored_as_number"}
