"""The ledger's machinery: SM3 hash chains per village and the balance projections.

Services call these inside their transaction after locking the village's
:class:`LedgerHead` (always first, so that every ledger write in a village takes its
locks in the same order: head, household balances, shop items). On SQLite the
IMMEDIATE transaction has already serialised the writers; on PostgreSQL the head row
lock does it per village.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone

from shanzhi.areas.models import Area
from shanzhi.core import sql
from shanzhi.core.errors import NotFound
from shanzhi.points.choices import EntryKind, EntryStatus, PeriodKind
from shanzhi.points.models import (
    GENESIS_HASH,
    EntryEvent,
    HouseholdPoints,
    LedgerHead,
    PeriodPoints,
    PointsEntry,
    ShopItem,
    VillageSettings,
)
from shanzhi.points.periods import period_start

SEPARATOR = "\x1f"
RULE_KINDS = (EntryKind.AWARD, EntryKind.DEDUCTION)


def stamp(moment: dt.datetime) -> str:
    if moment.utcoffset():
        moment = moment.astimezone(dt.UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def sm3_hex(prev_hash: str, payload: str) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(prev_hash.encode("ascii"))
    digest.update(payload.encode("utf-8"))
    return digest.finalize().hex()


def _evidence_name(e) -> str:
    """The stored file name; of a model instance read without building a FieldFile (its attribute
    holds the plain name until first read). The demo builder hashes plain rows too."""
    stored = getattr(e, "__dict__", None)
    value = stored["evidence"] if stored is not None and "evidence" in stored else e.evidence
    return getattr(value, "name", value) or ""


def entry_payload(e: PointsEntry) -> str:
    return SEPARATOR.join(
        str(v)
        for v in (
            e.village_id,
            e.seq,
            e.household_id,
            e.kind,
            e.rule_id or "",
            e.delta,
            e.occurred_on.isoformat(),
            e.note,
            _evidence_name(e),
            int(e.major),
            int(e.needs_approval),
            e.notice_days,
            e.reverses_id or "",
            e.recorded_by_id or "",
            stamp(e.created),
        )
    )


def event_payload(ev: EntryEvent) -> str:
    return SEPARATOR.join(
        str(v)
        for v in (
            ev.village_id,
            ev.seq,
            ev.entry_id,
            ev.action,
            ev.from_status,
            ev.to_status,
            ev.actor_id or "",
            ev.note,
            stamp(ev.created),
        )
    )


# --- statements of the hot path ------------------------------------------------------
#
# One posting is a handful of single-row statements. Through the ORM each costs far more
# Python (query building and compiling) than the database's work, so the ledger's own
# single-row reads and writes are plain SQL run by ``shanzhi.core.sql``; new rows are
# inserted by ``sql.insert_row``, with values prepared as their fields prepare them for ``save()``.

insert_row = sql.insert_row


DEFAULT_NOTICE_DAYS = VillageSettings._meta.get_field("notice_days").default


def household_grids(ids: list[int]) -> dict[int, tuple[int, str]]:
    """Household id → (village id, grid path), read in one statement."""
    marks = ", ".join(["%s"] * len(ids))
    query = "SELECT h.id, g.parent_id, g.path FROM people_household h JOIN areas_area g ON g.id = h.grid_id"
    query += f" WHERE h.id IN ({marks})"  # placeholders only
    return {row[0]: (row[1], row[2]) for row in sql.fetchall(query, ids)}


def rule_points_used(rule_id: int, household_ids: list[int], first: dt.date, last: dt.date) -> dict[int, int]:
    """Points each household got by a rule between two days, counting entries not voided (for caps)."""
    marks = ", ".join(["%s"] * len(household_ids))
    db = connections[DEFAULT_DB_ALIAS]
    adapt = db.ops.adapt_datefield_value
    query = (  # noqa: S608, UP032 - placeholders only
        "SELECT e.household_id, SUM(e.delta) FROM points_pointsentry e"
        " LEFT JOIN points_entrystate s ON s.entry_id = e.id"
        " WHERE e.rule_id = %s AND e.household_id IN ({}) AND e.kind IN (%s, %s)"
        " AND e.occurred_on >= %s AND e.occurred_on <= %s"
        " AND (s.status IS NULL OR s.status <> %s) GROUP BY e.household_id"
    ).format(marks)
    params = [rule_id, *household_ids, *RULE_KINDS, adapt(first), adapt(last), EntryStatus.VOIDED]
    return {row[0]: row[1] for row in sql.fetchall(query, params, using=db)}


def shop_area(shop_id: int) -> tuple[str, bool]:
    """(area path, open) of a shop, read in one statement; NotFound if it is gone."""
    row = sql.fetchone(
        "SELECT a.path, s.active FROM points_shop s JOIN areas_area a ON a.id = s.area_id WHERE s.id = %s", [shop_id]
    )
    if row is None:
        raise NotFound()
    return row[0], bool(row[1])


def _for_update() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def locked_spendable(household_id: int) -> int:
    """The household's spendable points, its balance row locked (0 if it has none yet)."""
    query = "SELECT spendable FROM points_householdpoints WHERE household_id = %s" + _for_update()  # noqa: S608
    row = sql.fetchone(query, [household_id])
    return row[0] if row else 0


