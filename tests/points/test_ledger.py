"""The ledger cannot be changed quietly: model guards, the PostgreSQL trigger, and `points verify`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from shanzhi.core.models import AppendOnlyError
from shanzhi.points import services
from shanzhi.points.models import EntryEvent, HouseholdPoints, PointsEntry
from tests.points.conftest import give

ROOT = Path(__file__).resolve().parents[2]


def _build_ledger(county, points):
    give(county.household, 100, points.bonus)
    give(county.neighbour, 40, points.bonus)
    give(county.far_household, 30, points.far_bonus)
    shop = services.create_shop(county.village, actor=None, name="永和村积分超市")
    item = services.create_item(shop, actor=None, name="毛巾", points_price=15, stock=10)
    services.redeem(shop=shop, household=county.household, lines=[(item.pk, 2)], actor=county.village_secretary)
    entry = services.record_entry(
        household=county.neighbour, rule=points.rules["LT01"], actor=county.village_secretary, note="门前乱堆柴草"
    )
    return entry


def test_entries_refuse_update_and_delete_through_the_model(county, points):
    entry = give(county.household, 10, points.bonus)
    entry.delta = 99
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.filter(pk=entry.pk).update(delta=99)
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        EntryEvent.objects.filter(entry=entry).update(note="x")
    assert PointsEntry.objects.get(pk=entry.pk).delta == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgres_trigger_refuses_raw_update_and_delete(county, points):
    entry = give(county.household, 10, points.bonus)
    for sql in (
        "UPDATE points_pointsentry SET delta = 99 WHERE id = %s",
        "DELETE FROM points_pointsentry WHERE id = %s",
        "UPDATE points_entryevent SET note = 'x' WHERE entry_id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert PointsEntry.objects.get(pk=entry.pk).delta == 10


def _tamper(sql, params):
    """Raw SQL as a database superuser would run it (on PostgreSQL: with triggers switched off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def test_verify_is_clean_on_a_built_ledger_and_fails_after_tampering(county, points):
    _build_ledger(county, points)
    call_command("points", "verify")
    victim = PointsEntry.objects.filter(household=county.neighbour, kind="award").first()
    _tamper("UPDATE points_pointsentry SET delta = %s WHERE id = %s", [victim.delta + 500, victim.pk])
    with pytest.raises(CommandError, match="校验失败") as failure:
        call_command("points", "verify")
    assert failure.value.returncode == 2


def test_verify_detects_a_balance_changed_behind_the_ledger(county, points):
    _build_ledger(county, points)
    HouseholdPoints.objects.filter(household=county.far_household).update(balance=1000, spendable=1000)
    with pytest.raises(CommandError):
        call_command("points", "verify")


def test_verify_detects_a_deleted_entry(county, points):
    _build_ledger(county, points)
    last = PointsEntry.objects.filter(village=county.village).order_by("-seq").first()
    _tamper("DELETE FROM points_entrystate WHERE entry_id = %s", [last.pk])
    _tamper("DELETE FROM points_pointsentry WHERE id = %s", [last.pk])
    with pytest.raises(CommandError):
        call_command("points", "verify")


@pytest.mark.django_db(transaction=True)
def test_shanzhi_points_verify_exit_status(county, points):
    """The console command itself, run against the test database: 0 when clean, non-zero after tampering."""
    _build_ledger(county, points)
    env = {**os.environ}
    name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}/{name}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SHANZHI_SQLITE_PATH"] = str(name)
    command = [sys.executable, "-m", "shanzhi.cli", "points", "verify"]
    clean = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert "校验通过" in clean.stdout
    victim = PointsEntry.objects.filter(household=county.household, kind="redemption").first()
    _tamper("UPDATE points_pointsentry SET note = %s WHERE id = %s", ["兑换:电视机×1", victim.pk])
    tampered = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert tampered.returncode != 0
    assert "was changed after it was written" in tampered.stderr
