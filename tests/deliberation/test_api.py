"""The deliberation API: the whole way from a villager's topic to a result on the board."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shanzhi.cases.models import Case
from shanzhi.deliberation.models import Decision, Meeting, Topic
from tests.deliberation.conftest import close_case_through_the_workflow, tomorrow_evening


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()[:2000]
    return response.json()


def test_villager_topic_is_decided_spawns_an_action_and_a_case_and_is_resolved_on_the_board(
    county, api_as, categories, django_capture_on_commit_callbacks
):
    villager, secretary = api_as("villager"), api_as("village_secretary")

    # 1. The villager raises a topic from their phone; a retry does not create a second one.
    body = {"title": "修缮前街破损水泥路", "topic_class": "livelihood", "description": "雨天积水,老人出行不便"}
    topic = _ok(villager.post("deliberation/topics", body, **{"Idempotency-Key": "raise-1"}), 201)
    again = _ok(villager.post("deliberation/topics", body, **{"Idempotency-Key": "raise-1"}), 201)
    assert again["id"] == topic["id"] and Topic.objects.count() == 1
    assert topic["status"] == "raised" and topic["raised_via"] == "self" and topic["village"] == county.village.pk
    tid = topic["id"]

    # 2. The secretary accepts it and plans an evening talk at a courtyard with it on the agenda.
    _ok(secretary.post(f"deliberation/topics/{tid}/accept", {}))
    venue = _ok(
        secretary.post(
            "deliberation/venues",
            {"kind": "courtyard", "name": "李桂君家议事小院", "village": county.village.pk, "capacity": 30},
        ),
        201,
    )
    meeting = _ok(
        secretary.post(
            "deliberation/meetings",
            {
                "venue": venue["id"],
                "format": "evening_talk",
                "scheduled_at": tomorrow_evening().isoformat(),
                "host_name": "永和村书记",
                "minute_taker_name": "到村大学生",
                "topics": [tid],
            },
        ),
        201,
    )
    mid = meeting["id"]
    assert meeting["agenda"][0]["topic"]["status"] == "scheduled"

    # 3. The meeting runs: opened, attendance, notes, the show of hands.
    _ok(secretary.post(f"deliberation/meetings/{mid}/open"))
    _ok(
        secretary.client.put(
            f"/api/v1/deliberation/meetings/{mid}/attendance",
            data='{"residents_present": 3, "households_represented": 2}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {secretary.token}"},
        )
    )
    notes = secretary.client.put(
        f"/api/v1/deliberation/meetings/{mid}/topics/{tid}/notes",
        data='{"notes": "大家同意先修前街"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {secretary.token}"},
    )
    assert _ok(notes)["agenda"][0]["topic"]["status"] == "deliberated"
    too_many = secretary.post(
        f"deliberation/meetings/{mid}/topics/{tid}/decision",
        {"votes_for": 2, "votes_against": 1, "votes_abstain": 0, "outcome": "adopted"},
    )
    assert too_many.status_code == 422
    error = too_many.json()
    assert error["code"] == "invalid" and "超过了到会的 2 户" in error["fields"]["votes_for"][0]
    assert Decision.objects.count() == 0
    decision = _ok(
        secretary.post(
            f"deliberation/meetings/{mid}/topics/{tid}/decision",
            {"votes_for": 2, "votes_against": 0, "votes_abstain": 0, "outcome": "adopted", "summary": "同意修路"},
        ),
        201,
    )
    assert decision["outcome"] == "adopted" and decision["households_represented"] == 2

    # 4. The decision becomes an action item; without owner and deadline it is refused.
    missing = secretary.post(f"deliberation/decisions/{decision['id']}/actions", {"title": "联系施工队"})
    assert missing.status_code == 422
    assert set(missing.json()["fields"]) == {"owner_name", "deadline"}
    assert "责任人" in missing.json()["fields"]["owner_name"][0]
    deadline = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    action = _ok(
        secretary.post(
            f"deliberation/decisions/{decision['id']}/actions",
            {"title": "报请住建局立项修路", "owner_name": "村主任", "deadline": deadline},
        ),
        201,
    )
    assert _ok(villager.get(f"deliberation/topics/{tid}"))["status"] == "in_progress"

    # 5. Minutes, close; the village cannot do the road itself: the action item becomes a case.
    minutes = secretary.client.put(
        f"/api/v1/deliberation/meetings/{mid}/minutes",
        data='{"minutes": "到会3人,代表2户,议定修缮前街道路。"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {secretary.token}"},
    )
    _ok(minutes)
    assert _ok(secretary.post(f"deliberation/meetings/{mid}/close"))["status"] == "closed"
    escalated = _ok(
        secretary.post(f"deliberation/actions/{action['id']}/escalate", {"category": "infrastructure"}), 201
    )
    assert escalated["status"] == "escalated" and escalated["case_number"]
    case = Case.objects.get(pk=escalated["case"])
    assert case.source == "deliberation" and case.household == county.household
    topic_now = _ok(villager.get(f"deliberation/topics/{tid}"))
    assert topic_now["status"] == "escalated" and topic_now["case_number"] == case.number

    # 6. The case goes through the whistle workflow and closes: the topic is resolved on the board.
    with django_capture_on_commit_callbacks(execute=True):
        close_case_through_the_workflow(case, county)
    board = _ok(villager.get(f"deliberation/boards/{county.village.pk}"))
    row = next(t for t in board["topics"] if t["id"] == tid)
    assert row["status"] == "resolved"
    assert case.number in row["result"]
    assert row["decision"]["votes_for"] == 2 and row["decision"]["outcome"] == "adopted"
    assert row["action_items"][0]["status"] == "done"
    assert "raiser_name" not in row  # the public board names no raiser
    mine = _ok(villager.get(f"deliberation/topics/{tid}"))
    assert [e["to_status"] for e in mine["events"]] == [
        "raised",
        "accepted",
        "scheduled",
        "deliberated",
        "decided",
        "in_progress",
        "escalated",
        "resolved",
    ]


def test_declined_topic_shows_the_reason_to_the_raiser(county, api_as):
    villager, secretary = api_as("villager"), api_as("village_secretary")
    tid = _ok(villager.post("deliberation/topics", {"title": "家里分家", "topic_class": "hard_problem"}), 201)["id"]
    empty = secretary.post(f"deliberation/topics/{tid}/decline", {"reason": ""})
    assert empty.status_code == 422 and "reason" in empty.json()["fields"]
    _ok(secretary.post(f"deliberation/topics/{tid}/decline", {"reason": "属于家庭内部事务,建议调解"}))
    mine = _ok(villager.get("deliberation/topics"))
    assert mine["count"] == 1 and mine["items"][0]["decline_reason"] == "属于家庭内部事务,建议调解"
    again = secretary.post(f"deliberation/topics/{tid}/accept", {})
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"


def test_meeting_without_venue_is_refused_with_field_messages(county, api_as):
    secretary = api_as("village_secretary")
    response = secretary.post(
        "deliberation/meetings",
        {"format": "courtyard_talk", "scheduled_at": tomorrow_evening().isoformat(), "host_name": "", "topics": []},
    )
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert "请选择召开议事会的议事场所" in fields["venue"][0]
    assert {"venue", "host_name", "minute_taker_name"} <= set(fields)
    assert Meeting.objects.count() == 0
    garbage = secretary.post_raw("deliberation/meetings", b"{not json")
    assert garbage.status_code in (400, 422)


def test_no_quorum_is_a_field_error(county, api_as, open_meeting, accepted_topic):
    secretary = api_as("village_secretary")
    response = secretary.post(
        f"deliberation/meetings/{open_meeting.pk}/topics/{accepted_topic.pk}/decision",
        {"votes_for": 0, "votes_against": 1, "votes_abstain": 0, "outcome": "rejected"},
    )
    assert response.status_code == 422
    assert "未达到法定人数" in response.json()["fields"]["outcome"][0]
    negative = secretary.post(
        f"deliberation/meetings/{open_meeting.pk}/topics/{accepted_topic.pk}/decision",
        {"votes_for": -1, "votes_against": 0, "votes_abstain": 0, "outcome": "adopted"},
    )
    assert negative.status_code == 422 and "votes_for" in negative.json()["fields"]
    assert Decision.objects.count() == 0


def test_quorum_rule_api(county, api_as):
    secretary = api_as("village_secretary")
    rule = _ok(secretary.get(f"deliberation/villages/{county.village.pk}/quorum-rule"))
    assert rule["is_default"] and (rule["numerator"], rule["denominator"]) == (1, 2)
    assert "到会户数" in rule["text"] and "一半" in rule["text"]
    bad = secretary.client.put(
        f"/api/v1/deliberation/villages/{county.village.pk}/quorum-rule",
        data='{"basis": "households", "numerator": 3, "denominator": 2}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {secretary.token}"},
    )
    assert bad.status_code == 422 and "numerator" in bad.json()["fields"]
    good = secretary.client.put(
        f"/api/v1/deliberation/villages/{county.village.pk}/quorum-rule",
        data='{"basis": "residents", "numerator": 2, "denominator": 3}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {secretary.token}"},
    )
    assert _ok(good)["text"].startswith("按到会人数计票")


def test_overdue_actions_for_the_township(county, api_as, open_meeting, accepted_topic):
    from shanzhi.deliberation import services
    from shanzhi.deliberation.models import ActionItem

    decision = services.record_decision(
        open_meeting,
        accepted_topic,
        actor=county.village_secretary,
        votes_for=2,
        votes_against=0,
        votes_abstain=0,
        outcome="adopted",
    )
    item = services.add_action_item(
        decision, actor=county.village_secretary, title="清淤", owner_name="网格员", deadline=timezone.localdate()
    )
    ActionItem.objects.filter(pk=item.pk).update(deadline=timezone.localdate() - dt.timedelta(days=5))
    listing = _ok(api_as("township_officer").get("deliberation/actions", {"overdue": "true"}))
    assert listing["count"] == 1 and listing["items"][0]["days_overdue"] == 5
    assert _ok(api_as("other_township_officer").get("deliberation/actions", {"overdue": "true"}))["count"] == 0


def test_stats_section_is_scoped_and_windowed(county, api_as, open_meeting, accepted_topic):
    from shanzhi.deliberation import services

    decision = services.record_decision(
        open_meeting,
        accepted_topic,
        actor=county.village_secretary,
        votes_for=2,
        votes_against=0,
        votes_abstain=0,
        outcome="adopted",
    )
    services.resolve_topic(accepted_topic, actor=county.village_secretary, result="已修好")
    assert decision.pk
    today = timezone.localdate()
    mine = _ok(api_as("township_officer").get("stats/overview"))["deliberation"]
    assert mine["venues"]["courtyard"] == 1 and mine["venues"]["corridor"] == 0
    assert mine["resolved"] == 1 and mine["resolved_by_class"] == {"development": 0, "livelihood": 1, "hard_problem": 0}
    assert mine["topics_by_status"]["resolved"] == 1
    assert mine["meetings"] == 0  # the meeting is tomorrow evening, after the default window
    ahead = (today + dt.timedelta(days=1)).isoformat()
    assert _ok(api_as("township_officer").get("stats/overview", {"until": ahead}))["deliberation"]["meetings"] == 1
    other = _ok(api_as("other_township_officer").get("stats/overview"))["deliberation"]
    assert other["resolved"] == 0 and other["venues"]["courtyard"] == 0
    before = (today - dt.timedelta(days=30)).isoformat()
    old = _ok(api_as("county_admin").get("stats/overview", {"since": before, "until": before}))["deliberation"]
    assert old["resolved"] == 0 and old["meetings"] == 0


def test_board_and_lists_read_in_a_fixed_number_of_queries(
    county, api_as, open_meeting, accepted_topic, django_assert_max_num_queries
):
    from shanzhi.deliberation import services
    from shanzhi.deliberation.board import board_document

    secretary = county.village_secretary
    decision = services.record_decision(
        open_meeting, accepted_topic, actor=secretary, votes_for=2, votes_against=0, votes_abstain=0, outcome="adopted"
    )
    for n in range(6):
        item = services.add_action_item(
            decision, actor=secretary, title=f"事项{n}", owner_name="村主任", deadline=timezone.localdate()
        )
        services.record_progress(item, actor=secretary, note="进行中", status="in_progress")
    for n in range(5):
        topic = services.raise_topic(
            actor=secretary, title=f"议题{n}", topic_class="development", village=county.village
        )
        services.accept_topic(topic, actor=secretary)
    with django_assert_max_num_queries(6):
        document = board_document(county.village)
    assert len(document["topics"][0]["action_items"]) == 6
    client = api_as("village_secretary")
    with django_assert_max_num_queries(12):
        listing = client.get("deliberation/topics", {"limit": 50})
    assert listing.json()["count"] == 6
    with django_assert_max_num_queries(12):
        actions = client.get("deliberation/actions")
    assert actions.json()["count"] == 6
