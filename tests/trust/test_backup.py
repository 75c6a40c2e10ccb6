"""Backup → restore into a fresh database → verify (row counts, audit chain, points ledger)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from shanzhi.core.backup import BackupError, Manifest, backup

ROOT = Path(__file__).resolve().parents[2]
COUNT_SCRIPT = """
import json, django
django.setup()
from shanzhi.core.models import AuditLog
from shanzhi.people.models import Household, Resident
from shanzhi.points.models import PointsEntry
from shanzhi.cases.models import Case
print(json.dumps({m.__name__: m.objects.count() for m in (AuditLog, Household, Resident, PointsEntry, Case)}))
"""


def _counts() -> dict[str, int]:
    from shanzhi.cases.models import Case
    from shanzhi.core.models import AuditLog
    from shanzhi.people.models import Household, Resident
    from shanzhi.points.models import PointsEntry

    return {m.__name__: m.objects.count() for m in (AuditLog, Household, Resident, PointsEntry, Case)}


class FreshDatabase:
    """A new, empty database of the same engine as the tests', for the restore."""

    def __init__(self, tmp_path: Path):
        self.settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.path = tmp_path / "restored.sqlite3"
            self.env = {"SHANZHI_SQLITE_PATH": str(self.path)}
        else:
            self.name = f"{self.settings['NAME']}_restored"
            self.drop()
            auth = self.settings["USER"] + (f":{self.settings['PASSWORD']}" if self.settings.get("PASSWORD") else "")
            url = f"postgres://{auth}@{self.settings['HOST']}:{self.settings['PORT'] or 5432}/{self.name}"
            self.env = {"DATABASE_URL": url}

    def _admin(self):
        import psycopg

        s = self.settings
        params = {k.lower(): s[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if s.get(k)}
        return psycopg.connect(dbname="postgres", autocommit=True, **params)

    def drop(self):
        if connection.vendor == "postgresql":
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def run(self, *args: str, script: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SHANZHI_SQLITE_PATH")}
        argv = [sys.executable, "-c", script] if script else [sys.executable, "-m", "shanzhi.cli", *args]
        env["DJANGO_SETTINGS_MODULE"] = "shanzhi.settings"
        return subprocess.run(
            argv, cwd=ROOT, env={**env, **self.env}, capture_output=True, text=True, timeout=300, check=False
        )


@pytest.fixture
def demo_county(transactional_db):
    from shanzhi.demo.steps import build_demo

    build_demo(households=1200)


def test_backup_restore_verify_round_trip(demo_county, tmp_path):
    expected = _counts()
    assert expected["PointsEntry"] > 0 and expected["Case"] > 0
    path = tmp_path / f"shanzhi-{connection.vendor}.backup"
    started = time.perf_counter()
    call_command("backup", str(path), verbosity=0)
    backup_seconds = time.perf_counter() - started
    manifest = Manifest.read(path)
    assert manifest.engine == connection.vendor
    assert manifest.tables["people_household"] == expected["Household"] == 1200
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(BackupError, match="already exists"):
        backup(path)  # never overwritten

    fresh = FreshDatabase(tmp_path)
    try:
        started = time.perf_counter()
        restored = fresh.run("restore", str(path))
        restore_seconds = time.perf_counter() - started
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "行数与备份清单一致" in restored.stdout
        assert "审计日志校验通过" in restored.stdout and "积分台账校验通过" in restored.stdout
        counted = fresh.run(script=COUNT_SCRIPT)
        assert counted.returncode == 0, counted.stderr
        assert json.loads(counted.stdout.strip().splitlines()[-1]) == expected
        for command in (("audit", "verify"), ("points", "verify")):
            result = fresh.run(*command)
            assert result.returncode == 0, result.stderr
        again = fresh.run("restore", str(path))
        assert again.returncode != 0 and "empty database" in again.stderr
        print(
            f"\n{connection.vendor}: backup {backup_seconds:.1f} s ({manifest.size_bytes / 1e6:.1f} MB, "
            f"{sum(manifest.tables.values()):,} rows), restore + verify {restore_seconds:.1f} s"
        )
    finally:
        fresh.drop()


def test_restore_refuses_a_backup_that_does_not_match_its_manifest(demo_county, tmp_path):
    path = tmp_path / "shanzhi.backup"
    manifest = backup(path)
    manifest.tables["people_resident"] += 1  # as if rows went missing on the way
    manifest.write(path)
    fresh = FreshDatabase(tmp_path)
    try:
        result = fresh.run("restore", str(path))
        assert result.returncode == 2
        assert "people_resident" in result.stderr and "与备份清单不符" in result.stderr
    finally:
        fresh.drop()
