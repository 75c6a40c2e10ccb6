"""The ``points`` section of the overview (/api/v1/stats/overview), scoped like everything else."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.utils import timezone

from shanzhi.core.scoping import subtree_q
from shanzhi.points.choices import AppealStatus, EntryKind, EntryStatus, HonourKind, RedemptionStatus
from shanzhi.points.models import Appeal, Honour, PointsEntry, Redemption


def _window(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(since, dt.time.min, tzinfo=tz),
        dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def points_section(user, since, until, area=None) -> dict:
    start, end = _window(since, until)
    entries = PointsEntry.objects.for_user(user).filter(
        created__gte=start, created__lt=end, kind__in=[EntryKind.AWARD, EntryKind.DEDUCTION]
    )
    redemptions = Redemption.objects.for_user(user).filter(created__gte=start, created__lt=end)
    appeals = Appeal.objects.for_user(user).filter(created__gte=start, created__lt=end)
    honours = Honour.objects.for_user(user).filter(awarded_at__gte=start, awarded_at__lt=end, revoked_at__isnull=True)
    if area is not None:
        entries = entries.filter(subtree_q("household__grid__path", [area.path]))
        redemptions = redemptions.filter(subtree_q("household__grid__path", [area.path]))
        appeals = appeals.filter(subtree_q("household__grid__path", [area.path]))
        honours = honours.filter(subtree_q("household__grid__path", [area.path]))
    standing = ~Q(state__status=EntryStatus.VOIDED)
    figures = entries.aggregate(
        entries=Count("id"),
        awarded=Sum("delta", filter=Q(kind=EntryKind.AWARD) & standing),
        deducted=Sum("delta", filter=Q(kind=EntryKind.DEDUCTION) & standing),
        in_notice=Count("id", filter=Q(state__status=EntryStatus.IN_NOTICE)),
    )
    completed = redemptions.filter(status=RedemptionStatus.COMPLETED).aggregate(n=Count("id"), points=Sum("points"))
    appeal_counts = appeals.aggregate(
        total=Count("id"), **{status: Count("id", filter=Q(status=status)) for status in AppealStatus.values}
    )
    by_kind = dict(honours.values_list("kind").annotate(n=Count("id")))
    return {
        "points": {
            "entries": figures["entries"],
            "in_notice": figures["in_notice"],
            "points_awarded": figures["awarded"] or 0,
            "points_deducted": -(figures["deducted"] or 0),
            "redemptions": completed["n"],
            "points_redeemed": completed["points"] or 0,
            "appeals": appeal_counts,
            "honours": {kind: by_kind.get(kind, 0) for kind in HonourKind.values},
        }
    }
