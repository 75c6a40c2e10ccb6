"""Backups that can be restored and proven: ``shanzhi backup PATH`` / ``shanzhi restore PATH``.

SQLite is copied with the online backup API (consistent while the service runs, WAL
included); PostgreSQL with ``pg_dump -Fc``. Beside the backup goes a manifest
(``PATH.manifest.json``): the engine, the time, every table's row count and the tip of
the audit chain, all taken from the same snapshot as the backup. ``restore`` loads the
backup into a fresh, empty database and then proves it: the row counts must equal the
manifest, the audit chain must verify up to the same tip, and the ledgers' own verify
commands must pass.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections, transaction

MANIFEST_SUFFIX = ".manifest.json"
# Integrity commands run after a restore, when installed (argv for call_command).
INTEGRITY_COMMANDS = (("audit", "verify"), ("points", "verify"))


class BackupError(RuntimeError):
    pass


@dataclass
class Manifest:
    engine: str
    created: str
    tables: dict[str, int]
    audit_tip_id: int | None
    audit_tip_hash: str
    seconds: float = 0.0
    size_bytes: int = 0
    extra: dict = field(default_factory=dict)

    def write(self, backup_path: Path) -> Path:
        path = manifest_path(backup_path)
        path.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
        return path

    @classmethod
    def read(cls, backup_path: Path) -> Manifest | None:
        path = manifest_path(backup_path)
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def manifest_path(backup_path: Path) -> Path:
    return backup_path.with_name(backup_path.name + MANIFEST_SUFFIX)


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def table_counts(cursor, connection, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(connection, table)}")  # noqa: S608 - introspected names
        counts[table] = cursor.fetchone()[0]
    return counts


def _audit_tip(cursor, connection) -> tuple[int | None, str]:
    from shanzhi.core.models import AuditLog

    table = _quote(connection, AuditLog._meta.db_table)
    cursor.execute(f"SELECT id, row_hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (None, "")


def _pg_env(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    return env


def _run(argv: list[str], env: dict[str, str]) -> None:
    binary = shutil.which(argv[0])
    if binary is None:
        raise BackupError(f"{argv[0]} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    result = subprocess.run([binary, *argv[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def backup(path: str | Path, *, using: str = "default") -> Manifest:
    """Write a consistent backup of the database to ``path`` (and its manifest beside it)."""
    target = Path(path).resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name (backups are never overwritten)")
    target.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    started = time.perf_counter()
    partial = target.with_name(target.name + ".partial")
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(partial)
        try:
            connection.connection.backup(destination, pages=4096)
            cursor = destination.cursor()
            tables = [
                r[0]
                for r in cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                ).fetchall()
            ]
            counts = {t: cursor.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}  # noqa: S608
            tip = cursor.execute("SELECT id, row_hash FROM core_auditlog ORDER BY id DESC LIMIT 1").fetchone()
            cursor.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            destination.commit()
        finally:
            destination.close()
        tip_id, tip_hash = (tip[0], tip[1]) if tip else (None, "")
    elif connection.vendor == "postgresql":
        settings_dict = connection.settings_dict
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = connection.introspection.table_names(cursor)
            counts = table_counts(cursor, connection, tables)
            tip_id, tip_hash = _audit_tip(cursor, connection)
            # pg_dump reads the very snapshot the counts came from.
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    settings_dict["NAME"],
                ],
                _pg_env(settings_dict),
            )
    else:
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    partial.replace(target)
    os.chmod(target, 0o600)  # personal data: readable by the service account only
    manifest = Manifest(
        engine=connection.vendor,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        tables=counts,
        audit_tip_id=tip_id,
        audit_tip_hash=tip_hash,
        seconds=round(time.perf_counter() - started, 3),
        size_bytes=target.stat().st_size,
    )
    manifest.write(target)
    return manifest


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()]


def _pg_admin_connection(settings_dict: dict):
    import psycopg

    params = {k.lower(): settings_dict[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if settings_dict.get(k)}
    return psycopg.connect(dbname="postgres", autocommit=True, **params)


def restore(path: str | Path, *, using: str = "default") -> float:
    """Load ``path`` into the configured database, which must be new or empty. Returns seconds taken."""
    source = Path(path).resolve()
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    connection = connections[using]
    settings_dict = connection.settings_dict
    connection.close()
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        target = Path(settings_dict["NAME"])
        if _sqlite_tables(target):
            raise BackupError(f"{target} already holds tables: restore only into a new, empty database file")
        with sqlite3.connect(source) as check:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} fails SQLite's integrity check")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            staged = Path(scratch) / "restore.sqlite3"
            src, dst = sqlite3.connect(source), sqlite3.connect(staged)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
            finally:
                src.close()
                dst.close()
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            staged.replace(target)
    elif connection.vendor == "postgresql":
        name = settings_dict["NAME"]
        with _pg_admin_connection(settings_dict) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                from psycopg import sql

                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        connection.ensure_connection()
        if connection.introspection.table_names():
            connection.close()
            raise BackupError(f"database {name} already holds tables: restore only into a new, empty database")
        connection.close()
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                name,
                str(source),
            ],
            _pg_env(settings_dict),
        )
    else:
        raise BackupError(f"restores into {connection.vendor} databases are not supported")
    return time.perf_counter() - started


def compare_with_manifest(manifest: Manifest, *, using: str = "default") -> list[str]:
    """Differences between the restored database and what the backup recorded."""
    connection = connections[using]
    problems = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = table_counts(cursor, connection, [t for t in tables if t in manifest.tables])
        tip_id, tip_hash = _audit_tip(cursor, connection)
    for table, expected in sorted(manifest.tables.items()):
        if table not in counts:
            problems.append(f"table {table} is missing")
        elif counts[table] != expected:
            problems.append(f"table {table}: {counts[table]} rows, the backup recorded {expected}")
    if (tip_id, tip_hash) != (manifest.audit_tip_id, manifest.audit_tip_hash):
        problems.append(f"audit chain ends at row {tip_id}, the backup recorded row {manifest.audit_tip_id}")
    return problems
