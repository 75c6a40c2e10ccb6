import json

import pytest
from django.test import Client

from shanzhi.core.models import AuditLog
from shanzhi.people.models import Household, Resident
from tests.conftest import ApiClient
from tests.factories import PASSWORD


def test_token_by_username_and_by_phone(county):
    county.grid_worker.phone = "13600003333"
    county.grid_worker.save()
    client = Client()
    for login in ("grid_worker", "13600003333", "+86 136 0000 3333"):
        response = client.post("/api/v1/auth/token", json.dumps({"username": login, "password": PASSWORD}),
                               content_type="application/json")
        assert response.status_code == 200, login
        me = ApiClient(response.json()["token"]).get("/api/v1/auth/me").json()
        assert me["username"] == "grid_worker"


def test_bad_credentials_are_401_and_audited(county):
    response = Client().post("/api/v1/auth/token", json.dumps({"username": "grid_worker", "password": "nope"}),
                             content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    failed = AuditLog.objects.filter(action="accounts.login_failed", actor_label="grid_worker")
    assert failed.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_request"),
        (b'{"username": "x"}', 422, "invalid"),
        (b"[]", 422, "invalid"),
    ],
)
def test_malformed_token_requests(db, body, status, code):
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["code"] == code


def test_unknown_token_is_401(db):
    response = ApiClient("sz_not-a-real-token").get("/api/v1/households")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("query", "expected"),
    [("李桂君", {"H0001"}), ("lgj", {"H0001"}), ("1114", set()), ("13812345678", {"H0001"}), ("H0002", {"H0002"}),
     ("刘", {"H0002"}), ("lhj", {"H0002"})],
)
def test_household_search(county, api_as, query, expected):
    resident_last4 = county.resident.id_last4
    if query == "1114":
        query, expected = resident_last4, {"H0001"}
    body = api_as("township_officer").get("/api/v1/households", {"q": query}).json()
    assert {item["number"] for item in body["items"]} == expected


def test_search_does_not_reach_outside_scope(county, api_as):
    body = api_as("township_officer").get("/api/v1/households", {"q": "金昌义"}).json()
    assert body == {"items": [], "count": 0}


def test_household_list_filters_and_pagination(county, api_as):
    client = api_as("county_admin")
    assert client.get("/api/v1/households", {"area": county.village.pk}).json()["count"] == 2
    assert client.get("/api/v1/households", {"tag": "elderly_alone"}).json()["count"] == 1
    page = client.get("/api/v1/households", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and len(page["items"]) == 1
    assert client.get("/api/v1/households", {"limit": 0}).status_code == 422
    assert client.get("/api/v1/households", {"tag": "nope"}).json()["code"] == "unknown_tag"
    assert client.get("/api/v1/households", {"area": 999999}).json()["code"] == "unknown_area"


def test_household_detail_is_masked(county, api_as):
    body = api_as("township_officer").get(f"/api/v1/households/{county.household.pk}").json()
    member = body["residents"][0]
    assert member["id_number"].startswith("230381") and "********" in member["id_number"]
    assert member["phone"] == "138****5678"
    assert body["phone"] == "138****5678"
    assert body["village"] == "永和村" and body["township"] == "珍宝岛乡"
    assert member["masked"] is True


def test_reveal_is_audited(county, api_as):
    body = api_as("county_admin").get(f"/api/v1/residents/{county.resident.pk}", {"reveal": "true"}).json()
    assert body["id_number"] == county.resident.id_number
    assert body["masked"] is False
    entry = AuditLog.objects.get(action="people.resident.revealed")
    assert entry.actor == county.county_admin and entry.object_id == str(county.resident.pk)


def test_areas_filters(county, api_as):
    client = api_as("county_admin")
    grids = client.get("/api/v1/areas", {"level": "grid"}).json()
    assert grids["count"] == 4
    children = client.get("/api/v1/areas", {"parent": county.township.pk}).json()
    assert {a["name"] for a in children["items"]} == {"永和村", "珍宝村"}
    assert client.get("/api/v1/areas", {"level": "planet"}).status_code == 422
    detail = client.get(f"/api/v1/areas/{county.village.pk}").json()
    assert detail["children_count"] == 2 and detail["level"] == "village"


def test_create_household_via_api(county, api_as):
    client = api_as("village_secretary")
    response = client.post("/api/v1/households", {"number": "H0003", "grid": county.grid.pk, "phone": "13912345678",
                                                  "tags": ["low_income"]})
    assert response.status_code == 201, response.json()
    assert response.json()["tags"] == ["低保户"]
    created = Household.objects.get(number="H0003")
    assert AuditLog.objects.filter(action="people.household.created", object_id=str(created.pk)).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"number": "H0001"}, "number"),  # duplicate household number
        ({"phone": "12345"}, "phone"),  # malformed phone
        ({"grid": "far"}, "grid"),  # a grid outside the caller's scope
        ({"grid": "village"}, "grid"),  # not a grid
        ({"grid": 999999}, "grid"),  # unknown area
        ({"tags": ["no-such-tag"]}, "tags"),
        ({"number": ""}, "number"),
    ],
)
def test_bad_household_input_is_422_with_fields_and_saves_nothing(county, api_as, payload, field):
    grids = {"far": county.far_grid.pk, "village": county.village.pk}
    body = {"number": "H0009", "grid": county.grid.pk, "phone": "", **payload}
    if isinstance(body["grid"], str):
        body["grid"] = grids[body["grid"]]
    client = api_as("village_secretary")
    before = Household.objects.count(), AuditLog.objects.count()
    response = client.post("/api/v1/households", body)
    assert response.status_code == 422, response.json()
    error = response.json()
    assert field in error["fields"], error
    assert error["message"]
    assert (Household.objects.count(), AuditLog.objects.count()) == before


def test_villager_cannot_create_households(county, api_as):
    response = api_as("villager").post("/api/v1/households", {"number": "H0010", "grid": county.grid.pk})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_overview_window_and_scope(county, api_as):
    township = api_as("township_officer").get("/api/v1/stats/overview").json()
    assert township["areas"] == {"townships": 1, "villages": 2, "grids": 3}
    assert township["households"] == 2 and township["residents"] == 2
    assert township["grid_workers"] == {"specialist": 0, "full_time": 1, "part_time": 1}
    admin = api_as("county_admin").get("/api/v1/stats/overview").json()
    assert admin["areas"]["townships"] == 2 and admin["households"] == 3
    bad = api_as("county_admin").get("/api/v1/stats/overview", {"since": "2026-05-01", "until": "2026-01-01"})
    assert bad.status_code == 422 and "since" in bad.json()["fields"]
    assert api_as("county_admin").get("/api/v1/stats/overview", {"since": "not-a-date"}).status_code == 422


def test_unknown_api_route_is_json_404(county, api_as):
    response = api_as("county_admin").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_openapi_document_is_served(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/areas", "/api/v1/areas/{area_id}", "/api/v1/households",
                 "/api/v1/households/{household_id}", "/api/v1/residents/{resident_id}", "/api/v1/stats/overview"):
        assert path in paths, path


def test_resident_counts_match(county):
    assert Resident.objects.for_user(county.villager).count() == 1
