"""Persona × endpoint × (in scope / out of scope) → expected status, for every foundation
page and API operation. Generated from the table below; 0 unexpected successes allowed.
"""

from __future__ import annotations

import pytest

# Which household / resident / area each persona may see, and one they may not.
SCOPES = {
    #  persona:               (in-scope household, out-of-scope household, in-scope area, out-of-scope area)
    "county_admin": ("household", None, "county", None),
    "township_officer": ("household", "far_household", "township", "other_township"),
    "other_township_officer": ("far_household", "household", "other_township", "township"),
    "department_handler": (None, "household", None, "township"),
    "village_secretary": ("household", "far_household", "village", "far_village"),
    "other_village_secretary": (None, "household", "other_village", "village"),
    "grid_worker": ("household", "neighbour", "grid", "grid2"),
    "villager": ("household", "neighbour", None, "township"),
    "other_villager": ("far_household", "household", None, "township"),
    "outsider": (None, "household", None, "county"),
}
STAFF_WRITERS = {"county_admin", "township_officer", "other_township_officer", "village_secretary",
                 "other_village_secretary", "grid_worker"}
STAFF = STAFF_WRITERS | {"department_handler"}
SENSITIVE = {"county_admin"}
AUDITORS = {"county_admin"}

RESIDENT_OF = {"household": "resident", "far_household": "far_resident", "neighbour": None}


def _household_status(persona, which, *, needs=None):
    """Detail-like endpoints: 404 out of scope; 403 when the role lacks the permission."""
    if needs is not None and persona not in needs:
        return 403
    return 200 if which == "in" else 404


# (name, kind, method, url template, object kind, expectation function)
ENDPOINTS = [
    ("api household detail", "api", "get", "/api/v1/households/{household}", "household",
     lambda p, w: _household_status(p, w)),
    ("api resident detail", "api", "get", "/api/v1/residents/{resident}", "resident",
     lambda p, w: _household_status(p, w)),
    ("api resident reveal", "api", "get", "/api/v1/residents/{resident}?reveal=true", "resident",
     lambda p, w: 404 if w == "out" else (200 if p in SENSITIVE else 403)),
    ("api area detail", "api", "get", "/api/v1/areas/{area}", "area", lambda p, w: 200 if w == "in" else 404),
    ("api overview of area", "api", "get", "/api/v1/stats/overview?area={area}", "area",
     lambda p, w: 200 if w == "in" else 404),
    ("page household detail", "page", "get", "/households/{household}/", "household",
     lambda p, w: _household_status(p, w)),
    ("page household edit", "page", "get", "/households/{household}/edit/", "household",
     lambda p, w: _household_status(p, w, needs=STAFF_WRITERS)),
    ("page household reveal", "page", "get", "/households/{household}/?reveal=1", "household",
     lambda p, w: 404 if w == "out" else (200 if p in SENSITIVE else 403)),
    ("page add resident", "page", "get", "/households/{household}/residents/new/", "household",
     lambda p, w: _household_status(p, w, needs=STAFF_WRITERS)),
    ("page resident edit", "page", "get", "/households/residents/{resident}/edit/", "resident",
     lambda p, w: _household_status(p, w, needs=STAFF_WRITERS)),
    ("page area", "page", "get", "/areas/{area}/", "area", lambda p, w: 200 if w == "in" else 404),
    ("page household list of area", "page", "get", "/households/?area={area}", "area",
     lambda p, w: 403 if p not in STAFF else (200 if w == "in" else 404)),
]

# Endpoints without an object: persona → expected status.
COLLECTIONS = [
    ("api areas", "api", "get", "/api/v1/areas", lambda p: 200),
    ("api households", "api", "get", "/api/v1/households", lambda p: 200),
    ("api overview", "api", "get", "/api/v1/stats/overview", lambda p: 200),
    ("api me", "api", "get", "/api/v1/auth/me", lambda p: 200),
    ("page home", "page", "get", "/", lambda p: 200),
    ("page areas", "page", "get", "/areas/", lambda p: 200),
    ("page households", "page", "get", "/households/", lambda p: 200 if p in STAFF else 403),
    ("page new household", "page", "get", "/households/new/", lambda p: 200 if p in STAFF_WRITERS else 403),
    ("page audit", "page", "get", "/audit/", lambda p: 200 if p in AUDITORS else 403),
    ("page admin", "page", "get", "/admin/", lambda p: 200 if p in AUDITORS else 302),
]


def _cases():
    for name, kind, method, url, obj_kind, expect in ENDPOINTS:
        for persona, (in_h, out_h, in_a, out_a) in SCOPES.items():
            for which in ("in", "out"):
                if obj_kind == "area":
                    target = in_a if which == "in" else out_a
                elif obj_kind == "household":
                    target = in_h if which == "in" else out_h
                else:
                    household = in_h if which == "in" else out_h
                    target = RESIDENT_OF.get(household) if household else None
                if target is None:
                    continue
                yield pytest.param(kind, method, url, obj_kind, target, expect(persona, which), persona,
                                   id=f"{name}|{persona}|{which}")


@pytest.mark.parametrize(("kind", "method", "url", "obj_kind", "target", "expected", "persona"), list(_cases()))
def test_object_matrix(county, api_as, page_as, kind, method, url, obj_kind, target, expected, persona):
    obj = getattr(county, target)
    path = url.format(**{obj_kind: obj.pk})
    client = api_as(persona) if kind == "api" else page_as(persona)
    response = getattr(client, method)(path)
    assert response.status_code == expected, (persona, path, response.status_code)
    if kind == "api" and expected >= 400:
        body = response.json()
        assert set(body) >= {"code", "message", "fields"}


@pytest.mark.parametrize(
    ("kind", "method", "url", "expected", "persona"),
    [pytest.param(kind, method, url, expect(p), p, id=f"{name}|{p}")
     for name, kind, method, url, expect in COLLECTIONS for p in SCOPES],
)
def test_collection_matrix(county, api_as, page_as, kind, method, url, expected, persona):
    client = api_as(persona) if kind == "api" else page_as(persona)
    response = getattr(client, method)(url)
    assert response.status_code == expected, (persona, url, response.status_code)


@pytest.mark.parametrize("url", ["/api/v1/areas", "/api/v1/households", "/api/v1/stats/overview",
                                 "/api/v1/auth/me", "/api/v1/households/1", "/api/v1/residents/1"])
def test_anonymous_api_is_401_json(db, url):
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("url", ["/", "/areas/", "/households/", "/households/1/", "/audit/"])
def test_anonymous_pages_redirect_to_login(db, url):
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_list_endpoints_never_leak_out_of_scope_rows(county, api_as):
    for persona, (in_h, out_h, _a, _b) in SCOPES.items():
        body = api_as(persona).get("/api/v1/households", {"limit": 200}).json()
        numbers = {item["number"] for item in body["items"]}
        if out_h:
            assert getattr(county, out_h).number not in numbers, persona
        if in_h:
            assert getattr(county, in_h).number in numbers, persona
        assert body["count"] == len(body["items"])
