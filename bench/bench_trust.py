"""Trust benchmarks: the cost of the SM3 audit chain, verify speed, login policy, backup and restore.

    .venv/bin/python -m bench.bench_trust [--rows 20000] [--households 15900]
    DATABASE_URL=... .venv/bin/python -m bench.bench_trust --pg postgres://postgres@127.0.0.1:5432/bench_trust

- audit append: ``audit.record`` (advisory lock on PostgreSQL, read the chain tip, SM3,
  insert) one row per transaction, against the baseline of inserting the same row through
  the ORM with a precomputed hash (no lock, no tip, no SM3);
- audit verify: rows per second re-hashed by ``verify_chain`` against the baseline of
  only reading the rows;
- login: ``POST /api/v1/auth/token`` with the lockout and throttle bookkeeping against the
  baseline of the bare password check with the production hasher;
- backup and restore: ``shanzhi backup`` of the demo county, then ``shanzhi restore`` (with
  its verification) into a fresh database in a child process: the RTO a county gets.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, engine_label, measure, report, setup_django


def _pg_create(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, dbname="postgres", autocommit=True
    ) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def bench_audit(rows: int) -> None:
    from django.db import transaction

    from shanzhi.core import audit
    from shanzhi.core.models import AuditLog

    def baseline(i: int):
        with transaction.atomic():
            AuditLog(action="bench.plain", object_id=str(i), prev_hash="0" * 64, row_hash="1" * 64).save()

    def chained(i: int):
        with transaction.atomic():
            audit.record("bench.chained", object_id=str(i), after={"n": i, "name": "李桂君"})

    def drop_baseline_rows():
        # Out of the chain again (the app never deletes audit rows; the bench cleans up after itself).
        from django.db import connection

        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {audit.PURGE_SETTING} = 'on'")
            cursor.execute("DELETE FROM core_auditlog WHERE action = 'bench.plain'")

    n = min(rows, 2000)
    plain = measure(baseline, n)
    drop_baseline_rows()
    report(
        "Audit append, one row per transaction",
        [("ORM insert, hash given (baseline)", plain), ("audit.record (lock + tip + SM3)", measure(chained, n))],
        baseline="ORM insert, hash given (baseline)",
    )
    missing = rows - AuditLog.objects.count()
    for i in range(max(0, missing)):
        audit.record("bench.fill", object_id=str(i), after={"n": i})
    total = AuditLog.objects.count()
    started = time.perf_counter()
    for _row in AuditLog.objects.order_by("id").iterator(chunk_size=2000):
        pass
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = audit.verify_chain()
    verify_seconds = time.perf_counter() - started
    assert result.ok, result
    print(f"\n## Audit verify ({engine_label()})")
    print(f"rows read only (baseline): {total:,} in {read_seconds:.2f} s = {total / read_seconds:,.0f} rows/s")
    checked = result.rows
    print(
        f"verify_chain: {checked:,} rows re-hashed in {verify_seconds:.2f} s = {checked / verify_seconds:,.0f} rows/s"
        f" (ratio {verify_seconds / read_seconds * total / max(checked, 1):.1f}x per row)"
    )


def bench_login() -> None:
    from django.conf import settings
    from django.test import Client

    from shanzhi.accounts.models import User
    from shanzhi.accounts.services import create_user

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    User.objects.filter(username="bench-login").delete()
    user = create_user(username="bench-login", password="Sorghum-field-2026", audit_it=False)
    client = Client()

    def bare(i: int):
        user.check_password("Sorghum-field-2026")

    def token(i: int):
        response = client.post(
            "/api/v1/auth/token",
            data='{"username": "bench-login", "password": "Sorghum-field-2026"}',
            content_type="application/json",
        )
        assert response.status_code == 200, response.content

    def refused(i: int):
        response = client.post(
            "/api/v1/auth/token",
            data='{"username": "bench-nobody", "password": "wrong-password"}',
            content_type="application/json",
            REMOTE_ADDR=f"10.0.{i // 250}.{i % 250}",
        )
        assert response.status_code == 401

    report(
        "Login (PBKDF2, production hasher)",
        [
            ("check_password only (baseline)", measure(bare, 20, warmup=2)),
            ("POST /auth/token, right password", measure(token, 20, warmup=2)),
            ("POST /auth/token, unknown user", measure(refused, 20, warmup=2)),
        ],
        baseline="check_password only (baseline)",
    )


def bench_backup(households: int, pg: str | None) -> None:
    from django.core.management import call_command
    from django.db import connection

    from shanzhi.core.backup import backup
    from shanzhi.demo.builder import county_exists
    from shanzhi.demo.steps import build_demo
    from shanzhi.people.models import Household

    if not county_exists() or Household.objects.count() != households:
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        build_demo(households)
        print(f"\n(demo county of {households:,} households built in {time.perf_counter() - started:.0f} s)")
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as scratch:
        path = Path(scratch) / "county.backup"
        manifest = backup(path)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SHANZHI_SQLITE_PATH")}
        if pg:
            restored = pg.rsplit("/", 1)[0] + "/bench_trust_restored"
            import psycopg

            settings = connection.settings_dict
            with psycopg.connect(
                host=settings["HOST"],
                port=settings["PORT"] or 5432,
                user=settings["USER"],
                dbname="postgres",
                autocommit=True,
            ) as admin:
                admin.execute('DROP DATABASE IF EXISTS "bench_trust_restored" WITH (FORCE)')
            env["DATABASE_URL"] = restored
        else:
            env["SHANZHI_SQLITE_PATH"] = str(Path(scratch) / "restored.sqlite3")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "shanzhi.cli", "restore", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        restore_seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(result.stdout + result.stderr)
    print(f"\n## Backup and restore ({engine_label()}, demo county of {households:,} households)")
    print(
        f"backup: {manifest.seconds:.1f} s, {manifest.size_bytes / 1e6:.1f} MB, "
        f"{len(manifest.tables)} tables, {sum(manifest.tables.values()):,} rows"
    )
    print(f"restore into a fresh database + row counts + audit and ledger verify: {restore_seconds:.1f} s")
    for line in result.stdout.splitlines():
        print("  " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", help="PostgreSQL database URL (default: SQLite var/bench-trust.sqlite3)")
    parser.add_argument("--rows", type=int, default=20_000, help="audit rows for the verify figure")
    parser.add_argument("--households", type=int, default=15_900, help="demo county size for backup/restore")
    parser.add_argument("--skip-backup", action="store_true")
    args = parser.parse_args()
    if args.pg:
        _pg_create(args.pg)
    setup_django(database=args.pg, sqlite_name=None if args.pg else "bench-trust.sqlite3")
    bench_audit(args.rows)
    bench_login()
    if not args.skip_backup:
        bench_backup(args.households, args.pg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
