"""Fixtures of the import tests: real files written to disk, and a fingerprint of the domain tables."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from shanzhi.areas.models import Area, Department
from shanzhi.core.models import AuditLog
from shanzhi.gridwork.models import GridAssignment, GridWorker
from shanzhi.imports import services
from shanzhi.people.models import Household, Resident
from tests.factories import make_id_number


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def fingerprint() -> dict:
    """Everything an import could change in the domain, to prove a refused file changed nothing."""
    return {
        "areas": list(Area.objects.order_by("pk").values_list("pk", "code", "name", "updated")),
        "departments": list(Department.objects.order_by("pk").values_list("pk", "code", "name", "phone")),
        "households": list(
            Household.objects.order_by("pk").values_list(
                "pk", "number", "grid_id", "phone", "address", "head_id", "search_text", "updated"
            )
        ),
        "tags": sorted(Household.tags.through.objects.values_list("household_id", "householdtag_id")),
        "residents": list(
            Resident.objects.order_by("pk").values_list(
                "pk", "name", "id_number_hash", "phone", "household_id", "updated"
            )
        ),
        "workers": list(GridWorker.objects.order_by("pk").values_list("pk", "name", "phone", "kind")),
        "assignments": list(GridAssignment.objects.order_by("pk").values_list("pk", "grid_id", "end_date", "is_lead")),
        "audit": AuditLog.objects.exclude(action__startswith="imports.").count(),
    }


def run(kind: str, path: Path, actor=None, *, mode="all", columns=None, sheets=None, commit=True):
    """Upload, map (``columns`` for every sheet, or ``sheets`` choices), check and commit; the job and report."""
    job = services.upload(kind=kind, source=path, actor=actor, original_name=path.name, mode=mode)
    choices = list(sheets or [])
    if columns:
        choices += [{"index": plan["index"], "columns": columns} for plan in job.sheets if not plan["skip"]]
    if choices:
        job = services.set_mapping(job, actor=actor, sheets=choices)
    report = services.check(job, actor=actor)
    if commit:
        report = services.commit(job, actor=actor, mode=mode)
    job.refresh_from_db()
    return job, report


HOUSEHOLD_HEADER = ["户号", "所属网格", "户主姓名", "户主身份证号", "地址", "联系电话", "标签", "状态"]


def household_row(n: int, grid="永和村第1网格", birth="19700101", phone=None):
    return [
        f"HT{n:04d}",
        grid,
        "王" + "一二三四五六七八九十"[n % 10] + "明",
        make_id_number(birth, 200 + n),
        f"永和村后街{n}号",
        phone if phone is not None else f"139{n:08d}",
        "低保户" if n % 2 else "",
        "在册",
    ]


def random_file(path: Path, size: int, seed: int = 7) -> Path:
    import random

    rng = random.Random(seed)
    with path.open("wb") as out:
        for _ in range(size // (1 << 20)):
            out.write(rng.randbytes(1 << 20))
    return path


def zip_bomb(path: Path, megabytes: int = 200) -> Path:
    """A zip shaped like a workbook whose sheet inflates to ``megabytes`` of zeros."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1 << 20)
            for _ in range(megabytes):
                member.write(block)
    return path


def with_blank_rows(source: Path, target: Path, blank_rows: int) -> Path:
    """A copy of an openpyxl workbook whose first sheet gains ``blank_rows`` empty rows after its data
    (and a dimension record claiming them), as a sheet formatted down to row 1,048,576 has."""
    import re
    import zipfile

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                last = max(int(n) for n in re.findall(r'<row r="(\d+)"', xml))
                empties = "".join(
                    f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(last + 1, last + 1 + blank_rows)
                )
                xml = xml.replace("</sheetData>", empties + "</sheetData>")
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{last + blank_rows}"/>', xml)
                data = xml.encode()
            out.writestr(info, data)
    return target
