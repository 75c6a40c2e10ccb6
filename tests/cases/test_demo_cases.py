"""The cases demo step at full scale on a smaller county (built once for the module)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shanzhi.demo.builder import DEMO_PASSWORD


def six_months_before(day: dt.date) -> dt.date:
    month, year = day.month - 6, day.year
    if month <= 0:
        month, year = month + 12, year - 1
    while True:
        try:
            return day.replace(year=year, month=month)
        except ValueError:
            day = day - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from shanzhi.cases import demo as cases_demo
    from shanzhi.demo.builder import SEED, build_county

    with django_db_blocker.unblock():
        build_county(1200)
        cases_demo.build(seed=SEED + 1, today=timezone.localdate(), scale=1.0, say=lambda message: None)
        yield
        call_command("flush", interactive=False, verbosity=0)


def api(username, path, **params):
    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": DEMO_PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, username
    return client.get(path, params, headers={"Authorization": f"Bearer {response.json()['token']}"})


def test_department_handled_is_77_for_the_last_six_months(demo, db):
    today = timezone.localdate()
    body = api("demo-county", "/api/v1/stats/overview", since=six_months_before(today).isoformat()).json()
    cases = body["cases"]
    assert cases["department_handled"] == 77
    assert set(cases) == {
        "by_status",
        "by_category",
        "department_handled",
        "overdue",
        "median_hours_to_check_in",
        "median_hours_to_resolution",
        "satisfaction_rate",
    }
    assert cases["overdue"] > 0
    assert 0 < cases["median_hours_to_check_in"] < cases["median_hours_to_resolution"]
    assert 0.5 < cases["satisfaction_rate"] < 1
    year = api("demo-county", "/api/v1/stats/overview").json()["cases"]
    assert year["department_handled"] > 77  # the six months before had their own


def test_every_status_some_overdue_many_on_the_spot(demo, db):
    from shanzhi.cases.choices import CaseStatus, EventAction
    from shanzhi.cases.models import Case, CaseEvent

    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == set(CaseStatus.values)
    assert Case.objects.filter(resolved_on_the_spot=True).count() >= 400
    assert Case.objects.overdue().count() >= 5
    assert Case.objects.filter(escalation_level=2).exclude(status="closed").exists()
    assert Case.objects.filter(reported_at__lt=timezone.now() - dt.timedelta(days=300)).exists()
    # Every case has a complete timeline that starts with its report and ends in its status.
    for case in Case.objects.exclude(status="reported").order_by("?")[:60]:
        events = list(CaseEvent.objects.filter(case=case).exclude(action__in=["overdue", "escalated"]))
        assert events[0].action == EventAction.REPORTED
        assert events[-1].to_status == case.status, case.number
        assert all(a.created <= b.created for a, b in zip(events, events[1:], strict=False))
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) and all(n.startswith("HL-") for n in numbers)


def test_demo_accounts_have_work(demo, db):
    queue = api("demo-township", "/api/v1/cases", status="reported").json()
    assert queue["count"] >= 2
    inbox = api("demo-dept", "/api/v1/cases", status="dispatched").json()
    assert inbox["count"] >= 1
    assert all("住建局" in c["department_name"] or c["co_departments"] for c in inbox["items"])
    assert api("demo-supervisor", "/api/v1/cases", escalated="true").json()["count"] >= 1
    assert api("demo-supervisor", "/api/v1/cases", escalated="false").json()["count"] == 0
    mine = api("demo-villager", "/api/v1/cases").json()
    assert any(c["category"] == "medical_eldercare" and c["status"] == "closed" for c in mine["items"])
    assert api("demo-dept", "/api/v1/notifications").json()["unread"] >= 1


def test_demo_open311_key_works(demo, transactional_db, live_server):  # last: its flush ends the module
    root = live_server.url + "/open311/v2"
    response = requests.post(
        root + "/requests.json",
        data={
            "api_key": "shanzhi-demo-open311",
            "service_code": "other",
            "address_string": "永和村",
            "description": "测试",
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
