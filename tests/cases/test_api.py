from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shanzhi.cases import conf
from shanzhi.cases.models import Case, CaseAttachment, CaseEvent, Notification
from tests.cases.conftest import png_bytes

pytestmark = pytest.mark.usefixtures("cc", "media_root")


def report_body(cc, **extra):
    body = {
        "description": "永和村前街路面塌陷约两米，车辆无法通行。",
        "category": "infrastructure",
        "grid": cc.grid.pk,
        "household": cc.household.pk,
        "lat": 45.7701,
        "lng": 132.9702,
        "address": "永和村前街",
    }
    body.update(extra)
    return body


def step(client, case_id, action, **fields):
    return client.post(f"cases/{case_id}/transitions", {"action": action, **fields})


def test_full_loop_through_the_api(cc, api_as):
    grid, township, dept = api_as("grid_worker"), api_as("township_officer"), api_as("department_handler")
    created = grid.post("cases", report_body(cc), **{"Idempotency-Key": "loop-1"})
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["status"] == "reported" and case["number"].startswith("HL-")
    assert case["household"] == cc.household.pk and case["village"] == "永和村"
    case_id = case["id"]

    r = step(township, case_id, "accept", note="受理")
    assert r.status_code == 200, r.content
    assert "dispatch" in r.json()["steps"]
    r = step(township, case_id, "dispatch", department=cc.department.pk, co_departments=[cc.other_department.pk])
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "dispatched" and body["department_name"] == "住建局"
    assert body["co_departments"] == ["医保局"]
    assert body["check_in_deadline"] and body["resolution_deadline"]

    # The department sees it in its scoped list and in its notifications.
    listed = dept.get("cases", {"status": "dispatched"}).json()
    assert [c["id"] for c in listed["items"]] == [case_id]
    notes = dept.get("notifications").json()
    assert notes["unread"] == 1 and notes["items"][0]["case"] == case_id

    assert step(dept, case_id, "check_in", note="已报到").status_code == 200
    r = dept.client.post(
        f"/api/v1/cases/{case_id}/transitions",
        {
            "action": "resolve",
            "result": "已回填修复并设置警示桩。",
            "attachments": [SimpleUploadedFile("after.png", png_bytes())],
        },
        headers=dept._headers(),
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "resolved"
    r = step(township, case_id, "follow_up", satisfied=True, note="回访李桂君，满意。")
    assert r.status_code == 200, r.content
    final = grid.get(f"cases/{case_id}").json()
    assert final["status"] == "closed" and final["satisfied"] is True and final["closed_at"]
    actions = [e["action"] for e in final["timeline"]]
    assert actions == ["reported", "accepted", "dispatched", "checked_in", "resolved", "closed"]
    transitions = [(e["from_status"], e["to_status"]) for e in final["timeline"]]
    assert transitions == [
        ("", "reported"),
        ("reported", "accepted"),
        ("accepted", "dispatched"),
        ("dispatched", "checked_in"),
        ("checked_in", "resolved"),
        ("resolved", "closed"),
    ]
    assert [e["actor"] for e in final["timeline"]] == [
        "grid_worker",
        "township_officer",
        "township_officer",
        "department_handler",
        "department_handler",
        "township_officer",
    ]
    resolved = final["timeline"][4]
    assert resolved["attachments"][0]["content_type"] == "image/png"
    download = grid.get(resolved["attachments"][0]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")


def test_role_not_allowed_is_403_and_illegal_transition_is_409(cc, api_as):
    grid, township = api_as("grid_worker"), api_as("township_officer")
    case_id = grid.post("cases", report_body(cc)).json()["id"]
    r = step(grid, case_id, "dispatch", department=cc.department.pk)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = step(grid, case_id, "accept")
    assert r.status_code == 403
    assert step(township, case_id, "accept").status_code == 200
    r = step(township, case_id, "accept")
    assert r.status_code == 409
    assert r.json()["code"] == "illegal_transition"
    assert "已受理" in r.json()["message"]
    r = step(township, case_id, "follow_up", satisfied=True)
    assert r.status_code == 409
    assert CaseEvent.objects.filter(case_id=case_id).count() == 2


def test_bad_input_gives_field_errors(cc, api_as):
    grid, township = api_as("grid_worker"), api_as("township_officer")
    r = grid.post("cases", report_body(cc, description="", category="nope"))
    assert r.status_code == 422
    assert set(r.json()["fields"]) >= {"description"}
    r = grid.post("cases", report_body(cc, category="nope"))
    assert r.status_code == 422 and "category" in r.json()["fields"]
    r = grid.post("cases", report_body(cc, grid=cc.far_grid.pk, household=None))
    assert r.status_code == 422 and "grid" in r.json()["fields"]
    r = grid.post("cases", report_body(cc, household=cc.neighbour.pk))  # in scope, other grid
    assert r.status_code == 422 and "household" in r.json()["fields"]
    case_id = grid.post("cases", report_body(cc)).json()["id"]
    step(township, case_id, "accept")
    r = step(township, case_id, "reject")
    assert r.status_code == 422 and "reason" in r.json()["fields"]
    r = step(township, case_id, "dispatch")
    assert r.status_code == 422 and "department" in r.json()["fields"]
    r = step(township, case_id, "teleport")
    assert r.status_code == 422 and r.json()["code"] == "unknown_action"
    assert Case.objects.count() == 1


def test_idempotent_create(cc, api_as):
    grid = api_as("grid_worker")
    first = grid.post("cases", report_body(cc), **{"Idempotency-Key": "k-42"})
    again = grid.post("cases", report_body(cc), **{"Idempotency-Key": "k-42"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Case.objects.count() == 1
    other = grid.post("cases", report_body(cc, description="另一件事"), **{"Idempotency-Key": "k-42"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def _multipart(client, files, **fields):
    data = {k: str(v) for k, v in fields.items()}
    data["attachments"] = files
    return client.client.post("/api/v1/cases", data, headers=client._headers())


def test_bad_uploads_create_nothing(cc, api_as, settings, media_root):
    grid = api_as("grid_worker")
    body = report_body(cc)
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is an exe", content_type="image/jpeg")
    r = _multipart(grid, [fake], **body)
    assert r.status_code == 422
    assert "attachments" in r.json()["fields"]
    assert "photo.jpg" in r.json()["fields"]["attachments"][0]
    assert "不是可接受的文件" in r.json()["fields"]["attachments"][0] and "HEIC" in r.json()["fields"]["attachments"][0]
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * conf.MAX_ATTACHMENT_BYTES, content_type="image/png")
    r = _multipart(grid, [SimpleUploadedFile("ok.png", png_bytes()), big], **body)
    assert r.status_code == 422
    assert "big.png" in r.json()["fields"]["attachments"][0]
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0 and CaseAttachment.objects.count() == 0
    assert not any(p.is_file() for p in media_root.rglob("*")) if media_root.exists() else True
    good = _multipart(grid, [SimpleUploadedFile("ok.png", png_bytes())], **body)
    assert good.status_code == 201, good.content
    assert len(good.json()["attachments"]) == 1


def test_attachment_endpoint(cc, api_as):
    grid = api_as("grid_worker")
    case_id = grid.post("cases", report_body(cc)).json()["id"]
    r = grid.client.post(
        f"/api/v1/cases/{case_id}/attachments",
        {"files": [SimpleUploadedFile("a.png", png_bytes())], "note": "补拍"},
        headers=grid._headers(),
    )
    assert r.status_code == 201, r.content
    assert r.json()[0]["name"] == "a.png"
    r = grid.client.post(
        f"/api/v1/cases/{case_id}/attachments",
        {"files": [SimpleUploadedFile("a.txt", b"hello")]},
        headers=grid._headers(),
    )
    assert r.status_code == 422 and "files" in r.json()["fields"]
    r = grid.post(f"cases/{case_id}/attachments", {})
    assert r.status_code == 422
    assert CaseAttachment.objects.filter(case_id=case_id).count() == 1
    # Outsiders: another township's officer gets 404, a role without any case permission 403.
    r = api_as("other_township_officer").client.post(
        f"/api/v1/cases/{case_id}/attachments",
        {"files": [SimpleUploadedFile("a.png", png_bytes())]},
        headers=api_as("other_township_officer")._headers(),
    )
    assert r.status_code == 404


def test_list_filters_and_scope(cc, api_as):
    grid, township = api_as("grid_worker"), api_as("township_officer")
    first = grid.post("cases", report_body(cc)).json()["id"]
    grid.post("cases", report_body(cc, category="sanitation", description="垃圾堆放"))
    far = api_as("other_township_officer").post(
        "cases", report_body(cc, grid=cc.far_grid.pk, household=cc.far_household.pk)
    )
    assert far.status_code == 201, far.content
    assert township.get("cases").json()["count"] == 2
    assert township.get("cases", {"category": "sanitation"}).json()["count"] == 1
    assert township.get("cases", {"area": cc.village.pk}).json()["count"] == 2
    assert township.get("cases", {"status": "open"}).json()["count"] == 2
    assert township.get("cases", {"overdue": "true"}).json()["count"] == 0
    assert township.get("cases", {"q": "垃圾"}).json()["count"] == 1
    r = township.get("cases", {"area": cc.far_village.pk})
    assert r.status_code == 422 and "area" in r.json()["fields"]
    r = township.get("cases", {"status": "nonsense"})
    assert r.status_code == 422
    assert api_as("county_admin").get("cases").json()["count"] == 3
    # Villager: cases about their household; the other villager none of them.
    assert api_as("villager").get("cases").json()["count"] == 2
    assert api_as("other_villager").get("cases").json()["count"] == 1
    assert api_as("department_handler").get("cases").json()["count"] == 0
    assert api_as("outsider").get("cases").status_code == 403  # no case permission at all
    assert api_as("other_township_officer").get(f"cases/{first}").status_code == 404
    assert api_as("department_handler").get(f"cases/{first}").status_code == 404
    assert api_as(None).get("cases").status_code == 401


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("outsider", 403),
        ("department_handler", 403),
        ("supervisor", 403),
        ("other_township_officer", 422),  # may report, but not in this grid
    ],
)
def test_create_permissions(cc, api_as, persona, expected):
    r = api_as(persona).post("cases", report_body(cc))
    assert r.status_code == expected, r.content
    assert Case.objects.count() == 0


def test_villager_self_report(cc, api_as):
    villager = api_as("villager")
    r = villager.post("cases", {"description": "家里低保报销还没到账", "category": "social_assistance"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["source"] == "self_report" and body["household"] == cc.household.pk and body["grid"] == cc.grid.pk
    r = villager.post("cases", {"description": "x", "category": "other", "household": cc.far_household.pk})
    assert r.status_code == 422 and "household" in r.json()["fields"]
    assert Notification.objects.filter(recipient=cc.township_officer, kind="reported").count() == 1


def test_notifications_mark_read(cc, api_as):
    grid = api_as("grid_worker")
    grid.post("cases", report_body(cc))
    township = api_as("township_officer")
    assert township.get("notifications").json()["unread"] == 1
    assert township.post("notifications/read", {}).json() == {"marked": 1}
    assert township.get("notifications").json()["unread"] == 0
    assert api_as("outsider").get("notifications").json()["count"] == 0


def test_categories_endpoint(cc, api_as):
    codes = [c["code"] for c in api_as("grid_worker").get("case-categories").json()]
    assert codes[:3] == ["infrastructure", "medical_eldercare", "dispute"]
    assert api_as(None).get("case-categories").status_code == 401
