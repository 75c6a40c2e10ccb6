"""Demo step: a year of points in every village of the demo county.

Every village adopts the county's template rules and keeps a points shop (新乐乡 runs
one shared shop for its villages). Over the last twelve months households earn points
for voluntary labour, tidy yards, meetings, mediation and filial piety, lose some for
littering, open burning and the rare damaged facility; entries go through public
notice (a few are appealed), households redeem goods, each finished month has an award
list, 永和村 shares a dividend, and the county honours exactly 35 civilized families and
27 model beautiful homes this year.

Rows are computed in Python (balances, period totals and both SM3 chains exactly as the
services would write them) and inserted with executemany, so the step stays fast; the
last check is ``shanzhi points verify``'s own code.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import defaultdict

from django.db import connection
from django.utils import timezone

from shanzhi.areas.models import Area
from shanzhi.core import audit
from shanzhi.people.models import Household
from shanzhi.points import ledger, services
from shanzhi.points.choices import (
    HONOUR_NUMBER_PREFIX,
    AppealStatus,
    CampaignStatus,
    DividendMethod,
    EntryAction,
    EntryKind,
    EntryStatus,
    HonourKind,
    NominationStatus,
    PeriodKind,
    RedemptionStatus,
    StockReason,
)
from shanzhi.points.defaults import TEMPLATE_RULES, template_kwargs
from shanzhi.points.models import (
    AwardLine,
    AwardList,
    CampaignEvent,
    Honour,
    HonourCampaign,
    LedgerHead,
    Nomination,
    Rule,
    Shop,
    ShopItem,
)
from shanzhi.points.periods import period_end, period_start

PERIODS = tuple(PeriodKind.values)
GOODS = [("洗衣粉", 20), ("毛巾", 15), ("香皂", 8), ("牙膏", 12), ("酱油", 10), ("食用油 5L", 60), ("大米 10斤", 50)]
SHARED_SHOP_TOWNSHIP = "新乐乡"
CIVILIZED_FAMILIES = 35
BEAUTIFUL_HOMES = 27
# (rule code, chance per household per month, months of the year it happens in or None for all)
MONTHLY = [
    ("VL01", 0.045, None),
    ("HY01", 0.05, None),
    ("HY02", 0.025, None),
    ("AC01", 0.035, None),
    ("AC02", 0.015, None),
    ("PS01", 0.006, None),
    ("MD01", 0.004, None),
    ("FP01", 0.008, None),
    ("GD01", 0.0015, None),
    ("LT01", 0.006, None),
    ("OB01", 0.008, {4, 10}),
    ("DF01", 0.0004, None),
    ("DO01", 0.0003, None),
    ("FP02", 0.0002, None),
]
NOTES = {
    "VL01": ["清理村道积雪", "修补村道", "春季植树", "清理排水沟"],
    "HY01": ["庭院整洁,物品摆放有序", "美丽庭院检查达标"],
    "HY02": ["垃圾分类投放到位"],
    "AC01": ["参加夜话乡村议事会", "参加庭院说事"],
    "AC02": ["参加种植技术培训", "参加政策宣讲"],
    "PS01": ["及时报告山火隐患", "报告危房险情"],
    "MD01": ["调解邻里宅基地纠纷", "调解邻里用水纠纷"],
    "FP01": ["悉心照顾卧病老人", "孝敬老人受邻里称赞"],
    "GD01": ["救助落水儿童", "帮扶独居老人"],
    "LT01": ["门前乱堆柴草", "向河沟倾倒垃圾"],
    "OB01": ["露天焚烧秸秆"],
    "DF01": ["损坏村内路灯"],
    "DO01": ["酒后在村部滋事"],
    "FP02": ["拒不赡养老人"],
}


class _Ids:
    """Next free primary keys, so rows can reference each other before they are inserted."""

    def __init__(self):
        self.next = {}

    def take(self, table: str) -> int:
        if table not in self.next:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - table names are ours
                self.next[table] = cursor.fetchone()[0] + 1
        value = self.next[table]
        self.next[table] += 1
        return value

    def reset_sequences(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table in self.next:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )


def _insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 20000):
            cursor.executemany(sql, rows[start : start + 20000])


_TEXT_DATES = [True]  # set per build: SQLite stores dates as text, PostgreSQL takes date objects


def _ts(value: dt.datetime | None):
    """A UTC datetime as the database stores it (SQLite: Django's naive UTC text)."""
    if value is None or not _TEXT_DATES[0]:
        return value
    return str(value.replace(tzinfo=None))


def _day(value: dt.date):
    return value.isoformat() if _TEXT_DATES[0] else value


class _Entry:
    __slots__ = (
        "id",
        "village_id",
        "seq",
        "household_id",
        "kind",
        "rule_id",
        "delta",
        "occurred_on",
        "note",
        "evidence",
        "major",
        "needs_approval",
        "notice_days",
        "reverses_id",
        "recorded_by_id",
        "created",
        "prev_hash",
        "hash",
        "status",
        "notice_until",
        "effective_at",
        "approved",
        "open_appeal",
        "code",
        "released_at",
    )

    class _File:
        name = ""

    def __init__(self, **kw):
        self.evidence = self._File()
        self.reverses_id = None
        self.recorded_by_id = None
        self.needs_approval = False
        self.major = False
        self.notice_days = 0
        self.effective_at = None
        self.notice_until = None
        self.approved = None
        self.open_appeal = False
        self.rule_id = None
        self.code = ""
        self.released_at = None
        for key, value in kw.items():
            setattr(self, key, value)


class _Event:
    __slots__ = (
        "id",
        "village_id",
        "seq",
        "entry_id",
        "action",
        "from_status",
        "to_status",
        "actor_id",
        "note",
        "created",
        "prev_hash",
        "hash",
    )

    def __init__(self, **kw):
        self.actor_id = None
        self.note = ""
        for key, value in kw.items():
            setattr(self, key, value)


def build(*, seed: int, today: dt.date, scale: float, say) -> None:
    rng = random.Random(seed)
    _TEXT_DATES[0] = connection.vendor == "sqlite"
    now = timezone.now()
    tz = timezone.get_current_timezone()
    ids = _Ids()
    county = Area.objects.get(level="county", parent__isnull=True)
    villages = list(Area.objects.filter(level="village").select_related("parent").order_by("path"))
    users = {u.username: u for u in _demo_users()}
    secretary = users.get("demo-village")
    # Who records a village's points: where a demo login works (永和村), its grid worker records
    # most entries and the secretary the rest; elsewhere the entries are the generator's own.
    recorders: dict[int, list] = defaultdict(list)
    for username in ("demo-grid", "demo-village"):
        user = users.get(username)
        assignment = user.role_assignments.first() if user else None
        if assignment is not None and assignment.area_id:
            area = assignment.area
            recorders[area.pk if area.level == "village" else area.parent_id].append(user)
    pick_recorder = random.Random(seed + 17)  # its own sequence: the rest of the demo stays as it was

    # --- rules: county templates, adopted by every village ------------------------------------
    templates = [
        Rule(area=county, sort_order=order, **template_kwargs(row)) for order, row in enumerate(TEMPLATE_RULES)
    ]
    Rule.objects.bulk_create(templates)
    adopted = [
        Rule(area=v, template=t, **{f: getattr(t, f) for f in services.RULE_FIELDS})
        for v in villages
        for t in templates
    ]
    Rule.objects.bulk_create(adopted, batch_size=2000)
    rules = {(r.area_id, r.code): r for r in adopted}

    # --- shops ------------------------------------------------------------------------------
    shop_area = {}
    shops = []
    shared = {}
    for village in villages:
        if village.parent.name == SHARED_SHOP_TOWNSHIP:
            if village.parent_id not in shared:
                shared[village.parent_id] = Shop(area=village.parent, name=f"{village.parent.name}积分超市(共享)")
                shops.append(shared[village.parent_id])
            shop_area[village.pk] = shared[village.parent_id]
        else:
            shop = Shop(area=village, name=f"{village.name}积分超市")
            shops.append(shop)
            shop_area[village.pk] = shop
    Shop.objects.bulk_create(shops)
    items = []
    for shop in shops:
        for name, price in GOODS:
            items.append(ShopItem(shop=shop, name=name, points_price=price, stock=rng.randint(150, 300)))
    ShopItem.objects.bulk_create(items, batch_size=2000)
    items_by_shop = defaultdict(list)
    for item in items:
        items_by_shop[item.shop_id].append(item)
    initial_stock = {item.pk: item.stock for item in items}
    stock = dict(initial_stock)

    # --- households ---------------------------------------------------------------------------
    households = defaultdict(list)
    for pk, village_id in Household.objects.filter(status="active").values_list("pk", "grid__parent_id").order_by("pk"):
        households[village_id].append(pk)
    demo_household = users["demo-villager"].role_assignments.first().household_id if "demo-villager" in users else None

    start_day = today - dt.timedelta(days=364)
    months = []
    cursor_day = start_day.replace(day=1)
    while cursor_day <= today:
        months.append(cursor_day)
        cursor_day = period_end(cursor_day, PeriodKind.MONTH) + dt.timedelta(days=1)

    def moment(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=tz)
        value = local.replace(microsecond=rng.randint(0, 999_999)).astimezone(dt.UTC)
        if value > now:
            value = now - dt.timedelta(minutes=rng.randint(5, 300), microseconds=rng.randint(0, 999_999))
        return value

    all_entries: list[_Entry] = []
    all_events: list[_Event] = []
    appeals = []
    redemptions = []
    movements = []
    balances = {}
    periods = {}
    heads = []
    notice_days = 3

    for village in villages:
        members = households[village.pk]
        if not members:
            continue
        decider = secretary if secretary is not None and secretary_village(secretary) == village.pk else None
        entries: list[_Entry] = []
        # Rule entries, month by month.
        for month in months:
            last = min(period_end(month, PeriodKind.MONTH), today)
            first = max(month, start_day)
            span = (last - first).days
            if span < 0:
                continue
            caps = defaultdict(int)
            for code, chance, only in MONTHLY:
                if only and month.month not in only:
                    continue
                rule = rules[(village.pk, code)]
                expected = chance * len(members)
                count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
                for household_id in rng.sample(members, min(count, len(members))):
                    if rule.cap_per_period:
                        key = (household_id, code, period_start(month, rule.cap_period))
                        if caps[key] + abs(rule.points) > rule.cap_per_period:
                            continue
                        caps[key] += abs(rule.points)
                    day = first + dt.timedelta(days=rng.randint(0, span))
                    entries.append(_rule_entry(rule, household_id, day, moment(day), rng, notice_days))
        if village.name == "永和村" and demo_household:
            # The demo villager's story: a tidy-yard award, a meeting, and a deduction still in notice.
            for days_ago, code, note in ((40, "HY01", "庭院整洁,物品摆放有序"), (20, "AC01", "参加夜话乡村议事会")):
                day = today - dt.timedelta(days=days_ago)
                entries.append(
                    _rule_entry(rules[(village.pk, code)], demo_household, day, moment(day), rng, notice_days, note)
                )
            yesterday = today - dt.timedelta(days=1)
            created = min(now - dt.timedelta(hours=20), moment(yesterday))
            entries.append(
                _rule_entry(
                    rules[(village.pk, "LT01")], demo_household, yesterday, created, rng, notice_days, "门前乱堆柴草"
                )
            )
        entries.sort(key=lambda e: e.created)
        if recorders.get(village.pk):
            staff = recorders[village.pk]
            for e in entries:
                e.recorded_by_id = (staff[0] if pick_recorder.random() < 0.7 or len(staff) == 1 else staff[1]).pk

        # Second approvals, notices, a few appeals, taking effect.
        events: list[_Event] = []
        reversals: list[_Entry] = []
        for e in entries:
            if e.needs_approval:
                approved_at = e.created + dt.timedelta(hours=rng.randint(2, 30))
                if approved_at >= now:
                    e.status = EntryStatus.PENDING
                    continue
                events.append(
                    _event(e, EntryAction.APPROVED, EntryStatus.PENDING, EntryStatus.IN_NOTICE, approved_at, decider)
                )
                e.approved = decider.pk if decider else None
                e.notice_until = approved_at + dt.timedelta(days=notice_days)
            else:
                e.notice_until = e.created + dt.timedelta(days=notice_days)
            e.status = EntryStatus.IN_NOTICE
            appealed = e.delta < 0 and rng.random() < 0.12 and e.household_id != demo_household
            if appealed:
                appeal_at = e.notice_until - dt.timedelta(days=notice_days) + dt.timedelta(hours=rng.randint(3, 40))
                if appeal_at >= min(e.notice_until, now):
                    appealed = False
            if appealed:
                events.append(
                    _event(
                        e,
                        EntryAction.APPEALED,
                        EntryStatus.IN_NOTICE,
                        EntryStatus.IN_NOTICE,
                        appeal_at,
                        None,
                        "不是我家所为",
                    )
                )
                decided_at = appeal_at + dt.timedelta(hours=rng.randint(4, 60))
                if decided_at >= now:
                    e.open_appeal = True
                    appeals.append((e, appeal_at, None, None, None))
                    continue
                if rng.random() < 0.3:
                    reason = "经核实,非该户所为,申诉成立"
                    events.append(
                        _event(
                            e,
                            EntryAction.APPEAL_UPHELD,
                            EntryStatus.IN_NOTICE,
                            EntryStatus.VOIDED,
                            decided_at,
                            decider,
                            reason,
                        )
                    )
                    e.status = EntryStatus.VOIDED
                    e.released_at = decided_at
                    reversals.append(_reversal(e, decided_at, reason, decider, counted=False))
                    appeals.append((e, appeal_at, AppealStatus.UPHELD, (decided_at, reason), decider and decider.pk))
                    continue
                reason = "经网格员核实属实,维持原记录"
                events.append(
                    _event(
                        e,
                        EntryAction.APPEAL_REJECTED,
                        EntryStatus.IN_NOTICE,
                        EntryStatus.IN_NOTICE,
                        decided_at,
                        decider,
                        reason,
                    )
                )
                appeals.append((e, appeal_at, AppealStatus.REJECTED, (decided_at, reason), decider and decider.pk))
                effective_at = max(e.notice_until, decided_at)
            else:
                effective_at = e.notice_until
            effective_at += dt.timedelta(minutes=rng.randint(1, 5))  # the sweep runs every five minutes
            if effective_at <= now:
                events.append(
                    _event(e, EntryAction.TOOK_EFFECT, EntryStatus.IN_NOTICE, EntryStatus.EFFECTIVE, effective_at, None)
                )
                e.status = EntryStatus.EFFECTIVE
                e.effective_at = effective_at
                e.released_at = effective_at

        # Redemptions, in time order against what each household could spend then.
        shop = shop_area[village.pk]
        timeline = [(e.effective_at, 0, e) for e in entries if e.effective_at]
        holds = [(e.created, 1, e) for e in entries if e.kind == EntryKind.DEDUCTION]
        releases = [(e.released_at, 2, e) for e in entries if e.kind == EntryKind.DEDUCTION and e.released_at]
        shopping = []
        for month in months:
            first = max(month, start_day)
            last = min(period_end(month, PeriodKind.MONTH), today)
            span = (last - first).days
            for household_id in rng.sample(members, int(len(members) * 0.04)):
                day = first + dt.timedelta(days=rng.randint(0, max(span, 0)))
                shopping.append((moment(day), 3, household_id))
        balance = defaultdict(int)
        held = defaultdict(int)
        redemption_entries = []
        for when, kind, thing in sorted(timeline + holds + releases + shopping, key=lambda t: (t[0], t[1])):
            if when > now:
                continue
            if kind == 0:
                balance[thing.household_id] += thing.delta
            elif kind == 1:
                held[thing.household_id] += -thing.delta
            elif kind == 2:
                held[thing.household_id] -= -thing.delta
            else:
                spendable = balance[thing] - held[thing]
                affordable = [i for i in items_by_shop[shop.pk] if i.points_price <= spendable and stock[i.pk] > 0]
                if not affordable:
                    continue
                item = rng.choice(affordable)
                quantity = 1 if item.points_price * 2 > spendable or rng.random() < 0.7 else 2
                quantity = min(quantity, stock[item.pk])
                points = item.points_price * quantity
                balance[thing] -= points
                stock[item.pk] -= quantity
                entry = _Entry(
                    id=None,
                    household_id=thing,
                    kind=EntryKind.REDEMPTION,
                    delta=-points,
                    occurred_on=timezone.localtime(when).date(),
                    note=f"兑换:{item.name}×{quantity}",
                    created=when,
                    status=EntryStatus.EFFECTIVE,
                    effective_at=when,
                )
                redemption_entries.append(entry)
                redemptions.append([entry, shop, item, quantity, points, village.pk, stock[item.pk]])
        entries = sorted(entries + reversals + redemption_entries, key=lambda e: e.created)

        # Chain both in time order.
        head = LedgerHead(village=village)
        for e in entries:
            e.id = ids.take("points_pointsentry")
            e.village_id = village.pk
        for e in reversals:
            e.reverses_id = e.reverses_id.id
        ledger.chain_entries(head, entries)
        events.sort(key=lambda ev: ev.created)
        for ev in events:
            ev.id = ids.take("points_entryevent")
            ev.entry_id = ev.entry_id.id
        ledger.chain_events(head, events)
        heads.append(head)
        all_entries += entries
        all_events += events

        # Projections, exactly as verify re-derives them.
        by_id = {e.id: e for e in entries}
        for e in entries:
            row = balances.setdefault(e.household_id, [village.pk, 0, 0, 0])
            if e.kind == EntryKind.DEDUCTION and e.status in (EntryStatus.PENDING, EntryStatus.IN_NOTICE):
                row[2] += -e.delta
            if e.effective_at is None:
                continue
            row[1] += e.delta
            kind = by_id[e.reverses_id].kind if e.kind == EntryKind.REVERSAL else e.kind
            if kind not in ledger.RULE_KINDS:
                continue
            row[3] += e.delta
            for period in PERIODS:
                key = (e.household_id, period, period_start(e.occurred_on, period))
                p = periods.setdefault(
                    key, [village.pk, village.parent_id, village.parent.parent_id, 0, 0, 0, 0, e.effective_at]
                )
                p[3] += e.delta
                p[4] += e.delta if kind == EntryKind.AWARD else 0
                p[5] += -e.delta if kind == EntryKind.DEDUCTION else 0
                p[6] += (-1 if e.kind == EntryKind.REVERSAL else 1) if e.major else 0
                p[7] = max(p[7], e.effective_at)

    # --- write the ledger -------------------------------------------------------------------
    for e in all_entries:
        if e.status is None:
            raise AssertionError("entry without status")
    _insert(
        "points_pointsentry",
        [
            "id",
            "village_id",
            "seq",
            "household_id",
            "kind",
            "rule_id",
            "delta",
            "occurred_on",
            "note",
            "evidence",
            "major",
            "needs_approval",
            "notice_days",
            "reverses_id",
            "recorded_by_id",
            "created",
            "prev_hash",
            "hash",
        ],
        [
            (
                e.id,
                e.village_id,
                e.seq,
                e.household_id,
                e.kind,
                e.rule_id,
                e.delta,
                _day(e.occurred_on),
                e.note,
                "",
                e.major,
                e.needs_approval,
                e.notice_days,
                e.reverses_id,
                e.recorded_by_id,
                _ts(e.created),
                e.prev_hash,
                e.hash,
            )
            for e in all_entries
        ],
    )
    _insert(
        "points_entrystate",
        [
            "entry_id",
            "village_id",
            "household_id",
            "status",
            "notice_until",
            "effective_at",
            "approved_by_id",
            "open_appeal",
        ],
        [
            (
                e.id,
                e.village_id,
                e.household_id,
                e.status,
                _ts(e.notice_until),
                _ts(e.effective_at),
                e.approved,
                e.open_appeal,
            )
            for e in all_entries
        ],
    )
    _insert(
        "points_entryevent",
        [
            "id",
            "village_id",
            "seq",
            "entry_id",
            "action",
            "from_status",
            "to_status",
            "actor_id",
            "note",
            "created",
            "prev_hash",
            "hash",
        ],
        [
            (
                ev.id,
                ev.village_id,
                ev.seq,
                ev.entry_id,
                ev.action,
                ev.from_status,
                ev.to_status,
                ev.actor_id,
                ev.note,
                _ts(ev.created),
                ev.prev_hash,
                ev.hash,
            )
            for ev in all_events
        ],
    )
    LedgerHead.objects.bulk_create(heads, batch_size=500)
    _insert(
        "points_householdpoints",
        ["household_id", "village_id", "balance", "held", "spendable", "earned_lifetime", "updated"],
        [(h, v, b, held, max(0, b - held), earned, _ts(now)) for h, (v, b, held, earned) in balances.items()],
    )
    _insert(
        "points_periodpoints",
        [
            "id",
            "household_id",
            "village_id",
            "township_id",
            "county_id",
            "period_kind",
            "period_start",
            "earned",
            "awarded",
            "deducted",
            "major_deductions",
            "reached_at",
        ],
        [
            (ids.take("points_periodpoints"), h, p[0], p[1], p[2], kind, _day(start), p[3], p[4], p[5], p[6], _ts(p[7]))
            for (h, kind, start), p in periods.items()
        ],
    )

    # --- appeals, redemptions and stock -------------------------------------------------------
    _insert(
        "points_appeal",
        [
            "id",
            "entry_id",
            "village_id",
            "household_id",
            "reason",
            "evidence",
            "status",
            "submitted_by_id",
            "created",
            "decided_by_id",
            "decided_at",
            "decision_reason",
        ],
        [
            (
                ids.take("points_appeal"),
                e.id,
                e.village_id,
                e.household_id,
                "不是我家所为",
                "",
                status or AppealStatus.OPEN,
                None,
                _ts(at),
                decider_id if status else None,
                _ts(decision[0]) if decision else None,
                decision[1] if decision else "",
            )
            for e, at, status, decision, decider_id in appeals
        ],
    )
    redemption_rows, line_rows = [], []
    for entry, shop, item, quantity, points, village_id, stock_after in redemptions:
        rid = ids.take("points_redemption")
        redemption_rows.append(
            (
                rid,
                shop.pk,
                entry.household_id,
                village_id,
                points,
                RedemptionStatus.COMPLETED,
                entry.id,
                None,
                _ts(entry.created),
                "",
            )
        )
        line_rows.append((ids.take("points_redemptionline"), rid, item.pk, quantity, item.points_price, points))
        movements.append(
            (
                ids.take("points_stockmovement"),
                item.pk,
                -quantity,
                stock_after,
                StockReason.REDEMPTION,
                rid,
                "",
                None,
                _ts(entry.created),
            )
        )
    for item in items:
        movements.append(
            (
                ids.take("points_stockmovement"),
                item.pk,
                initial_stock[item.pk],
                initial_stock[item.pk],
                StockReason.INITIAL,
                None,
                "",
                None,
                _ts(now - dt.timedelta(days=366)),
            )
        )
    _insert(
        "points_redemption",
        [
            "id",
            "shop_id",
            "household_id",
            "village_id",
            "points",
            "status",
            "entry_id",
            "recorded_by_id",
            "created",
            "cancel_reason",
        ],
        redemption_rows,
    )
    _insert(
        "points_redemptionline", ["id", "redemption_id", "item_id", "quantity", "points_price", "points"], line_rows
    )
    _insert(
        "points_stockmovement",
        ["id", "item_id", "delta", "stock_after", "reason", "redemption_id", "note", "actor_id", "created"],
        movements,
    )
    for item in items:
        item.stock = stock[item.pk]
    ShopItem.objects.bulk_update(items, ["stock"], batch_size=1000)
    ids.reset_sequences()

    # --- award lists for every finished month -------------------------------------------------
    tiers = services.DEFAULT_TIERS
    award_lists, award_rows = [], []
    by_village_month = defaultdict(list)
    for (h, kind, start), p in periods.items():
        if kind == PeriodKind.MONTH and p[3] > 0 and p[6] == 0:
            by_village_month[(p[0], start)].append((-p[3], p[5], p[7], h, p[3]))
    pending_months = {
        (e.village_id, period_start(e.occurred_on, PeriodKind.MONTH))
        for e in all_entries
        if e.status in (EntryStatus.PENDING, EntryStatus.IN_NOTICE) and e.kind in ledger.RULE_KINDS
    }
    for (village_id, start), rows in by_village_month.items():
        if period_end(start, PeriodKind.MONTH) >= today or (village_id, start) in pending_months:
            continue
        award = AwardList(village_id=village_id, period_kind=PeriodKind.MONTH, period_start=start, exclude_major=True)
        award_lists.append(award)
        rows.sort()
        for rank, (_neg, _ded, _at, h, points) in enumerate(rows[: tiers[-1][1]], start=1):
            prize = next(p for a, b, p in tiers if a <= rank <= b)
            award_rows.append((award, rank, h, points, prize))
    AwardList.objects.bulk_create(award_lists, batch_size=1000)
    AwardLine.objects.bulk_create(
        [AwardLine(award_list=a, rank=r, household_id=h, points=p, prize=prize) for a, r, h, p, prize in award_rows],
        batch_size=2000,
    )

    # --- a dividend for 永和村 ---------------------------------------------------------------------
    yonghe = next((v for v in villages if v.name == "永和村" and v.parent.name == "珍宝岛乡"), None)
    if yonghe is not None:
        plan = services.create_dividend(
            yonghe,
            actor=None,
            year=today.year,
            title=f"{today.year}年度集体经济积分分红",
            pool_fen=2_000_000,
            method=DividendMethod.PROPORTIONAL,
        )
        services.approve_dividend(plan, actor=None)

    # --- honours: exactly 35 civilized families and 27 model beautiful homes this year -------------
    honours = _honours(county, today, now, periods, all_entries, rng)
    audit.record(
        "demo.points.built",
        object_type="areas.area",
        object_id=str(county.pk),
        object_repr=county.name,
        entries=len(all_entries),
        events=len(all_events),
        redemptions=len(redemptions),
        appeals=len(appeals),
        award_lists=len(award_lists),
        honours=honours,
    )
    say(
        f"points: {len(all_entries)} entries, {len(redemptions)} redemptions, {len(appeals)} appeals, "
        f"{len(award_lists)} award lists, honours {honours}"
    )


def secretary_village(user) -> int | None:
    assignment = user.role_assignments.first()
    return assignment.area_id if assignment else None


def _demo_users():
    from shanzhi.accounts.models import User

    return User.objects.filter(username__in=["demo-village", "demo-villager", "demo-grid"]).prefetch_related(
        "role_assignments__area"
    )


def _rule_entry(rule, household_id, day, created, rng, notice_days, note=None) -> _Entry:
    return _Entry(
        id=None,
        household_id=household_id,
        kind=EntryKind.DEDUCTION if rule.points < 0 else EntryKind.AWARD,
        rule_id=rule.pk,
        code=rule.code,
        delta=rule.points,
        occurred_on=day,
        note=note or rng.choice(NOTES[rule.code]),
        major=rule.major and rule.points < 0,
        needs_approval=rule.points < 0
        and rule.second_approval_above is not None
        and -rule.points > rule.second_approval_above,
        notice_days=notice_days,
        created=created,
        status=None,
    )


def _event(entry, action, from_status, to_status, at, actor, note="") -> _Event:
    return _Event(
        entry_id=entry,
        action=action,
        from_status=from_status,
        to_status=to_status,
        created=at,
        actor_id=actor.pk if actor else None,
        note=note,
    )


def _reversal(entry, at, reason, actor, *, counted: bool) -> _Entry:
    return _Entry(
        id=None,
        household_id=entry.household_id,
        kind=EntryKind.REVERSAL,
        rule_id=entry.rule_id,
        delta=-entry.delta,
        occurred_on=entry.occurred_on,
        note=reason,
        major=entry.major,
        reverses_id=entry,
        recorded_by_id=actor.pk if actor else None,
        created=at,
        status=EntryStatus.EFFECTIVE if counted else EntryStatus.VOIDED,
        effective_at=at if counted else None,
    )


def _honours(county, today, now, periods, entries, rng) -> dict:
    year = today.year if today.month >= 3 else today.year - 1
    assess_from, assess_to = dt.date(year, 1, 1), dt.date(year, 12, 31)
    points = defaultdict(int)
    major = defaultdict(int)
    hygiene = defaultdict(int)
    for (h, kind, start), p in periods.items():
        if kind == PeriodKind.MONTH and assess_from <= start <= assess_to:
            points[h] += p[3]
            major[h] += p[6]
    for e in entries:
        if e.code in ("HY01", "HY02") and e.effective_at and assess_from <= e.occurred_on <= assess_to:
            hygiene[e.household_id] += e.delta
    min_points = 20
    eligible = sorted((h for h in points if points[h] >= min_points and not major[h]), key=lambda h: (-points[h], h))
    civilized = eligible[:CIVILIZED_FAMILIES]
    rest = [h for h in eligible if h not in set(civilized)]
    beautiful = sorted(rest, key=lambda h: (-hygiene[h], -points[h], h))[:BEAUTIFUL_HOMES]
    awarded_at = now - dt.timedelta(hours=1)
    counts = {}
    for kind, chosen in ((HonourKind.CIVILIZED_FAMILY, civilized), (HonourKind.BEAUTIFUL_HOME, beautiful)):
        campaign = HonourCampaign.objects.create(
            area=county,
            kind=kind,
            year=year,
            assess_from=assess_from,
            assess_to=assess_to,
            min_points=min_points,
            require_no_major_deduction=True,
            quota=len(chosen) or 1,
            status=CampaignStatus.AWARDED,
            notice_until=awarded_at - dt.timedelta(days=1),
        )
        steps = [CampaignStatus.NOMINATING, CampaignStatus.REVIEWING, CampaignStatus.IN_NOTICE, CampaignStatus.AWARDED]
        CampaignEvent.objects.bulk_create(
            [
                CampaignEvent(campaign=campaign, from_status=a, to_status=b, note="演示")
                for a, b in zip(steps, steps[1:], strict=False)
            ]
        )
        Nomination.objects.bulk_create(
            [
                Nomination(
                    campaign=campaign,
                    household_id=h,
                    points=points[h],
                    status=NominationStatus.APPROVED,
                    reason="村推荐",
                )
                for h in chosen
            ]
        )
        Honour.objects.bulk_create(
            [
                Honour(
                    campaign=campaign,
                    household_id=h,
                    kind=kind,
                    year=year,
                    number=f"{HONOUR_NUMBER_PREFIX[kind]}-{year}-{n:04d}",
                    verify_code=secrets.token_urlsafe(12),
                    awarded_at=awarded_at,
                )
                for n, h in enumerate(chosen, start=1)
            ]
        )
        counts[kind] = len(chosen)
    return counts
