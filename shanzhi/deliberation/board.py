"""The public results board of a village: what was decided, how the work goes, what came of it.

It shows no personal data beyond the names of those responsible for action items: the
raiser of a topic is not named, households are not listed.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone

from shanzhi.deliberation.choices import ACTION_OPEN_STATUSES, PUBLIC_STATUSES, Outcome, TopicStatus
from shanzhi.deliberation.models import ActionItem, ActionProgress, Decision, Topic

BOARD_DAYS = 366
BOARD_LIMIT = 100


def board_topics(village, *, today: dt.date | None = None) -> list[Topic]:
    """Decided topics of the village: every one still open, and those resolved in the last year."""
    today = today or timezone.localdate()
    cutoff = timezone.now() - dt.timedelta(days=BOARD_DAYS)
    decisions = (
        Decision.objects.exclude(outcome=Outcome.DEFERRED)
        .select_related("meeting__venue")
        .order_by("-decided_at", "-id")
    )
    actions = ActionItem.objects.select_related("case").prefetch_related(
        Prefetch("progress", queryset=ActionProgress.objects.order_by("-created", "-id"), to_attr="latest_progress")
    )
    topics = list(
        Topic.objects.filter(village=village, status__in=PUBLIC_STATUSES)
        .exclude(status=TopicStatus.RESOLVED, resolved_at__lt=cutoff)
        .select_related("case")
        .prefetch_related(
            Prefetch("decisions", queryset=decisions, to_attr="final_decisions"),
            Prefetch("action_items", queryset=actions.order_by("deadline", "id"), to_attr="actions"),
        )
    )
    for topic in topics:
        topic.decision = topic.final_decisions[0] if topic.final_decisions else None
        for item in topic.actions:
            item.latest = item.latest_progress[0] if item.latest_progress else None
            item.overdue = item.status in ACTION_OPEN_STATUSES and item.deadline < today
    order = {TopicStatus.IN_PROGRESS: 0, TopicStatus.ESCALATED: 1, TopicStatus.DECIDED: 2, TopicStatus.RESOLVED: 3}

    def key(topic):
        decided = topic.decision.decided_at.timestamp() if topic.decision else 0
        return (order[topic.status], -decided, -topic.pk)

    return sorted(topics, key=key)[:BOARD_LIMIT]


def board_document(village) -> dict:
    topics = board_topics(village)
    items = []
    for topic in topics:
        decision = topic.decision
        items.append(
            {
                "id": topic.pk,
                "title": topic.title,
                "topic_class": topic.topic_class,
                "topic_class_label": topic.get_topic_class_display(),
                "status": topic.status,
                "status_label": topic.get_status_display(),
                "decision": (
                    {
                        "meeting_format": decision.meeting.get_format_display(),
                        "meeting_date": timezone.localtime(
                            decision.meeting.opened_at or decision.meeting.scheduled_at
                        ).date(),
                        "venue": decision.meeting.venue.name,
                        "votes_for": decision.votes_for,
                        "votes_against": decision.votes_against,
                        "votes_abstain": decision.votes_abstain,
                        "households_represented": decision.households_represented,
                        "outcome": decision.outcome,
                        "outcome_label": decision.get_outcome_display(),
                        "summary": decision.summary,
                    }
                    if decision
                    else None
                ),
                "action_items": [
                    {
                        "title": a.title,
                        "owner_name": a.owner_name,
                        "deadline": a.deadline,
                        "status": a.status,
                        "status_label": a.get_status_display(),
                        "overdue": a.overdue,
                        "latest_progress": a.latest.note if a.latest else "",
                        "case_number": a.case.number if a.case_id else "",
                    }
                    for a in topic.actions
                ],
                "result": topic.result,
                "resolved_at": topic.resolved_at,
            }
        )
    counts = {status: sum(1 for t in topics if t.status == status) for status in PUBLIC_STATUSES}
    return {
        "village": {
            "id": village.pk,
            "name": village.name,
            "township": village.parent.name if village.parent_id else "",
        },
        "counts": counts,
        "topics": items,
    }
