"""Visits and patrols: validation, idempotency, photos, a case raised in the same step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.cases.choices import CaseSource, CaseStatus
from shanzhi.cases.models import Case
from shanzhi.core.errors import InvalidInput
from shanzhi.core.models import AuditLog, IdempotencyRecord
from shanzhi.gridwork.choices import VisitKind, VisitPurpose
from shanzhi.gridwork.models import Duty, Visit, VisitPhoto
from shanzhi.gridwork.services import log_visit
from tests.factories import fresh
from tests.gridwork.conftest import png_bytes, upload

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Visit.objects.count(),
        Visit.duties.through.objects.count(),
        VisitPhoto.objects.count(),
        Case.objects.count(),
    )


def test_grid_worker_logs_a_care_visit_through_the_api(gw, api_as):
    api = api_as("grid_worker")
    duty = Duty.objects.get(name="惠民政策宣传")
    response = api.post(
        "gridwork/visits",
        {
            "kind": "household",
            "purpose": "elderly_care",
            "household": gw.household.pk,
            "notes": "帮老人买药,打扫院子",
            "location_lat": 45.77,
            "location_lng": 132.97,
            "duties": [duty.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["worker_name"] == "侯晓春" and body["grid"] == gw.grid.pk and body["duties"] == [duty.pk]
    assert body["visited_on"] == timezone.localdate().isoformat()
    visit = Visit.objects.get(pk=body["id"])
    assert visit.created_by == gw.grid_worker
    assert AuditLog.objects.filter(action="gridwork.visit.created", object_id=str(visit.pk)).exists()


def test_idempotency_key_never_creates_a_second_visit(gw, api_as):
    api = api_as("grid_worker")
    payload = {"kind": "patrol", "purpose": "routine_patrol", "notes": "巡查"}
    first = api.post("gridwork/visits", payload, **{"Idempotency-Key": "visit-1"})
    again = api.post("gridwork/visits", payload, **{"Idempotency-Key": "visit-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Visit.objects.count() == 1
    reused = api.post("gridwork/visits", {**payload, "notes": "另一次"}, **{"Idempotency-Key": "visit-1"})
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Visit.objects.count() == 1


def test_household_outside_the_workers_grids_is_refused(gw, api_as):
    before = _counts()
    api = api_as("grid_worker")
    # H0002 is in 永和村第2网格: same village, not this worker's grid.
    response = api.post(
        "gridwork/visits", {"kind": "household", "purpose": "elderly_care", "household": gw.neighbour.pk}
    )
    assert response.status_code == 422
    assert response.json()["fields"]["household"] == ["该户不在您的辖区内。"]
    # The township officer logging for the worker sees the household, but the worker does not serve it.
    on_behalf = api_as("township_officer").post(
        "gridwork/visits",
        {
            "kind": "household",
            "purpose": "elderly_care",
            "household": gw.neighbour.pk,
            "worker": gw.workers["侯晓春"].pk,
        },
    )
    assert on_behalf.status_code == 422
    assert on_behalf.json()["fields"]["household"] == ["农户 H0002 不在该网格员负责的网格内。"]
    far = api.post(
        "gridwork/visits", {"kind": "household", "purpose": "elderly_care", "household": gw.far_household.pk}
    )
    assert far.status_code == 422 and "household" in far.json()["fields"]
    assert _counts() == before


def test_a_visit_dated_in_the_future_is_refused(gw, api_as):
    before = _counts()
    tomorrow = timezone.now() + dt.timedelta(days=1)
    response = api_as("grid_worker").post(
        "gridwork/visits",
        {
            "kind": "household",
            "purpose": "elderly_care",
            "household": gw.household.pk,
            "visited_at": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 422
    assert response.json()["fields"]["visited_at"] == ["走访时间不能晚于现在。"]
    assert _counts() == before


def test_bad_input_in_the_page_form_shows_field_messages_and_saves_nothing(gw, page_as):
    client = page_as("grid_worker")
    form = client.get("/gridwork/visits/new/")
    assert form.status_code == 200
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/gridwork/visits/new/",
        {
            "kind": "household",
            "household": gw.household.pk,
            "purpose": "elderly_care",
            "visited_at": future,
            "form_token": "t1",
        },
    )
    assert response.status_code == 200
    assert "走访时间不能晚于现在。" in response.content.decode()
    assert Visit.objects.count() == 0 and not IdempotencyRecord.objects.exists()


def test_page_form_token_replays_instead_of_duplicating(gw, page_as):
    client = page_as("grid_worker")
    data = {
        "kind": "household",
        "household": gw.household.pk,
        "purpose": "elderly_care",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notes": "送米面油",
        "form_token": "tok-42",
        "next": "/",
    }
    first = client.post("/gridwork/visits/new/", data)
    second = client.post("/gridwork/visits/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == "/"
    assert Visit.objects.count() == 1


def test_photos_are_checked_by_content(gw, page_as):
    client = page_as("grid_worker")
    base = {
        "kind": "patrol",
        "purpose": "safety_check",
        "grid": gw.grid.pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    bad = client.post(
        "/gridwork/visits/new/", {**base, "form_token": "a", "photos": [upload("x.jpg", b"not an image")]}
    )
    assert bad.status_code == 200 and "x.jpg" in bad.content.decode()
    assert Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0
    good = client.post("/gridwork/visits/new/", {**base, "form_token": "b", "photos": [upload("a.png", png_bytes())]})
    assert good.status_code == 302
    photo = VisitPhoto.objects.get()
    assert photo.content_type == "image/png" and photo.size == len(png_bytes())
    shown = client.get(f"/gridwork/photos/{photo.pk}/")
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == png_bytes()
    assert page_as("other_township_officer").get(f"/gridwork/photos/{photo.pk}/").status_code == 404


def test_photos_through_the_api(gw, api_as):
    api = api_as("grid_worker")
    visit_id = api.post("gridwork/visits", {"kind": "patrol", "purpose": "routine_patrol"}).json()["id"]
    response = api.client.post(
        f"/api/v1/gridwork/visits/{visit_id}/photos",
        {"photos": [upload("a.png", png_bytes())]},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["photos"]) == 1
    wrong = api.client.post(
        f"/api/v1/gridwork/visits/{visit_id}/photos",
        {"photos": [upload("a.gif", b"GIF89a....")]},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert wrong.status_code == 422 and "photos" in wrong.json()["fields"]
    assert VisitPhoto.objects.count() == 1


def test_a_duty_requiring_evidence_needs_a_photo_or_notes(gw):
    duty = Duty.objects.get(name="环境卫生巡查")
    assert duty.evidence_required
    with pytest.raises(InvalidInput) as error:
        log_visit(actor=fresh(gw.grid_worker), kind=VisitKind.PATROL, purpose=VisitPurpose.SAFETY_CHECK, duties=[duty])
    assert "photos" in error.value.fields
    assert Visit.objects.count() == 0
    log_visit(
        actor=fresh(gw.grid_worker),
        kind=VisitKind.PATROL,
        purpose=VisitPurpose.SAFETY_CHECK,
        duties=[duty],
        notes="柴草垛已清理",
    )
    assert Visit.objects.count() == 1


def test_raise_a_case_from_a_visit_in_one_step(gw, api_as):
    api = api_as("grid_worker")
    response = api.post(
        "gridwork/visits",
        {
            "kind": "household",
            "purpose": "safety_check",
            "household": gw.household.pk,
            "notes": "院墙开裂有倒塌风险",
            "case": {"title": "院墙开裂", "category": "infrastructure"},
        },
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["case"])
    assert case.source == CaseSource.GRID_PATROL and case.status == CaseStatus.REPORTED
    assert case.grid == gw.grid and case.household == gw.household and case.reporter == gw.grid_worker
    assert case.description == "院墙开裂有倒塌风险"


def test_a_bad_case_rolls_back_the_visit_too(gw, api_as):
    before = _counts()
    response = api_as("grid_worker").post(
        "gridwork/visits",
        {"kind": "patrol", "purpose": "safety_check", "case": {"title": "路灯坏了", "category": "no-such-category"}},
    )
    assert response.status_code == 422
    assert _counts() == before


def test_raise_a_case_from_an_existing_visit(gw, api_as, page_as):
    api = api_as("grid_worker")
    visit_id = api.post("gridwork/visits", {"kind": "patrol", "purpose": "safety_check", "notes": "路灯不亮"}).json()[
        "id"
    ]
    client = page_as("grid_worker")
    response = client.post(
        f"/gridwork/visits/{visit_id}/case/",
        {"title": "路灯不亮", "category": "infrastructure", "priority": "normal", "description": "村口路灯不亮"},
    )
    assert response.status_code == 302
    visit = Visit.objects.get(pk=visit_id)
    assert visit.case is not None and visit.case.title == "路灯不亮"
    again = api.post(f"gridwork/visits/{visit_id}/case", {"title": "x", "category": "infrastructure"})
    assert again.status_code == 409
    assert Case.objects.count() == 1


def test_lists_are_scoped(gw, api_as):
    log_visit(
        actor=fresh(gw.grid_worker), kind=VisitKind.HOUSEHOLD, purpose=VisitPurpose.ELDERLY_CARE, household=gw.household
    )
    assert api_as("township_officer").get("gridwork/visits").json()["count"] == 1
    assert api_as("other_township_officer").get("gridwork/visits").json()["count"] == 0
