"""The SM3-chained audit log: verify, tampering found, concurrent writers, retention and purge."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from shanzhi.core import audit
from shanzhi.core.models import AuditCheckpoint, AuditLog

POSTGRES = connection.vendor == "postgresql"


def _raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _tamper(sql: str, params=()):
    """Change the table as someone with direct database access would (triggers off on PostgreSQL)."""
    if POSTGRES:
        _raw("SET session_replication_role = replica")
    try:
        _raw(sql, params)
    finally:
        if POSTGRES:
            _raw("SET session_replication_role = origin")


def _verify_command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_rows_are_chained_and_verify(county):
    first = audit.record("test.first", actor=county.county_admin, after={"n": 1.0, "when": dt.date(2026, 1, 2)})
    second = audit.record("test.second", obj=county.household, extra_field={"z": [1, 2], "a": None})
    assert second.prev_hash == first.row_hash
    assert len(first.row_hash) == 64 and first.row_hash != first.prev_hash
    stored = AuditLog.objects.get(pk=second.pk)
    assert audit.row_hash(stored.prev_hash, stored) == stored.row_hash  # the stored row hashes alike
    report = audit.verify_chain()
    assert report.ok and report.rows == AuditLog.objects.count()
    assert "审计日志校验通过" in _verify_command()


def test_a_changed_row_is_named_by_verify(county):
    rows = [audit.record("test.row", object_repr=f"row {n}") for n in range(5)]
    target = rows[2]
    _tamper(f"UPDATE core_auditlog SET object_repr = 'changed' WHERE id = {int(target.pk)}")
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_id == target.pk and report.problem == "content"
    with pytest.raises(CommandError) as info:
        _verify_command()
    assert info.value.returncode == 2
    assert f"第 {target.pk} 行" in str(info.value) and "该行被修改" in str(info.value)


def test_a_removed_row_breaks_the_link_of_the_next(county):
    rows = [audit.record("test.row", object_repr=f"row {n}") for n in range(5)]
    _tamper(f"DELETE FROM core_auditlog WHERE id = {int(rows[1].pk)}")
    report = audit.verify_chain()
    assert report.first_bad_id == rows[2].pk and report.problem == "link"


def test_a_rehashed_row_still_breaks_the_chain(county):
    rows = [audit.record("test.row", object_repr=f"row {n}") for n in range(4)]
    victim = AuditLog.objects.get(pk=rows[1].pk)
    victim.object_repr = "forged"
    forged_hash = audit.row_hash(victim.prev_hash, victim)
    _tamper(
        "UPDATE core_auditlog SET object_repr = 'forged', row_hash = %s WHERE id = %s", [forged_hash, int(victim.pk)]
    )
    report = audit.verify_chain()
    assert report.first_bad_id == rows[2].pk and report.problem == "link"


@pytest.mark.skipif(not POSTGRES, reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_on_the_audit_tables(county):
    entry = audit.record("test.row")
    AuditCheckpoint.objects.create(purged_before=timezone.now(), through_id=0, through_hash="0" * 64, rows_purged=0)
    for sql in (
        f"UPDATE core_auditlog SET action = 'x' WHERE id = {int(entry.pk)}",
        f"DELETE FROM core_auditlog WHERE id = {int(entry.pk)}",
        "UPDATE core_auditcheckpoint SET rows_purged = 1",
        "DELETE FROM core_auditcheckpoint",
    ):
        with pytest.raises(DatabaseError) as info, transaction.atomic():
            _raw(sql)
        assert "append-only" in str(info.value)
    assert AuditLog.objects.get(pk=entry.pk).action == "test.row"


@pytest.mark.concurrency
def test_concurrent_writers_never_fork_the_chain(transactional_db):
    writers, per_writer = 4, 25
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int):
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    audit.record("test.concurrent", object_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = list(AuditLog.objects.filter(action="test.concurrent").order_by("id"))
    assert len(rows) == writers * per_writer
    assert len({r.prev_hash for r in AuditLog.objects.all()}) == AuditLog.objects.count()  # no two share a parent
    assert audit.verify_chain().ok


def test_flush_empties_the_audit_tables(transactional_db):
    audit.record("test.row")
    call_command("flush", interactive=False, verbosity=0)  # what tests and the demo do (TRUNCATE on PostgreSQL)
    assert not AuditLog.objects.exists()


def _history():
    """Rows 200 and 100 days old and one of today, as time passed."""
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=200), tick=False):
        old = [audit.record("test.old", object_id=str(n)) for n in range(3)]
    with time_machine.travel(now - dt.timedelta(days=100), tick=False):
        middle = [audit.record("test.middle", object_id=str(n)) for n in range(2)]
    recent = audit.record("test.recent")
    return old, middle, recent


def test_purge_removes_only_rows_past_retention_and_the_chain_still_verifies(db):
    old, middle, recent = _history()
    today = timezone.localdate()
    result = audit.purge(before=today - dt.timedelta(days=190), actor_label="ops")
    assert result.rows_purged == 3 and result.through_id == old[-1].pk and result.through_hash == old[-1].row_hash
    assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == [
        "test.middle",
        "test.middle",
        "test.recent",
        "core.audit.purged",
    ]
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.through_hash == old[-1].row_hash and checkpoint.rows_purged == 3
    purge_row = AuditLog.objects.get(action="core.audit.purged")
    assert purge_row.extra["rows"] == 3 and purge_row.actor_label == "ops"
    report = audit.verify_chain()
    assert report.ok and report.anchor == old[-1].row_hash
    audit.record("test.after")  # the chain goes on
    assert audit.verify_chain().ok


def test_purge_refuses_rows_younger_than_180_days(db):
    _history()
    today = timezone.localdate()
    with pytest.raises(audit.RetentionError):
        audit.purge(before=today - dt.timedelta(days=150))
    with pytest.raises(CommandError) as info:
        call_command("audit", "purge", "--before", (today - dt.timedelta(days=179)).isoformat())
    assert info.value.returncode == 3 and "180" in str(info.value)
    with pytest.raises(CommandError):
        call_command("audit", "purge", "--before", "not-a-date")
    assert AuditLog.objects.count() == 6 and not AuditCheckpoint.objects.exists()
    call_command("audit", "purge", "--before", (today - dt.timedelta(days=180)).isoformat())
    assert AuditLog.objects.filter(action="test.old").count() == 0
    assert AuditLog.objects.filter(action="test.middle").count() == 2


def test_purge_refuses_a_broken_chain(db):
    old, _middle, _recent = _history()
    _tamper(f"UPDATE core_auditlog SET object_id = 'x' WHERE id = {int(old[0].pk)}")
    with pytest.raises(audit.RetentionError, match="broken"):
        audit.purge(before=timezone.localdate() - dt.timedelta(days=190))
    assert AuditLog.objects.count() == 6


def test_a_cut_made_by_hand_with_a_forged_checkpoint_is_found(db):
    old, _middle, _recent = _history()
    _tamper(f"DELETE FROM core_auditlog WHERE id <= {int(old[-1].pk)}")
    assert audit.verify_chain().problem == "link"  # the first remaining row links to nothing known
    AuditCheckpoint.objects.create(
        purged_before=timezone.now(), through_id=old[-1].pk, through_hash=old[-1].row_hash, rows_purged=3
    )
    report = audit.verify_chain()
    assert not report.ok and report.problem == "checkpoint"
