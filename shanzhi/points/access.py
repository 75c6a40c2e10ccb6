"""Who may see which village's points pages (the board is public to the village's own households)."""

from __future__ import annotations

from django.db.models import Q

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.errors import NotFound
from shanzhi.core.scoping import scope_for
from shanzhi.people.models import Household


def visible_villages(user):
    """Villages in the user's area scope, plus the villages their households belong to."""
    scope = scope_for(user)
    q = Q(pk__in=[])
    if scope.everything or scope.area_paths:
        q |= Q(pk__in=Area.objects.for_user(user).filter(level=AreaLevel.VILLAGE).values("pk"))
    if scope.household_ids:
        q |= Q(pk__in=Household.objects.filter(pk__in=scope.household_ids).values("grid__parent_id"))
    return Area.objects.filter(q, level=AreaLevel.VILLAGE)


def visible_village(user, village_id) -> Area:
    try:
        return visible_villages(user).select_related("parent").get(pk=village_id)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def my_households(user) -> list[Household]:
    scope = scope_for(user)
    if not scope.household_ids:
        return []
    return list(Household.objects.filter(pk__in=scope.household_ids).select_related("grid__parent__parent", "head"))


def mask_name(name: str) -> str:
    """李桂君 → 李*君, 王五 → 王*: enough for a neighbour to recognise, not to harvest."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
