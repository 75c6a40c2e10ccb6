"""Every deliberation page and endpoint × every persona: 403 without the permission,
404 outside the scope, 200 (or the redirect) otherwise. Writes are tried only by the
personas that must be refused, and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shanzhi.deliberation import services
from shanzhi.deliberation.choices import MeetingFormat, TopicClass, VenueKind
from shanzhi.deliberation.models import ActionItem, Meeting, Topic
from tests.deliberation.conftest import photo, tomorrow_evening
from tests.factories import PASSWORD

PERSONAS = [
    "county_admin",
    "township_officer",
    "other_township_officer",
    "department_handler",
    "village_secretary",
    "other_village_secretary",
    "grid_worker",
    "villager",
    "other_villager",
    "outsider",
]
VIEW = {
    "county_admin",
    "township_officer",
    "other_township_officer",
    "village_secretary",
    "other_village_secretary",
    "grid_worker",
}
RAISE = VIEW | {"villager", "other_villager"}
RUN = {"county_admin", "village_secretary", "other_village_secretary"}  # manage, run, track, venues, quorum
# Who sees the records of 永和村 (the fixtures below all live there).
VILLAGE_SCOPE = {"county_admin", "township_officer", "village_secretary"}
TOPIC_SCOPE = VILLAGE_SCOPE | {"grid_worker", "villager"}  # the grid and the household that raised it
BOARD = VILLAGE_SCOPE | {"grid_worker", "villager"}


def expect(persona, needs, scope):
    if needs is not None and persona not in needs:
        return 403
    return 200 if persona in scope else 404


@pytest.fixture
def world(county, categories):
    secretary = county.village_secretary
    venue = services.create_venue(
        actor=secretary, kind=VenueKind.COURTYARD, name="小院", village=county.village, photo=photo()
    )
    topic = services.raise_topic(
        actor=county.villager, title="修路", topic_class=TopicClass.LIVELIHOOD, attachments=[photo("road.png")]
    )
    services.accept_topic(topic, actor=secretary)
    meeting = services.create_meeting(
        actor=secretary,
        venue=venue,
        format=MeetingFormat.EVENING_TALK,
        scheduled_at=tomorrow_evening(),
        host_name="书记",
        minute_taker_name="记录员",
        topics=[topic],
    )
    services.open_meeting(meeting, actor=secretary)
    services.record_attendance(
        meeting, actor=secretary, residents_present=3, households_represented=2, sign_in_sheet=photo()
    )
    decision = services.record_decision(
        meeting, topic, actor=secretary, votes_for=2, votes_against=0, votes_abstain=0, outcome="adopted"
    )
    action = services.add_action_item(
        decision,
        actor=secretary,
        title="施工",
        owner_name="村主任",
        deadline=timezone.localdate() + dt.timedelta(days=9),
    )
    raised = services.raise_topic(actor=county.villager, title="新议题", topic_class=TopicClass.DEVELOPMENT)
    return {
        "venue": venue.pk,
        "topic": topic.pk,
        "raised": raised.pk,
        "meeting": meeting.pk,
        "decision": decision.pk,
        "action": action.pk,
        "attachment": topic.attachments.get().pk,
        "village": county.village.pk,
    }


def _client(persona):
    client = Client()
    assert client.login(username=persona, password=PASSWORD)
    return client


def _token(persona):
    from tests.conftest import token_for

    return token_for(persona)


# (name, method, url, needs, scope); scope None = collection (no object).
PAGES = [
    ("board home", "get", "/deliberation/", VIEW, None),
    ("topic list", "get", "/deliberation/topics/", VIEW, None),
    ("my topics", "get", "/deliberation/topics/mine/", RAISE, None),
    ("raise a topic", "get", "/deliberation/topics/new/", RAISE, None),
    ("topic detail", "get", "/deliberation/topics/{topic}/", RAISE, TOPIC_SCOPE),
    ("meeting list", "get", "/deliberation/meetings/", VIEW, None),
    ("plan a meeting", "get", "/deliberation/meetings/new/", RUN, None),
    ("run the meeting", "get", "/deliberation/meetings/{meeting}/", VIEW, VILLAGE_SCOPE),
    ("minutes versions", "get", "/deliberation/meetings/{meeting}/minutes/", VIEW, VILLAGE_SCOPE),
    ("action list", "get", "/deliberation/actions/", VIEW, None),
    ("overdue actions", "get", "/deliberation/actions/?overdue=1", VIEW, None),
    ("action detail", "get", "/deliberation/actions/{action}/", VIEW, TOPIC_SCOPE),
    ("venue list", "get", "/deliberation/venues/", VIEW, None),
    ("register a venue", "get", "/deliberation/venues/new/", RUN, None),
    ("edit a venue", "get", "/deliberation/venues/{venue}/edit/", RUN, VILLAGE_SCOPE),
    ("quorum rule", "get", "/deliberation/villages/{village}/quorum/", VIEW, VILLAGE_SCOPE),
    ("results board", "get", "/deliberation/board/{village}/", None, BOARD),
    ("printable notice", "get", "/deliberation/board/{village}/print/", None, BOARD),
    ("venue photo", "get", "/deliberation/files/venue/{venue}/", VIEW, VILLAGE_SCOPE),
    ("sign-in sheet", "get", "/deliberation/files/sign-in/{meeting}/", VIEW, VILLAGE_SCOPE),
    ("attachment", "get", "/deliberation/files/attachment/{attachment}/", RAISE, TOPIC_SCOPE),
]
PAGE_WRITES = [
    ("accept", "/deliberation/topics/{raised}/accept/", {}, RUN, VILLAGE_SCOPE),
    ("decline", "/deliberation/topics/{raised}/decline/", {"reason": "x"}, RUN, VILLAGE_SCOPE),
    ("close meeting", "/deliberation/meetings/{meeting}/", {"action": "close"}, RUN, VILLAGE_SCOPE),
    (
        "progress",
        "/deliberation/actions/{action}/",
        {"action": "progress", "note": "x", "status": "done"},
        RUN,
        TOPIC_SCOPE,
    ),
    (
        "quorum",
        "/deliberation/villages/{village}/quorum/",
        {"basis": "residents", "numerator": 1, "denominator": 2},
        RUN,
        VILLAGE_SCOPE,
    ),
    ("venue edit", "/deliberation/venues/{venue}/edit/", {"kind": "other", "name": "改名"}, RUN, VILLAGE_SCOPE),
]

API = [
    ("venues", "get", "deliberation/venues", VIEW, None),
    ("venue", "get", "deliberation/venues/{venue}", VIEW, VILLAGE_SCOPE),
    ("venue photo", "get", "deliberation/venues/{venue}/photo", VIEW, VILLAGE_SCOPE),
    ("topics", "get", "deliberation/topics", RAISE, None),
    ("topic", "get", "deliberation/topics/{topic}", RAISE, TOPIC_SCOPE),
    ("attachment", "get", "deliberation/topics/{topic}/attachments/{attachment}", RAISE, TOPIC_SCOPE),
    ("meetings", "get", "deliberation/meetings", VIEW, None),
    ("meeting", "get", "deliberation/meetings/{meeting}", VIEW, VILLAGE_SCOPE),
    ("sign-in sheet", "get", "deliberation/meetings/{meeting}/sign-in-sheet", VIEW, VILLAGE_SCOPE),
    ("minutes versions", "get", "deliberation/meetings/{meeting}/minutes/versions", VIEW, VILLAGE_SCOPE),
    ("decision", "get", "deliberation/decisions/{decision}", RAISE, TOPIC_SCOPE),
    ("actions", "get", "deliberation/actions", VIEW, None),
    ("action", "get", "deliberation/actions/{action}", VIEW, TOPIC_SCOPE),
    ("quorum rule", "get", "deliberation/villages/{village}/quorum-rule", VIEW, VILLAGE_SCOPE),
    ("boards", "get", "deliberation/boards", None, set(PERSONAS)),
    ("board", "get", "deliberation/boards/{village}", None, BOARD),
]
API_WRITES = [
    ("raise", "post", "deliberation/topics", {"title": "x", "topic_class": "livelihood"}, RAISE, None),
    ("accept", "post", "deliberation/topics/{raised}/accept", {}, RUN, VILLAGE_SCOPE),
    ("decline", "post", "deliberation/topics/{raised}/decline", {"reason": "x"}, RUN, VILLAGE_SCOPE),
    ("resolve", "post", "deliberation/topics/{topic}/resolve", {"result": "x"}, RUN, VILLAGE_SCOPE),
    ("new venue", "post", "deliberation/venues", {"kind": "courtyard", "name": "x", "village": "{village}"}, RUN, None),
    ("patch venue", "patch", "deliberation/venues/{venue}", {"name": "y"}, RUN, VILLAGE_SCOPE),
    (
        "new meeting",
        "post",
        "deliberation/meetings",
        {"format": "other", "scheduled_at": "2030-01-01T10:00"},
        RUN,
        None,
    ),
    ("agenda", "post", "deliberation/meetings/{meeting}/agenda", {"topic": "{raised}"}, RUN, VILLAGE_SCOPE),
    ("close", "post", "deliberation/meetings/{meeting}/close", {}, RUN, VILLAGE_SCOPE),
    ("cancel", "post", "deliberation/meetings/{meeting}/cancel", {"reason": "x"}, RUN, VILLAGE_SCOPE),
    (
        "decision",
        "post",
        "deliberation/meetings/{meeting}/topics/{topic}/decision",
        {"outcome": "adopted"},
        RUN,
        VILLAGE_SCOPE,
    ),
    ("action", "post", "deliberation/decisions/{decision}/actions", {"title": "x"}, RUN, TOPIC_SCOPE),
    ("progress", "post", "deliberation/actions/{action}/progress", {"note": "x", "status": "done"}, RUN, TOPIC_SCOPE),
    ("escalate", "post", "deliberation/actions/{action}/escalate", {"category": "infrastructure"}, RUN, TOPIC_SCOPE),
]


def _fill(template, ids):
    return template.format(**ids)


def _fill_body(body, ids):
    out = {}
    for key, value in body.items():
        out[key] = int(value.format(**ids)) if isinstance(value, str) and value.startswith("{") else value
    return out


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages(county, world, persona):
    client = _client(persona)
    problems = []
    for name, _method, url, needs, scope in PAGES:
        response = client.get(_fill(url, world))
        if scope is None:
            wanted = {200} if persona in needs else {403}
            if name == "board home" and persona in RAISE - VIEW:
                wanted = {302}  # a villager lands on their own topics
        else:
            wanted = {expect(persona, needs, scope)}
        if response.status_code not in wanted:
            problems.append((name, response.status_code, wanted))
    assert problems == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_writes_are_refused(county, world, persona):
    client = _client(persona)
    before = (Topic.objects.filter(pk=world["raised"]).values_list("status", flat=True).get(),)
    problems = []
    for name, url, body, needs, scope in PAGE_WRITES:
        wanted = expect(persona, needs, scope)
        if wanted == 200:
            continue
        response = client.post(_fill(url, world), body)
        if response.status_code != wanted:
            problems.append((name, response.status_code, wanted))
    assert problems == []
    assert (Topic.objects.filter(pk=world["raised"]).values_list("status", flat=True).get(),) == before
    assert Meeting.objects.get(pk=world["meeting"]).status == "open"
    assert ActionItem.objects.get(pk=world["action"]).status == "open"


@pytest.mark.parametrize("persona", PERSONAS)
def test_api(county, world, persona, api_as):
    client = api_as(persona)
    problems = []
    for name, _method, url, needs, scope in API:
        response = client.get(_fill(url, world))
        wanted = (200 if needs is None or persona in needs else 403) if scope is None else expect(persona, needs, scope)
        if response.status_code != wanted:
            problems.append((name, response.status_code, wanted))
        if response.status_code in (403, 404):
            assert set(response.json()) == {"code", "message", "fields"}
    assert problems == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_writes_are_refused(county, world, persona, api_as):
    client = api_as(persona)
    problems = []
    for name, method, url, body, needs, scope in API_WRITES:
        wanted = expect(persona, needs, scope or set(PERSONAS))
        if wanted == 200:
            continue
        response = getattr(client, method)(_fill(url, world), _fill_body(body, world))
        if response.status_code != wanted:
            problems.append((name, response.status_code, wanted))
    assert problems == []
    assert Topic.objects.get(pk=world["raised"]).status == "raised"
    assert Meeting.objects.get(pk=world["meeting"]).status == "open"
    assert ActionItem.objects.get(pk=world["action"]).status == "open"


def test_anonymous_is_asked_to_log_in(county, world):
    anonymous = Client()
    for _name, _method, url, _needs, _scope in PAGES:
        response = anonymous.get(_fill(url, world))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for _name, _method, url, _needs, _scope in API:
        response = anonymous.get("/api/v1/" + _fill(url, world))
        assert response.status_code == 401
