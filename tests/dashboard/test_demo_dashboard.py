"""The dashboard on the demo county (built once for the module, at 1,200 households).

* the county overview renders with a fixed number of queries (the same for the county,
  a township and a village: no query per row);
* the .xlsx and PDF monthly returns hold exactly the overview's numbers;
* every number's link lists exactly what it counts;
* the demo's grid polygons are non-overlapping and each holds its own grid's centre.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from shanzhi.accounts.models import User
from shanzhi.areas.models import Area
from shanzhi.demo.builder import DEMO_PASSWORD

# Queries for one overview page, whatever the size of the area (measured: see the test).
OVERVIEW_QUERY_BOUND = 40


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from shanzhi.demo.steps import build_demo

    with django_db_blocker.unblock():
        build_demo(households=1200)
        yield
        call_command("flush", interactive=False, verbosity=0)


def client_for(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def user(username: str) -> User:
    return User.objects.get(username=username)


def test_overview_query_count_is_fixed(demo, db):
    client = client_for("demo-county")
    client.get("/dashboard/")  # warm: session, permissions, content types
    counts = {}
    township = Area.objects.get(name="珍宝岛乡")
    village = Area.objects.get(name="永和村")
    for label, url in (
        ("county", "/dashboard/"),
        ("township", f"/dashboard/?area={township.pk}"),
        ("village", f"/dashboard/?area={village.pk}"),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts[label] = len(queries)
    print("overview queries", counts)
    assert counts["county"] <= OVERVIEW_QUERY_BOUND, counts
    # no query per township, village, grid or household: the same count at every level
    # (a village has one query fewer: it never looks for a worker's snapshot)
    assert counts["county"] == counts["township"] == counts["village"] + 1, counts


def test_overview_api_query_count(demo, db, django_assert_max_num_queries):
    client = client_for("demo-county")
    client.get("/api/v1/stats/return")
    with django_assert_max_num_queries(OVERVIEW_QUERY_BOUND):
        assert client.get("/api/v1/stats/return").status_code == 200


def test_overview_shows_the_demo_county(demo, db):
    from shanzhi.dashboard.figures import overview_page

    body = client_for("demo-county").get("/dashboard/").content.decode()
    doc = overview_page(user("demo-county"), timezone.localdate().replace(day=1))
    assert doc["households"] == 1200
    assert doc["cases"]["reported"] > 0
    assert f'data-figure="households">{doc["households"]}<' in body
    assert f'data-figure="cases.reported">{doc["cases"]["reported"]}<' in body
    assert f'data-figure="areas.grids">{doc["areas"]["grids"]}<' in body


def _values_from_xlsx(content: bytes) -> dict:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    return {row[3]: row[2] for row in rows[2:]}


def _pdf_text(content: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "return.pdf"
        path.write_bytes(content)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout


def test_monthly_return_files_equal_the_overview(demo, db):
    """The county's return for this month: .xlsx and PDF open, and every figure equals the overview's."""
    from shanzhi.dashboard import services
    from shanzhi.dashboard.figures import overview_page
    from shanzhi.dashboard.reports import return_rows

    county_admin = user("demo-county")
    month = timezone.localdate().replace(day=1)
    county = Area.objects.get(level="county")
    files = {}
    for file_format in ("xlsx", "pdf"):
        job = services.request_report(
            actor=county_admin,
            kind="monthly_return",
            file_format=file_format,
            params={"month": f"{month:%Y-%m}", "area": county.pk},
        )
        services.run_pending()
        job.refresh_from_db()
        assert job.status == "done", job.error
        with job.file.open("rb") as handle:
            files[file_format] = handle.read()

    # the overview as the page shows it, computed independently of the files
    doc = overview_page(county_admin, month, county)
    page = client_for("demo-county").get(f"/dashboard/?area={county.pk}&month={month:%Y-%m}").content.decode()
    for key, figure in (("households", doc["households"]), ("cases.reported", doc["cases"]["reported"])):
        assert f'data-figure="{key}">{figure}<' in page

    from_xlsx = _values_from_xlsx(files["xlsx"])
    expected = {code: value for _section, code, _label, value in return_rows(doc)}
    assert from_xlsx == expected
    # spot the raw overview numbers too, not only the flattened rows
    assert from_xlsx["households"] == doc["households"] == 1200
    assert from_xlsx["cases.reported"] == sum(doc["cases"]["by_status"].values())
    assert from_xlsx["cases.overdue"] == doc["cases"]["overdue"]
    assert from_xlsx["deliberation.resolved"] == doc["deliberation"]["resolved"]
    assert from_xlsx["points.points_awarded"] == doc["points"]["points_awarded"]
    assert from_xlsx["gridwork.visits"] == doc["gridwork"]["visits"]
    # the township sheet adds up to the county for additive figures
    workbook = load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    by_area = {row[-1]: row[1:-1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert sum(by_area["households"]) == doc["households"]
    assert sum(by_area["cases.reported"]) == doc["cases"]["reported"]

    text = _pdf_text(files["pdf"])
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    for _section, _code, label, value in return_rows(doc):
        assert any(line.startswith(label + " ") and line.endswith(" " + str(value)) for line in lines), (label, value)


def _query(url: str) -> QueryDict:
    return QueryDict(urlsplit(url).query)


def test_every_case_number_links_to_the_list_that_counts_it(demo, db):
    from shanzhi.cases.filters import CaseFilter
    from shanzhi.dashboard.figures import overview_page

    county_admin = user("demo-county")
    township = Area.objects.get(name="珍宝岛乡")
    for area in (None, township):
        doc = overview_page(county_admin, timezone.localdate().replace(day=1), area)
        links = doc["links"]
        for status, n in doc["cases"]["by_status"].items():
            assert CaseFilter(county_admin, _query(links["cases_by_status"][status])).apply().count() == n
        for code, n in doc["cases"]["by_category"].items():
            assert CaseFilter(county_admin, _query(links["cases_by_category"][code])).apply().count() == n
        assert CaseFilter(county_admin, _query(links["cases_overdue"])).apply().count() == doc["cases"]["overdue"]
        assert CaseFilter(county_admin, _query(links["cases_reported"])).apply().count() == doc["cases"]["reported"]


def test_other_numbers_link_to_their_lists(demo, db):
    from shanzhi.dashboard.figures import overview_page
    from shanzhi.deliberation.filters import filtered_topics

    client = client_for("demo-county")
    county_admin = user("demo-county")
    today = timezone.localdate()
    doc = overview_page(county_admin, today.replace(day=1))
    links = doc["links"]
    for cls, n in doc["deliberation"]["resolved_by_class"].items():
        q = parse_qs(urlsplit(links["resolved_by_class"][cls]).query)
        import datetime as dt

        topics = filtered_topics(
            county_admin,
            status=q["status"][0],
            topic_class=q["topic_class"][0],
            resolved_since=dt.date.fromisoformat(q["resolved_since"][0]),
            resolved_until=dt.date.fromisoformat(q["resolved_until"][0]),
        )
        assert topics.count() == n
    # every link opens (200) for the county admin
    flat = []
    for value in links.values():
        flat += list(value.values()) if isinstance(value, dict) else [value]
    for url in flat:
        assert client.get(url).status_code == 200, url


def test_screen_data_equals_the_overview(demo, db):
    from shanzhi.dashboard.figures import overview_page

    body = client_for("demo-township").get("/dashboard/screen/data.json").json()
    township = Area.objects.get(name="珍宝岛乡")
    doc = overview_page(user("demo-township"), timezone.localdate().replace(day=1), township)
    assert body["title"] == "珍宝岛乡"
    figures = {f["label"]: f["value"] for f in body["figures"]}
    assert doc["households"] in figures.values()
    status_chart = next(c for c in body["charts"] if c["id"] == "cases-status")
    assert sum(r["value"] for r in status_chart["rows"]) == doc["cases"]["reported"]
    assert all(r["url"] for r in status_chart["rows"])


def test_scorecard_counts_match_the_case_list(demo, db):
    from shanzhi.cases.filters import CaseFilter

    client = client_for("demo-county")
    month = timezone.localdate().replace(day=1)
    response = client.get(f"/dashboard/scorecard/?month={month:%Y-%m}")
    assert response.status_code == 200
    card = response.context["card"]
    assert card, "the demo dispatches cases every month"
    for row in card:
        for rate in ("checked_in_on_time", "resolved_on_time", "satisfaction", "reopen_rate"):
            assert row[rate] is None or 0 <= row[rate] <= 1
        listed = CaseFilter(user("demo-county"), _query(row["url"])).apply().filter(department_id=row["department"])
        assert listed.count() == row["dispatched"]


def _inside(point, ring) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_demo_grid_polygons_do_not_overlap(demo, db):
    grids = list(Area.objects.filter(level="grid"))
    assert len(grids) >= 97
    rings = {g.pk: g.boundary["coordinates"][0] for g in grids}
    for grid in grids:
        ring = rings[grid.pk]
        assert ring[0] == ring[-1] and len(ring) >= 5
        assert _inside((grid.centroid_lng, grid.centroid_lat), ring), grid.name
    # sample points on a fine lattice over each township: no point lies in two grids
    by_township: dict[str, list[Area]] = {}
    for grid in grids:
        by_township.setdefault(grid.ancestor_code("township"), []).append(grid)
    boxes = []
    for township_grids in by_township.values():
        xs = [x for g in township_grids for x, _y in rings[g.pk]]
        ys = [y for g in township_grids for _x, y in rings[g.pk]]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
        covered = 0
        for i in range(60):
            for j in range(60):
                point = (min(xs) + (max(xs) - min(xs)) * (i + 0.5) / 60, min(ys) + (max(ys) - min(ys)) * (j + 0.5) / 60)
                inside = sum(_inside(point, rings[g.pk]) for g in township_grids)
                assert inside <= 1, point
                covered += inside
        assert covered > 0.5 * 60 * 60  # the villages tile the township: no scattered islands
    # townships do not touch each other
    for index, a in enumerate(boxes):
        for b in boxes[index + 1 :]:
            assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


def test_map_geojson_for_the_demo(demo, db):
    client = client_for("demo-township")
    data = client.get("/dashboard/map/grids.geojson").json()
    township = Area.objects.get(name="珍宝岛乡")
    assert len(data["features"]) == Area.objects.filter(level="grid").subtree(township).count()
    assert (
        sum(f["properties"]["households"] for f in data["features"])
        == (client.get("/api/v1/stats/overview").json()["households"])
    )
    panel = client.get(data["features"][0]["properties"]["panel"])
    assert panel.status_code == 200 and data["features"][0]["properties"]["name"] in panel.content.decode()


def _export(username):
    from shanzhi.dashboard import services

    job = services.request_report(
        actor=user(username), kind="list_export", file_format="xlsx", params={"list": "households"}
    )
    services.run_pending()
    job.refresh_from_db()
    assert job.status == "done", job.error
    with job.file.open("rb") as handle:
        rows = list(load_workbook(io.BytesIO(handle.read()), read_only=True).worksheets[0].iter_rows(values_only=True))
    return job, rows


def test_household_export_at_demo_scale_masks_by_role(demo, db):
    from shanzhi.dashboard import services
    from shanzhi.people.models import Household

    job, rows = _export("demo-county")  # holds people.view_sensitive: full numbers
    assert job.row_count == 1200 > services.PROGRESS_EVERY and len(rows) == 1201
    ids = [r[6] for r in rows[1:] if r[6]]
    assert ids and all(len(v) == 18 and "*" not in v for v in ids)
    job, rows = _export("demo-township")  # no view_sensitive: masked
    expected = Household.objects.for_user(user("demo-township")).filter(status="active").count()
    assert job.row_count == expected == len(rows) - 1
    ids = [r[6] for r in rows[1:] if r[6]]
    phones = [r[7] for r in rows[1:] if r[7]]
    assert ids and all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", v) for v in ids)
    assert phones and all("****" in v for v in phones)


def test_worker_snapshots_equal_the_live_figures_and_say_how_fresh(demo, db):
    import datetime as dt

    from shanzhi.dashboard.figures import overview_page
    from shanzhi.dashboard.models import OverviewSnapshot
    from shanzhi.dashboard.snapshots import MAX_AGE, _to_json, overview_for, refresh
    from shanzhi.jobs import PERIODIC_JOBS

    assert any(job == ["refresh_overview"] for job, _every in PERIODIC_JOBS)
    month = timezone.localdate().replace(day=1)
    county = Area.objects.get(level="county")
    townships = list(Area.objects.filter(level="township"))
    written = refresh()
    assert written >= 1 + len(townships)
    assert OverviewSnapshot.objects.filter(month=month).count() == 1 + len(townships)
    # the reader that computed them sees what each role sees inside its own area
    for username, area in (("demo-county", county), ("demo-township", Area.objects.get(name="珍宝岛乡"))):
        served = overview_for(user(username), month, area)
        assert served.get("snapshot_at") is not None
        live = overview_page(user(username), month, area)
        assert _to_json(served) == _to_json(live)
    # a village is always live; so is a snapshot older than MAX_AGE
    village = Area.objects.get(name="永和村")
    assert "snapshot_at" not in overview_for(user("demo-village"), month, village)
    assert "snapshot_at" not in overview_for(user("demo-county"), month, county, now=timezone.now() + MAX_AGE * 2)
    # the page says the figures come from the worker and when; with fewer queries than live
    client = client_for("demo-county")
    body = client.get("/dashboard/").content.decode()
    assert 'data-freshness="snapshot"' in body
    live_doc = overview_page(user("demo-county"), month, county)
    assert f'data-figure="households">{live_doc["households"]}<' in body
    with CaptureQueriesContext(connection) as snapshot_queries:
        client.get("/dashboard/")
    OverviewSnapshot.objects.update(computed_at=timezone.now() - MAX_AGE - dt.timedelta(minutes=1))
    with CaptureQueriesContext(connection) as live_queries:
        body = client.get("/dashboard/").content.decode()
    assert 'data-freshness="live"' in body
    assert len(snapshot_queries) < len(live_queries) <= OVERVIEW_QUERY_BOUND
    OverviewSnapshot.objects.all().delete()
