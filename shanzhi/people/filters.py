"""The one household filter, shared by the page list, the API and exports."""

from __future__ import annotations

from django.db.models import Count

from shanzhi.people.models import Household


def filtered_households(user, *, q=None, area=None, tag=None, status=None):
    qs = Household.objects.for_user(user)
    if status:
        qs = qs.filter(status=status)
    if area is not None:
        qs = qs.in_area(area)
    if tag:
        qs = qs.filter(tags__code=tag)
    if q:
        qs = qs.search(q)
    return qs.select_related("grid", "head").prefetch_related("tags").annotate(residents_count=Count("residents"))
