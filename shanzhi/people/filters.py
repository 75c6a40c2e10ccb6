"""The one household filter, shared by the page list, the API and exports."""

from __future__ import annotations

from django.db.models import Count

from shanzhi.people.models import Household, Resident


def filtered_households(user, *, q=None, area=None, tag=None, status=None):
    """Scoped, filtered households; cheap to count (no joins beyond the grid for scope)."""
    qs = Household.objects.for_user(user)
    if status:
        qs = qs.filter(status=status)
    if area is not None:
        qs = qs.in_area(area)
    if tag:
        qs = qs.filter(tags__code=tag)
    if q:
        qs = qs.search(q)
    return qs


def page_of_households(queryset, offset: int, limit: int) -> list[Household]:
    """One page with grid, head, tags and member counts in a fixed number of queries."""
    page = list(
        queryset.select_related("grid", "head").prefetch_related("tags").order_by("number")[offset : offset + limit]
    )
    attach_resident_counts(page)
    return page


def attach_resident_counts(households) -> None:
    ids = [h.pk for h in households]
    counts = dict(
        Resident.objects.filter(household_id__in=ids, status="active")
        .values_list("household_id")
        .annotate(n=Count("id"))
    )
    for household in households:
        household.residents_count = counts.get(household.pk, 0)
