"""shanzhi.core.sql: the hot path's statements and inserts behave as Django's cursor and save() do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanzhi.core import audit, sql
from shanzhi.core.models import AuditLog
from shanzhi.points import services
from shanzhi.points.choices import EntryKind, EntryStatus
from shanzhi.points.models import EntryState, PointsEntry
from tests.points.conftest import setup_points

SELECT_AREAS = "SELECT id, code FROM areas_area WHERE level = %s ORDER BY id"


@pytest.fixture
def points(county):
    return setup_points(county)


def _django_rows(query, params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def test_statements_return_what_djangos_cursor_returns(county):
    expected = _django_rows(SELECT_AREAS, ["village"])
    assert expected
    with transaction.atomic():  # the direct path on SQLite
        assert sql.fetchall(SELECT_AREAS, ["village"]) == expected
        assert sql.fetchone(SELECT_AREAS, ["village"]) == expected[0]
        assert sql.fetchone(SELECT_AREAS, ["no such level"]) is None
        # "%%" is a literal percent sign, as with Django's cursor.
        assert sql.fetchone("SELECT %s || '%%'", ["50"]) == ("50%",)
        changed = sql.execute("UPDATE areas_area SET sort_order = sort_order WHERE level = %s", ["village"])
    assert changed == len(expected)
    assert sql.fetchall(SELECT_AREAS, ["village"]) == expected  # outside a transaction: Django's cursor


def test_logged_queries_see_every_statement(county):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        sql.fetchone(SELECT_AREAS, ["village"])
        sql.execute("UPDATE areas_area SET sort_order = sort_order WHERE id = %s", [county.village.pk])
    statements = [q["sql"] for q in captured.captured_queries]
    assert any(s.startswith("SELECT id, code FROM areas_area") for s in statements)
    assert any(s.startswith("UPDATE areas_area") for s in statements)


def test_execute_wrappers_see_every_statement(county):
    seen = []

    def monitor(execute, sql_text, params, many, context):
        seen.append(sql_text)
        return execute(sql_text, params, many, context)

    with connection.execute_wrapper(monitor), transaction.atomic():
        assert sql.fetchone(SELECT_AREAS, ["village"]) is not None
    assert any(s.startswith("SELECT id, code FROM areas_area") for s in seen)


def test_errors_are_djangos_and_roll_back(county):
    table = PointsEntry._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.execute(f"INSERT INTO {table} (village_id) VALUES (%s)", [county.village.pk])  # noqa: S608
    assert not PointsEntry.objects.exists()


def test_insert_row_stores_what_save_stores(county):
    """A row inserted by sql.insert_row reads back field for field as the same row saved by the ORM."""
    moment = timezone.now().replace(microsecond=123456)
    values = {
        "actor_id": county.county_admin.pk,
        "actor_label": "县管理员",
        "ip": "10.0.0.7",
        "user_agent": "测试",
        "action": "test.sql",
        "object_type": "test.thing",
        "object_id": "7",
        "object_repr": "第七",
        "before": None,
        "after": {"名称": "王", "n": [1, 2], "ok": True},
        "extra": {},
        "created": moment,
        "prev_hash": "a" * 64,
        "row_hash": "b" * 64,
    }
    saved = AuditLog(**values)
    saved.save()  # the ORM's own INSERT (append-only rows allow the first save)
    inserted = sql.insert_row(AuditLog(**values))
    assert inserted.pk and inserted.pk != saved.pk
    first, second = AuditLog.objects.get(pk=saved.pk), AuditLog.objects.get(pk=inserted.pk)
    for field in AuditLog._meta.concrete_fields:
        if not field.primary_key:
            assert getattr(first, field.attname) == getattr(second, field.attname), field.name
    assert second.created == moment and second.before is None and second.after["名称"] == "王"


def test_build_and_insert_fill_defaults_like_keywords(county, points):
    built = sql.build(PointsEntry, household_id=county.household.pk, kind=EntryKind.AWARD, delta=5)
    keyword = PointsEntry(household_id=county.household.pk, kind=EntryKind.AWARD, delta=5)
    for field in PointsEntry._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(keyword, field.attname), field.name
    assert built._state.adding
    with pytest.raises(TypeError, match="no_such_field"):
        sql.build(PointsEntry, no_such_field=1)
    entry = services.record_entry(household=county.household, rule=points.rules["VL01"], actor=None)
    state = EntryState.objects.get(entry=entry)  # inserted by sql.insert, without an instance
    assert state.status == EntryStatus.IN_NOTICE and state.open_appeal is False and state.approved_by_id is None
    assert state.household_id == county.household.pk and state.village_id == county.village.pk
    assert state.notice_until == entry.created + dt.timedelta(days=entry.notice_days)


def test_a_posting_is_recorded_in_the_ledger_not_in_the_audit_log(county, points):
    """ADR 0007: the entry is the posting's record; decisions about it stay audited."""
    before = AuditLog.objects.count()
    entry = services.record_entry(
        household=county.household, rule=points.rules["VL01"], actor=county.village_secretary, note="清扫村道"
    )
    assert AuditLog.objects.count() == before
    stored = PointsEntry.objects.get(pk=entry.pk)
    assert stored.recorded_by_id == county.village_secretary.pk and stored.note == "清扫村道"
    services.reverse_entry(entry, actor=county.village_secretary, reason="记错了户")
    assert AuditLog.objects.filter(action="points.entry.reversed", object_id=str(entry.pk)).exists()
    assert audit.verify_chain().ok


def test_an_entry_is_reversed_at_most_once_in_the_database(county, points):
    entry = services.record_entry(household=county.household, rule=points.rules["VL01"], actor=None)
    reversal = services.reverse_entry(entry, actor=None, reason="重复录入")
    twin = sql.build(
        PointsEntry,
        village_id=entry.village_id,
        seq=10_000,
        household_id=entry.household_id,
        kind=EntryKind.REVERSAL,
        delta=-entry.delta,
        occurred_on=entry.occurred_on,
        reverses_id=entry.pk,
        created=timezone.now(),
        prev_hash="0" * 64,
        hash="1" * 64,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.insert_row(twin)
    assert list(PointsEntry.objects.filter(reverses=entry)) == [reversal]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's rowid")
def test_entry_state_key_is_the_rowid(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'points_entrystate' AND type = 'index'")
        names = {row[0] for row in cursor.fetchall()}
    assert not any(name.startswith("sqlite_autoindex") for name in names), names

