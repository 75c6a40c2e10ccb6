"""Every field-app page and endpoint: who may use it, and what everyone else gets."""

from __future__ import annotations

import time
import uuid

import pytest
from django.test import Client

from shanzhi.accounts.middleware import SEEN_AT
from shanzhi.cases.models import Case
from shanzhi.cases.services import report_case
from shanzhi.gridwork.models import Visit
from tests.conftest import token_for
from tests.factories import PASSWORD, fresh

pytestmark = pytest.mark.django_db

FIELD_USERS = ["grid_worker", "village_secretary"]
REFUSED = ["villager", "department_handler", "outsider", "county_admin", "township_officer"]


def _writes(county):
    case = report_case(
        actor=None,
        title="路灯不亮",
        description="路灯不亮",
        category="infrastructure",
        grid=county.grid,
        source="grid_patrol",
    )
    household = {"household": county.household.pk, "household_grid": county.grid.pk}
    return [
        ("/api/v1/field/cases", {**household, "category": "infrastructure", "description": "路面塌陷"}),
        ("/api/v1/field/visits", {**household, "kind": "household", "purpose": "elderly_care"}),
        ("/api/v1/field/points", {**household, "rule": next(iter(county.points.rules.values())).pk, "note": "x"}),
        (f"/api/v1/field/cases/{case.pk}/photos", {"note": "补拍"}),
    ]


@pytest.mark.parametrize("persona", REFUSED)
def test_roles_without_the_field_app_get_403_on_every_endpoint_and_page(field_county, persona):
    headers = {"Authorization": f"Bearer {token_for(persona)}"}
    client = Client()
    assert client.get("/api/v1/field/snapshot", headers=headers).status_code == 403
    before = (Case.objects.count(), Visit.objects.count())
    for path, data in _writes(field_county):
        response = client.post(path, data, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 403, (persona, path, response.content)
        assert response.json()["code"] == "forbidden"
    assert (Case.objects.count(), Visit.objects.count()) == (before[0] + 1, before[1])  # only _writes' own case
    page = Client()
    page.post("/accounts/login/", {"username": persona, "password": PASSWORD})
    assert page.get("/field/").status_code == 403


def test_anonymous_gets_401_from_the_api_and_the_login_page_for_the_app(field_county):
    client = Client()
    assert client.get("/api/v1/field/snapshot").status_code == 401
    for path, data in _writes(field_county):
        response = client.post(path, data, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    response = client.get("/field/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", FIELD_USERS)
def test_field_users_open_the_app(field_county, persona):
    client = Client()
    client.post("/accounts/login/", {"username": persona, "password": PASSWORD})
    response = client.get("/field/")
    assert response.status_code == 200
    assert client.get("/api/v1/field/snapshot").status_code == 200


def test_another_villages_household_is_out_of_scope_for_a_secretary(field_county):
    headers = {"Authorization": f"Bearer {token_for('other_village_secretary')}", "Idempotency-Key": "k1"}
    response = Client().post(
        "/api/v1/field/cases",
        {"household": field_county.household.pk, "category": "infrastructure", "description": "x"},
        headers=headers,
    )
    assert response.status_code == 409 and response.json()["code"] == "household_out_of_scope"
    assert not Case.objects.exists()


def test_a_case_out_of_scope_is_404_for_photos(field_county):
    case = report_case(
        actor=None,
        title="远处",
        description="远处",
        category="infrastructure",
        grid=field_county.far_grid,
        source="grid_patrol",
    )
    headers = {"Authorization": f"Bearer {token_for('grid_worker')}", "Idempotency-Key": "k2"}
    response = Client().post(f"/api/v1/field/cases/{case.pk}/photos", {"note": "x"}, headers=headers)
    assert response.status_code == 404


def _session(persona="grid_worker", *, csrf=False) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": persona, "password": PASSWORD}).status_code == 302
    client.handler.enforce_csrf_checks = csrf
    return client


def test_the_session_needs_the_csrf_token_that_the_app_reads_from_its_cookie(field_county):
    client = _session(csrf=True)
    assert client.get("/field/").status_code == 200
    token = client.cookies["csrftoken"].value
    data = {"kind": "patrol", "purpose": "routine_patrol"}
    refused = client.post("/api/v1/field/visits", data, headers={"Idempotency-Key": "patrol-1"})
    assert refused.status_code == 403 and not Visit.objects.exists()
    ok = client.post("/api/v1/field/visits", data, headers={"Idempotency-Key": "patrol-1", "X-CSRFToken": token})
    assert ok.status_code == 201, ok.content


def test_an_expired_session_is_401_and_the_same_action_goes_through_once_after_login_again(field_county):
    client = _session()
    session = client.session
    session[SEEN_AT] = time.time() - 24 * 3600
    session.save()
    data = {"kind": "patrol", "purpose": "routine_patrol", "notes": "巡查河道"}
    expired = client.post("/api/v1/field/visits", data, headers={"Idempotency-Key": "patrol-9"})
    assert expired.status_code == 401 and expired.json()["code"] == "session_expired"
    assert not Visit.objects.exists()
    client.post("/accounts/login/", {"username": "grid_worker", "password": PASSWORD})
    first = client.post("/api/v1/field/visits", data, headers={"Idempotency-Key": "patrol-9"})
    again = client.post("/api/v1/field/visits", data, headers={"Idempotency-Key": "patrol-9"})
    assert first.status_code == 201 and again.json() == first.json()
    assert Visit.objects.count() == 1


def test_keys_are_per_user(field_county):
    """Two workers whose phones happened to make the same key do not see each other's answers."""
    data = {"category": "infrastructure", "description": "路面塌陷"}
    for persona in ("grid_worker", "village_secretary"):
        headers = {"Authorization": f"Bearer {token_for(persona)}", "Idempotency-Key": "same-key"}
        grid = {"grid": field_county.grid.pk}
        assert Client().post("/api/v1/field/cases", {**data, **grid}, headers=headers).status_code == 201
    assert Case.objects.count() == 2
    assert fresh(field_county.grid_worker)  # still there
