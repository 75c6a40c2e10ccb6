"""The field app's API: the snapshot, the four queued writes, exactly-once, conflicts and bad input."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.test import Client

from shanzhi.cases.models import Case, CaseAttachment
from shanzhi.cases.services import accept_case, merge_case, report_case
from shanzhi.core.models import IdempotencyRecord
from shanzhi.gridwork.models import Visit, VisitPhoto
from shanzhi.people.services import update_household
from shanzhi.points.models import PointsEntry
from shanzhi.points.services import update_rule
from tests.conftest import token_for
from tests.factories import fresh
from tests.field.conftest import jpeg_bytes, photo

pytestmark = pytest.mark.django_db


class Phone:
    """A bearer-token client posting multipart forms like the field app does."""

    def __init__(self, persona: str | None):
        self.client = Client()
        self.token = token_for(persona) if persona else None

    def headers(self, key=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path):
        return self.client.get("/api/v1" + path, headers=self.headers())

    def post(self, path, data, key: str | None = "auto"):
        key = uuid.uuid4().hex if key == "auto" else key
        return self.client.post("/api/v1" + path, data=data, headers=self.headers(key))


@pytest.fixture
def phone(field_county):
    return lambda persona="grid_worker": Phone(persona)


def _visit_form(county, **extra):
    return {
        "kind": "household",
        "household": county.household.pk,
        "household_grid": county.grid.pk,
        "purpose": "elderly_care",
        "notes": "帮老人买药",
        **extra,
    }


def _case_form(county, **extra):
    return {
        "household": county.household.pk,
        "household_grid": county.grid.pk,
        "category": "infrastructure",
        "description": "村道塌陷,车辆无法通行",
        **extra,
    }


# --- snapshot ------------------------------------------------------------------------
def test_snapshot_holds_my_grids_households_masked_and_what_the_forms_need(field_county, phone):
    response = phone().get("/field/snapshot")
    assert response.status_code == 200
    data = response.json()
    numbers = {h["number"] for h in data["households"]}
    # The grid worker serves 永和村第1网格 only: H0001, H0003, H0004 — not grid 2 or other villages.
    assert numbers == {"H0001", "H0003", "H0004"}
    row = next(h for h in data["households"] if h["number"] == "H0001")
    assert row["phone"] == "138****5678" and row["head"] == "李桂君"
    body = response.content.decode()
    assert "13812345678" not in body and "19460312" not in body  # no full phone, no ID number
    assert data["can"] == {"visit": True, "case": True, "points": True}
    assert {c["household"] for c in data["care_due"]} >= {field_county.household.pk}
    assert data["rules"] and {r["village"] for r in data["rules"]} == {field_county.village.pk}
    assert any(c["code"] == "infrastructure" for c in data["categories"])
    assert data["grids"] == [{"id": field_county.grid.pk, "name": "永和村第1网格", "village": field_county.village.pk}]


def test_a_village_secretary_gets_the_whole_village_and_no_visit_form(field_county, phone):
    data = phone("village_secretary").get("/field/snapshot").json()
    assert {h["number"] for h in data["households"]} == {"H0001", "H0002", "H0003", "H0004"}
    assert data["can"]["visit"] is False and data["worker"] is None


# --- cases ---------------------------------------------------------------------------
def test_a_case_with_a_photo_is_applied_once_and_a_retry_replays_the_first_answer(field_county, phone):
    worker = phone()
    content = jpeg_bytes(320, 240)
    key = uuid.uuid4().hex
    first = worker.post("/field/cases", {**_case_form(field_county), "photos": photo(content)}, key=key)
    assert first.status_code == 201, first.content
    again = worker.post("/field/cases", {**_case_form(field_county), "photos": photo(content)}, key=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.source == "grid_patrol" and case.household_id == field_county.household.pk
    attachment = CaseAttachment.objects.get(case=case)
    stored = attachment.file.read()
    assert stored == content and hashlib.sha256(stored).hexdigest() == first.json()["photos"][0]["sha256"]


def test_the_same_key_with_another_body_is_refused(field_county, phone):
    worker = phone()
    key = uuid.uuid4().hex
    assert worker.post("/field/cases", _case_form(field_county), key=key).status_code == 201
    other = worker.post("/field/cases", _case_form(field_county, description="另一件事"), key=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_every_write_needs_an_idempotency_key(field_county, phone):
    response = phone().post("/field/cases", _case_form(field_county), key=None)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "idempotency_key_required" and "Idempotency-Key" in body["fields"]
    assert Case.objects.count() == 0


def test_bad_case_input_gives_field_errors_and_writes_nothing(field_county, phone):
    response = phone().post(
        "/field/cases",
        {"household": "abc", "category": "", "description": "", "lat": "95", "photos": photo(b"not a photo")},
    )
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert {"household", "category", "description", "lat"} <= set(fields)
    assert Case.objects.count() == 0 and IdempotencyRecord.objects.count() == 0


def test_a_file_that_is_not_a_photo_is_refused_by_the_case_service(field_county, phone):
    response = phone().post("/field/cases", {**_case_form(field_county), "photos": photo(b"%PDX-1.4 nope")})
    assert response.status_code == 422 and "attachments" in response.json()["fields"]
    assert Case.objects.count() == 0 and CaseAttachment.objects.count() == 0


def test_a_retired_category_is_a_field_error(field_county, phone):
    from shanzhi.cases.models import Category

    Category.objects.filter(code="infrastructure").update(active=False)
    response = phone().post("/field/cases", _case_form(field_county))
    assert response.status_code == 422 and "category" in response.json()["fields"]


def test_a_household_moved_to_another_grid_in_scope_is_a_409_naming_the_grid(field_county, phone):
    secretary = phone("village_secretary")
    update_household(field_county.household, actor=None, grid=field_county.grid2)
    response = secretary.post("/field/cases", _case_form(field_county))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "household_moved" and "永和村第2网格" in body["message"]
    assert "household" in body["fields"]
    assert Case.objects.count() == 0 and IdempotencyRecord.objects.count() == 0


def test_photos_for_a_merged_case_are_a_409_that_names_the_case_it_went_into(field_county, phone):
    officer = fresh(field_county.township_officer)
    kwargs = {"actor": fresh(field_county.grid_worker), "category": "infrastructure", "grid": field_county.grid}
    kept = report_case(title="路灯不亮", description="路灯不亮", source="grid_patrol", **kwargs)
    duplicate = report_case(title="路灯坏了", description="路灯坏了", source="grid_patrol", **kwargs)
    accept_case(duplicate, actor=officer)
    merge_case(duplicate, into=kept, actor=officer)
    worker = phone()
    response = worker.post(f"/field/cases/{duplicate.pk}/photos", {"photos": photo(), "note": "补拍"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "case_merged" and kept.number in body["message"]
    assert CaseAttachment.objects.count() == 0
    ok = worker.post(f"/field/cases/{kept.pk}/photos", {"photos": photo(), "note": "补拍"})
    assert ok.status_code == 201 and len(ok.json()["photos"]) == 1


def test_case_photos_need_a_photo(field_county, phone):
    kept = report_case(
        actor=fresh(field_county.grid_worker),
        title="路灯不亮",
        description="路灯不亮",
        category="infrastructure",
        grid=field_county.grid,
        source="grid_patrol",
    )
    response = phone().post(f"/field/cases/{kept.pk}/photos", {"note": "x"})
    assert response.status_code == 422 and "photos" in response.json()["fields"]


# --- visits --------------------------------------------------------------------------
def test_a_visit_with_a_photo_is_applied_once(field_county, phone):
    worker = phone()
    key = uuid.uuid4().hex
    content = jpeg_bytes()
    form = _visit_form(field_county, visited_at="2026-01-05T09:30:00+08:00")
    first = worker.post("/field/visits", {**form, "photos": photo(content)}, key=key)
    assert first.status_code == 201, first.content
    replay = worker.post("/field/visits", {**form, "photos": photo(content)}, key=key)
    assert replay.json() == first.json()
    visit = Visit.objects.get()
    assert visit.household_id == field_county.household.pk and visit.notes == "帮老人买药"
    assert VisitPhoto.objects.get(visit=visit).file.read() == content


def test_a_patrol_needs_no_household(field_county, phone):
    response = phone().post("/field/visits", {"kind": "patrol", "purpose": "routine_patrol", "notes": "巡查"})
    assert response.status_code == 201, response.content
    assert Visit.objects.get().grid_id == field_county.grid.pk


def test_bad_visit_input_gives_field_errors(field_county, phone):
    response = phone().post(
        "/field/visits", {"kind": "household", "household": field_county.household.pk, "purpose": "nap", "lng": "x"}
    )
    assert response.status_code == 422
    assert "lng" in response.json()["fields"]
    response = phone().post("/field/visits", _visit_form(field_county, purpose="nap"))
    assert response.status_code == 422 and "purpose" in response.json()["fields"]
    response = phone().post("/field/visits", _visit_form(field_county, duties=["999999"]))
    assert response.status_code == 422 and "duties" in response.json()["fields"]
    assert Visit.objects.count() == 0


def test_a_household_that_left_the_workers_area_is_a_409_and_nothing_is_written(field_county, phone):
    update_household(field_county.household, actor=None, grid=field_county.grid2)
    response = phone().post("/field/visits", _visit_form(field_county))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "household_out_of_scope" and body["message"]
    # The grid it went to is not named: it is outside this worker's area.
    assert "永和村第2网格" not in body["message"]
    assert Visit.objects.count() == 0


def test_an_unknown_household_reads_like_one_outside_the_area(field_county, phone):
    response = phone().post("/field/visits", _visit_form(field_county, household=999999))
    assert response.status_code == 409 and response.json()["code"] == "household_out_of_scope"


# --- points --------------------------------------------------------------------------
def _rule(county):
    return next(r for r in county.points.rules.values() if r.points > 0 and not r.evidence_required)


def test_points_are_recorded_once(field_county, phone):
    worker = phone()
    rule = _rule(field_county)
    key = uuid.uuid4().hex
    form = {
        "household": field_county.household.pk,
        "household_grid": field_county.grid.pk,
        "rule": rule.pk,
        "note": "清扫街道",
    }
    first = worker.post("/field/points", form, key=key)
    assert first.status_code == 201, first.content
    assert worker.post("/field/points", form, key=key).json() == first.json()
    assert PointsEntry.objects.count() == 1
    assert first.json()["delta"] == rule.points


def test_a_retired_rule_is_a_409(field_county, phone):
    rule = _rule(field_county)
    update_rule(rule, actor=None, active=False)
    form = {"household": field_county.household.pk, "household_grid": field_county.grid.pk, "rule": rule.pk}
    response = phone().post("/field/points", form)
    assert response.status_code == 409 and response.json()["code"] == "rule_retired"
    assert PointsEntry.objects.count() == 0


def test_bad_points_input_gives_field_errors(field_county, phone):
    response = phone().post("/field/points", {"household": "", "rule": "x", "occurred_on": "yesterday"})
    assert response.status_code == 422
    assert {"household", "rule", "occurred_on"} <= set(response.json()["fields"])
    far_rule = field_county.points.far_bonus
    response = phone().post(
        "/field/points",
        {"household": field_county.household.pk, "household_grid": field_county.grid.pk, "rule": far_rule.pk},
    )
    assert response.status_code == 422 and "rule" in response.json()["fields"]
    assert PointsEntry.objects.count() == 0


# --- JSON only, multipart only --------------------------------------------------------
def test_a_json_body_is_refused_with_a_clear_error(field_county, phone):
    worker = phone()
    response = worker.client.post(
        "/api/v1/field/visits",
        data="{}",
        content_type="application/json",
        headers=worker.headers(uuid.uuid4().hex),
    )
    assert response.status_code == 422 and response.json()["code"] == "multipart_required"


def test_the_snapshot_reads_a_bounded_number_of_queries(field_county, django_assert_max_num_queries):
    from shanzhi.field.snapshot import build
    from shanzhi.people.services import create_household

    for n in range(30):  # more households must not mean more queries
        create_household(number=f"H2{n:03d}", grid=field_county.grid, address="永和村新街", actor=None)
    user = fresh(field_county.grid_worker)
    with django_assert_max_num_queries(25):
        data = build(user)
    assert len(data["households"]) == 33


def test_too_many_photos_is_a_field_error(field_county, phone):
    photos = [photo(name=f"p{i}.jpg") for i in range(4)]
    response = phone().post("/field/visits", {**_visit_form(field_county), "photos": photos})
    assert response.status_code == 422 and "photos" in response.json()["fields"]
    form = {"household": field_county.household.pk, "rule": _rule(field_county).pk, "evidence": photos[:2]}
    response = phone().post("/field/points", form)
    assert response.status_code == 422 and "evidence" in response.json()["fields"]
    assert Visit.objects.count() == 0 and PointsEntry.objects.count() == 0


def test_an_evidence_photo_goes_with_the_points(field_county, phone):
    from shanzhi.points.services import create_rule

    rule = create_rule(
        field_county.village,
        actor=None,
        code="PHOTO",
        text="清理河道(需照片)",
        category="good_deeds",
        points=5,
        evidence_required=True,
    )
    form = {"household": field_county.household.pk, "household_grid": field_county.grid.pk, "rule": rule.pk}
    missing = phone().post("/field/points", form)
    assert missing.status_code == 422 and "evidence" in missing.json()["fields"]
    done = phone().post("/field/points", {**form, "evidence": photo()})
    assert done.status_code == 201, done.content
    assert PointsEntry.objects.get().evidence
