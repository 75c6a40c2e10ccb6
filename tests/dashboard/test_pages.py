"""Overview, big screen, map, scorecard and report pages: who may open them, scoping, bad input."""

from __future__ import annotations

import pytest

PAGES = [
    "/dashboard/",
    "/dashboard/screen/",
    "/dashboard/screen/data.json",
    "/dashboard/map/",
    "/dashboard/map/grids.geojson",
    "/dashboard/scorecard/",
    "/dashboard/reports/",
]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["county_admin", "township_officer", "village_secretary"])
def test_staff_with_the_overview_open_every_page(page_as, url, persona):
    response = page_as(persona).get(url)
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["outsider", "villager", "department_handler", "grid_worker"])
def test_others_are_refused(page_as, url, persona):
    assert page_as(persona).get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_goes_to_login(page_as, url):
    response = page_as(None).get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/?area={}",
        "/dashboard/map/?area={}",
        "/dashboard/scorecard/?area={}",
        "/dashboard/map/grids.geojson?area={}",
        "/dashboard/screen/data.json?area={}",
    ],
)
def test_an_area_out_of_scope_is_404(county, page_as, url):
    client = page_as("township_officer")
    assert client.get(url.format(county.township.pk)).status_code == 200
    assert client.get(url.format(county.other_township.pk)).status_code == 404
    assert client.get(url.format(999999)).status_code == 404


def test_grid_panel_is_scoped(county, page_as):
    client = page_as("township_officer")
    assert client.get(f"/dashboard/map/grids/{county.grid.pk}/").status_code == 200
    assert client.get(f"/dashboard/map/grids/{county.far_grid.pk}/").status_code == 404
    assert client.get(f"/dashboard/map/grids/{county.village.pk}/").status_code == 404  # not a grid
    assert page_as("outsider").get(f"/dashboard/map/grids/{county.grid.pk}/").status_code == 403


def test_a_bad_month_is_a_field_error_not_a_500(page_as):
    client = page_as("county_admin")
    response = client.get("/dashboard/?month=2026-13")
    assert response.status_code == 422
    assert "YYYY-MM" in response.content.decode() or "年-月" in response.content.decode()
    response = client.get("/dashboard/screen/data.json?month=nonsense")
    assert response.status_code == 422
    assert "month" in response.json()["fields"]
    assert client.get("/dashboard/scorecard/?month=x").status_code == 422


def test_overview_shows_scope_figures_with_links(county, page_as):
    body = page_as("township_officer").get(f"/dashboard/?area={county.township.pk}").content.decode()
    # the township has 2 households (H0001, H0002), the far one belongs to the other township
    assert 'data-figure="households">2<' in body
    assert f"/households/?area={county.township.pk}&amp;status=active" in body
    assert "/cases/?area=" in body and "since=" in body


def test_map_geojson_is_scoped(county, page_as):
    from shanzhi.areas.models import Area

    for index, grid in enumerate([county.grid, county.grid2, county.other_grid, county.far_grid]):
        x, y = 132.0 + index * 0.02, 45.0
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        Area.objects.filter(pk=grid.pk).update(boundary={"type": "Polygon", "coordinates": [ring]})
    features = page_as("township_officer").get("/dashboard/map/grids.geojson").json()["features"]
    assert {f["id"] for f in features} == {county.grid.pk, county.grid2.pk, county.other_grid.pk}
    features = page_as("village_secretary").get("/dashboard/map/grids.geojson").json()["features"]
    assert {f["id"] for f in features} == {county.grid.pk, county.grid2.pk}
    first = next(f for f in features if f["id"] == county.grid.pk)["properties"]
    assert first["households"] == 1
    assert first["panel"] == f"/dashboard/map/grids/{county.grid.pk}/"
