"""The care list names exactly the households whose visits are overdue, under frozen time."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine

from shanzhi.gridwork.choices import VisitKind, VisitPurpose
from shanzhi.gridwork.services import log_visit
from shanzhi.people.models import HouseholdTag
from shanzhi.people.services import create_household

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 20, 10, 0, tzinfo=SHANGHAI)


def _visit(worker, household, day: dt.date):
    log_visit(
        actor=None,
        worker=worker,
        kind=VisitKind.HOUSEHOLD,
        purpose=VisitPurpose.ELDERLY_CARE,
        household=household,
        visited_at=dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI),
    )


@pytest.fixture
def care_county(gw):
    hou, wang = gw.workers["侯晓春"], gw.workers["王秀兰"]
    h = {"H0001": gw.household, "H0003": gw.care_household, "H0004": gw.plain_household}
    h["H0005"] = create_household(number="H0005", grid=gw.grid2, tags=["five_guarantees"], actor=None)
    h["H0006"] = create_household(number="H0006", grid=gw.grid2, tags=["elderly_alone", "disabled"], actor=None)
    h["H0007"] = create_household(number="H0007", grid=gw.grid2, tags=["elderly_alone"], actor=None)
    h["H0008"] = create_household(number="H0008", grid=gw.grid2, tags=["elderly_alone"], actor=None)
    h["H0100"] = gw.far_household
    gw.far_household.tags.add(HouseholdTag.objects.get(code="elderly_alone"))
    with time_machine.travel(NOW, tick=False):
        _visit(hou, h["H0001"], dt.date(2025, 5, 25))  # elderly alone, 26 days ago: fine
        _visit(hou, h["H0003"], dt.date(2025, 4, 15))  # disabled (60 days), 66 days ago: overdue
        _visit(hou, h["H0004"], dt.date(2025, 1, 2))  # no care tag: never on the list
        _visit(wang, h["H0005"], dt.date(2025, 6, 5))  # five-guarantees (15 days): due today, not overdue
        _visit(wang, h["H0006"], dt.date(2025, 5, 1))  # shortest rule 30 days, 50 days ago: overdue
        _visit(wang, h["H0007"], dt.date(2025, 5, 21))  # exactly 30 days ago: not overdue
        _visit(wang, h["H0008"], dt.date(2025, 5, 20))  # 31 days ago: overdue by one day
        # H0100 (阿北乡) was never visited: overdue.
    gw.h = h
    return gw


def _numbers(response) -> set[str]:
    return set(re.findall(r'data-household="([^"]+)"', response.content.decode()))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("county_admin", {"H0003", "H0006", "H0008", "H0100"}),
        ("township_officer", {"H0003", "H0006", "H0008"}),
        ("village_secretary", {"H0003", "H0006", "H0008"}),
        ("grid_worker", {"H0003"}),
        ("other_township_officer", {"H0100"}),
    ],
)
def test_care_list_names_exactly_the_overdue_households(care_county, api_as, page_as, persona, expected):
    api, client = api_as(persona), page_as(persona)
    with time_machine.travel(NOW, tick=False):
        body = api.get("gridwork/care/overdue").json()
        assert {item["number"] for item in body["items"]} == expected
        assert body["count"] == len(expected)
        page = client.get("/gridwork/care/")
    assert page.status_code == 200
    assert _numbers(page) == expected


def test_care_list_figures_and_the_next_day(care_county, api_as):
    api = api_as("county_admin")
    with time_machine.travel(NOW, tick=False):
        items = {i["number"]: i for i in api.get("gridwork/care/overdue").json()["items"]}
        assert items["H0003"]["interval_days"] == 60 and items["H0003"]["days_overdue"] == 6
        assert items["H0006"]["interval_days"] == 30 and items["H0006"]["days_overdue"] == 20
        assert items["H0008"]["days_overdue"] == 1
        assert items["H0100"]["last_visit"] is None and items["H0100"]["days_overdue"] is None
        village = api.get("gridwork/care/overdue", {"area": care_county.village.pk}).json()
        assert {i["number"] for i in village["items"]} == {"H0003", "H0006", "H0008"}
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        numbers = {i["number"] for i in api.get("gridwork/care/overdue").json()["items"]}
    # A day later the five-guarantees household (15 days) and H0007 (30 days) are overdue too.
    assert numbers == {"H0003", "H0005", "H0006", "H0007", "H0008", "H0100"}


def test_a_visit_takes_the_household_off_the_list(care_county, api_as):
    api = api_as("grid_worker")
    with time_machine.travel(NOW, tick=False):
        assert {i["number"] for i in api.get("gridwork/care/overdue").json()["items"]} == {"H0003"}
        today = api.get("gridwork/today").json()
        assert [i["number"] for i in today["care_due"]] == ["H0003"]
        response = api.post(
            "gridwork/visits", {"kind": "household", "purpose": "elderly_care", "household": care_county.h["H0003"].pk}
        )
        assert response.status_code == 201
        assert api.get("gridwork/care/overdue").json()["items"] == []
        assert api.get("gridwork/today").json()["visits_today"] == 1


def test_changing_a_rule_changes_the_list(care_county, api_as):
    admin = api_as("county_admin")
    with time_machine.travel(NOW, tick=False):
        response = admin.client.put(
            "/api/v1/gridwork/care/rules/disabled",
            data='{"interval_days": 90}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {admin.token}"},
        )
        assert response.status_code == 200, response.content
        numbers = {i["number"] for i in admin.get("gridwork/care/overdue").json()["items"]}
    assert numbers == {"H0006", "H0008", "H0100"}
    forbidden = api_as("township_officer")
    response = forbidden.client.put(
        "/api/v1/gridwork/care/rules/disabled",
        data='{"interval_days": 5}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {forbidden.token}"},
    )
    assert response.status_code == 403
