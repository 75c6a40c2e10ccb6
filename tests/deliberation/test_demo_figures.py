"""The demo county's deliberation figures, read as demo-county through /api/v1/stats/overview."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shanzhi.deliberation.choices import MeetingStatus, Outcome, TopicStatus
from shanzhi.deliberation.models import Decision, Meeting, MinutesVersion, Topic, TopicEvent

DEMO_PASSWORD = "shanzhi-demo"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from shanzhi.cases.defaults import ensure_default_categories
    from shanzhi.demo.steps import DEMO_STEPS, build_demo

    assert "shanzhi.deliberation.demo.build" in DEMO_STEPS
    with django_db_blocker.unblock():
        # The county and this capability's step (the figures do not depend on the seed the
        # step's position in DEMO_STEPS gives it, nor on the other capabilities' steps).
        build_demo(steps=["shanzhi.deliberation.demo.build"])
        yield
        call_command("flush", interactive=False, verbosity=0)
        ensure_default_categories()  # what the migration seeded, for the modules that follow


def _api(username):
    client = Client()
    response = client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": DEMO_PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]

    def get(path, params=None):
        answer = client.get("/api/v1/" + path, params or {}, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.content
        return answer.json()

    return get


def _six_months_ago(today: dt.date) -> dt.date:
    month, year = today.month - 6, today.year
    if month <= 0:
        month, year = month + 12, year - 1
    return dt.date(year, month, min(today.day, 28))


@pytest.mark.django_db
def test_county_figures(demo):
    get = _api("demo-county")
    today = timezone.localdate()
    figures = get("stats/overview")["deliberation"]
    assert figures["venues"]["courtyard"] == 67
    assert figures["venues"]["corridor"] == 35
    assert figures["resolved"] == 164
    assert figures["resolved_by_class"] == {"development": 46, "livelihood": 78, "hard_problem": 40}
    assert sum(figures["resolved_by_class"].values()) == figures["resolved"]
    half_year = get("stats/overview", {"since": _six_months_ago(today).isoformat(), "until": today.isoformat()})
    assert half_year["deliberation"]["resolved"] == 164
    assert half_year["deliberation"]["meetings"] > 150
    assert sum(half_year["deliberation"]["topics_by_status"].values()) > 200
    earlier = (today - dt.timedelta(days=200)).isoformat()
    assert get("stats/overview", {"until": earlier})["deliberation"]["resolved"] == 0


@pytest.mark.django_db
def test_township_sees_its_part(demo):
    county = _api("demo-county")("stats/overview")["deliberation"]
    zhenbaodao = _api("demo-township")("stats/overview")["deliberation"]
    abei = _api("demo-township2")("stats/overview")["deliberation"]
    assert 0 < zhenbaodao["resolved"] < county["resolved"]
    assert 0 < abei["venues"]["courtyard"] < county["venues"]["courtyard"]
    assert _api("demo-township")("deliberation/actions", {"overdue": "true"})["count"] >= 0


@pytest.mark.django_db
def test_the_articles_evening_talk_in_abei(demo):
    topic = Topic.objects.get(title="建设村党群服务中心")
    assert topic.village.name == "阿北村" and topic.status == TopicStatus.RESOLVED
    assert topic.topic_class == "development"
    meeting = topic.agenda_items.get().meeting
    assert meeting.format == "evening_talk"
    assert (meeting.host_name, meeting.minute_taker_name) == ("金昌义", "何晓宇")
    board = _api("demo-township2")(f"deliberation/boards/{topic.village_id}")
    row = next(t for t in board["topics"] if t["id"] == topic.pk)
    assert row["status"] == "resolved" and "党群服务中心" in row["result"]


@pytest.mark.django_db
def test_demo_history_is_consistent(demo):
    now = timezone.now()
    for decision in Decision.objects.select_related("meeting"):
        cast = decision.votes_for + decision.votes_against + decision.votes_abstain
        assert cast <= decision.households_represented <= decision.residents_present
        if decision.outcome == Outcome.ADOPTED:
            assert decision.votes_for * 2 > decision.households_represented
        else:
            assert cast * 2 > decision.households_represented >= decision.votes_for * 2
        assert decision.meeting.village_id == decision.topic.village_id
    for meeting in Meeting.objects.select_related("venue"):
        assert meeting.venue.village_id == meeting.village_id
    closed = Meeting.objects.filter(status=MeetingStatus.CLOSED)
    assert MinutesVersion.objects.filter(meeting__in=closed, version=1).count() == closed.count()
    assert not TopicEvent.objects.filter(created__gt=now).exists()
    assert not Topic.objects.filter(resolved_at__gt=now).exists()
    for topic in Topic.objects.prefetch_related("events"):
        events = list(topic.events.all())
        assert events[0].to_status == TopicStatus.RAISED and events[-1].to_status == topic.status
        for before, after in zip(events, events[1:], strict=False):
            assert before.to_status == after.from_status and before.created <= after.created
