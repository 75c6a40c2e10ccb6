"""Build the demo county deterministically.

``build_county(households=15_900)`` makes a county shaped like Hulin: 11 townships,
97 villages, 275 grids, 15,900 households with about 45,000 residents, 128 / 275 /
781 grid workers ("1+N"), departments and the demo accounts. The same seed always
gives the same people. Larger ``households`` values (for benchmarks) add grids so a
grid keeps about 58 households.

Rows go in with ``bulk_create`` in one transaction; one audit row records the build.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from shanzhi.accounts.choices import Role
from shanzhi.accounts.models import RoleAssignment, User
from shanzhi.areas.choices import AreaLevel, DepartmentKind
from shanzhi.areas.models import Area, Department
from shanzhi.core import audit, crypto
from shanzhi.core.validators import id_check_character
from shanzhi.demo import names
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.models import GridAssignment, GridWorker
from shanzhi.people.choices import DEFAULT_TAGS, Gender, Relation
from shanzhi.people.models import Household, HouseholdTag, Resident
from shanzhi.people.search import build_search_text, initials

COUNTY_CODE = "230381"
COUNTY_NAME = "虎林市"
DEMO_PASSWORD = "shanzhi-demo"  # noqa: S105 - printed to the user, refused in production
SEED = 20240624
DEFAULT_HOUSEHOLDS = 15_900
DEFAULT_GRIDS = 275
SPECIALISTS = 128
PART_TIME = 781
CENTRE = (45.767, 132.973)  # Hulin city

DEMO_ACCOUNTS = [
    # username, display name, role, what the scope is
    ("demo-county", "县级管理员(演示)", Role.COUNTY_ADMIN, "虎林市"),
    ("demo-township", "珍宝岛乡指挥中心(演示)", Role.COMMAND_CENTRE, "珍宝岛乡"),
    ("demo-township2", "阿北乡指挥中心(演示)", Role.COMMAND_CENTRE, "阿北乡"),
    ("demo-dept", "住建局经办人(演示)", Role.DEPARTMENT_HANDLER, "住建局"),
    ("demo-village", "永和村党支部书记(演示)", Role.VILLAGE_SECRETARY, "珍宝岛乡 永和村"),
    ("demo-grid", "侯晓春", Role.GRID_WORKER, "永和村第1网格 专职网格员"),
    ("demo-villager", "李桂君", Role.VILLAGER, "永和村第1网格 李桂君家"),
]
# Logins added by capability steps (printed with the others when they exist).
EXTRA_DEMO_ACCOUNTS = [
    ("demo-supervisor", "珍宝岛乡党委督导员(演示)", "supervisor", "珍宝岛乡 督哨(逾期和升级的事件)"),
]


@dataclass
class BuildResult:
    townships: int
    villages: int
    grids: int
    households: int
    residents: int
    workers: dict
    seconds: float


class PersonFactory:
    """Fictional people with plausible names, ages, phones and valid, unique ID numbers."""

    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.surnames = names.SURNAMES
        self.weights = [max(1.0, 40.0 / (i + 1)) for i in range(len(self.surnames))]

    def surname(self) -> str:
        return self.rng.choices(self.surnames, weights=self.weights)[0]

    def given(self, gender: str) -> str:
        pool = names.MALE_GIVEN if gender == Gender.MALE else names.FEMALE_GIVEN
        n = 1 if self.rng.random() < 0.3 else 2
        return "".join(self.rng.choice(pool) for _ in range(n))

    def name(self, gender: str, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(gender)

    def birth_date(self, age: int) -> dt.date:
        year = self.today.year - age
        day_of_year = self.rng.randrange(0, 365)
        return dt.date(year, 1, 1) + dt.timedelta(days=day_of_year)

    def id_number(self, birth: dt.date, gender: str) -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
            first17 = f"{COUNTY_CODE}{birth:%Y%m%d}{seq:03d}"
            number = first17 + id_check_character(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
            birth += dt.timedelta(days=1)

    def mobile(self) -> str:
        while True:
            prefix = self.rng.choice(
                [
                    "130",
                    "131",
                    "132",
                    "133",
                    "135",
                    "136",
                    "137",
                    "138",
                    "139",
                    "150",
                    "151",
                    "152",
                    "155",
                    "157",
                    "158",
                    "159",
                    "177",
                    "180",
                    "181",
                    "183",
                    "186",
                    "187",
                    "189",
                    "199",
                ]
            )
            phone = prefix + f"{self.rng.randrange(0, 10**8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone


def _split(total: int, parts: int, rng: random.Random, spread: float = 0.15) -> list[int]:
    """``parts`` positive integers summing exactly to ``total``, each near the mean."""
    mean = total / parts
    sizes = [max(1, round(mean * (1 + rng.uniform(-spread, spread)))) for _ in range(parts)]
    diff = total - sum(sizes)
    i = 0
    while diff:
        step = 1 if diff > 0 else -1
        if sizes[i % parts] + step >= 1:
            sizes[i % parts] += step
            diff -= step
        i += 1
    return sizes


def _square(lat: float, lng: float, half: float) -> dict:
    ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def county_exists() -> bool:
    return Area.objects.filter(code=COUNTY_CODE).exists()


@transaction.atomic
def build_county(
    households: int = DEFAULT_HOUSEHOLDS, *, seed: int = SEED, with_accounts: bool = True, verbose=None
) -> BuildResult:
    started = timezone.now()
    say = verbose or (lambda message: None)
    rng = random.Random(seed)
    today = timezone.localdate()
    founded = dt.date(2020, 1, 1)
    people = PersonFactory(rng, today)
    village_total = sum(len(t[2]) for t in names.TOWNSHIPS)
    grid_total = DEFAULT_GRIDS if households == DEFAULT_HOUSEHOLDS else max(village_total, round(households / 57.8))

    # --- tags ------------------------------------------------------------------------
    tags = {}
    for order, (code, label) in enumerate(DEFAULT_TAGS):
        tags[code], _ = HouseholdTag.objects.get_or_create(code=code, defaults={"name": label, "sort_order": order})

    # --- the tree --------------------------------------------------------------------
    county = Area(
        level=AreaLevel.COUNTY,
        code=COUNTY_CODE,
        name=COUNTY_NAME,
        path=f"/{COUNTY_CODE}/",
        depth=0,
        valid_from=founded,
        centroid_lat=CENTRE[0],
        centroid_lng=CENTRE[1],
    )
    county.save()
    townships, villages = [], []
    for t_index, (suffix, t_name, _villages) in enumerate(names.TOWNSHIPS):
        angle_lat = CENTRE[0] + 0.45 * ((t_index % 4) - 1.5) / 1.5
        angle_lng = CENTRE[1] + 0.6 * ((t_index // 4) - 1) / 1.0
        township = Area(
            level=AreaLevel.TOWNSHIP,
            parent=county,
            code=COUNTY_CODE + suffix,
            name=t_name,
            depth=1,
            valid_from=founded,
            sort_order=t_index,
            centroid_lat=angle_lat,
            centroid_lng=angle_lng,
        )
        township.path = township.build_path()
        townships.append(township)
    Area.objects.bulk_create(townships)
    for township, (_suffix, _name, village_names) in zip(townships, names.TOWNSHIPS, strict=True):
        for v_index, v_name in enumerate(village_names):
            village = Area(
                level=AreaLevel.VILLAGE,
                parent=township,
                code=f"{township.code}{v_index + 201:03d}",
                name=v_name,
                depth=2,
                valid_from=founded,
                sort_order=v_index,
                centroid_lat=township.centroid_lat + 0.05 * ((v_index % 3) - 1),
                centroid_lng=township.centroid_lng + 0.07 * ((v_index // 3) - 1),
            )
            village.path = village.build_path()
            villages.append(village)
    Area.objects.bulk_create(villages)

    grids_per_village = _split(grid_total, len(villages), rng, spread=0.3)
    grids = []
    for village, count in zip(villages, grids_per_village, strict=True):
        for g_index in range(count):
            lat = village.centroid_lat + 0.012 * (g_index % 3 - 1)
            lng = village.centroid_lng + 0.016 * (g_index // 3)
            grid = Area(
                level=AreaLevel.GRID,
                parent=village,
                code=f"{village.code}G{g_index + 1:02d}",
                name=f"{village.name}第{g_index + 1}网格",
                depth=3,
                valid_from=founded,
                sort_order=g_index,
                centroid_lat=lat,
                centroid_lng=lng,
                boundary=_square(lat, lng, 0.0055),
            )
            grid.path = grid.build_path()
            grids.append(grid)
    Area.objects.bulk_create(grids, batch_size=1000)
    say(f"areas: {len(townships)} townships, {len(villages)} villages, {len(grids)} grids")

    # --- departments -------------------------------------------------------------------
    departments = [
        Department(
            name=name,
            code=f"{COUNTY_CODE}-{code}",
            kind=DepartmentKind.COUNTY_BUREAU,
            area=county,
            phone=f"0467-58{rng.randrange(10000, 99999)}",
        )
        for code, name in names.COUNTY_BUREAUS
    ]
    for township in townships:
        departments += [
            Department(
                name=f"{township.name}{name}",
                code=f"{township.code}-{code}",
                kind=DepartmentKind.TOWNSHIP_STATION,
                area=township,
            )
            for code, name in names.TOWNSHIP_STATIONS
        ]
    Department.objects.bulk_create(departments)

    # --- households and residents --------------------------------------------------------
    grid_sizes = _split(households, len(grids), rng, spread=0.2)
    household_rows: list[Household] = []
    members_by_household: list[list[dict]] = []
    tag_rows: list[tuple[int, str]] = []
    seq_by_village: dict[str, int] = {}
    demo_grid = next(g for g in grids if g.name == "永和村第1网格")
    for grid, size in zip(grids, grid_sizes, strict=True):
        village = grid.parent
        for h_index in range(size):
            seq_by_village[village.code] = seq_by_village.get(village.code, 0) + 1
            number = f"{village.code}{seq_by_village[village.code]:04d}"
            street = rng.choice(names.STREET_WORDS)
            members = _family(people, rng, today)
            if grid is demo_grid and h_index == 0:
                members = _li_guijun(people, today)
            household_rows.append(
                Household(
                    number=number,
                    grid=grid,
                    address=f"{village.name}{street}{h_index + 1}号",
                    phone=members[0]["phone"] or "",
                )
            )
            members_by_household.append(members)
    Household.objects.bulk_create(household_rows, batch_size=2000)
    say(f"households: {len(household_rows)}")

    resident_rows: list[Resident] = []
    for household, members in zip(household_rows, members_by_household, strict=True):
        for m in members:
            number = m["id_number"]
            resident_rows.append(
                Resident(
                    household=household,
                    name=m["name"],
                    name_initials=initials(m["name"]),
                    id_number_sealed=crypto.encrypt(number),
                    id_number_hash=crypto.lookup_hash(number),
                    id_last4=number[-4:],
                    id_prefix6=number[:6],
                    gender=m["gender"],
                    birth_date=m["birth"],
                    relation=m["relation"],
                    phone=m["phone"],
                    is_party_member=m["party"],
                    is_away_for_work=m["away"],
                )
            )
        household.search_text = build_search_text(
            household.number,
            household.phone,
            [(m["name"], initials(m["name"]), m["id_number"][-4:], m["phone"]) for m in members],
        )
        ages = [m["age"] for m in members]
        codes = set()
        if len(members) == 1 and ages[0] >= 65:
            codes.add("elderly_alone")
        if any(m["away"] for m in members):
            codes.add("migrant_work")
            if any(a >= 65 for a in ages) and all(m["away"] or m["age"] >= 60 for m in members):
                codes.add("left_behind_elderly")
            if any(a < 16 for a in ages):
                codes.add("left_behind_child")
        if any(m["party"] for m in members):
            codes.add("party_member")
        for code, chance in (
            ("low_income", 0.05),
            ("poverty_alleviated", 0.04),
            ("disabled", 0.03),
            ("military", 0.01),
            ("five_guarantees", 0.004),
        ):
            if rng.random() < chance:
                codes.add(code)
        codes |= set(members[0].get("tags", ()))
        tag_rows.extend((household.pk, code) for code in sorted(codes))
    Resident.objects.bulk_create(resident_rows, batch_size=2000)
    Household.objects.bulk_update(household_rows, ["search_text"], batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_household SET head_id = (SELECT MIN(r.id) FROM people_resident r "
            "WHERE r.household_id = people_household.id AND r.relation = %s)",
            [Relation.HEAD],
        )
    through = Household.tags.through
    through.objects.bulk_create(
        [through(household_id=h, householdtag_id=tags[c].pk) for h, c in tag_rows], batch_size=5000
    )
    say(f"residents: {len(resident_rows)}")

    # --- grid workers ("1+N") -------------------------------------------------------------
    workers, assignments = [], []
    grids_by_township: dict[str, list[Area]] = {}
    for grid in grids:
        grids_by_township.setdefault(grid.parent.parent.code, []).append(grid)
    worker_start = dt.date(2021, 3, 1)

    def new_worker(kind, home, name=None):
        gender = Gender.MALE if rng.random() < 0.55 else Gender.FEMALE
        worker = GridWorker(
            name=name or people.name(gender),
            kind=kind,
            home_area=home,
            phone=people.mobile(),
            start_date=worker_start + dt.timedelta(days=rng.randrange(0, 900)),
        )
        workers.append(worker)
        return worker

    leads = {}
    for grid in grids:
        name = "侯晓春" if grid is demo_grid else None
        leads[grid.pk] = new_worker(WorkerKind.FULL_TIME, grid.parent, name)
    part_time_per_grid = _split(round(PART_TIME * len(grids) / DEFAULT_GRIDS), len(grids), rng, spread=0.5)
    part_timers = []
    for grid, count in zip(grids, part_time_per_grid, strict=True):
        for index in range(count):
            name = "刘恒军" if grid is demo_grid and index == 0 else None
            part_timers.append((grid, new_worker(WorkerKind.PART_TIME, grid.parent, name)))
    specialist_total = round(SPECIALISTS * len(grids) / DEFAULT_GRIDS)
    specialists_per_township = _split(specialist_total, len(townships), rng, spread=0.2)
    specialists = []
    for township, count in zip(townships, specialists_per_township, strict=True):
        for _ in range(count):
            specialists.append((township, new_worker(WorkerKind.SPECIALIST, township)))
    GridWorker.objects.bulk_create(workers, batch_size=2000)

    for grid in grids:
        lead = leads[grid.pk]
        assignments.append(GridAssignment(worker=lead, grid=grid, is_lead=True, start_date=lead.start_date))
    for grid, worker in part_timers:
        assignments.append(GridAssignment(worker=worker, grid=grid, start_date=worker.start_date))
    for township in townships:
        mine = [w for t, w in specialists if t is township]
        for index, grid in enumerate(grids_by_township[township.code]):
            worker = mine[index % len(mine)]
            assignments.append(GridAssignment(worker=worker, grid=grid, start_date=worker.start_date))
    GridAssignment.objects.bulk_create(assignments, batch_size=2000)
    say(f"grid workers: {len(workers)}")

    if with_accounts:
        create_demo_accounts(
            demo_grid=demo_grid,
            lead=leads[demo_grid.pk],
            first_household=household_rows[sum(grid_sizes[: grids.index(demo_grid)])],
        )

    counts = {kind: sum(1 for w in workers if w.kind == kind) for kind in WorkerKind.values}
    seconds = (timezone.now() - started).total_seconds()
    audit.record(
        "demo.county.built",
        object_type="areas.area",
        object_id=str(county.pk),
        object_repr=COUNTY_NAME,
        households=len(household_rows),
        residents=len(resident_rows),
        grids=len(grids),
        seed=seed,
    )
    return BuildResult(
        len(townships), len(villages), len(grids), len(household_rows), len(resident_rows), counts, seconds
    )


def _li_guijun(people: PersonFactory, today: dt.date) -> list[dict]:
    """The elderly villager of the source article, whose children work away."""
    birth = people.birth_date(78)
    return [
        {
            "name": "李桂君",
            "gender": Gender.MALE,
            "age": 78,
            "birth": birth,
            "id_number": people.id_number(birth, Gender.MALE),
            "relation": Relation.HEAD,
            "phone": people.mobile(),
            "party": False,
            "away": False,
            "tags": ["elderly_alone", "left_behind_elderly"],
        }
    ]


def _member(people, rng, *, gender, age, relation, surname=None, phone_chance=0.0, away_chance=0.0):
    birth = people.birth_date(age)
    return {
        "name": people.name(gender, surname),
        "gender": gender,
        "age": age,
        "birth": birth,
        "id_number": people.id_number(birth, gender),
        "relation": relation,
        "phone": people.mobile() if rng.random() < phone_chance else "",
        "party": age >= 25 and rng.random() < 0.07,
        "away": age >= 18 and rng.random() < away_chance,
    }


def _family(people: PersonFactory, rng: random.Random, today: dt.date) -> list[dict]:
    head_gender = Gender.MALE if rng.random() < 0.82 else Gender.FEMALE
    head_age = rng.randint(28, 86)
    surname = people.surname()
    head = _member(
        people,
        rng,
        gender=head_gender,
        age=head_age,
        relation=Relation.HEAD,
        surname=surname,
        phone_chance=0.92,
        away_chance=0.08,
    )
    family = [head]
    shape = rng.random()
    if head_age >= 70 and shape < 0.35:
        return family  # an elderly person living alone
    spouse_gender = Gender.FEMALE if head_gender == Gender.MALE else Gender.MALE
    if shape < 0.92:
        family.append(
            _member(
                people,
                rng,
                gender=spouse_gender,
                age=max(22, head_age + rng.randint(-5, 3)),
                relation=Relation.SPOUSE,
                phone_chance=0.6,
                away_chance=0.05,
            )
        )
    children = rng.choices([0, 1, 2, 3], weights=[20, 45, 28, 7])[0] if head_age < 75 else rng.choice([0, 0, 1])
    for _ in range(children):
        age = head_age - rng.randint(22, 32)
        if age < 0:
            continue
        gender = Gender.MALE if rng.random() < 0.52 else Gender.FEMALE
        family.append(
            _member(
                people,
                rng,
                gender=gender,
                age=age,
                surname=surname,
                relation=Relation.SON if gender == Gender.MALE else Relation.DAUGHTER,
                phone_chance=0.7 if age >= 18 else 0.0,
                away_chance=0.45,
            )
        )
    if head_age >= 55 and rng.random() < 0.25:
        age = rng.randint(1, 15)
        family.append(
            _member(
                people,
                rng,
                gender=rng.choice([Gender.MALE, Gender.FEMALE]),
                age=age,
                surname=surname,
                relation=Relation.GRANDCHILD,
            )
        )
    if head_age <= 50 and rng.random() < 0.15:
        family.append(
            _member(
                people,
                rng,
                gender=rng.choice([Gender.MALE, Gender.FEMALE]),
                age=head_age + rng.randint(24, 30),
                relation=Relation.PARENT,
            )
        )
    return family


def create_demo_accounts(*, demo_grid: Area, lead: GridWorker, first_household: Household) -> None:
    county = Area.objects.get(code=COUNTY_CODE)
    by_name = {a.name: a for a in Area.objects.filter(level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])}
    zhenbaodao = by_name["珍宝岛乡"]
    yonghe = Area.objects.get(level=AreaLevel.VILLAGE, name="永和村", parent=zhenbaodao)
    targets = {
        "demo-county": {"area": county},
        "demo-township": {"area": zhenbaodao},
        "demo-township2": {"area": by_name["阿北乡"]},
        "demo-dept": {"department": Department.objects.get(code=f"{COUNTY_CODE}-zjj")},
        "demo-village": {"area": yonghe},
        "demo-grid": {"area": demo_grid},
        "demo-villager": {"household": first_household},
    }
    hashed = None
    for username, display_name, role, _what in DEMO_ACCOUNTS:
        user = User(username=username, display_name=display_name)
        if hashed is None:
            user.set_password(DEMO_PASSWORD)
            hashed = user.password
        user.password = hashed
        user.save()
        RoleAssignment.objects.create(user=user, role=role, **targets[username])
        if username == "demo-grid":
            GridWorker.objects.filter(pk=lead.pk).update(user=user)
