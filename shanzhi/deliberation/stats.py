"""The ``deliberation`` section of /api/v1/stats/overview.

Definitions (all within the caller's scope, optionally narrowed to ``area``):

* ``venues``: active venues by kind, as they stand now (not windowed);
* ``meetings``: meetings held (not cancelled) whose time falls in the window;
* ``topics_by_status``: topics raised in the window, by their current status;
* ``resolved`` / ``resolved_by_class``: topics whose result was published in the window
  (``resolved_at``), whenever they were raised.

The window is the local dates ``since``..``until`` inclusive (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from shanzhi.core.scoping import subtree_q
from shanzhi.deliberation.choices import MeetingStatus, TopicClass, TopicStatus, VenueKind
from shanzhi.deliberation.models import Meeting, Topic, Venue


def window_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def deliberation_section(user, since: dt.date, until: dt.date, area=None) -> dict:
    start, end = window_bounds(since, until)
    venues = Venue.objects.for_user(user).active()
    meetings = Meeting.objects.for_user(user).exclude(status=MeetingStatus.CANCELLED)
    topics = Topic.objects.for_user(user)
    if area is not None:
        venues = venues.filter(subtree_q("village__path", [area.path]))
        meetings = meetings.in_area(area)
        topics = topics.filter(subtree_q("village__path", [area.path]) | subtree_q("grid__path", [area.path]))
    venue_counts = venues.aggregate(**{kind: Count("id", filter=Q(kind=kind)) for kind in VenueKind.values})
    raised = dict(
        topics.filter(raised_at__gte=start, raised_at__lt=end).values_list("status").annotate(n=Count("id")).order_by()
    )
    resolved = topics.filter(status=TopicStatus.RESOLVED, resolved_at__gte=start, resolved_at__lt=end).aggregate(
        total=Count("id"), **{cls: Count("id", filter=Q(topic_class=cls)) for cls in TopicClass.values}
    )
    total = resolved.pop("total")
    return {
        "deliberation": {
            "venues": venue_counts,
            "meetings": meetings.filter(scheduled_at__gte=start, scheduled_at__lt=end).count(),
            "topics_by_status": {status: raised.get(status, 0) for status in TopicStatus.values},
            "resolved": total,
            "resolved_by_class": resolved,
        }
    }
