"""The duty catalogue, the care rule arithmetic and the ranking rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from shanzhi.gridwork.catalogue import DUTIES
from shanzhi.gridwork.evaluation import Result, covered, rank_results
from shanzhi.gridwork.models import CareRule, Duty

D = dt.date


def test_the_default_catalogue_has_53_distinct_duties_of_every_frequency():
    assert len(DUTIES) == 53 and len({d[1] for d in DUTIES}) == 53
    assert {str(d[2]) for d in DUTIES} == {"daily", "weekly", "monthly", "per_event", "per_household_monthly"}


@pytest.mark.django_db
def test_catalogue_command_loads_once(county):
    call_command("gridwork_catalogue")
    call_command("gridwork_catalogue")
    assert Duty.objects.count() == 53 and CareRule.objects.count() == 4
    assert list(Duty.objects.order_by("number").values_list("number", flat=True)) == list(range(1, 54))


@pytest.mark.django_db
def test_duties_are_edited_by_the_county_only(gw, api_as, page_as):
    admin = api_as("county_admin")
    created = admin.post(
        "gridwork/duties",
        {
            "number": 54,
            "name": "冬季清雪巡查",
            "category": "emergency",
            "frequency": "weekly",
            "kinds": ["full_time"],
            "evidence_required": True,
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["kinds"] == ["full_time"]
    duplicate = admin.post(
        "gridwork/duties",
        {"number": 55, "name": "冬季清雪巡查", "category": "emergency", "frequency": "weekly", "kinds": ["part_time"]},
    )
    assert duplicate.status_code == 422 and "name" in duplicate.json()["fields"]
    changed = admin.patch(f"gridwork/duties/{created.json()['id']}", {"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert admin.get("gridwork/duties").json()["count"] == 53
    page = page_as("county_admin").post(
        "/gridwork/duties/new/", {"number": 60, "name": "无适用对象", "category": "party", "frequency": "monthly"}
    )
    assert page.status_code == 200 and "请至少选择一类适用的网格员。" in page.content.decode()
    assert not Duty.objects.filter(name="无适用对象").exists()
    listing = page_as("grid_worker").get("/gridwork/duties/", {"kind": "full_time"})
    assert listing.status_code == 200 and "网格日常巡查" in listing.content.decode()


@pytest.mark.parametrize(
    ("visits", "interval", "first", "last", "expected"),
    [
        ([D(2025, 4, 20), D(2025, 5, 15)], 30, D(2025, 5, 1), D(2025, 5, 31), True),
        ([D(2025, 3, 1), D(2025, 5, 10)], 60, D(2025, 5, 1), D(2025, 5, 31), False),  # 1 May is day 61
        ([D(2025, 5, 1)], 30, D(2025, 5, 1), D(2025, 5, 31), True),  # 31 May is day 30
        ([D(2025, 5, 1)], 29, D(2025, 5, 1), D(2025, 5, 31), False),
        ([], 30, D(2025, 5, 1), D(2025, 5, 31), False),
        ([D(2025, 5, 1), D(2025, 5, 10), D(2025, 5, 20), D(2025, 5, 31)], 10, D(2025, 5, 1), D(2025, 5, 31), True),
        ([D(2025, 5, 1), D(2025, 5, 12), D(2025, 5, 22)], 10, D(2025, 5, 1), D(2025, 5, 31), True),  # 11 May is day 10
        ([D(2025, 5, 1), D(2025, 5, 13), D(2025, 5, 22)], 10, D(2025, 5, 1), D(2025, 5, 31), False),  # 12 May is day 11
    ],
)
def test_care_coverage(visits, interval, first, last, expected):
    assert covered(visits, interval, first, last) is expected
    # The obvious day-by-day definition agrees.
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    assert all(any(0 <= (d - v).days <= interval for v in visits) for d in days) is expected


class _Worker:
    def __init__(self, pk):
        self.pk = pk


def _result(pk, total, duty, care="0"):
    indicators = [
        {"code": "duty_completion", "points": duty},
        {"code": "care_on_time", "points": care},
        {"code": "manual", "points": str(Decimal(total) - Decimal(duty) - Decimal(care))},
    ]
    return Result(_Worker(pk), 1, "", "", indicators, Decimal(total))


def test_equal_totals_are_told_apart_by_the_indicators_in_order():
    a, b, c, d = _result(1, "80", "20"), _result(2, "80", "25"), _result(3, "70", "25"), _result(4, "70", "25")
    rank_results([a, b, c, d], red_flags=1)
    assert [(r.worker.pk, r.rank, r.is_red_flag) for r in (a, b, c, d)] == [
        (1, 2, False),
        (2, 1, True),
        (3, 3, False),
        (4, 3, False),
    ]