def locked_items(shop_id: int, item_ids: list[int]) -> list[ShopItem]:
    """The shop's items among ``item_ids``, locked in id order."""
    marks = ", ".join(["%s"] * len(item_ids))
    query = (  # noqa: S608, UP032 - placeholders only
        "SELECT id, name, points_price, stock, active FROM points_shopitem"
        " WHERE shop_id = %s AND id IN ({}) ORDER BY id"
    ).format(marks) + _for_update()
    rows = sql.fetchall(query, [shop_id, *item_ids])
    items = []
    for pk, name, price, stock, active in rows:
        item = ShopItem(id=pk, shop_id=shop_id, name=name, points_price=price, stock=stock, active=bool(active))
        item._state.adding = False
        item._state.db = connection.alias
        items.append(item)
    return items


def take_stock(item_id: int, quantity: int) -> bool:
    """Decrement an item's stock if enough is left; False if not."""
    changed = sql.execute(
        "UPDATE points_shopitem SET stock = stock - %s WHERE id = %s AND stock >= %s", [quantity, item_id, quantity]
    )
    return changed == 1


_HEAD_SQL = (
    "SELECT h.entry_seq, h.entry_hash, h.event_seq, h.event_hash, s.notice_days"
    " FROM points_ledgerhead h LEFT JOIN points_villagesettings s ON s.village_id = h.village_id"
    " WHERE h.village_id = %s"
)


def _head_sql(db) -> str:
    return _HEAD_SQL + " FOR UPDATE OF h" if db.features.has_select_for_update_of else _HEAD_SQL


@dataclass(slots=True)
class Head:
    """A village's chain head as read under its lock; :func:`save_head` writes it back."""

    village_id: int
    entry_seq: int = 0
    entry_hash: str = GENESIS_HASH
    event_seq: int = 0
    event_hash: str = GENESIS_HASH
    notice_days: int = 0  # the village's public notice setting, read with the head


def lock_head(village_id: int) -> Head:
    """The village's chain head, locked for this transaction (created on first use).

    ``head.notice_days`` is the village's public notice setting, read in the same statement.
    """
    db = connections[DEFAULT_DB_ALIAS]
    row = sql.fetchone(_head_sql(db), [village_id], using=db)
    if row is None:
        try:
            with transaction.atomic():
                LedgerHead.objects.create(village_id=village_id)
        except IntegrityError:
            pass  # created by a concurrent first writer
        row = sql.fetchone(_head_sql(db), [village_id], using=db)
    notice_days = row[4] if row[4] is not None else DEFAULT_NOTICE_DAYS
    return Head(village_id, row[0], row[1], row[2], row[3], notice_days)


