"""Write the audit log. Services call :func:`record` inside their transaction.

The log is tamper-evident: every row carries ``prev_hash`` (the hash of the row before
it) and ``row_hash`` = SM3(prev_hash || canonical JSON of the row). Rows are appended
under a lock so that two writers never both link to the same predecessor: on
PostgreSQL a transaction-level advisory lock, on SQLite the ``BEGIN IMMEDIATE`` that
every transaction already starts with. The lock is held until the writer's
transaction ends, so chain order is id order.

:func:`verify_chain` recomputes every hash; :func:`purge` removes rows older than the
retention period and anchors the rest of the chain in an :class:`AuditCheckpoint`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import json
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils import timezone

from shanzhi.core import sql
from shanzhi.core.choices import Outcome
from shanzhi.core.middleware import current_request_context
from shanzhi.core.models import AuditCheckpoint, AuditLog

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key of the audit chain ("SZAUDIT" in ASCII).
CHAIN_LOCK_KEY = 0x535A4155444954
# Set (SET LOCAL) only inside purge(): the PostgreSQL trigger then lets DELETE through.
PURGE_SETTING = "shanzhi.audit_purge"
MIN_RETENTION_DAYS = 180


def _json_value(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _stored_json(value):
    """The value exactly as the JSON column will give it back (string keys, lists)."""
    if value is None or (type(value) is dict and not value):
        return value
    try:
        # Plain JSON (the usual case) goes through the C encoder as it is; anything
        # else (dates, models, decimals, lazy text ...) is converted first.
        return json.loads(json.dumps(value))
    except TypeError:
        return json.loads(json.dumps(_json_value(value), cls=DjangoJSONEncoder))


def snapshot(obj, fields: list[str]) -> dict:
    """Before/after JSON of ``fields``; foreign keys as their ids. Never pass secret fields."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            data[name] = sorted(obj.pk and getattr(obj, name).values_list("pk", flat=True) or [])
        elif field.is_relation:
            data[name] = getattr(obj, field.attname)
        else:
            data[name] = _json_value(getattr(obj, name))
    return data


# --- the hash chain -------------------------------------------------------------------


