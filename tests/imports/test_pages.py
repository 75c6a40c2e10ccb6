"""The import pages: upload → map → check → import, and who may open them."""

from __future__ import annotations

import re

import pytest

from shanzhi.imports.models import ImportJob
from shanzhi.people.models import Household
from tests.imports.conftest import HOUSEHOLD_HEADER, fingerprint, household_row, write_csv, write_xlsx


def test_upload_checks_and_imports(page_as, county, tmp_path):
    client = page_as("village_secretary")
    index = client.get("/imports/")
    assert index.status_code == 200
    page = index.content.decode()
    assert "导入导出" in page and "上传并检查" in page and "户籍(户)" in page
    assert "区域(乡镇、行政村、网格)" not in page  # a village cannot import the tree
    path = write_csv(tmp_path / "永和村.csv", [HOUSEHOLD_HEADER, household_row(1), household_row(2, phone="123")])
    with path.open("rb") as handle:
        response = client.post("/imports/upload/", {"kind": "households", "mode": "all", "file": handle})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "检查报告" in page and "电话号码格式不正确" in page
    assert re.search(r'data-count="rejected">1<', page)
    before = fingerprint()
    refused = client.post(f"/imports/{job.pk}/commit/", {"mode": "all"}, follow=True)
    assert "整个文件都没有导入" in refused.content.decode()
    assert fingerprint() == before
    done = client.post(f"/imports/{job.pk}/commit/", {"mode": "good"}, follow=True).content.decode()
    assert "导入完成:新增 1" in done
    assert Household.objects.filter(number="HT0001").exists() and not Household.objects.filter(number="HT0002").exists()
    assert client.get(f"/imports/{job.pk}/rejected.xlsx").status_code == 200


def test_mapping_on_the_page(page_as, county, tmp_path):
    client = page_as("township_officer")
    rows = [["永和村花名册"], ["户号", "网格名称", "户主", "身份证号码", "帮扶责任人"]]
    row = household_row(1)
    rows.append([row[0], row[1], row[2], row[3], "张三"])
    path = write_xlsx(tmp_path / "永和村.xlsx", {"永和村": rows})
    with path.open("rb") as handle:
        client.post("/imports/upload/", {"kind": "households", "mode": "all", "file": handle})
    job = ImportJob.objects.get()
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "帮扶责任人" in page and "无法识别" in page and "表头在第 2 行" in page
    assert 'name="sheet-0-col-帮扶责任人"' in page
    response = client.post(
        f"/imports/{job.pk}/mapping/",
        {"sheet-0-area": str(county.village.pk), "sheet-0-col-帮扶责任人": "", "sheet-0-header_row": "2"},
        follow=True,
    )
    page = response.content.decode()
    assert "检查完毕:每一行都可以导入" in page
    job.refresh_from_db()
    assert job.status == "checked" and job.sheets[0]["area_id"] == county.village.pk
    client.post(f"/imports/{job.pk}/commit/", {"mode": "all"})
    assert Household.objects.filter(number="HT0001").exists()


def test_a_bad_file_is_explained_on_the_form(page_as, county, tmp_path):
    client = page_as("county_admin")
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with path.open("rb") as handle:
        response = client.post("/imports/upload/", {"kind": "households", "mode": "all", "file": handle})
    assert response.status_code == 422
    assert "另存为不加密的 .xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["grid_worker", "villager", "department_handler", "outsider"])
def test_roles_without_the_permission_get_403(page_as, county, persona):
    client = page_as(persona)
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/templates/households.xlsx").status_code == 403
    assert client.get("/imports/exports/households.csv").status_code == 403
    assert "/imports/" not in client.get("/").content.decode()


def test_someone_elses_job_is_404(page_as, county, tmp_path):
    owner = page_as("township_officer")
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1)])
    with path.open("rb") as handle:
        owner.post("/imports/upload/", {"kind": "households", "mode": "all", "file": handle})
    job = ImportJob.objects.get()
    other = page_as("other_township_officer")
    assert other.get(f"/imports/{job.pk}/").status_code == 404
    assert other.post(f"/imports/{job.pk}/commit/", {"mode": "all"}).status_code == 404
    assert other.post(f"/imports/{job.pk}/mapping/", {}).status_code == 404
    assert other.get(f"/imports/{job.pk}/rejected.xlsx").status_code == 404
    assert not Household.objects.filter(number="HT0001").exists()


def test_templates_from_the_page(page_as, county):
    client = page_as("county_admin")
    response = client.get("/imports/templates/areas.xlsx")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('areas-template.xlsx"')
    gbk = client.get("/imports/templates/departments.csv?encoding=gbk")
    assert gbk.content.decode("gb18030").startswith("编码,名称,类别")
    assert client.get("/imports/templates/areas.pdf").status_code == 422
    assert client.get("/imports/templates/nothing.xlsx").status_code == 422


def test_a_sheet_without_a_recognisable_header_can_be_given_one(page_as, county, tmp_path):
    client = page_as("county_admin")
    rows = [["甲", "乙", "丙"], ["HT0005", "永和村第1网格", "永和村东街5号"]]
    path = write_xlsx(tmp_path / "odd.xlsx", {"永和村": rows})
    with path.open("rb") as handle:
        client.post("/imports/upload/", {"kind": "households", "mode": "all", "file": handle})
    job = ImportJob.objects.get()
    assert job.status == "needs_mapping" and job.sheets[0]["skip"]
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "没有找到表头" in page
    assert 'name="sheet-0-skip" value="1" checked' not in page  # left out by the system, not by the user
    client.post(f"/imports/{job.pk}/mapping/", {"sheet-0-header_row": "1", "sheet-0-area": ""})
    job.refresh_from_db()
    assert [c["header"] for c in job.sheets[0]["columns"]] == ["甲", "乙", "丙"]
    response = client.post(
        f"/imports/{job.pk}/mapping/",
        {"sheet-0-col-甲": "number", "sheet-0-col-乙": "grid", "sheet-0-col-丙": "address", "sheet-0-area": ""},
        follow=True,
    )
    assert "每一行都可以导入" in response.content.decode()
    client.post(f"/imports/{job.pk}/commit/", {"mode": "all"})
    assert Household.objects.get(number="HT0005").address == "永和村东街5号"
