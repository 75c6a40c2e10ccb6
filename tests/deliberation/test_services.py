"""The deliberation services: lifecycle, validation, quorum, minutes versions, cases link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.core.models import AuditLog
from shanzhi.deliberation import services
from shanzhi.deliberation.choices import (
    ActionStatus,
    MeetingFormat,
    MeetingStatus,
    Outcome,
    QuorumBasis,
    RaisedVia,
    TopicClass,
    TopicStatus,
)
from shanzhi.deliberation.models import ActionItem, Decision, Meeting, MinutesVersion, Topic, TopicEvent, Venue
from tests.deliberation.conftest import close_case_through_the_workflow, photo, tomorrow_evening
from tests.factories import fresh


def _statuses(topic):
    return [e.to_status for e in TopicEvent.objects.filter(topic=topic).order_by("created", "id")]


def test_villager_raises_for_their_own_household(county):
    topic = services.raise_topic(
        actor=county.villager, title="安装路灯", topic_class=TopicClass.LIVELIHOOD, attachments=[photo("road.png")]
    )
    assert topic.household == county.household
    assert topic.village == county.village
    assert topic.grid == county.grid
    assert topic.raised_via == RaisedVia.SELF
    assert topic.raiser_name == "李桂君"
    assert topic.status == TopicStatus.RAISED
    assert topic.attachments.count() == 1
    assert topic.attachments.get().file.read().startswith(b"\x89PNG")
    assert AuditLog.objects.filter(action="deliberation.topic.raised", object_id=str(topic.pk)).exists()


def test_villager_cannot_raise_for_another_household(county):
    with pytest.raises(InvalidInput) as exc:
        services.raise_topic(
            actor=county.villager, title="x", topic_class=TopicClass.LIVELIHOOD, household=county.neighbour
        )
    assert "household" in exc.value.fields
    assert Topic.objects.count() == 0


def test_staff_raise_on_behalf_and_as_cadre(county):
    on_behalf = services.raise_topic(
        actor=county.grid_worker,
        title="清理边沟",
        topic_class=TopicClass.LIVELIHOOD,
        household=county.household,
        raiser_name="李桂君",
    )
    assert on_behalf.raised_via == RaisedVia.ON_BEHALF
    cadre = services.raise_topic(
        actor=county.village_secretary, title="成立合作社", topic_class=TopicClass.DEVELOPMENT, village=county.village
    )
    assert cadre.raised_via == RaisedVia.CADRE and cadre.household is None
    # A grid worker's scope is a grid, not the village: no cadre topic for the whole village.
    with pytest.raises(InvalidInput) as exc:
        services.raise_topic(
            actor=county.grid_worker, title="x", topic_class=TopicClass.DEVELOPMENT, village=county.village
        )
    assert "village" in exc.value.fields
    # Out of scope household.
    with pytest.raises(InvalidInput) as exc:
        services.raise_topic(
            actor=county.village_secretary,
            title="x",
            topic_class=TopicClass.DEVELOPMENT,
            household=county.far_household,
        )
    assert "household" in exc.value.fields


def test_bad_topic_input_names_every_field_and_saves_nothing(county):
    with pytest.raises(InvalidInput) as exc:
        services.raise_topic(
            actor=county.villager, title="  ", topic_class="nonsense", attachments=[photo("a.txt")], description=""
        )
    assert set(exc.value.fields) == {"title", "topic_class"}
    # The name does not matter (a.txt above is a PNG); the content does.
    with pytest.raises(InvalidInput) as exc:
        services.raise_topic(
            actor=county.villager,
            title="ok",
            topic_class=TopicClass.LIVELIHOOD,
            attachments=[SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image")],
        )
    assert "attachments" in exc.value.fields
    assert Topic.objects.count() == 0
    assert TopicEvent.objects.count() == 0


def test_decline_needs_a_reason_and_ends_the_topic(county):
    topic = services.raise_topic(actor=county.villager, title="私事", topic_class=TopicClass.HARD_PROBLEM)
    with pytest.raises(InvalidInput) as exc:
        services.decline_topic(topic, actor=county.village_secretary, reason=" ")
    assert "reason" in exc.value.fields
    topic.refresh_from_db()
    assert topic.status == TopicStatus.RAISED
    services.decline_topic(topic, actor=county.village_secretary, reason="属于家庭事务,建议调解")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECLINED and topic.decline_reason == "属于家庭事务,建议调解"
    with pytest.raises(Conflict):
        services.accept_topic(topic, actor=county.village_secretary)


def test_roles_and_scope_are_rechecked(county, accepted_topic):
    with pytest.raises(Forbidden):
        services.accept_topic(accepted_topic, actor=county.villager)
    with pytest.raises(Forbidden):
        services.decline_topic(accepted_topic, actor=county.grid_worker, reason="x")
    with pytest.raises(NotFound):
        services.decline_topic(accepted_topic, actor=fresh(county.other_village_secretary), reason="x")


def test_meeting_without_venue_or_with_another_villages_venue(county, far_venue, accepted_topic):
    with pytest.raises(InvalidInput) as exc:
        services.create_meeting(
            actor=county.village_secretary,
            venue=None,
            format=MeetingFormat.EVENING_TALK,
            scheduled_at=None,
            host_name="",
            minute_taker_name="",
            topics=[accepted_topic],
        )
    assert set(exc.value.fields) >= {"venue", "scheduled_at", "host_name", "minute_taker_name"}
    # Another township's venue is out of the secretary's scope.
    with pytest.raises(InvalidInput) as exc:
        services.create_meeting(
            actor=county.village_secretary,
            venue=far_venue,
            format=MeetingFormat.EVENING_TALK,
            scheduled_at=tomorrow_evening(),
            host_name="a",
            minute_taker_name="b",
        )
    assert "venue" in exc.value.fields
    assert Meeting.objects.count() == 0
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.ACCEPTED


def test_attendance_is_checked_against_the_village(county, open_meeting):
    meeting = open_meeting
    with pytest.raises(InvalidInput) as exc:
        services.record_attendance(
            meeting, actor=county.village_secretary, residents_present=2, households_represented=3
        )
    assert "households_represented" in exc.value.fields  # 3 > 2 registered households
    with pytest.raises(InvalidInput) as exc:
        services.record_attendance(
            meeting, actor=county.village_secretary, residents_present=1, households_represented=2
        )
    assert "households_represented" in exc.value.fields  # more households than people
    with pytest.raises(InvalidInput) as exc:
        services.record_attendance(
            meeting,
            actor=county.village_secretary,
            residents_present=5,
            households_represented=2,
            attendees=[county.far_resident.pk],
        )
    assert "attendees" in exc.value.fields
    meeting.refresh_from_db()
    assert (meeting.residents_present, meeting.households_represented) == (3, 2)
    services.record_attendance(
        meeting,
        actor=county.village_secretary,
        residents_present=4,
        households_represented=2,
        attendees=[county.resident.pk],
        sign_in_sheet=photo(),
    )
    meeting.refresh_from_db()
    assert list(meeting.attendees.all()) == [county.resident]
    assert meeting.sign_in_sheet.name.endswith(".png")


def _vote(meeting, topic, county, **kwargs):
    values = {"votes_for": 2, "votes_against": 0, "votes_abstain": 0, "outcome": Outcome.ADOPTED, **kwargs}
    return services.record_decision(meeting, topic, actor=county.village_secretary, **values)


def test_votes_exceeding_attendance_are_refused_and_nothing_is_saved(county, open_meeting, accepted_topic):
    with pytest.raises(InvalidInput) as exc:
        _vote(open_meeting, accepted_topic, county, votes_for=2, votes_against=1)
    assert "votes_for" in exc.value.fields
    assert "3" in exc.value.fields["votes_for"][0] and "2" in exc.value.fields["votes_for"][0]
    assert Decision.objects.count() == 0
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.SCHEDULED


def test_no_majority_no_quorum(county, open_meeting, accepted_topic):
    # 2 households represented: adoption needs more than 1 vote for.
    with pytest.raises(InvalidInput) as exc:
        _vote(open_meeting, accepted_topic, county, votes_for=1, votes_against=1)
    assert "outcome" in exc.value.fields
    # Rejected needs a quorum: more than 1 vote cast.
    with pytest.raises(InvalidInput) as exc:
        _vote(open_meeting, accepted_topic, county, votes_for=0, votes_against=1, outcome=Outcome.REJECTED)
    assert "outcome" in exc.value.fields
    assert Decision.objects.count() == 0
    # Without quorum the topic can only be deferred: back to be scheduled again.
    _vote(open_meeting, accepted_topic, county, votes_for=0, votes_against=1, outcome=Outcome.DEFERRED)
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.ACCEPTED
    assert _statuses(accepted_topic)[-3:] == [TopicStatus.SCHEDULED, TopicStatus.DELIBERATED, TopicStatus.ACCEPTED]


def test_a_village_rule_of_two_thirds_by_residents(county, open_meeting, accepted_topic):
    services.set_quorum_rule(
        county.village, actor=county.village_secretary, basis=QuorumBasis.RESIDENTS, numerator=2, denominator=3
    )
    # 3 residents present: more than 2/3 means at least 3 votes for.
    with pytest.raises(InvalidInput) as exc:
        _vote(open_meeting, accepted_topic, county, votes_for=2)
    assert "3" in exc.value.fields["outcome"][0]
    decision = _vote(open_meeting, accepted_topic, county, votes_for=3)
    assert (decision.quorum_basis, decision.quorum_numerator, decision.quorum_denominator) == ("residents", 2, 3)
    with pytest.raises(InvalidInput):
        services.set_quorum_rule(county.village, actor=county.village_secretary, basis="x", numerator=3, denominator=2)
    with pytest.raises(Forbidden):
        services.set_quorum_rule(
            county.village, actor=county.grid_worker, basis="households", numerator=1, denominator=2
        )


def test_votes_need_attendance_and_an_open_meeting(county, venue, accepted_topic):
    meeting = services.create_meeting(
        actor=county.village_secretary,
        venue=venue,
        format=MeetingFormat.COURTYARD_TALK,
        scheduled_at=tomorrow_evening(),
        host_name="书记",
        minute_taker_name="记录员",
        topics=[accepted_topic],
    )
    with pytest.raises(Conflict):
        _vote(meeting, accepted_topic, county)
    services.open_meeting(meeting, actor=county.village_secretary)
    with pytest.raises(InvalidInput) as exc:
        _vote(meeting, accepted_topic, county)
    assert "votes_for" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        services.close_meeting(meeting, actor=county.village_secretary)
    assert "residents_present" in exc.value.fields


def test_action_items_need_an_owner_and_a_deadline(county, open_meeting, accepted_topic):
    decision = _vote(open_meeting, accepted_topic, county)
    with pytest.raises(InvalidInput) as exc:
        services.add_action_item(decision, actor=county.village_secretary, title="施工", owner_name="", deadline=None)
    assert set(exc.value.fields) == {"owner_name", "deadline"}
    with pytest.raises(InvalidInput) as exc:
        services.add_action_item(
            decision,
            actor=county.village_secretary,
            title="施工",
            owner_name="村主任",
            deadline=timezone.localdate() - dt.timedelta(days=3),
        )
    assert "deadline" in exc.value.fields
    assert ActionItem.objects.count() == 0
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.DECIDED


def test_from_decision_to_public_result(county, open_meeting, accepted_topic):
    decision = _vote(open_meeting, accepted_topic, county, votes_against=0, summary="同意修路")
    item = services.add_action_item(
        decision,
        actor=county.village_secretary,
        title="联系施工队",
        owner_name="村主任",
        deadline=timezone.localdate() + dt.timedelta(days=20),
    )
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.IN_PROGRESS
    with pytest.raises(Conflict):
        services.resolve_topic(accepted_topic, actor=county.village_secretary, result="已修好")
    with pytest.raises(InvalidInput):
        services.record_progress(item, actor=county.village_secretary, note="", status=ActionStatus.DONE)
    services.record_progress(item, actor=county.village_secretary, note="施工中", status=ActionStatus.IN_PROGRESS)
    services.record_progress(item, actor=county.village_secretary, note="完工", status=ActionStatus.DONE)
    with pytest.raises(Conflict):
        services.record_progress(item, actor=county.village_secretary, note="again", status=ActionStatus.DONE)
    with pytest.raises(InvalidInput) as exc:
        services.resolve_topic(accepted_topic, actor=county.village_secretary, result="")
    assert "result" in exc.value.fields
    services.resolve_topic(accepted_topic, actor=county.village_secretary, result="前街已重新硬化")
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.RESOLVED and accepted_topic.resolved_at is not None
    assert _statuses(accepted_topic) == [
        TopicStatus.RAISED,
        TopicStatus.ACCEPTED,
        TopicStatus.SCHEDULED,
        TopicStatus.DELIBERATED,
        TopicStatus.DECIDED,
        TopicStatus.IN_PROGRESS,
        TopicStatus.RESOLVED,
    ]


def test_closing_keeps_the_minutes_and_every_later_version(county, open_meeting, accepted_topic):
    services.save_minutes(open_meeting, actor=county.village_secretary, text="第一稿")
    services.close_meeting(open_meeting, actor=county.village_secretary)
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.ACCEPTED  # no vote: waits for another meeting
    with pytest.raises(InvalidInput) as exc:
        services.save_minutes(open_meeting, actor=county.village_secretary, text="第二稿")
    assert "note" in exc.value.fields
    services.save_minutes(open_meeting, actor=county.village_secretary, text="第二稿", note="补记发言")
    services.save_minutes(open_meeting, actor=county.village_secretary, text="第三稿", note="更正人数")
    texts = list(MinutesVersion.objects.filter(meeting=open_meeting).order_by("version").values_list("version", "text"))
    assert texts == [(1, "第一稿"), (2, "第二稿"), (3, "第三稿")]
    open_meeting.refresh_from_db()
    assert open_meeting.minutes == "第三稿" and open_meeting.status == MeetingStatus.CLOSED
    with pytest.raises(Conflict):
        services.record_attendance(
            open_meeting, actor=county.village_secretary, residents_present=3, households_represented=2
        )


def test_cancelling_returns_the_agenda(county, venue, accepted_topic):
    meeting = services.create_meeting(
        actor=county.village_secretary,
        venue=venue,
        format=MeetingFormat.REPRESENTATIVES,
        scheduled_at=tomorrow_evening(),
        host_name="书记",
        minute_taker_name="记录员",
        topics=[accepted_topic],
    )
    with pytest.raises(InvalidInput):
        services.cancel_meeting(meeting, actor=county.village_secretary, reason="")
    services.cancel_meeting(meeting, actor=county.village_secretary, reason="暴雨")
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == TopicStatus.ACCEPTED
    with pytest.raises(Conflict):
        services.open_meeting(meeting, actor=county.village_secretary)


def test_escalated_action_item_becomes_a_case_whose_closure_resolves_the_topic(
    county, categories, open_meeting, accepted_topic, django_capture_on_commit_callbacks
):
    from shanzhi.cases.choices import CaseSource, CaseStatus

    decision = _vote(open_meeting, accepted_topic, county)
    item = services.add_action_item(
        decision,
        actor=county.village_secretary,
        title="修路需要住建局立项",
        owner_name="书记",
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    case = services.escalate_action_item(item, actor=county.village_secretary, category="infrastructure")
    assert case.source == CaseSource.DELIBERATION
    assert case.grid == county.grid and case.household == county.household
    accepted_topic.refresh_from_db()
    item.refresh_from_db()
    assert accepted_topic.status == TopicStatus.ESCALATED and accepted_topic.case == case
    assert item.status == ActionStatus.ESCALATED and item.case == case
    with pytest.raises(Conflict):
        services.resolve_topic(accepted_topic, actor=county.village_secretary, result="x")
    with django_capture_on_commit_callbacks(execute=True):
        closed = close_case_through_the_workflow(case, county)
    assert closed.status == CaseStatus.CLOSED
    accepted_topic.refresh_from_db()
    item.refresh_from_db()
    assert accepted_topic.status == TopicStatus.RESOLVED
    assert case.number in accepted_topic.result and "验收合格" in accepted_topic.result
    assert item.status == ActionStatus.DONE
    # The listener is idempotent.
    assert services.resolve_topics_of_closed_case(closed) == []


def test_escalation_refuses_a_bad_category_and_saves_nothing(county, categories, open_meeting, accepted_topic):
    from shanzhi.cases.models import Case

    decision = _vote(open_meeting, accepted_topic, county)
    item = services.add_action_item(
        decision,
        actor=county.village_secretary,
        title="x",
        owner_name="书记",
        deadline=timezone.localdate() + dt.timedelta(days=3),
    )
    with pytest.raises(InvalidInput) as exc:
        services.escalate_action_item(item, actor=county.village_secretary, category="no-such-category")
    assert "category" in exc.value.fields
    assert Case.objects.count() == 0
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_overdue_actions_are_visible_to_the_township(county, open_meeting, accepted_topic):
    decision = _vote(open_meeting, accepted_topic, county)
    item = services.add_action_item(
        decision, actor=county.village_secretary, title="x", owner_name="书记", deadline=timezone.localdate()
    )
    ActionItem.objects.filter(pk=item.pk).update(deadline=timezone.localdate() - dt.timedelta(days=2))
    assert list(ActionItem.objects.for_user(fresh(county.township_officer)).overdue()) == [item]
    assert list(ActionItem.objects.for_user(fresh(county.other_township_officer)).overdue()) == []


def test_board_villages(county):
    assert list(services.board_villages(fresh(county.villager))) == [county.village]
    assert list(services.board_villages(fresh(county.other_villager))) == [county.far_village]
    assert set(services.board_villages(fresh(county.township_officer))) == {county.village, county.other_village}
    assert list(services.board_villages(fresh(county.department_handler))) == []
    assert list(services.board_villages(fresh(county.outsider))) == []


def test_venue_validation(county):
    with pytest.raises(InvalidInput) as exc:
        services.create_venue(
            actor=county.village_secretary,
            kind="palace",
            name="",
            village=county.far_village,
            capacity=0,
            photo=photo("x.png"),
        )
    assert set(exc.value.fields) == {"kind", "name", "village", "capacity"}
    with pytest.raises(InvalidInput) as exc:
        services.create_venue(
            actor=county.village_secretary,
            kind="courtyard",
            name="小院",
            village=county.village,
            host_household=county.far_household,
        )
    assert "host_household" in exc.value.fields
    assert Venue.objects.count() == 0
    venue = services.create_venue(
        actor=county.village_secretary, kind="courtyard", name="小院", village=county.village, photo=photo()
    )
    assert venue.photo.name.endswith(".png")
    with pytest.raises(InvalidInput) as exc:
        services.create_venue(actor=county.village_secretary, kind="corridor", name="小院", village=county.village)
    assert "name" in exc.value.fields
    with pytest.raises(Forbidden):
        services.create_venue(actor=county.villager, kind="courtyard", name="y", village=county.village)