def chain_entries(head: Head | LedgerHead, entries: list[PointsEntry]) -> None:
    """Give each new entry its place and hash in the village chain (not yet saved)."""
    for entry in entries:
        entry.village_id = head.village_id
        head.entry_seq += 1
        entry.seq = head.entry_seq
        entry.prev_hash = head.entry_hash
        entry.hash = sm3_hex(entry.prev_hash, entry_payload(entry))
        head.entry_hash = entry.hash


def chain_events(head: Head | LedgerHead, events: list[EntryEvent]) -> None:
    for event in events:
        event.village_id = head.village_id
        head.event_seq += 1
        event.seq = head.event_seq
        event.prev_hash = head.event_hash
        event.hash = sm3_hex(event.prev_hash, event_payload(event))
        head.event_hash = event.hash


def append_entries(head: Head | LedgerHead, entries: list[PointsEntry]) -> list[PointsEntry]:
    chain_entries(head, entries)
    if len(entries) == 1:
        insert_row(entries[0])
    else:
        PointsEntry.objects.bulk_create(entries)
    return entries


def append_events(head: Head | LedgerHead, events: list[EntryEvent]) -> list[EntryEvent]:
    chain_events(head, events)
    if len(events) == 1:
        insert_row(events[0])
    elif events:
        EntryEvent.objects.bulk_create(events)
    return events


def save_head(head: Head | LedgerHead) -> None:
    sql.execute(
        "UPDATE points_ledgerhead SET entry_seq = %s, entry_hash = %s, event_seq = %s, event_hash = %s"
        " WHERE village_id = %s",
        [head.entry_seq, head.entry_hash, head.event_seq, head.event_hash, head.village_id],
    )


# --- projections ------------------------------------------------------------------


@dataclass
class Effect:
    """How one change moves a household's balances and period totals."""

    household_id: int
    balance: int = 0
    held: int = 0
    earned: int = 0
    day: dt.date | None = None  # the period the earned points count in
    awarded: int = 0
    deducted: int = 0
    major: int = 0
    at: dt.datetime | None = None


def original_kind(entry: PointsEntry, originals: dict[int, PointsEntry] | None = None) -> str:
    if entry.kind != EntryKind.REVERSAL:
        return entry.kind
    if originals is not None and entry.reverses_id in originals:
        return originals[entry.reverses_id].kind
    return entry.reverses.kind


def effect_on_record(entry: PointsEntry) -> Effect | None:
    """A deduction waiting in notice is held: the shop cannot spend it meanwhile."""
    if entry.kind == EntryKind.DEDUCTION:
        return Effect(entry.household_id, held=-entry.delta)
    return None


def effect_on_void_before_effect(entry: PointsEntry) -> Effect | None:
    if entry.kind == EntryKind.DEDUCTION:
        return Effect(entry.household_id, held=entry.delta)
    return None


def effect_on_take_effect(entry: PointsEntry, kind_of_original: str, at: dt.datetime) -> Effect:
    effect = Effect(entry.household_id, balance=entry.delta, at=at)
    if entry.kind == EntryKind.DEDUCTION:
        effect.held = entry.delta  # no longer held: it is in the balance now
    if kind_of_original in RULE_KINDS:
        effect.earned = entry.delta
        effect.day = entry.occurred_on
        if kind_of_original == EntryKind.AWARD:
            effect.awarded = entry.delta
        else:
            effect.deducted = -entry.delta
        if entry.major:
            effect.major = -1 if entry.kind == EntryKind.REVERSAL else 1
    return effect


def area_chain(village_id: int) -> tuple[int, int]:
    """(township id, county id) of a village."""
    township_id, county_id = Area.objects.filter(pk=village_id).values_list("parent_id", "parent__parent_id").get()
    return township_id, county_id


