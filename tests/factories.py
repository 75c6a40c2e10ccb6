"""A small county for tests: two townships, three villages, four grids, named people.

Personas (healthchecks style): each is a user with one role over one part of the tree.
"charlie" outsiders exist for every kind of scope so that every endpoint gets its
out-of-scope test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shanzhi.accounts.choices import Role
from shanzhi.accounts.models import User
from shanzhi.accounts.services import assign_role, create_user
from shanzhi.areas.choices import AreaLevel, DepartmentKind
from shanzhi.areas.models import Area, Department
from shanzhi.areas.services import create_area, create_department
from shanzhi.core.validators import id_check_character
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.services import assign_worker_to_grid, create_grid_worker
from shanzhi.people.choices import DEFAULT_TAGS, Relation
from shanzhi.people.models import Household, HouseholdTag, Resident
from shanzhi.people.services import add_resident, create_household

PASSWORD = "test-password-42"


def make_id_number(birth: str = "19800101", seq: int = 123, region: str = "230381") -> str:
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + id_check_character(first17)


@dataclass
class County:
    county: Area
    township: Area
    other_township: Area
    village: Area
    other_village: Area
    far_village: Area
    grid: Area
    grid2: Area
    other_grid: Area
    far_grid: Area
    department: Department
    other_department: Department
    household: Household
    neighbour: Household
    far_household: Household
    resident: Resident
    far_resident: Resident
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name):  # county.grid_worker, county.villager ...
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


PERSONAS = {
    # name: (role, scope attribute on County)
    "county_admin": (Role.COUNTY_ADMIN, "county"),
    "township_officer": (Role.COMMAND_CENTRE, "township"),
    "other_township_officer": (Role.COMMAND_CENTRE, "other_township"),
    "department_handler": (Role.DEPARTMENT_HANDLER, "department"),
    "village_secretary": (Role.VILLAGE_SECRETARY, "village"),
    "other_village_secretary": (Role.VILLAGE_SECRETARY, "other_village"),
    "grid_worker": (Role.GRID_WORKER, "grid"),
    "villager": (Role.VILLAGER, "household"),
    "other_villager": (Role.VILLAGER, "far_household"),
}


def build_small_county() -> County:
    for order, (code, label) in enumerate(DEFAULT_TAGS):
        HouseholdTag.objects.get_or_create(code=code, defaults={"name": label, "sort_order": order})
    since = dt.date(2020, 1, 1)
    county = create_area(level=AreaLevel.COUNTY, code="T00", name="测试县", valid_from=since)
    township = create_area(level=AreaLevel.TOWNSHIP, code="T01", name="珍宝岛乡", parent=county, valid_from=since)
    other_township = create_area(level=AreaLevel.TOWNSHIP, code="T02", name="阿北乡", parent=county, valid_from=since)
    village = create_area(level=AreaLevel.VILLAGE, code="T01V1", name="永和村", parent=township, valid_from=since)
    other_village = create_area(level=AreaLevel.VILLAGE, code="T01V2", name="珍宝村", parent=township, valid_from=since)
    far_village = create_area(
        level=AreaLevel.VILLAGE, code="T02V1", name="阿北村", parent=other_township, valid_from=since
    )
    grid = create_area(level=AreaLevel.GRID, code="T01V1G1", name="永和村第1网格", parent=village, valid_from=since)
    grid2 = create_area(level=AreaLevel.GRID, code="T01V1G2", name="永和村第2网格", parent=village, valid_from=since)
    other_grid = create_area(
        level=AreaLevel.GRID, code="T01V2G1", name="珍宝村第1网格", parent=other_village, valid_from=since
    )
    far_grid = create_area(
        level=AreaLevel.GRID, code="T02V1G1", name="阿北村第1网格", parent=far_village, valid_from=since
    )
    department = create_department(name="住建局", code="T-zjj", kind=DepartmentKind.COUNTY_BUREAU, area=county)
    other_department = create_department(name="医保局", code="T-ybj", kind=DepartmentKind.COUNTY_BUREAU, area=county)

    household = create_household(
        number="H0001", grid=grid, address="永和村前街1号", phone="13812345678", tags=["elderly_alone"], actor=None
    )
    resident = add_resident(
        household,
        name="李桂君",
        id_number=make_id_number("19460312", 111),
        actor=None,
        relation=Relation.HEAD,
        phone="13812345678",
    )
    neighbour = create_household(number="H0002", grid=grid2, address="永和村后街2号", actor=None)
    add_resident(
        neighbour,
        name="刘恒军",
        id_number=make_id_number("19750520", 133),
        actor=None,
        relation=Relation.HEAD,
        phone="13900001111",
    )
    far_household = create_household(number="H0100", grid=far_grid, address="阿北村广场3号", actor=None)
    far_resident = add_resident(
        far_household,
        name="金昌义",
        id_number=make_id_number("19680101", 155),
        actor=None,
        relation=Relation.HEAD,
        phone="13700002222",
    )

    c = County(
        county,
        township,
        other_township,
        village,
        other_village,
        far_village,
        grid,
        grid2,
        other_grid,
        far_grid,
        department,
        other_department,
        household,
        neighbour,
        far_household,
        resident,
        far_resident,
    )
    for name, (role, attribute) in PERSONAS.items():
        user = create_user(username=name, password=PASSWORD, display_name=name)
        target = getattr(c, attribute)
        kwargs = (
            {"department": target}
            if role == Role.DEPARTMENT_HANDLER
            else ({"household": target} if role == Role.VILLAGER else {"area": target})
        )
        assign_role(user, role, **kwargs)
        c.users[name] = user
    c.users["outsider"] = create_user(username="outsider", password=PASSWORD)  # logged in, no role at all
    lead = create_grid_worker(
        name="侯晓春", kind=WorkerKind.FULL_TIME, home_area=village, phone="13600003333", user=c.users["grid_worker"]
    )
    assign_worker_to_grid(lead, grid, lead=True)
    part = create_grid_worker(name="刘恒军", kind=WorkerKind.PART_TIME, home_area=village)
    assign_worker_to_grid(part, grid)
    far_lead = create_grid_worker(name="何晓宇", kind=WorkerKind.FULL_TIME, home_area=far_village)
    assign_worker_to_grid(far_lead, far_grid, lead=True)
    for user in c.users.values():
        user.refresh_from_db()
    return c


def fresh(user: User) -> User:
    """The user as a new request would load it (no cached scope or permissions)."""
    return User.objects.get(pk=user.pk)
