"""The posting path's own statements keep the rules they replace: scope, village settings, audit chain."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection, transaction

from shanzhi.core import audit
from shanzhi.core.models import AuditLog
from shanzhi.people.models import Household
from shanzhi.points import ledger, services
from shanzhi.points.models import EntryState, HouseholdPoints, PointsEntry, Shop, shop_path_in_scope
from shanzhi.points.services import _household_in_scope
from tests.factories import PERSONAS, fresh
from tests.points.conftest import give


def test_household_scope_test_agrees_with_the_querysets_rule(county):
    households = list(Household.objects.all())
    found = ledger.household_grids([h.pk for h in households])
    for persona in PERSONAS:
        user = fresh(getattr(county, persona))
        visible = set(Household.objects.for_user(user).values_list("pk", flat=True))
        judged = {h.pk for h in households if _household_in_scope(user.scope, h.pk, found[h.pk][1])}
        assert judged == visible, persona


def test_shop_scope_test_agrees_with_the_querysets_rule(county):
    for area in (county.village, county.other_village, county.far_village, county.township, county.other_township):
        services.create_shop(area, actor=None, name=f"{area.name}积分超市")
    shops = list(Shop.objects.select_related("area"))
    for persona in PERSONAS:
        user = fresh(getattr(county, persona))
        visible = set(Shop.objects.for_user(user).values_list("pk", flat=True))
        judged = {s.pk for s in shops if shop_path_in_scope(user.scope, ledger.shop_area(s.pk)[0])}
        assert judged == visible, persona


def test_notice_days_come_from_the_village_setting_read_with_the_head(county, points):
    first = services.record_entry(household=county.household, rule=points.rules["VL01"], actor=None)
    assert first.notice_days == 3  # no settings row: the model's default
    services.update_village_settings(county.village, actor=None, notice_days=7, exclude_major_from_awards=True)
    second = services.record_entry(household=county.household, rule=points.rules["HY01"], actor=None)
    assert second.notice_days == 7
    state = EntryState.objects.get(entry=second)
    assert (state.notice_until - second.created).days == 7


def test_balance_update_creates_and_moves_the_row(county, points):
    assert not HouseholdPoints.objects.filter(household=county.household).exists()
    deduction = services.record_entry(
        household=county.household, rule=points.rules["LT01"], actor=None, note="门前乱堆柴草"
    )
    row = HouseholdPoints.objects.get(household=county.household)
    assert (row.balance, row.held, row.spendable) == (0, 5, 0)
    give(county.household, 30, points.bonus)
    row.refresh_from_db()
    # The bonus took effect; the deduction took effect in the same sweep and left "held".
    assert (row.balance, row.held, row.spendable, row.earned_lifetime) == (25, 0, 25, 25)
    assert PointsEntry.objects.get(pk=deduction.pk).hash == deduction.hash


def test_record_many_chains_rows_with_record(county):
    audit.record("test.single", actor=None, object_type="test.thing", object_id="1")
    written = audit.record_many(
        [
            {"action": "test.bulk", "object_type": "test.thing", "object_id": 2, "after": {"n": (1, 2)}},
            {"action": "test.bulk", "object_type": "test.thing", "object_id": 3, "extra": {"job": 7}},
        ],
        actor=county.village_secretary,
    )
    audit.record("test.single", actor=county.village_secretary, object_type="test.thing", object_id="4")
    assert written == 2
    rows = list(AuditLog.objects.filter(action__startswith="test.").order_by("id"))
    assert [r.object_id for r in rows] == ["1", "2", "3", "4"]
    assert rows[1].after == {"n": [1, 2]} and rows[2].extra == {"job": 7}
    assert rows[1].actor_id == county.village_secretary.pk and rows[1].actor_label == "village_secretary"
    assert rows[2].prev_hash == rows[1].row_hash and rows[3].prev_hash == rows[2].row_hash
    assert audit.verify_chain().ok
    assert audit.record_many([]) == 0


def test_record_many_json_ready_rows_hash_and_store_as_given(county):
    audit.record_many(
        [{"action": "test.ready", "object_id": 5, "after": {"name": "王", "tags": ["a"]}, "extra": {"job": 1}}],
        json_ready=True,
    )
    row = AuditLog.objects.get(action="test.ready")
    assert row.after == {"name": "王", "tags": ["a"]} and row.extra == {"job": 1} and row.object_id == "5"
    assert row.row_hash == audit.row_hash(row.prev_hash, row)
    assert audit.verify_chain().ok


def test_record_many_refuses_half_a_batch(county):
    before = AuditLog.objects.count()
    with pytest.raises(KeyError), transaction.atomic():
        audit.record_many([{"action": "test.ok"}, {"object_type": "no action"}])
    assert AuditLog.objects.count() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's pragma")
def test_sqlite_commits_are_flushed_to_disk(db):
    """docs/decisions/0006: an answered posting survives a power cut (synchronous=FULL by default)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        level = cursor.fetchone()[0]
    assert {1: "NORMAL", 2: "FULL", 3: "EXTRA"}[level] == settings.SQLITE_SYNCHRONOUS
    if "SHANZHI_SQLITE_SYNCHRONOUS" not in os.environ:
        assert settings.SQLITE_SYNCHRONOUS == "FULL"
