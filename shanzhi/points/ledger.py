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
from django.db import IntegrityError, transaction

from shanzhi.areas.models import Area
from shanzhi.points.choices import EntryKind, PeriodKind
from shanzhi.points.models import EntryEvent, HouseholdPoints, LedgerHead, PeriodPoints, PointsEntry
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
            e.evidence.name or "",
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


def lock_head(village_id: int) -> LedgerHead:
    """The village's chain head, locked for this transaction (created on first use)."""
    head = LedgerHead.objects.select_for_update().filter(village_id=village_id).first()
    if head is None:
        try:
            with transaction.atomic():
                LedgerHead.objects.create(village_id=village_id)
        except IntegrityError:
            pass  # created by a concurrent first writer
        head = LedgerHead.objects.select_for_update().get(village_id=village_id)
    return head


def chain_entries(head: LedgerHead, entries: list[PointsEntry]) -> None:
    """Give each new entry its place and hash in the village chain (not yet saved)."""
    for entry in entries:
        entry.village_id = head.village_id
        head.entry_seq += 1
        entry.seq = head.entry_seq
        entry.prev_hash = head.entry_hash
        entry.hash = sm3_hex(entry.prev_hash, entry_payload(entry))
        head.entry_hash = entry.hash


def chain_events(head: LedgerHead, events: list[EntryEvent]) -> None:
    for event in events:
        event.village_id = head.village_id
        head.event_seq += 1
        event.seq = head.event_seq
        event.prev_hash = head.event_hash
        event.hash = sm3_hex(event.prev_hash, event_payload(event))
        head.event_hash = event.hash


def append_entries(head: LedgerHead, entries: list[PointsEntry]) -> list[PointsEntry]:
    chain_entries(head, entries)
    if len(entries) == 1:
        entries[0].save()
    else:
        PointsEntry.objects.bulk_create(entries)
    return entries


def append_events(head: LedgerHead, events: list[EntryEvent]) -> list[EntryEvent]:
    chain_events(head, events)
    if len(events) == 1:
        events[0].save()
    elif events:
        EntryEvent.objects.bulk_create(events)
    return events


def save_head(head: LedgerHead) -> None:
    head.save(update_fields=["entry_seq", "entry_hash", "event_seq", "event_hash"])


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
    rows = {
        r.household_id: r
        for r in HouseholdPoints.objects.select_for_update().filter(household_id__in=list(totals)).order_by("pk")
    }
    missing = [h for h in totals if h not in rows]
    if missing:
        created = [HouseholdPoints(household_id=h, village_id=village_id) for h in missing]
        HouseholdPoints.objects.bulk_create(created)
        rows.update({r.household_id: r for r in created})
    for household_id, (balance, held, earned) in totals.items():
        row = rows[household_id]
        row.balance += balance
        row.held += held
        row.earned_lifetime += earned
        row.spendable = max(0, row.balance - row.held)
        if row.held < 0:
            raise AssertionError(f"held points of household {household_id} would go negative")
        row.save(update_fields=["balance", "held", "spendable", "earned_lifetime", "updated"])
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
