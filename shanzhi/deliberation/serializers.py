"""JSON shapes of the API, shared by the endpoints (plain dicts, documented in api.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from shanzhi.deliberation.models import ActionItem, Decision, Meeting, Topic, Venue


def venue_out(venue: Venue) -> dict:
    return {
        "id": venue.pk,
        "kind": venue.kind,
        "kind_label": venue.get_kind_display(),
        "name": venue.name,
        "village": venue.village_id,
        "village_name": venue.village.name,
        "host_household": venue.host_household_id,
        "host_name": venue.host_household.head_name if venue.host_household_id else "",
        "location": venue.location,
        "latitude": venue.latitude,
        "longitude": venue.longitude,
        "capacity": venue.capacity,
        "photo_url": reverse("api:get_venue_photo", args=[venue.pk]) if venue.photo else None,
        "active": venue.active,
    }


def topic_out(topic: Topic) -> dict:
    return {
        "id": topic.pk,
        "title": topic.title,
        "topic_class": topic.topic_class,
        "topic_class_label": topic.get_topic_class_display(),
        "status": topic.status,
        "status_label": topic.get_status_display(),
        "village": topic.village_id,
        "village_name": topic.village.name,
        "household": topic.household_id,
        "raiser_name": topic.raiser_name,
        "raised_via": topic.raised_via,
        "raised_at": topic.raised_at,
        "decline_reason": topic.decline_reason,
        "result": topic.result,
        "resolved_at": topic.resolved_at,
        "case": topic.case_id,
        "case_number": topic.case.number if topic.case_id else "",
    }


def topic_detail(topic: Topic, user) -> dict:
    topic = Topic.objects.select_related("village", "case").get(pk=topic.pk)
    data = topic_out(topic)
    data["description"] = topic.description
    data["events"] = [
        {
            "created": e.created,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": str(e.actor) if e.actor_id else "",
            "note": e.note,
        }
        for e in topic.events.select_related("actor").order_by("created", "id")
    ]
    data["attachments"] = [
        {
            "id": a.pk,
            "name": a.name,
            "size": a.size,
            "url": reverse("api:get_attachment", args=[topic.pk, a.pk]),
        }
        for a in topic.attachments.all()
    ]
    data["decisions"] = [
        decision_out(d) for d in topic.decisions.select_related("meeting__venue").order_by("decided_at", "id")
    ]
    data["agenda"] = [
        {"meeting": i.meeting_id, "scheduled_at": i.meeting.scheduled_at, "notes": i.notes}
        for i in topic.agenda_items.select_related("meeting").order_by("meeting__scheduled_at")
    ]
    return data


def decision_out(decision: Decision) -> dict:
    return {
        "id": decision.pk,
        "meeting": decision.meeting_id,
        "topic": decision.topic_id,
        "votes_for": decision.votes_for,
        "votes_against": decision.votes_against,
        "votes_abstain": decision.votes_abstain,
        "outcome": decision.outcome,
        "outcome_label": decision.get_outcome_display(),
        "summary": decision.summary,
        "residents_present": decision.residents_present,
        "households_represented": decision.households_represented,
        "quorum": {
            "basis": decision.quorum_basis,
            "numerator": decision.quorum_numerator,
            "denominator": decision.quorum_denominator,
        },
        "decided_at": decision.decided_at,
        "action_items": [action_out(a) for a in decision.action_items.select_related("topic__village", "case")],
    }


def meeting_out(meeting: Meeting) -> dict:
    return {
        "id": meeting.pk,
        "village": meeting.village_id,
        "village_name": meeting.village.name,
        "venue": meeting.venue_id,
        "venue_name": meeting.venue.name,
        "format": meeting.format,
        "format_label": meeting.get_format_display(),
        "title": str(meeting),
        "scheduled_at": meeting.scheduled_at,
        "host_name": meeting.host_name,
        "minute_taker_name": meeting.minute_taker_name,
        "status": meeting.status,
        "residents_present": meeting.residents_present,
        "households_represented": meeting.households_represented,
        "sign_in_sheet_url": reverse("api:get_sign_in_sheet", args=[meeting.pk]) if meeting.sign_in_sheet else None,
        "opened_at": meeting.opened_at,
        "closed_at": meeting.closed_at,
    }


def meeting_detail(meeting: Meeting) -> dict:
    meeting = Meeting.objects.select_related("village", "venue").get(pk=meeting.pk)
    data = meeting_out(meeting)
    decisions = {d.topic_id: d for d in meeting.decisions.all()}
    data["agenda"] = [
        {
            "topic": topic_out(item.topic),
            "order": item.order,
            "notes": item.notes,
            "decision": decision_out(decisions[item.topic_id]) if item.topic_id in decisions else None,
        }
        for item in meeting.agenda.select_related("topic__village", "topic__case").order_by("order", "id")
    ]
    data["attendees"] = sorted(meeting.attendees.values_list("pk", flat=True))
    data["minutes"] = meeting.minutes
    data["minutes_versions"] = meeting.minutes_versions.count()
    return data


def action_out(item: ActionItem, *, with_progress: bool = False) -> dict:
    data = {
        "id": item.pk,
        "decision": item.decision_id,
        "topic": item.topic_id,
        "topic_title": item.topic.title,
        "village": item.topic.village_id,
        "village_name": item.topic.village.name,
        "title": item.title,
        "owner_name": item.owner_name,
        "deadline": item.deadline,
        "status": item.status,
        "status_label": item.get_status_display(),
        "overdue": item.is_overdue,
        "days_overdue": (timezone.localdate() - item.deadline).days if item.is_overdue else 0,
        "completed_at": item.completed_at,
        "case": item.case_id,
        "case_number": item.case.number if item.case_id else "",
    }
    if with_progress:
        data["progress"] = [
            {"note": p.note, "status": p.status, "created": p.created, "actor": str(p.actor) if p.actor_id else ""}
            for p in item.progress.select_related("actor").order_by("created", "id")
        ]
    return data
