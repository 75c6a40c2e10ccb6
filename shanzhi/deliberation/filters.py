"""One filter per list, shared by the pages and the API."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from shanzhi.core.scoping import subtree_q
from shanzhi.deliberation.models import ActionItem, Meeting, Topic, Venue
from shanzhi.deliberation.stats import window_bounds


def filtered_venues(user, *, kind=None, active=None, area=None):
    qs = Venue.objects.for_user(user).select_related("village", "host_household__head")
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(active=active)
    if area is not None:
        qs = qs.filter(subtree_q("village__path", [area.path]))
    return qs.order_by("village__path", "kind", "name")


def filtered_topics(
    user, *, status=None, topic_class=None, area=None, q=None, resolved_since=None, resolved_until=None
):
    qs = Topic.objects.for_user(user).select_related("village", "case")
    if resolved_since or resolved_until:  # published results in a window, as the overview counts them
        start, end = window_bounds(resolved_since or dt.date(2000, 1, 1), resolved_until or dt.date(2100, 1, 1))
        qs = qs.filter(resolved_at__gte=start, resolved_at__lt=end)
    if status:
        qs = qs.filter(status=status)
    if topic_class:
        qs = qs.filter(topic_class=topic_class)
    if area is not None:
        qs = qs.filter(subtree_q("village__path", [area.path]) | subtree_q("grid__path", [area.path]))
    if q:
        qs = qs.filter(Q(title__contains=q.strip()) | Q(raiser_name__contains=q.strip()))
    return qs.order_by("-raised_at", "-id")


def filtered_meetings(user, *, status=None, area=None, since: dt.date | None = None, until: dt.date | None = None):
    qs = Meeting.objects.for_user(user).select_related("village", "venue")
    if status:
        qs = qs.filter(status=status)
    if area is not None:
        qs = qs.in_area(area)
    if since or until:
        start, end = window_bounds(since or dt.date(2000, 1, 1), until or dt.date(2100, 1, 1))
        qs = qs.filter(scheduled_at__gte=start, scheduled_at__lt=end)
    return qs.order_by("-scheduled_at", "-id")


def filtered_actions(user, *, status=None, overdue=False, area=None):
    qs = ActionItem.objects.for_user(user).select_related("topic__village", "case")
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.overdue()
    if area is not None:
        qs = qs.filter(subtree_q("topic__village__path", [area.path]))
    return qs.order_by("deadline", "id")