def _canonical_json(value):
    """JSON values normalised so that both engines' JSON columns hash alike.

    PostgreSQL's jsonb reorders keys and stores numbers as numeric (``2.0`` reads
    back as ``2``), so keys are sorted and integral floats written as integers.
    """
    if isinstance(value, dict):
        return {str(k): _canonical_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_payload(row: AuditLog) -> bytes:
    """The bytes a row's hash covers: every field but the id and the hash itself."""
    payload = {
        "created": _stamp(row.created),
        "actor": row.actor_id,
        "actor_label": row.actor_label,
        "ip": str(row.ip) if row.ip else None,
        "user_agent": row.user_agent,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "object_repr": row.object_repr,
        "before": _canonical_json(row.before),
        "after": _canonical_json(row.after),
        "outcome": row.outcome,
        "extra": _canonical_json(row.extra),
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(prev_hash: str, row: AuditLog) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_payload(row))
    return digest.finalize().hex()


def _lock_chain(using) -> None:
    """``using``: an alias or a connection."""
    connection = sql.connection_for(using)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: the transaction began with BEGIN IMMEDIATE and holds the database's write lock.


def lock_chain(using: str = "default") -> None:
    """Take the chain's lock now, at the start of a write transaction that also locks rows.

    The lock is held to the end of the transaction anyway (by the first ``record``); taking it
    before any ``select_for_update`` makes every such transaction lock in the same order (chain,
    then rows), so two of them cannot deadlock on PostgreSQL.
    """
    _lock_chain(using)


def _anchor_hash(using: str) -> str:
    checkpoint = AuditCheckpoint.objects.using(using).order_by("-id").first()
    return checkpoint.through_hash if checkpoint else GENESIS_HASH


def _chain_tip(using) -> str:
    """The hash of the chain's last row; ``using`` is an alias or a connection."""
    connection = sql.connection_for(using)
    table = connection.ops.quote_name(AuditLog._meta.db_table)
    last = sql.fetchone(f"SELECT row_hash FROM {table} ORDER BY id DESC LIMIT 1", using=connection)  # noqa: S608 - table name from the model
    return last[0] if last is not None else _anchor_hash(connection.alias)


def _normal_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def _chain_and_insert(rows: list, using, *, read_ids: bool) -> None:
    """Link ``rows`` one after another to the chain's tip and insert them in that order.

    The caller holds the chain lock (see :func:`_lock_chain`) inside a transaction. Rows are
    inserted by ``shanzhi.core.sql`` (audit rows are only ever inserted), with values prepared
    as their fields prepare them for ``save()``.
    """
    connection = sql.connection_for(using)
    plan = sql.insert_plan(AuditLog, using=connection)
    previous = _chain_tip(connection)
    params = []
    for row in rows:
        row.prev_hash = previous
        row.row_hash = previous = row_hash(previous, row)
        params.append(sql.insert_params(plan, row.__dict__, connection))
    if read_ids:
        for row, values in zip(rows, params, strict=True):
            row.id = sql.fetchone(plan.sql + plan.returning, values, using=connection)[0]
    else:
        sql.executemany(plan.sql, params, using=connection)


def _actor_fields(actor, actor_label: str) -> tuple:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return (actor if authenticated else None), (actor_label or (actor.get_username() if authenticated else ""))[:150]


def record(
    action: str,
    *,
    actor=None,
    obj=None,
    before: dict | None = None,
    after: dict | None = None,
    outcome: str = Outcome.SUCCESS,
    actor_label: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    **extra,
) -> AuditLog:
    context = current_request_context()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    actor, actor_label = _actor_fields(actor, actor_label)
    values = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor_label,
        "ip": _normal_ip(context.ip),
        "user_agent": context.user_agent[:255],
        "action": action[:100],
        "object_type": object_type[:100],
        "object_id": str(object_id)[:64],
        "object_repr": str(object_repr)[:200],
        "before": _stored_json(before),
        "after": _stored_json(after),
        "outcome": outcome,
        "extra": _stored_json(extra),
        "prev_hash": "",
        "row_hash": "",
    }
    connection = connections[router.db_for_write(AuditLog)]
    if not connection.in_atomic_block:
        with transaction.atomic(using=connection.alias):
            return _append(values, connection)
    # Inside the caller's transaction (the usual case): no savepoint, and a failed audit
    # write fails the caller's whole transaction, as atomic(savepoint=False) would mark it.
    try:
        return _append(values, connection)
    except BaseException:
        connection.needs_rollback = True
        raise


def _append(values: dict, connection) -> AuditLog:
    _lock_chain(connection)
    # Taken under the lock, so times follow the chain order on one server.
    values["created"] = timezone.now()
    # Built by the positional path of Model.__init__: the keyword path costs more than the
    # rest of the row's writing.
    entry = sql.build(AuditLog, **values)
    _chain_and_insert([entry], connection, read_ids=True)
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def record_many(rows, *, actor=None, actor_label: str = "", json_ready: bool = False) -> int:
    """Audit rows for a bulk write, chained and inserted together; returns how many.

    ``rows`` are dicts with the arguments :func:`record` takes for one row: ``action``
    and optionally ``object_type``, ``object_id``, ``object_repr``, ``before``, ``after``,
    ``outcome`` and ``extra`` (a dict). The rows share the actor, the request's address and
    one time, are linked to the chain in the order given under one lock and written with
    one statement; their ids are not read back.

    ``json_ready=True`` promises that ``before``, ``after`` and ``extra`` hold only what the
    JSON column gives back unchanged (str keys, lists, str, int, bool, None): they are then
    hashed and stored as they are, without the round trip :func:`record` makes.
    """
    stored = (lambda value: value) if json_ready else _stored_json
    rows = list(rows)
    if not rows:
        return 0
    context = current_request_context()
    actor, actor_label = _actor_fields(actor, actor_label)
    ip = _normal_ip(context.ip)
    user_agent = context.user_agent[:255]
    using = router.db_for_write(AuditLog)
    with transaction.atomic(using=using, savepoint=False):
        _lock_chain(using)
        created = timezone.now()
        actor_id = actor.pk if actor is not None else None
        # Plain rows, not model instances: the hash and the INSERT read the same attributes.
        entries = [
            SimpleNamespace(
                created=created,
                actor_id=actor_id,
                actor_label=actor_label,
                ip=ip,
                user_agent=user_agent,
                action=row["action"][:100],
                object_type=row.get("object_type", "")[:100],
                object_id=str(row.get("object_id", ""))[:64],
                object_repr=str(row.get("object_repr", ""))[:200],
                before=stored(row.get("before")),
                after=stored(row.get("after")),
                outcome=row.get("outcome", Outcome.SUCCESS),
                extra=stored(row.get("extra") or {}),
            )
            for row in rows
        ]
        _chain_and_insert(entries, using, read_ids=False)
    return len(entries)


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value changed, so update rows say exactly what moved."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# --- verification -------------------------------------------------------------------


