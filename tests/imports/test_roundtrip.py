"""Round trip: every export re-imports with no change, masked or not, as .xlsx or CSV (UTF-8 or GBK)."""

from __future__ import annotations

import csv
import shutil

import openpyxl
import pytest

from shanzhi.core.models import AuditLog
from shanzhi.imports import services
from shanzhi.people.services import update_household
from tests.imports.conftest import fingerprint, run

KINDS = ["areas", "departments", "households", "residents", "grid_workers"]


@pytest.fixture
def dangerous_address(county):
    """A value a spreadsheet would run as a formula, typed into the household form."""
    update_household(county.household, actor=None, address='=HYPERLINK("http://evil.example/","点我")')
    return county.household


def export_to(tmp_path, kind, actor, file_format, encoding="utf-8"):
    path, name, count = services.export(kind, actor=actor, file_format=file_format, encoding=encoding)
    target = tmp_path / f"{kind}-{actor.username}-{encoding}.{file_format}"
    shutil.move(path, target)
    return target, count


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("file_format", "encoding"), [("xlsx", "utf-8"), ("csv", "utf-8"), ("csv", "gbk")])
def test_an_export_reimports_unchanged(county, dangerous_address, tmp_path, kind, file_format, encoding):
    path, count = export_to(tmp_path, kind, county.county_admin, file_format, encoding)
    assert count > 0
    before = fingerprint()
    job, report = run(kind, path, county.county_admin)
    assert report.committed, job.issues
    assert job.summary["rows"] == count
    assert (job.summary["created"], job.summary["updated"], job.summary["rejected"]) == (0, 0, 0)
    assert job.summary["unchanged"] == count
    assert fingerprint() == before


@pytest.mark.parametrize("kind", ["households", "residents", "grid_workers"])
def test_a_masked_export_reimports_unchanged(county, tmp_path, kind):
    path, count = export_to(tmp_path, kind, county.township_officer, "xlsx")
    text = " ".join(str(v) for row in openpyxl.load_workbook(path).active.values for v in row if v)
    assert "****" in text
    assert county.resident.id_number not in text and "13812345678" not in text
    before = fingerprint()
    job, report = run(kind, path, county.township_officer)
    assert report.committed, job.issues
    assert job.summary["unchanged"] == count and fingerprint() == before


def test_exports_are_scoped_masked_as_the_role_requires_and_audited(county, tmp_path):
    full, count_all = export_to(tmp_path, "households", county.county_admin, "csv")
    masked, count_village = export_to(tmp_path, "households", county.village_secretary, "csv")
    assert (count_all, count_village) == (3, 2)  # H0100 lies in the other township
    assert county.resident.id_number in full.read_text(encoding="utf-8-sig")
    assert county.resident.id_number not in masked.read_text(encoding="utf-8-sig")
    entries = AuditLog.objects.filter(action="imports.export.downloaded").order_by("id")
    assert [(e.actor.username, e.after["masked"], e.after["rows"]) for e in entries] == [
        ("county_admin", False, 3),
        ("village_secretary", True, 2),
    ]


def test_formula_injection_is_neutralised_on_export(county, dangerous_address, tmp_path):
    path, _ = export_to(tmp_path, "households", county.county_admin, "xlsx")
    sheet = openpyxl.load_workbook(path).active
    cell = next(c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value.startswith("'=")
    path, _ = export_to(tmp_path, "households", county.county_admin, "csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        values = [v for row in csv.reader(handle) for v in row]
    assert any(v.startswith("'=HYPERLINK") for v in values)
    assert not any(v.startswith(("=", "+", "@")) for v in values)
