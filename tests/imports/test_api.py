"""The import flow over the API, with the outsider and permission tests."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from shanzhi.core.models import AuditLog
from shanzhi.people.models import Household
from tests.conftest import token_for
from tests.imports.conftest import HOUSEHOLD_HEADER, fingerprint, household_row, write_csv


def upload(persona, path, kind="households", mode="all"):
    client = Client()
    with path.open("rb") as handle:
        return client.post(
            "/api/v1/imports",
            {"kind": kind, "mode": mode, "file": handle},
            headers={"Authorization": f"Bearer {token_for(persona)}"},
        )


def test_upload_check_commit(api_as, county, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1), household_row(2)])
    response = upload("township_officer", path)
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "ready" and job["kind_label"] == "户籍(户)"
    assert [c["field"] for c in job["sheets"][0]["columns"]] == [
        "number",
        "grid",
        "head_name",
        "head_id_number",
        "address",
        "phone",
        "tags",
        "status",
    ]
    api = api_as("township_officer")
    checked = api.post(f"imports/{job['id']}/check")
    assert checked.status_code == 200 and checked.json()["summary"]["created"] == 2
    assert not Household.objects.filter(number="HT0001").exists()  # a dry run
    committed = api.post(f"imports/{job['id']}/commit", {})
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    assert Household.objects.filter(number__in=["HT0001", "HT0002"]).count() == 2
    again = api.post(f"imports/{job['id']}/commit", {})
    assert again.status_code == 409 and again.json()["code"] == "job_closed"
    listed = api.get("imports").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == job["id"]


def test_rejected_rows_in_the_api(api_as, county, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1), household_row(2, grid="没有这个网格")])
    job = upload("township_officer", path).json()
    api = api_as("township_officer")
    before = fingerprint()
    refused = api.post(f"imports/{job['id']}/commit", {"mode": "all"})
    assert refused.status_code == 422 and refused.json()["code"] == "rows_rejected"
    assert "1" in refused.json()["message"]
    assert fingerprint() == before
    detail = api.get(f"imports/{job['id']}").json()
    assert detail["status"] == "refused"
    issue = detail["issues"][0]
    assert (issue["row"], issue["column"], issue["value"], issue["code"]) == (3, "B", "没有这个网格", "unknown_area")
    assert issue["message"] == "未知的网格:“没有这个网格”。"
    rejected = api.get(detail["rejected_rows_url"])
    assert rejected.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(rejected.streaming_content))).active
    assert list(sheet.values)[1][-1].startswith("所属网格:")
    good = api.post(f"imports/{job['id']}/commit", {"mode": "good"})
    assert good.status_code == 200 and good.json()["summary"]["created"] == 1


def test_mapping_over_the_api(api_as, county, tmp_path):
    path = write_csv(tmp_path / "m.csv", [["户号", "网格", "包户干部"], ["HT0009", "永和村第1网格", "某某"]])
    job = upload("village_secretary", path).json()
    assert job["status"] == "needs_mapping"
    assert any("包户干部" in p for p in job["sheets"][0]["problems"])
    api = api_as("village_secretary")
    bad = api.post(f"imports/{job['id']}/mapping", {"sheets": [{"index": 0, "columns": {"包户干部": "salary"}}]})
    assert bad.status_code == 422 and "sheets.0.columns" in bad.json()["fields"]
    elsewhere = api.post(f"imports/{job['id']}/mapping", {"sheets": [{"index": 0, "area": county.far_village.pk}]})
    assert elsewhere.status_code == 422
    mapped = api.post(f"imports/{job['id']}/mapping", {"sheets": [{"index": 0, "columns": {"包户干部": ""}}]})
    assert mapped.status_code == 200 and mapped.json()["status"] == "ready"
    assert api.post(f"imports/{job['id']}/commit", {}).status_code == 200


def test_bad_files_get_a_field_message_and_no_job(api_as, county, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"%PDF-1.4 not a sheet")
    response = upload("county_admin", path)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "not_a_spreadsheet" and "PDF" in body["fields"]["file"][0]
    unknown = upload("county_admin", write_csv(tmp_path / "a.csv", [HOUSEHOLD_HEADER]), kind="spaceships")
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_kind"


@pytest.mark.parametrize("persona", ["grid_worker", "villager", "department_handler", "outsider"])
def test_roles_without_the_permission_get_403(api_as, county, tmp_path, persona):
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1)])
    assert upload(persona, path).status_code == 403
    api = api_as(persona)
    assert api.get("imports").status_code == 403
    assert api.get("imports/exports/households").status_code == 403
    assert api.get("imports/templates/households").status_code == 403


def test_kinds_a_role_may_not_import_are_403(api_as, county, tmp_path):
    path = write_csv(tmp_path / "a.csv", [["级别", "编码", "名称", "上级编码"], ["网格", "X1", "新网格", "T01V1"]])
    assert upload("township_officer", path, kind="areas").status_code == 403
    assert api_as("township_officer").get("imports/exports/areas").status_code == 403
    kinds = {k["kind"]: k["allowed"] for k in api_as("township_officer").get("imports/kinds").json()}
    assert kinds["households"] and kinds["grid_workers"] and not kinds["areas"] and not kinds["departments"]


def test_someone_elses_job_is_404(api_as, county, tmp_path):
    job = upload("township_officer", write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1)])).json()
    other = api_as("other_township_officer")
    for method, path in (("get", ""), ("post", "/check"), ("post", "/commit"), ("get", "/rejected.xlsx")):
        response = getattr(other, method)(f"imports/{job['id']}{path}")
        assert response.status_code == 404, (path, response.content)
    assert api_as("county_admin").get(f"imports/{job['id']}").status_code == 200  # the county sees every job


def test_templates_and_exports(api_as, county):
    api = api_as("village_secretary")
    xlsx = api.get("imports/templates/households", {"format": "xlsx"})
    assert xlsx.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["导入数据", "填写说明"]
    assert [c.value for c in workbook["导入数据"][1]] == HOUSEHOLD_HEADER
    assert workbook["导入数据"]["D2"].number_format == "@"  # ID numbers as text
    notes = " ".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row if c.value)
    assert "户号" in notes and "18 位" in notes
    gbk = api.get("imports/templates/residents", {"format": "csv", "encoding": "gbk"})
    assert gbk.content.decode("gb18030").startswith("户号,姓名,身份证号")
    exported = api.get("imports/exports/households", {"format": "csv"})
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert "H0001" in text and "H0100" not in text and "****" in text
    assert AuditLog.objects.filter(action="imports.export.downloaded", actor=county.village_secretary).count() == 1
    bad = api.get("imports/templates/households", {"format": "pdf"})
    assert bad.status_code == 422


def test_anonymous_callers_are_401(api_as, county, tmp_path):
    anonymous = api_as(None)
    for path in ("imports", "imports/kinds", "imports/templates/households", "imports/exports/households", "imports/1"):
        response = anonymous.get(path)
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated", path
    assert anonymous.post("imports/1/commit", {}).status_code == 401


@pytest.mark.parametrize(
    "kind", ["areas", "departments", "households", "residents", "grid_workers", "venues", "rules", "goods"]
)
def test_every_template_reads_back_as_its_kind(api_as, county, tmp_path, kind):
    api = api_as("county_admin")
    for params, name in (({"format": "xlsx"}, "t.xlsx"), ({"format": "csv", "encoding": "gbk"}, "t.csv")):
        response = api.get(f"imports/templates/{kind}", params)
        assert response.status_code == 200
        path = tmp_path / name
        path.write_bytes(response.content)
        job = upload("county_admin", path, kind=kind).json()
        assert job["status"] == "ready", job["sheets"]
        data = [s for s in job["sheets"] if not s["skip"]]
        assert len(data) == 1 and all(c["source"] == "template" for c in data[0]["columns"])
        if name.endswith(".xlsx"):
            assert [s["name"] for s in job["sheets"] if s["skip"]] == ["填写说明"]