@dataclass
class ChainReport:
    rows: int
    first_bad_id: int | None = None
    problem: str = ""
    anchor: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and not self.problem


def verify_chain(*, using: str = "default", chunk_size: int = 2000) -> ChainReport:
    """Recompute every row's hash in chain order; stop at the first row that does not fit."""
    checkpoint = AuditCheckpoint.objects.using(using).order_by("-id").first()
    expected = checkpoint.through_hash if checkpoint else GENESIS_HASH
    report = ChainReport(rows=0, anchor=expected)
    purge_rows_seen: set[str] = set()
    for row in AuditLog.objects.using(using).order_by("id").iterator(chunk_size=chunk_size):
        if row.prev_hash != expected:
            report.first_bad_id = row.pk
            report.problem = "link"  # a row before it was removed, inserted or re-hashed
            return report
        if row_hash(row.prev_hash, row) != row.row_hash:
            report.first_bad_id = row.pk
            report.problem = "content"  # the row itself was changed
            return report
        if row.action == "core.audit.purged":
            purge_rows_seen.add(str((row.extra or {}).get("through_hash", "")))
        expected = row.row_hash
        report.rows += 1
    if checkpoint and checkpoint.through_hash not in purge_rows_seen:
        # A checkpoint no purge recorded in the chain: someone cut the chain by hand.
        report.problem = "checkpoint"
    return report


# --- retention ----------------------------------------------------------------------


class RetentionError(ValueError):
    pass


@dataclass
class PurgeResult:
    rows_purged: int
    through_id: int | None
    through_hash: str


def retention_days() -> int:
    return max(MIN_RETENTION_DAYS, getattr(settings, "SHANZHI_AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS))


def purge(*, before: dt.date, actor=None, actor_label: str = "", using: str = "default") -> PurgeResult:
    """Remove audit rows created before ``before`` (local date), keeping the chain verifiable.

    Refuses anything inside the retention period and refuses to purge a broken chain
    (that would erase the evidence). The removal itself is recorded in the chain.
    """
    youngest_allowed = timezone.localdate() - dt.timedelta(days=retention_days())
    if before > youngest_allowed:
        raise RetentionError(
            f"audit rows are kept at least {retention_days()} days: --before must be {youngest_allowed} or earlier"
        )
    cutoff = dt.datetime.combine(before, dt.time.min, tzinfo=timezone.get_current_timezone())
    connection = connections[using]
    with transaction.atomic(using=using):
        _lock_chain(using)
        report = verify_chain(using=using)
        if not report.ok:
            raise RetentionError(
                f"the audit chain is broken at row {report.first_bad_id} ({report.problem}); fix that before purging"
            )
        rows = AuditLog.objects.using(using)
        boundary = rows.filter(created__gte=cutoff).order_by("id").values_list("id", flat=True).first()
        doomed = rows.filter(id__lt=boundary) if boundary is not None else rows.all()
        last = doomed.order_by("-id").values("id", "row_hash").first()
        if last is None:
            return PurgeResult(0, None, _chain_tip(using))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'on'")
            table = connection.ops.quote_name(AuditLog._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last["id"]])  # noqa: S608 - table name from the model
            count = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {PURGE_SETTING} = 'off'")
        label = actor_label or (actor.get_username() if actor is not None and actor.is_authenticated else "")
        AuditCheckpoint.objects.using(using).create(
            purged_before=cutoff,
            through_id=last["id"],
            through_hash=last["row_hash"],
            rows_purged=count,
            actor_label=label[:150],
        )
        record(
            "core.audit.purged",
            actor=actor,
            actor_label=label,
            object_type="core.auditlog",
            before_date=before.isoformat(),
            through_id=last["id"],
            through_hash=last["row_hash"],
            rows=count,
        )
    return PurgeResult(count, last["id"], last["row_hash"])
