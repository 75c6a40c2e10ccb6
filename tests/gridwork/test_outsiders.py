"""Every grid-work page and endpoint: out of scope is 404, a role without the permission is 403."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from shanzhi.gridwork import evaluation
from shanzhi.gridwork.choices import VisitKind, VisitPurpose
from shanzhi.gridwork.models import Duty, GridAssignment, VisitPhoto, WorkerEvaluation
from shanzhi.gridwork.services import add_visit_photos, log_visit, set_manual_score
from tests.conftest import token_for
from tests.factories import fresh
from tests.gridwork.conftest import png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(gw):
    hou = gw.workers["侯晓春"]
    visit = log_visit(
        actor=fresh(gw.grid_worker),
        kind=VisitKind.HOUSEHOLD,
        purpose=VisitPurpose.ELDERLY_CARE,
        household=gw.household,
        notes="走访",
    )
    add_visit_photos(visit, photos=[upload("a.png", png_bytes())], actor=fresh(gw.grid_worker))
    last_month = evaluation.previous_month(evaluation.month_start(dt.date.today()))
    first_day = dt.datetime.combine(last_month, dt.time(9), tzinfo=dt.UTC)
    log_visit(
        actor=None,
        worker=hou,
        kind=VisitKind.PATROL,
        purpose=VisitPurpose.ROUTINE_PATROL,
        grid=gw.grid,
        visited_at=first_day,
        duties=[Duty.objects.get(name="网格日常巡查")],
    )
    set_manual_score(hou, month=last_month, percent=100, actor=None)
    evaluation.run_month(last_month, townships=[gw.township], close=True)
    result = WorkerEvaluation.objects.get(worker=hou, evaluation__month=last_month)
    gw.ids = {
        "worker": hou.pk,
        "assignment": GridAssignment.objects.get(worker=hou).pk,
        "visit": visit.pk,
        "photo": VisitPhoto.objects.get().pk,
        "duty": Duty.objects.first().pk,
        "evaluation": result.evaluation_id,
        "result": result.pk,
        "month": f"{last_month:%Y-%m}",
        "grid": gw.grid.pk,
        "grid2": gw.grid2.pk,
        "township": gw.township.pk,
    }
    return gw


PAGES = [
    # path, outsider status (no role), forbidden persona, out-of-scope persona
    ("/gridwork/", 403, "villager", None),
    ("/gridwork/workers/new/", 403, "village_secretary", None),
    ("/gridwork/workers/{worker}/", 403, "villager", "other_township_officer"),
    ("/gridwork/workers/{worker}/edit/", 403, "village_secretary", "other_township_officer"),
    ("/gridwork/workers/{worker}/assign/", 403, "village_secretary", "other_township_officer"),
    ("/gridwork/workers/{worker}/transfer/", 403, "village_secretary", "other_township_officer"),
    ("/gridwork/workers/{worker}/leave/", 403, "village_secretary", "other_township_officer"),
    ("/gridwork/duties/", 403, "villager", None),
    ("/gridwork/duties/new/", 403, "township_officer", None),
    ("/gridwork/duties/{duty}/edit/", 403, "township_officer", None),
    ("/gridwork/visits/", 403, "villager", None),
    ("/gridwork/visits/new/?worker={worker}", 403, "village_secretary", None),
    ("/gridwork/visits/{visit}/", 403, "villager", "other_township_officer"),
    ("/gridwork/visits/{visit}/case/", 403, "village_secretary", "other_township_officer"),
    ("/gridwork/photos/{photo}/", 403, "villager", "other_township_officer"),
    ("/gridwork/care/", 403, "villager", None),
    ("/gridwork/care/rules/", 403, "villager", None),
    ("/gridwork/evaluations/", 403, "villager", None),
    ("/gridwork/evaluations/scheme/", 403, "villager", None),
    ("/gridwork/evaluations/{evaluation}/", 403, "villager", "other_township_officer"),
    ("/gridwork/evaluations/{evaluation}/results/{result}/", 403, "villager", "other_township_officer"),
    ("/gridwork/red-flags/", 403, "villager", None),
    ("/gridwork/red-flags/{result}/certificate.pdf", 403, "villager", "other_township_officer"),
]

POSTS = [
    # path, data, forbidden persona, out-of-scope persona
    ("/gridwork/evaluations/run/", {"month": "{month}"}, "village_secretary", None),
    ("/gridwork/evaluations/{evaluation}/close/", {}, "village_secretary", "other_township_officer"),
    ("/gridwork/evaluations/{evaluation}/compute/", {}, "village_secretary", "other_township_officer"),
    ("/gridwork/evaluations/{evaluation}/", {}, "village_secretary", "other_township_officer"),
    ("/gridwork/care/rules/", {}, "township_officer", None),
    ("/gridwork/evaluations/scheme/", {"weight_manual": 20}, "township_officer", None),
]


def _login(persona):
    client = Client()
    if persona:
        from tests.factories import PASSWORD

        assert client.post("/accounts/login/", {"username": persona, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize(("path", "outsider", "forbidden", "out_of_scope"), PAGES)
def test_pages(world, path, outsider, forbidden, out_of_scope):
    url = path.format(**world.ids)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert _login("outsider").get(url).status_code == outsider
    assert _login(forbidden).get(url).status_code == 403
    if out_of_scope:
        assert _login(out_of_scope).get(url).status_code == 404
    assert _login("county_admin").get(url).status_code == 200


@pytest.mark.parametrize(("path", "data", "forbidden", "out_of_scope"), POSTS)
def test_page_posts(world, path, data, forbidden, out_of_scope):
    url = path.format(**world.ids)
    data = {k: str(v).format(**world.ids) for k, v in data.items()}
    assert _login("outsider").post(url, data).status_code == 403
    assert _login(forbidden).post(url, data).status_code == 403
    if out_of_scope:
        assert _login(out_of_scope).post(url, data).status_code == 404


class Api:
    def __init__(self, persona):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_for(persona)}"} if persona else {}

    def call(self, method, path, payload=None):
        url = "/api/v1/" + path
        if method == "GET":
            return self.client.get(url, payload or {}, headers=self.headers)
        return self.client.generic(
            method, url, json.dumps(payload or {}), content_type="application/json", headers=self.headers
        )


ENDPOINTS = [
    # method, path, payload, forbidden persona, out-of-scope persona
    ("GET", "gridwork/workers", None, "villager", None),
    ("GET", "gridwork/roster", None, "villager", None),
    (
        "POST",
        "gridwork/workers",
        {"name": "新人", "kind": "part_time", "home_area": "{township}"},
        "village_secretary",
        None,
    ),
    ("GET", "gridwork/workers/{worker}", None, "villager", "other_township_officer"),
    ("PATCH", "gridwork/workers/{worker}", {"name": "改名"}, "village_secretary", "other_township_officer"),
    (
        "POST",
        "gridwork/workers/{worker}/assignments",
        {"grid": "{grid2}"},
        "village_secretary",
        "other_township_officer",
    ),
    (
        "POST",
        "gridwork/workers/{worker}/transfer",
        {"from_grid": "{grid}", "to_grid": "{grid2}"},
        "village_secretary",
        "other_township_officer",
    ),
    (
        "POST",
        "gridwork/workers/{worker}/leave",
        {"end_date": "2030-01-01"},
        "village_secretary",
        "other_township_officer",
    ),
    (
        "POST",
        "gridwork/assignments/{assignment}/end",
        {"end_date": "2030-01-01"},
        "village_secretary",
        "other_township_officer",
    ),
    ("GET", "gridwork/duties", None, "villager", None),
    (
        "POST",
        "gridwork/duties",
        {"number": 99, "name": "新事项", "category": "governance", "frequency": "monthly", "kinds": ["full_time"]},
        "township_officer",
        None,
    ),
    ("PATCH", "gridwork/duties/{duty}", {"name": "改名"}, "township_officer", None),
    ("GET", "gridwork/visits", None, "villager", None),
    ("POST", "gridwork/visits", {"kind": "patrol", "purpose": "routine_patrol"}, "village_secretary", None),
    ("GET", "gridwork/visits/{visit}", None, "villager", "other_township_officer"),
    (
        "POST",
        "gridwork/visits/{visit}/case",
        {"title": "t", "category": "infrastructure"},
        "village_secretary",
        "other_township_officer",
    ),
    ("GET", "gridwork/care/overdue", None, "villager", None),
    ("GET", "gridwork/care/rules", None, "villager", None),
    ("PUT", "gridwork/care/rules/disabled", {"interval_days": 7}, "township_officer", None),
    ("GET", "gridwork/today", None, "village_secretary", None),
    ("GET", "gridwork/evaluations", None, "villager", None),
    ("GET", "gridwork/evaluations/{evaluation}", None, "villager", "other_township_officer"),
    (
        "POST",
        "gridwork/evaluation-runs",
        {"month": "{month}", "township": "{township}"},
        "village_secretary",
        "other_township_officer",
    ),
    (
        "PUT",
        "gridwork/manual-scores",
        {"worker": "{worker}", "month": "{month}", "percent": 50},
        "village_secretary",
        "other_township_officer",
    ),
    ("GET", "gridwork/evaluation-scheme", None, "villager", None),
    ("PUT", "gridwork/evaluation-scheme", {"weight_manual": 20}, "township_officer", None),
    ("GET", "gridwork/red-flags", None, "villager", None),
]


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        filled = value.format(**ids)
        return int(filled) if filled.isdigit() else filled
    return value


@pytest.mark.parametrize(("method", "path", "payload", "forbidden", "out_of_scope"), ENDPOINTS)
def test_endpoints(world, method, path, payload, forbidden, out_of_scope):
    url = path.format(**world.ids)
    payload = _fill(payload, world.ids) if payload else None
    assert Api(None).call(method, url, payload).status_code == 401
    for persona, status in (("outsider", 403), (forbidden, 403), (out_of_scope, 404)):
        if persona is None:
            continue
        response = Api(persona).call(method, url, payload)
        assert response.status_code == status, (persona, response.content)
        assert set(response.json()) == {"code", "message", "fields"}


def test_photo_upload_endpoint(world):
    url = f"/api/v1/gridwork/visits/{world.ids['visit']}/photos"
    for persona, status in (("outsider", 404), ("other_township_officer", 404), ("village_secretary", 403)):
        client = Client()
        response = client.post(
            url, {"photos": [upload("b.png", png_bytes())]}, headers={"Authorization": f"Bearer {token_for(persona)}"}
        )
        assert response.status_code == status, (persona, response.content)
    assert VisitPhoto.objects.count() == 1


def test_overview_section_is_scoped(world, api_as):
    mine = api_as("township_officer").get("stats/overview").json()["gridwork"]
    theirs = api_as("other_township_officer").get("stats/overview").json()["gridwork"]
    assert mine["visits_this_month"] == 1 and theirs["visits_this_month"] == 0
    assert mine["duties"] == theirs["duties"] == 53
    assert mine["latest_evaluation"]["month"] == world.ids["month"]
    assert [w["name"] for w in mine["latest_evaluation"]["red_flag_workers"]] == ["侯晓春"]
    assert theirs["latest_evaluation"] is None
