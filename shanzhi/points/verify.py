"""Re-derive everything from the ledger and compare: ``shanzhi points verify``.

Checks, village by village: both SM3 chains (every hash recomputed, no gap, the head
at the tip); every entry's status replayed from its events (each a legal transition)
against :class:`EntryState`; every balance and period total recomputed from the
entries that took effect against :class:`HouseholdPoints` and :class:`PeriodPoints`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from shanzhi.points import ledger
from shanzhi.points.choices import EntryAction, EntryKind, EntryStatus, PeriodKind
from shanzhi.points.models import (
    GENESIS_HASH,
    EntryEvent,
    EntryState,
    HouseholdPoints,
    LedgerHead,
    PeriodPoints,
    PointsEntry,
)
from shanzhi.points.periods import period_start

LIMIT_PER_VILLAGE = 20  # problems listed per village before summarising


def _replay_initial(e: PointsEntry) -> dict:
    if e.kind in ledger.RULE_KINDS:
        if e.needs_approval:
            return {"status": EntryStatus.PENDING, "notice_until": None, "effective_at": None}
        return {
            "status": EntryStatus.IN_NOTICE,
            "notice_until": e.created + dt.timedelta(days=e.notice_days),
            "effective_at": None,
        }
    return {"status": EntryStatus.EFFECTIVE, "notice_until": None, "effective_at": e.created}


def verify_village(village_id: int, head: LedgerHead | None) -> list[str]:
    from shanzhi.points.services import TRANSITIONS

    problems: list[str] = []

    def problem(text: str) -> None:
        problems.append(f"village {village_id}: {text}")

    # --- the entry chain --------------------------------------------------------------
    entries: dict[int, PointsEntry] = {}
    previous, expected_seq = GENESIS_HASH, 0
    for e in PointsEntry.objects.filter(village_id=village_id).order_by("seq").iterator(chunk_size=5000):
        expected_seq += 1
        if e.seq != expected_seq:
            problem(f"entry chain gap: expected #{expected_seq}, found #{e.seq}")
            expected_seq = e.seq
        if e.prev_hash != previous:
            problem(f"entry #{e.seq} does not link to the one before it")
        if ledger.sm3_hex(e.prev_hash, ledger.entry_payload(e)) != e.hash:
            problem(f"entry #{e.seq} (id {e.pk}) was changed after it was written")
        previous = e.hash
        entries[e.pk] = e
    if head is None and entries:
        problem("no ledger head")
    elif head is not None and (head.entry_seq != expected_seq or head.entry_hash != previous):
        problem(f"entry chain head #{head.entry_seq} does not match the last entry #{expected_seq}")

    # --- the event chain and the replayed states ------------------------------------------
    state = {pk: _replay_initial(e) | {"open_appeal": False, "approved_by": None} for pk, e in entries.items()}
    previous, expected_seq = GENESIS_HASH, 0
    for ev in EntryEvent.objects.filter(village_id=village_id).order_by("seq").iterator(chunk_size=5000):
        expected_seq += 1
        if ev.seq != expected_seq:
            problem(f"event chain gap: expected #{expected_seq}, found #{ev.seq}")
            expected_seq = ev.seq
        if ev.prev_hash != previous:
            problem(f"event #{ev.seq} does not link to the one before it")
        if ledger.sm3_hex(ev.prev_hash, ledger.event_payload(ev)) != ev.hash:
            problem(f"event #{ev.seq} (id {ev.pk}) was changed after it was written")
        previous = ev.hash
        s = state.get(ev.entry_id)
        if s is None:
            problem(f"event #{ev.seq} refers to entry {ev.entry_id} of another village")
            continue
        allowed, target = TRANSITIONS.get(ev.action, (frozenset(), None))
        if s["status"] not in allowed or ev.from_status != s["status"] or ev.to_status != target:
            problem(f"event #{ev.seq}: {ev.action} is not allowed from {s['status']}")
        s["status"] = target or s["status"]
        if ev.action == EntryAction.APPROVED:
            s["notice_until"] = ev.created + dt.timedelta(days=entries[ev.entry_id].notice_days)
            s["approved_by"] = ev.actor_id
        elif ev.action == EntryAction.TOOK_EFFECT:
            s["effective_at"] = ev.created
        elif ev.action == EntryAction.APPEALED:
            s["open_appeal"] = True
        elif ev.action in (EntryAction.APPEAL_UPHELD, EntryAction.APPEAL_REJECTED):
            s["open_appeal"] = False
    if head is not None and (head.event_seq != expected_seq or head.event_hash != previous):
        problem(f"event chain head #{head.event_seq} does not match the last event #{expected_seq}")
    for pk, e in entries.items():  # a reversal counts exactly when the entry it reverses had counted
        if e.kind == EntryKind.REVERSAL:
            original = state.get(e.reverses_id)
            if original is None or original["status"] != EntryStatus.VOIDED:
                problem(f"entry #{e.seq} reverses an entry that is not voided")
            elif original["effective_at"] is None:
                state[pk].update(status=EntryStatus.VOIDED, effective_at=None)
    stored = {s.entry_id: s for s in EntryState.objects.filter(village_id=village_id)}
    for pk, s in state.items():
        row = stored.pop(pk, None)
        if row is None:
            problem(f"entry #{entries[pk].seq} has no status row")
            continue
        got = (row.status, row.notice_until, row.effective_at, row.open_appeal, row.approved_by_id)
        want = (s["status"], s["notice_until"], s["effective_at"], s["open_appeal"], s["approved_by"])
        if got != want:
            problem(f"entry #{entries[pk].seq} status {got[0]} differs from its events ({want[0]})")
    for pk in stored:
        problem(f"status row for unknown entry {pk}")

    # --- balances and period totals ---------------------------------------------------------
    balance = defaultdict(int)
    held = defaultdict(int)
    earned = defaultdict(int)
    periods: dict[tuple, list] = {}
    for pk, e in entries.items():
        s = state[pk]
        balance.setdefault(e.household_id, 0)
        if e.kind == EntryKind.DEDUCTION and s["status"] in (EntryStatus.PENDING, EntryStatus.IN_NOTICE):
            held[e.household_id] += -e.delta
        if s["effective_at"] is None:
            continue
        balance[e.household_id] += e.delta
        kind = entries[e.reverses_id].kind if e.kind == EntryKind.REVERSAL else e.kind
        if kind not in ledger.RULE_KINDS:
            continue
        earned[e.household_id] += e.delta
        for period in PeriodKind.values:
            key = (e.household_id, period, period_start(e.occurred_on, period))
            p = periods.setdefault(key, [0, 0, 0, 0, s["effective_at"]])
            p[0] += e.delta
            p[1] += e.delta if kind == EntryKind.AWARD else 0
            p[2] += -e.delta if kind == EntryKind.DEDUCTION else 0
            p[3] += (-1 if e.kind == EntryKind.REVERSAL else 1) if e.major else 0
            p[4] = max(p[4], s["effective_at"])
    rows = {r.household_id: r for r in HouseholdPoints.objects.filter(household_id__in=list(balance))}
    rows.update({r.household_id: r for r in HouseholdPoints.objects.filter(village_id=village_id)})
    for household_id in set(balance) | set(rows):
        want = (
            balance[household_id],
            held[household_id],
            max(0, balance[household_id] - held[household_id]),
            earned[household_id],
        )
        row = rows.get(household_id)
        got = (row.balance, row.held, row.spendable, row.earned_lifetime) if row else (0, 0, 0, 0)
        if got != want:
            problem(
                f"household {household_id} balances (balance, held, spendable, earned) {got} "
                f"differ from the ledger {want}"
            )
    for r in PeriodPoints.objects.filter(village_id=village_id).iterator(chunk_size=5000):
        key = (r.household_id, r.period_kind, r.period_start)
        want = periods.pop(key, None)
        got = [r.earned, r.awarded, r.deducted, r.major_deductions, r.reached_at]
        if want != got:
            problem(f"household {r.household_id} {r.period_kind} {r.period_start}: totals {got} differ from {want}")
    for key in periods:
        problem(f"household {key[0]} {key[1]} {key[2]}: totals missing")
    if len(problems) > LIMIT_PER_VILLAGE:
        problems = problems[:LIMIT_PER_VILLAGE] + [f"village {village_id}: … {len(problems) - LIMIT_PER_VILLAGE} more"]
    return problems


def verify_ledger(village_ids=None) -> tuple[int, int, list[str]]:
    """(villages checked, entries checked, problems)."""
    heads = {h.village_id: h for h in LedgerHead.objects.all()}
    villages = set(heads) | set(PointsEntry.objects.values_list("village_id", flat=True).distinct())
    villages |= set(HouseholdPoints.objects.values_list("village_id", flat=True).distinct())
    if village_ids is not None:
        villages &= set(village_ids)
    problems: list[str] = []
    for village_id in sorted(villages):
        problems += verify_village(village_id, heads.get(village_id))
    entries = PointsEntry.objects.filter(village_id__in=villages).count()
    return len(villages), entries, problems
