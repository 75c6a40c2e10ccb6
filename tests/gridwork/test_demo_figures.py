"""The demo county's grid work at scale 1.0: 53 duties, a year of visits, 12 closed months, red flags."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from shanzhi.cases.choices import CaseSource
from shanzhi.cases.models import Case
from shanzhi.gridwork import evaluation
from shanzhi.gridwork.choices import EvaluationStatus, VisitKind, WorkerKind
from shanzhi.gridwork.models import Duty, EvaluationMonth, GridAssignment, GridWorker, Visit, WorkerEvaluation

DEMO_PASSWORD = "shanzhi-demo"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from shanzhi.cases.defaults import ensure_default_categories
    from shanzhi.demo.steps import DEMO_STEPS, build_demo

    assert DEMO_STEPS.index("shanzhi.gridwork.demo.build") > DEMO_STEPS.index("shanzhi.cases.demo.build")
    with django_db_blocker.unblock():
        # The county, the cases (whose grid-patrol cases get their visits) and this step.
        build_demo(steps=["shanzhi.cases.demo.build", "shanzhi.gridwork.demo.build"])
        yield
        call_command("flush", interactive=False, verbosity=0)
        ensure_default_categories()


def _api(username):
    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": DEMO_PASSWORD}),
        content_type="application/json",
    )
    token = response.json()["token"]

    def get(path, params=None):
        answer = client.get("/api/v1/" + path, params or {}, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.content
        return answer.json()

    return get


@pytest.mark.django_db
def test_workers_and_grids_stay_as_the_county_built_them(demo):
    active = dict(GridWorker.objects.active().values_list("kind").annotate(n=Count("id")))
    assert active == {WorkerKind.SPECIALIST: 128, WorkerKind.FULL_TIME: 275, WorkerKind.PART_TIME: 781}
    leads = GridAssignment.objects.current().filter(is_lead=True)
    assert leads.count() == 275 and leads.values("grid").distinct().count() == 275
    # Some part-time workers were transferred: the history keeps both assignments.
    assert GridAssignment.objects.filter(end_date__isnull=False, worker__kind=WorkerKind.PART_TIME).count() == 12


@pytest.mark.django_db
def test_duty_catalogue_and_a_year_of_visits(demo):
    assert Duty.objects.active().count() == 53
    today = timezone.localdate()
    month = evaluation.month_start(today)
    for _ in range(12):
        month = evaluation.previous_month(month)
        in_month = Visit.objects.filter(visited_on__range=(month, evaluation.month_end(month)))
        assert in_month.filter(kind=VisitKind.PATROL, worker__kind=WorkerKind.FULL_TIME).count() > 1500
        assert in_month.filter(kind=VisitKind.HOUSEHOLD).count() > 2000
    assert not Visit.objects.filter(visited_on__gt=today).exists()
    patrol_cases = Case.objects.filter(source=CaseSource.GRID_PATROL)
    assert patrol_cases.exists()
    assert Visit.objects.filter(case__in=patrol_cases).count() == patrol_cases.count()


@pytest.mark.django_db
def test_twelve_closed_months_with_one_red_flag_per_township(demo):
    closed = EvaluationMonth.objects.filter(status=EvaluationStatus.CLOSED)
    assert closed.count() == 12 * 11
    assert EvaluationMonth.objects.filter(status=EvaluationStatus.DRAFT).count() == 11
    per_month = dict(
        WorkerEvaluation.objects.filter(evaluation__in=closed).values_list("evaluation__month").annotate(n=Count("id"))
    )
    assert set(per_month.values()) == {275}
    red = WorkerEvaluation.objects.filter(evaluation__in=closed, is_red_flag=True)
    # One red flag per township and month (the scheme's count); workers equal in the total and in
    # every indicator share the rank, so a month may rarely name two.
    per_township_month = list(red.values_list("evaluation_id").annotate(n=Count("id")).values_list("n", flat=True))
    assert len(per_township_month) == 12 * 11
    assert sum(1 for n in per_township_month if n == 1) >= 12 * 11 - 3
    assert set(red.values_list("rank", flat=True)) == {1}
    # Every score is explainable, and a closed month computes again to the same figures.
    sample = closed.order_by("-month", "township__path").first()
    assert all(len(r.indicators) == 7 for r in sample.results.all())
    assert evaluation.recompute(sample) == []


@pytest.mark.django_db
def test_overview_section_as_demo_county(demo):
    section = _api("demo-county")("stats/overview")["gridwork"]
    last = evaluation.previous_month(evaluation.month_start(timezone.localdate()))
    assert section["duties"] == 53
    assert section["visits_this_month"] >= 0 and section["visits"] > 50_000
    assert section["care_visits_overdue"] > 0
    assert section["latest_evaluation"]["month"] == f"{last:%Y-%m}"
    assert len(section["latest_evaluation"]["red_flag_workers"]) == 11
    township = _api("demo-township")("stats/overview")["gridwork"]
    assert [w["township"] for w in township["latest_evaluation"]["red_flag_workers"]] == ["珍宝岛乡"]


@pytest.mark.django_db
def test_demo_grid_has_care_visits_due_today(demo):
    today = _api("demo-grid")("gridwork/today")
    assert any(item["head_name"] == "李桂君" for item in today["care_due"])
