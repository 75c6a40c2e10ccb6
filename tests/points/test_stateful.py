"""Hypothesis state machine: any sequence of award, deduct, approve, appeal, uphold, reject, sweep,
redeem, cancel and reverse keeps balance = sum of effective entries, spendable ≥ 0 and every entry unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from shanzhi.core.errors import Conflict
from shanzhi.points import services
from shanzhi.points.choices import EntryKind, EntryStatus, RedemptionStatus
from shanzhi.points.models import Appeal, EntryState, HouseholdPoints, PointsEntry, Redemption
from shanzhi.points.verify import verify_ledger


def make_machine(county, points, shop, item):
    households = [county.household, county.neighbour]

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.clock = timezone.now()
            self.seen: dict[int, tuple] = {}

        def teardown(self):
            try:
                assert verify_ledger()[2] == []
            finally:
                transaction.set_rollback(True)
                self.atomic.__exit__(None, None, None)

        def _states(self, **filters):
            return list(EntryState.objects.filter(village=county.village, **filters).select_related("entry"))

        @rule(h=st.sampled_from([0, 1]), amount=st.integers(1, 60))
        def award(self, h, amount):
            services.record_entry(
                household=households[h], rule=points.bonus, actor=county.village_secretary, delta=amount
            )

        @rule(h=st.sampled_from([0, 1]), big=st.booleans())
        def deduct(self, h, big):
            rule_ = points.rules["DO01"] if big else points.rules["LT01"]
            services.record_entry(household=households[h], rule=rule_, actor=county.village_secretary, note="测试扣分")

        @precondition(lambda self: EntryState.objects.filter(status=EntryStatus.PENDING).exists())
        @rule(data=st.data(), approve=st.booleans())
        def second_approval(self, data, approve):
            state = data.draw(st.sampled_from(self._states(status=EntryStatus.PENDING)))
            if approve:
                services.approve_entry(state.entry, actor=county.township_officer)
            else:
                services.decline_entry(state.entry, actor=county.township_officer, reason="证据不足")

        @precondition(
            lambda self: EntryState.objects.filter(
                status=EntryStatus.IN_NOTICE,
                household=county.household,
                open_appeal=False,
                notice_until__gt=timezone.now(),
            ).exists()
        )
        @rule(data=st.data())
        def appeal(self, data):
            states = [
                s
                for s in self._states(status=EntryStatus.IN_NOTICE, household=county.household, open_appeal=False)
                if s.notice_until > timezone.now()
            ]
            state = data.draw(st.sampled_from(states))
            try:
                services.appeal_entry(state.entry, actor=county.villager, reason="不同意")
            except Conflict as exc:
                assert exc.code == "already_appealed"

        @precondition(lambda self: Appeal.objects.filter(status="open").exists())
        @rule(data=st.data(), uphold=st.booleans())
        def decide(self, data, uphold):
            appeal = data.draw(st.sampled_from(list(Appeal.objects.filter(status="open"))))
            services.decide_appeal(appeal, actor=county.village_secretary, uphold=uphold, reason="已核实")

        @rule()
        def sweep(self):
            self.clock += dt.timedelta(days=4)
            services.sweep_notices(now=self.clock)

        @rule(h=st.sampled_from([0, 1]), quantity=st.integers(1, 6))
        def redeem(self, h, quantity):
            before = HouseholdPoints.objects.filter(household=households[h]).first()
            spendable = before.spendable if before else 0
            try:
                services.redeem(
                    shop=shop, household=households[h], lines=[(item.pk, quantity)], actor=county.village_secretary
                )
            except Conflict as exc:
                assert exc.code == "insufficient_points" and spendable < 7 * quantity
            else:
                assert spendable >= 7 * quantity

        @precondition(lambda self: Redemption.objects.filter(status=RedemptionStatus.COMPLETED).exists())
        @rule(data=st.data())
        def cancel(self, data):
            redemption = data.draw(st.sampled_from(list(Redemption.objects.filter(status=RedemptionStatus.COMPLETED))))
            services.cancel_redemption(redemption, actor=county.village_secretary, reason="退货")

        @precondition(
            lambda self: EntryState.objects.filter(
                status=EntryStatus.EFFECTIVE, entry__kind__in=[EntryKind.AWARD, EntryKind.DEDUCTION]
            ).exists()
        )
        @rule(data=st.data())
        def reverse(self, data):
            states = [
                s
                for s in self._states(status=EntryStatus.EFFECTIVE)
                if s.entry.kind in (EntryKind.AWARD, EntryKind.DEDUCTION)
            ]
            state = data.draw(st.sampled_from(states))
            services.reverse_entry(state.entry, actor=county.village_secretary, reason="更正")

        @invariant()
        def balances_follow_the_ledger(self):
            for household in households:
                effective = (
                    PointsEntry.objects.filter(household=household, state__effective_at__isnull=False).aggregate(
                        total=Sum("delta")
                    )["total"]
                    or 0
                )
                held = -(
                    PointsEntry.objects.filter(
                        household=household,
                        kind=EntryKind.DEDUCTION,
                        state__status__in=[EntryStatus.PENDING, EntryStatus.IN_NOTICE],
                    ).aggregate(total=Sum("delta"))["total"]
                    or 0
                )
                row = HouseholdPoints.objects.filter(household=household).first()
                balance, stored_held, spendable = (row.balance, row.held, row.spendable) if row else (0, 0, 0)
                assert balance == effective
                assert stored_held == held
                assert spendable >= 0
                assert spendable == max(0, effective - held)

        @invariant()
        def no_entry_ever_changes(self):
            for pk, *fields in PointsEntry.objects.values_list(
                "pk", "hash", "delta", "household_id", "kind", "note", "created", "seq"
            ):
                fields = tuple(fields)
                assert self.seen.setdefault(pk, fields) == fields

    return LedgerMachine


@pytest.mark.django_db
def test_ledger_state_machine(county, points):
    shop = services.create_shop(county.village, actor=None, name="永和村积分超市")
    item = services.create_item(shop, actor=None, name="肥皂", points_price=7, stock=100_000)
    machine = make_machine(county, points, shop, item)
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    run_state_machine_as_test(machine, settings=machine.TestCase.settings)
