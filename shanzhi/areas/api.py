from __future__ import annotations

import datetime as dt

from django.db.models import Count
from ninja import Query, Router, Schema
from pydantic import Field

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import NotFound
from shanzhi.core.scoping import get_in_scope

router = Router(tags=["areas"])


class AreaOut(Schema):
    id: int
    code: str
    name: str
    level: AreaLevel
    parent: int | None = Field(None, alias="parent_id")
    path: str
    centroid_lat: float | None
    centroid_lng: float | None
    valid_from: dt.date
    valid_to: dt.date | None


class AreaDetailOut(AreaOut):
    boundary: dict | None
    children_count: int


class AreaPage(Schema):
    items: list[AreaOut]
    count: int


class AreaFilter(Schema):
    level: AreaLevel | None = None
    parent: int | None = None
    q: str | None = Field(None, max_length=50)
    include_retired: bool = False
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/areas", response={200: AreaPage, **ERRORS}, summary="Areas in the caller's scope")
def list_areas(request, filters: Query[AreaFilter]):
    qs = Area.objects.for_user(request.auth)
    if not filters.include_retired:
        qs = qs.current()
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.parent is not None:
        parent = Area.objects.filter(pk=filters.parent).first()
        if parent is None:
            raise NotFound()
        qs = qs.filter(parent=parent)
    if filters.q:
        qs = qs.filter(name__contains=filters.q.strip())
    count = qs.count()
    return {"items": list(qs[filters.offset : filters.offset + filters.limit]), "count": count}


@router.get("/areas/{area_id}", response={200: AreaDetailOut, **ERRORS}, summary="One area with its counts")
def get_area(request, area_id: int):
    area = get_in_scope(Area.objects, request.auth, pk=area_id)
    area.children_count = Area.objects.filter(parent=area).current().aggregate(n=Count("id"))["n"]
    return area