# Held points are a PositiveIntegerField: its CHECK refuses a negative result.
BALANCE_UPDATE = (
    "UPDATE points_householdpoints SET balance = balance + %s, held = held + %s,"
    " earned_lifetime = earned_lifetime + %s,"
    " spendable = CASE WHEN balance + %s - (held + %s) > 0 THEN balance + %s - (held + %s) ELSE 0 END,"
    " updated = %s WHERE household_id = %s RETURNING balance, held, spendable, earned_lifetime"
)


def apply_effects(village_id: int, effects: list[Effect | None]) -> dict[int, HouseholdPoints]:
    """Move balances and period totals; the caller holds the village head lock."""
    effects = [e for e in effects if e is not None]
    if not effects:
        return {}
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in effects:
        t = totals[e.household_id]
        t[0] += e.balance
        t[1] += e.held
        t[2] += e.earned
    rows: dict[int, HouseholdPoints] = {}
    now = timezone.now()
    stamp_now = connection.ops.adapt_datetimefield_value(now)
    # One UPDATE per household, in id order (the lock order on PostgreSQL); new rows are
    # created under the village head lock, which serialises the village's writers.
    for household_id in sorted(totals):
        balance, held, earned = totals[household_id]
        found = sql.fetchone(
            BALANCE_UPDATE, [balance, held, earned, balance, held, balance, held, stamp_now, household_id]
        )
        if found is None:
            row = HouseholdPoints(
                household_id=household_id,
                village_id=village_id,
                balance=balance,
                held=held,
                spendable=max(0, balance - held),
                earned_lifetime=earned,
            )
            if held < 0:
                raise AssertionError(f"held points of household {household_id} would go negative")
            insert_row(row)
        else:
            row = HouseholdPoints(
                household_id=household_id,
                village_id=village_id,
                balance=found[0],
                held=found[1],
                spendable=found[2],
                earned_lifetime=found[3],
                updated=now,
            )
            row._state.adding = False
            row._state.db = connection.alias
        rows[household_id] = row
    _apply_period_effects(village_id, [e for e in effects if e.day is not None])
    return rows


def _apply_period_effects(village_id: int, effects: list[Effect]) -> None:
    if not effects:
        return
    sums: dict[tuple[int, str, dt.date], list] = {}
    for e in effects:
        for kind in PeriodKind.values:
            key = (e.household_id, kind, period_start(e.day, kind))
            s = sums.setdefault(key, [0, 0, 0, 0, e.at])
            s[0] += e.earned
            s[1] += e.awarded
            s[2] += e.deducted
            s[3] += e.major
            s[4] = max(s[4], e.at)
    households = {k[0] for k in sums}
    starts = {k[2] for k in sums}
    existing = {
        (r.household_id, r.period_kind, r.period_start): r
        for r in PeriodPoints.objects.filter(household_id__in=households, period_start__in=starts)
    }
    township_id = county_id = None
    to_create, to_update = [], []
    for key, (earned, awarded, deducted, major, at) in sums.items():
        row = existing.get(key)
        if row is None:
            if township_id is None:
                township_id, county_id = area_chain(village_id)
            row = PeriodPoints(
                household_id=key[0],
                village_id=village_id,
                township_id=township_id,
                county_id=county_id,
                period_kind=key[1],
                period_start=key[2],
                reached_at=at,
            )
            to_create.append(row)
        else:
            to_update.append(row)
        row.earned += earned
        row.awarded += awarded
        row.deducted += deducted
        row.major_deductions += major
        row.reached_at = max(row.reached_at, at)
    if to_create:
        PeriodPoints.objects.bulk_create(to_create)
    fields = ["earned", "awarded", "deducted", "major_deductions", "reached_at"]
    if len(to_update) <= 3:
        for row in to_update:
            row.save(update_fields=fields)
    else:
        PeriodPoints.objects.bulk_update(to_update, fields, batch_size=500)
