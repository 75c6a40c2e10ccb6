"""Demo step: the 53 duties, care rules, a year of visits and patrols, monthly evaluations.

Every grid's full-time lead patrols most days (the daily duty, with the weekly and monthly
duties on some of those patrols) and visits the care-list households of the grid about as
often as their rule asks, some late; part-time workers visit the households they look
after; specialists patrol their township. Each lead has a steady diligence, so the
evaluation has real differences. Cases the cases step reported from grid patrols get the
patrol visit they were raised from. The twelve months before this one are computed and
closed by the real evaluation code (red-flag workers per township), this month is a draft.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.apps import apps
from django.db import connection
from django.utils import timezone

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.gridwork import evaluation
from shanzhi.gridwork.catalogue import load_default_care_rules, load_default_catalogue
from shanzhi.gridwork.choices import DutyFrequency, VisitKind, VisitPurpose, WorkerKind
from shanzhi.gridwork.models import CareRule, Duty, GridAssignment, ManualScore, Visit
from shanzhi.gridwork.services import current_scheme
from shanzhi.people.models import Household

PATROL_NOTES = [
    "网格巡查,未发现异常。",
    "巡查中提醒村民清理房前屋后柴草垛。",
    "检查沿街商户灭火器,均在有效期内。",
    "劝导村民不要在院内焚烧垃圾。",
    "查看村屯道路和边沟,无积水。",
    "走访小卖部,提醒不要向未成年人售烟酒。",
]
CARE_NOTES = [
    "帮老人买药,打扫院子。",
    "询问身体状况,提醒按时服药。",
    "检查火炕和电线,用火用电安全。",
    "帮助完成养老待遇资格认证。",
    "老人身体硬朗,子女每周来电话。",
    "送去米面油,聊了家常。",
]
HOUSEHOLD_NOTES = [
    "宣传医保缴费政策。",
    "了解春耕准备情况。",
    "宣传反电信诈骗知识。",
    "核对家庭人口信息。",
    "调解与邻居的宅基地纠纷,双方达成一致。",
]
PART_TIME_PURPOSES = [VisitPurpose.POLICY_PUBLICITY, VisitPurpose.INFORMATION, VisitPurpose.DISPUTE_MEDIATION]


_MIDNIGHTS: dict[dt.date, dt.datetime] = {}


def _moment(day: dt.date, rng: random.Random, tz) -> dt.datetime:
    """A working-hours moment of ``day`` in local time, returned in UTC (what the database stores)."""
    midnight = _MIDNIGHTS.get(day)
    if midnight is None:
        midnight = _MIDNIGHTS[day] = dt.datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(dt.UTC)
    return midnight + dt.timedelta(minutes=480 + 5 * rng.randrange(120))


def _months_back(month: dt.date, count: int) -> dt.date:
    for _ in range(count):
        month = evaluation.previous_month(month)
    return month


def build(*, seed: int, today: dt.date, scale: float, say) -> None:
    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    load_default_catalogue()
    load_default_care_rules()
    scheme = current_scheme()
    duties = list(Duty.objects.active())
    by_frequency = defaultdict(list)
    for duty in duties:
        if duty.for_full_time:
            by_frequency[duty.frequency].append(duty.pk)
    daily, weekly, monthly = (
        by_frequency[DutyFrequency.DAILY],
        by_frequency[DutyFrequency.WEEKLY],
        by_frequency[DutyFrequency.MONTHLY],
    )
    part_time_duty = [d.pk for d in duties if d.for_part_time and d.frequency == DutyFrequency.PER_HOUSEHOLD_MONTHLY]
    publicity_duty = [d.pk for d in duties if d.name == "惠民政策宣传"]
    specialist_duties = [d.pk for d in duties if d.for_specialist and d.frequency != DutyFrequency.PER_EVENT]

    this_month = evaluation.month_start(today)
    first_month = _months_back(this_month, 12)
    visits_from = first_month - dt.timedelta(days=31)
    yesterday = today - dt.timedelta(days=1)

    grids = {g.pk: g for g in Area.objects.current().filter(level=AreaLevel.GRID)}
    assignments = list(
        GridAssignment.objects.current().select_related("worker").order_by("grid__path", "-is_lead", "worker_id")
    )
    leads: dict[int, object] = {}
    part_timers: list[tuple] = []
    specialist_grids: dict[int, list[int]] = defaultdict(list)
    specialists = {}
    for a in assignments:
        if a.is_lead:
            leads[a.grid_id] = a.worker
        elif a.worker.kind == WorkerKind.PART_TIME:
            part_timers.append((a, a.worker))
        elif a.worker.kind == WorkerKind.SPECIALIST:
            specialist_grids[a.worker_id].append(a.grid_id)
            specialists[a.worker_id] = a.worker

    # A few part-time workers moved to another grid of their village half a year ago.
    transfer_day = today - dt.timedelta(days=150)
    grids_by_village = defaultdict(list)
    for grid in sorted(grids.values(), key=lambda g: g.path):
        grids_by_village[grid.parent_id].append(grid.pk)
    moved: dict[int, tuple[int, int]] = {}
    candidates = [(a, w) for a, w in part_timers if len(grids_by_village[grids[a.grid_id].parent_id]) > 1]
    wanted = max(1, round(12 * scale))
    for assignment, worker in candidates[:: max(1, len(candidates) // wanted)][:wanted]:
        siblings = [g for g in grids_by_village[grids[assignment.grid_id].parent_id] if g != assignment.grid_id]
        target = siblings[rng.randrange(len(siblings))]
        if transfer_day <= max(assignment.start_date, worker.start_date):
            continue
        GridAssignment.objects.filter(pk=assignment.pk).update(end_date=transfer_day, note="调整到本村其他网格")
        GridAssignment.objects.create(
            worker=worker, grid_id=target, start_date=transfer_day, note=f"由{grids[assignment.grid_id].name}调入"
        )
        moved[worker.pk] = (assignment.grid_id, target)

    households_by_grid: dict[int, list[int]] = defaultdict(list)
    for pk, grid_id in Household.objects.filter(status="active").order_by("pk").values_list("pk", "grid_id"):
        households_by_grid[grid_id].append(pk)
    rules = {r.tag_id: r.interval_days for r in CareRule.objects.active()}
    care_interval: dict[int, int] = {}
    for household_id, tag_id in Household.tags.through.objects.filter(householdtag_id__in=list(rules)).values_list(
        "household_id", "householdtag_id"
    ):
        care_interval[household_id] = min(rules[tag_id], care_interval.get(household_id, rules[tag_id]))
    demo_household = (
        Household.objects.filter(grid__name="永和村第1网格", residents__name="李桂君")
        .values_list("pk", flat=True)
        .first()
    )

    rows: list[tuple] = []  # VISIT_COLUMNS without "created"
    covered: list[list[int]] = []

    def add(worker, kind, purpose, grid_id, day, household_id=None, notes="", duty_ids=()):
        if day < worker.start_date or day > yesterday:
            return
        grid = grids[grid_id]
        lat = (grid.centroid_lat or 45.77) + rng.uniform(-0.004, 0.004)
        lng = (grid.centroid_lng or 132.97) + rng.uniform(-0.005, 0.005)
        moment = _moment(day, rng, tz)
        rows.append(
            (worker.pk, kind, purpose, grid_id, household_id, moment, day, notes, round(lat, 6), round(lng, 6), None)
        )
        covered.append(list(duty_ids))

    days = [visits_from + dt.timedelta(days=i) for i in range((yesterday - visits_from).days + 1)]
    diligence = {}
    for grid_id in sorted(leads):
        worker = leads[grid_id]
        diligence[worker.pk] = 0.55 + 0.4 * rng.random()
    # Full-time leads: patrols with the scheduled duties.
    for grid_id in sorted(leads):
        worker = leads[grid_id]
        d = diligence[worker.pk]
        week_done: set[tuple] = set()
        month_done: dict[tuple, set] = defaultdict(set)
        for day in days:
            if rng.random() > d * 0.35:
                continue
            ids = list(daily)
            week = (day.year, day.month, evaluation.week_of_month(day))
            for duty_id in weekly:
                if (week, duty_id) not in week_done and rng.random() < d:
                    week_done.add((week, duty_id))
                    ids.append(duty_id)
            month_key = (day.year, day.month)
            for duty_id in monthly:
                if duty_id not in month_done[month_key] and rng.random() < d * 0.3:
                    month_done[month_key].add(duty_id)
                    ids.append(duty_id)
            purpose = VisitPurpose.SAFETY_CHECK if len(ids) > 1 else VisitPurpose.ROUTINE_PATROL
            add(worker, VisitKind.PATROL, purpose, grid_id, day, notes=rng.choice(PATROL_NOTES), duty_ids=ids)
    # Care visits to the care-list households, by the grid's lead.
    for grid_id in sorted(leads):
        worker = leads[grid_id]
        d = diligence[worker.pk]
        for household_id in households_by_grid.get(grid_id, []):
            interval = care_interval.get(household_id)
            if interval is None:
                continue
            day = visits_from + dt.timedelta(days=rng.randrange(interval))
            last = yesterday
            if household_id == demo_household:
                last = today - dt.timedelta(days=interval + 3)  # overdue today: the demo's first care visit
            while day <= last:
                add(
                    worker,
                    VisitKind.HOUSEHOLD,
                    VisitPurpose.ELDERLY_CARE,
                    grid_id,
                    day,
                    household_id,
                    rng.choice(CARE_NOTES),
                    publicity_duty if rng.random() < 0.1 else (),
                )
                gap = interval - rng.randint(0, max(1, interval // 4))
                if rng.random() > d:
                    gap += rng.randint(2, 10)  # late this time
                day += dt.timedelta(days=max(1, gap))
    # Part-time workers visit the households they look after.
    for assignment, worker in part_timers:
        for month_index in range(13):
            month = _months_back(this_month, 12 - month_index)
            for _ in range(rng.choice((0, 1, 1, 2))):
                day = month + dt.timedelta(days=rng.randrange(28))
                grid_id = assignment.grid_id
                if worker.pk in moved and day >= transfer_day:
                    grid_id = moved[worker.pk][1]
                households = households_by_grid.get(grid_id)
                if not households:
                    continue
                household_id = households[rng.randrange(len(households))]
                if household_id == demo_household:
                    continue  # 李桂君 is the lead's care visit (due today in the demo)
                add(
                    worker,
                    VisitKind.HOUSEHOLD,
                    rng.choice(PART_TIME_PURPOSES),
                    grid_id,
                    day,
                    household_id,
                    rng.choice(HOUSEHOLD_NOTES),
                    part_time_duty,
                )
    # Specialists patrol their township's grids.
    for worker_id in sorted(specialists):
        worker = specialists[worker_id]
        served = specialist_grids[worker_id]
        for month_index in range(13):
            month = _months_back(this_month, 12 - month_index)
            for _ in range(rng.randint(2, 5)):
                day = month + dt.timedelta(days=rng.randrange(28))
                ids = [specialist_duties[rng.randrange(len(specialist_duties))]] if specialist_duties else []
                add(
                    worker,
                    VisitKind.PATROL,
                    VisitPurpose.SAFETY_CHECK,
                    served[rng.randrange(len(served))],
                    day,
                    notes=rng.choice(PATROL_NOTES),
                    duty_ids=ids,
                )
    linked = _link_cases(rows, covered, leads, grids, households_by_grid, rng, demo_household)

    order = sorted(range(len(rows)), key=lambda i: (rows[i][6], rows[i][0]))
    rows = [rows[i] for i in order]
    covered = [covered[i] for i in order]
    ids = _insert_visits(rows)
    _insert(
        Visit.duties.through,
        ["visit_id", "duty_id"],
        [(visit_id, duty_id) for visit_id, duty_ids in zip(ids, covered, strict=True) for duty_id in duty_ids],
    )
    say(
        f"gridwork: {len(duties)} duties, {len(rows)} visits and patrols ({linked} raised cases), {len(moved)} transfers"
    )

    # The township's assessment of each lead for the closed months, then the evaluations.
    township_of = {g.pk: g.ancestor_code(AreaLevel.TOWNSHIP) for g in grids.values()}
    townships = {t.code: t for t in Area.objects.filter(level=AreaLevel.TOWNSHIP)}
    scores = []
    months = [_months_back(this_month, 12 - i) for i in range(12)]
    for grid_id in sorted(leads):
        worker = leads[grid_id]
        for month in months:
            if evaluation.month_end(month) < worker.start_date:
                continue
            percent = max(0, min(100, round(55 + 40 * diligence[worker.pk] + rng.uniform(-8, 8))))
            scores.append(
                ManualScore(
                    worker=worker,
                    township=townships[township_of[grid_id]],
                    month=month,
                    percent=percent,
                    note="" if percent >= 70 else "台账不够完整",
                )
            )
    ManualScore.objects.bulk_create(scores, batch_size=2000)
    red = 0
    for month in months:
        for result in evaluation.run_month(month, close=True, today=today):
            red += result.results.filter(is_red_flag=True).count()
    evaluation.run_month(this_month, close=False, today=today)
    say(
        f"gridwork: {len(months)} months evaluated and closed, {red} red-flag grid workers "
        f"({scheme.red_flags_per_township} per township per month)"
    )


VISIT_COLUMNS = [
    "worker_id",
    "kind",
    "purpose",
    "grid_id",
    "household_id",
    "visited_at",
    "visited_on",
    "notes",
    "location_lat",
    "location_lng",
    "case_id",
    "created",
]


def _insert(model, columns: list[str], values: list[tuple]) -> None:
    """A plain multi-row INSERT: the demo writes ~10^5 rows, Django's bulk_create costs 10x more."""
    if not values:
        return
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - identifiers from the model, values bound
        quote(model._meta.db_table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        for start in range(0, len(values), 5000):
            cursor.executemany(sql, values[start : start + 5000])


def _insert_visits(rows: list[tuple]) -> list[int]:
    """Insert the visits in order and return their ids (sequential: the build runs alone)."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "sqlite":
        # What the SQLite backend stores: naive UTC text (the moments are UTC already).
        values = [(*r[:5], r[5].replace(tzinfo=None).isoformat(" "), r[6].isoformat(), *r[7:], now) for r in rows]
    else:
        values = [(*r[:5], r[5], r[6], *r[7:], now) for r in rows]
    before = Visit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _insert(Visit, VISIT_COLUMNS, values)
    ids = list(Visit.objects.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True))
    if len(ids) != len(rows):
        raise RuntimeError("visits were inserted concurrently with the demo build")
    return ids


def _link_cases(rows, covered, leads, grids, households_by_grid, rng, keep_due) -> int:
    """Give each grid-patrol case of the cases step the patrol visit it was raised from."""
    if not apps.is_installed("shanzhi.cases"):
        return 0
    from shanzhi.cases.choices import CaseSource
    from shanzhi.cases.models import Case

    start = len(rows)
    household_sets = {grid_id: set(ids) for grid_id, ids in households_by_grid.items()}
    for case_id, grid_id, household_id, reported_at in (
        Case.objects.filter(source=CaseSource.GRID_PATROL, visits__isnull=True)
        .order_by("pk")
        .values_list("pk", "grid_id", "household_id", "reported_at")
    ):
        worker = leads.get(grid_id)
        if worker is None or grid_id not in grids:
            continue
        moment = reported_at - dt.timedelta(minutes=rng.randint(5, 40))
        day = timezone.localtime(moment).date()
        if day < worker.start_date:
            continue
        # ``keep_due`` (李桂君) stays due for a care visit today: the demo's first task.
        in_grid = household_id in household_sets.get(grid_id, ()) and household_id != keep_due
        rows.append(
            (
                worker.pk,
                VisitKind.HOUSEHOLD if in_grid else VisitKind.PATROL,
                VisitPurpose.SAFETY_CHECK,
                grid_id,
                household_id if in_grid else None,
                moment,
                day,
                "巡查中发现问题,当场上报。",
                None,
                None,
                case_id,
            )
        )
        covered.append([])
    return len(rows) - start
