"""Recording, second approval, public notice, appeals, reversal, caps and held deductions."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.points import services
from shanzhi.points.choices import AppealStatus, EntryAction, EntryStatus
from shanzhi.points.models import Appeal, EntryState, HouseholdPoints, PeriodPoints, PointsEntry
from tests.points.conftest import give


def balances(household):
    row = HouseholdPoints.objects.filter(household=household).first()
    return (row.balance, row.held, row.spendable, row.earned_lifetime) if row else (0, 0, 0, 0)


def status(entry):
    return EntryState.objects.get(entry=entry).status


def later(days=4):
    return timezone.now() + dt.timedelta(days=days)


def photo(name="evidence.png"):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_an_award_waits_in_notice_then_takes_effect(county, points):
    entry = services.record_entry(household=county.household, rule=points.rules["VL01"], actor=county.grid_worker)
    assert status(entry) == EntryStatus.IN_NOTICE
    assert balances(county.household) == (0, 0, 0, 0)
    assert services.sweep_notices() == 0  # notice not over
    assert services.sweep_notices(now=later()) == 1
    assert status(entry) == EntryStatus.EFFECTIVE
    assert balances(county.household) == (5, 0, 5, 5)
    month = PeriodPoints.objects.get(household=county.household, period_kind="month")
    assert (month.earned, month.awarded, month.township_id, month.county_id) == (
        5,
        5,
        county.township.pk,
        county.county.pk,
    )
    assert services.sweep_notices(now=later()) == 0  # a second sweep finds nothing


def test_a_deduction_is_held_while_in_notice(county, points):
    give(county.household, 50, points.bonus)
    services.record_entry(
        household=county.household, rule=points.rules["LT01"], actor=county.grid_worker, note="乱倒垃圾"
    )
    assert balances(county.household) == (50, 5, 45, 50)
    services.sweep_notices(now=later())
    assert balances(county.household) == (45, 0, 45, 45)


def test_bad_input_gives_field_errors_and_writes_nothing(county, points):
    before = PointsEntry.objects.count()
    with pytest.raises(InvalidInput) as error:
        services.record_entries(
            rule=points.rules["LT01"],
            households=[county.household],
            actor=county.village_secretary,
            delta=+3,
            occurred_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert {"delta", "occurred_on", "note"} <= set(error.value.fields)
    with pytest.raises(InvalidInput) as error:
        services.record_entry(
            household=county.household, rule=points.rules["DF01"], actor=county.village_secretary, note="x"
        )
    assert "evidence" in error.value.fields
    # Evidence is judged by its content: a program named .jpg, a PNG that does not decode.
    broken_png = SimpleUploadedFile("broken.png", photo().read()[:40], content_type="image/png")
    for upload, words in (
        (SimpleUploadedFile("p.jpg", b"MZ\x90\x00 program"), "p.jpg 不是照片"),
        (broken_png, "不是可识别的照片"),
    ):
        with pytest.raises(InvalidInput) as error:
            services.record_entry(
                household=county.household,
                rule=points.rules["DF01"],
                actor=county.village_secretary,
                note="x",
                evidence=upload,
            )
        assert words in " ".join(error.value.fields["evidence"])
    with pytest.raises(InvalidInput) as error:
        services.record_entry(household=county.far_household, rule=points.rules["VL01"], actor=None)
    assert "households" in error.value.fields
    assert PointsEntry.objects.count() == before


def test_out_of_scope_and_without_permission(county, points):
    with pytest.raises(NotFound):
        services.record_entry(household=county.neighbour, rule=points.rules["VL01"], actor=county.grid_worker)
    with pytest.raises(Forbidden):
        services.record_entry(household=county.household, rule=points.rules["VL01"], actor=county.villager)
    with pytest.raises(Forbidden):
        services.record_entry(household=county.household, rule=points.rules["VL01"], actor=county.department_handler)


def test_cap_per_household_per_period(county, points):
    rule = points.rules["VL01"]  # +5, at most 20 a month
    for _ in range(4):
        services.record_entry(household=county.household, rule=rule, actor=county.grid_worker)
    with pytest.raises(InvalidInput) as error:
        services.record_entry(household=county.household, rule=rule, actor=county.grid_worker)
    assert "20" in error.value.fields["households"][0]
    # Another household is not affected; a smaller award under the cap is refused too when full.
    services.record_entry(household=county.neighbour, rule=rule, actor=county.village_secretary)


def test_batch_award_for_an_activitys_attendees(county, points):
    entries = services.record_entries(
        rule=points.rules["AC01"], households=[county.household, county.neighbour], actor=county.village_secretary
    )
    assert [e.seq for e in entries] == [1, 2]
    assert entries[1].prev_hash == entries[0].hash


def test_big_deduction_needs_a_second_approver(county, points):
    give(county.household, 100, points.bonus)
    entry = services.record_entry(
        household=county.household,
        rule=points.rules["DF01"],
        actor=county.village_secretary,
        note="砸坏路灯",
        evidence=photo(),
    )
    assert entry.evidence.name.startswith("points/evidence/")
    assert status(entry) == EntryStatus.PENDING
    assert balances(county.household) == (100, 20, 80, 100)
    with pytest.raises(Conflict) as same:
        services.approve_entry(entry, actor=county.village_secretary)
    assert same.value.code == "same_approver"
    services.approve_entry(entry, actor=county.township_officer)
    state = EntryState.objects.get(entry=entry)
    assert state.status == EntryStatus.IN_NOTICE and state.approved_by == county.township_officer
    services.sweep_notices(now=later())
    assert balances(county.household) == (80, 0, 80, 80)
    month = PeriodPoints.objects.get(household=county.household, period_kind="month")
    assert month.major_deductions == 1


def test_declining_voids_by_reversal(county, points):
    entry = services.record_entry(
        household=county.household, rule=points.rules["DO01"], actor=county.village_secretary, note="滋事"
    )
    reversal = services.decline_entry(entry, actor=county.township_officer, reason="证据不足")
    assert status(entry) == EntryStatus.VOIDED
    assert reversal.reverses == entry and reversal.delta == 30
    assert status(reversal) == EntryStatus.VOIDED  # annulled together: neither ever counted
    assert balances(county.household) == (0, 0, 0, 0)


def test_appeal_upheld_voids_the_entry(county, points):
    give(county.household, 20, points.bonus)
    entry = services.record_entry(
        household=county.household, rule=points.rules["LT01"], actor=county.grid_worker, note="乱倒垃圾"
    )
    with pytest.raises(NotFound):
        services.appeal_entry(entry, actor=county.other_villager, reason="不是他家")
    appeal = services.appeal_entry(entry, actor=county.villager, reason="那天我不在家")
    with pytest.raises(Conflict):
        services.appeal_entry(entry, actor=county.villager, reason="再申诉一次")
    assert services.sweep_notices(now=later()) == 0  # an open appeal holds the entry
    with pytest.raises(Forbidden):
        services.decide_appeal(appeal, actor=county.grid_worker, uphold=True, reason="x")
    with pytest.raises(InvalidInput):
        services.decide_appeal(appeal, actor=county.village_secretary, uphold=True, reason=" ")
    services.decide_appeal(appeal, actor=county.village_secretary, uphold=True, reason="监控显示非该户所为")
    assert status(entry) == EntryStatus.VOIDED
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.UPHELD
    assert balances(county.household) == (20, 0, 20, 20)
    actions = list(entry.events.values_list("action", flat=True))
    assert actions == [EntryAction.APPEALED, EntryAction.APPEAL_UPHELD]


def test_appeal_rejected_then_the_entry_takes_effect(county, points):
    give(county.household, 20, points.bonus)
    entry = services.record_entry(
        household=county.household, rule=points.rules["LT01"], actor=county.grid_worker, note="乱倒垃圾"
    )
    appeal = services.appeal_entry(entry, actor=county.villager, reason="不是我")
    services.decide_appeal(appeal, actor=county.village_secretary, uphold=False, reason="有照片为证")
    assert status(entry) == EntryStatus.IN_NOTICE
    services.sweep_notices(now=later())
    assert status(entry) == EntryStatus.EFFECTIVE
    assert balances(county.household) == (15, 0, 15, 15)


def test_appeal_only_during_notice(county, points):
    entry = give(county.household, 10, points.bonus)
    with pytest.raises(Conflict):
        services.appeal_entry(entry, actor=county.villager, reason="太晚了")


def test_reversing_an_effective_entry_counts_the_reversal(county, points):
    entry = give(county.household, 30, points.bonus)
    reversal = services.reverse_entry(entry, actor=county.village_secretary, reason="重复登记")
    assert status(entry) == EntryStatus.VOIDED
    assert status(reversal) == EntryStatus.EFFECTIVE
    assert balances(county.household) == (0, 0, 0, 0)
    with pytest.raises(Conflict):
        services.reverse_entry(entry, actor=county.village_secretary, reason="再冲一次")
    with pytest.raises(Conflict):
        services.reverse_entry(reversal, actor=county.village_secretary, reason="冲正冲正")
    assert PeriodPoints.objects.get(household=county.household, period_kind="year").earned == 0
