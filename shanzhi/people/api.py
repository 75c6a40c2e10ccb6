from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from shanzhi.areas.models import Area
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import Forbidden, InvalidInput
from shanzhi.core.masking import may_view_sensitive
from shanzhi.core.scoping import get_in_scope
from shanzhi.people.choices import Gender, HouseholdStatus, Relation, ResidentStatus
from shanzhi.people.filters import filtered_households, page_of_households
from shanzhi.people.models import Household, HouseholdTag, Resident
from shanzhi.people.services import create_household, reveal_resident

router = Router(tags=["people"])


class ResidentOut(Schema):
    id: int
    household: int
    name: str
    id_number: str
    gender: Gender
    birth_date: dt.date
    relation: Relation
    phone: str
    is_party_member: bool
    is_away_for_work: bool
    status: ResidentStatus
    masked: bool


class HouseholdOut(Schema):
    id: int
    number: str
    grid: int
    grid_name: str
    address: str
    head_name: str
    phone: str
    tags: list[str]
    status: HouseholdStatus
    residents_count: int


class HouseholdDetailOut(HouseholdOut):
    village: str
    township: str
    residents: list[ResidentOut]


class HouseholdPage(Schema):
    items: list[HouseholdOut]
    count: int


class HouseholdFilter(Schema):
    q: str | None = Field(
        None, max_length=50, description="name, pinyin initials, last 4 of an ID number, phone or household number"
    )
    area: int | None = Field(None, description="any area: the household's grid lies under it")
    tag: str | None = Field(None, description="a tag code such as elderly_alone")
    status: HouseholdStatus | None = HouseholdStatus.ACTIVE
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class HouseholdIn(Schema):
    number: str = Field(..., min_length=1, max_length=40)
    grid: int
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)
    tags: list[str] = []


def resident_out(resident: Resident, *, full: dict | None = None) -> dict:
    return {
        "id": resident.pk,
        "household": resident.household_id,
        "name": resident.name,
        "id_number": full["id_number"] if full else resident.masked_id_number,
        "gender": resident.gender,
        "birth_date": resident.birth_date,
        "relation": resident.relation,
        "phone": full["phone"] if full else resident.masked_phone,
        "is_party_member": resident.is_party_member,
        "is_away_for_work": resident.is_away_for_work,
        "status": resident.status,
        "masked": full is None,
    }


def household_out(household: Household) -> dict:
    return {
        "id": household.pk,
        "number": household.number,
        "grid": household.grid_id,
        "grid_name": household.grid.name,
        "address": household.address,
        "head_name": household.head_name,
        "phone": household.masked_phone,
        "tags": [t.name for t in household.tags.all()],
        "status": household.status,
        "residents_count": getattr(household, "residents_count", 0),
    }


@router.get("/households", response={200: HouseholdPage, **ERRORS}, summary="Households in the caller's scope")
def list_households(request, filters: Query[HouseholdFilter]):
    area = None
    if filters.area is not None:
        area = Area.objects.filter(pk=filters.area).first()
        if area is None:
            raise InvalidInput(fields={"area": _("Unknown area")}, code="unknown_area")
    if filters.tag and not HouseholdTag.objects.filter(code=filters.tag).exists():
        raise InvalidInput(fields={"tag": _("Unknown tag")}, code="unknown_tag")
    qs = filtered_households(request.auth, q=filters.q, area=area, tag=filters.tag, status=filters.status)
    count = qs.count()
    page = page_of_households(qs, filters.offset, filters.limit)
    return {"items": [household_out(h) for h in page], "count": count}


@router.post("/households", response={201: HouseholdDetailOut, **ERRORS}, summary="Register a household")
def post_household(request, payload: HouseholdIn):
    grid = Area.objects.filter(pk=payload.grid).first()
    if grid is None:
        raise InvalidInput(fields={"grid": _("Unknown grid")}, code="unknown_area")
    household = create_household(
        number=payload.number,
        grid=grid,
        address=payload.address,
        phone=payload.phone,
        tags=payload.tags,
        actor=request.auth,
    )
    return Status(201, _household_detail(request.auth, household.pk))


def _household_detail(user, household_id):
    household = get_in_scope(
        Household.objects.select_related("grid__parent__parent", "head").prefetch_related("tags"),
        user,
        pk=household_id,
    )
    data = household_out(household)
    residents = list(household.residents.order_by("id"))
    data["residents_count"] = len(residents)
    data["residents"] = [resident_out(r) for r in residents]
    village = household.grid.parent
    data["village"] = village.name if village else ""
    data["township"] = village.parent.name if village and village.parent else ""
    return data


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **ERRORS},
    summary="One household with its members (masked)",
)
def get_household(request, household_id: int):
    return _household_detail(request.auth, household_id)


@router.get(
    "/residents/{resident_id}",
    response={200: ResidentOut, **ERRORS},
    summary="One resident; `reveal=true` shows the full ID number and phone to roles holding "
    "people.view_sensitive, and is audited",
)
def get_resident(request, resident_id: int, reveal: bool = False):
    resident = get_in_scope(Resident.objects, request.auth, pk=resident_id)
    if reveal:
        if not may_view_sensitive(request.auth):
            raise Forbidden()
        return resident_out(resident, full=reveal_resident(resident, actor=request.auth, purpose="api"))
    return resident_out(resident)
