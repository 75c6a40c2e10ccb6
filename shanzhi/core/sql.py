"""Plain SQL for the single-row statements of the hottest write paths (ledger postings, audit rows).

A ledger posting is a handful of single-row statements. Through Django's cursor each one
costs more Python than SQLite's own work: a cursor object per statement, the ``%s`` to
``?`` rewrite by regular expression, the debug and execute-wrapper hooks. These helpers
take the statement as written for Django (``%s`` placeholders, values already prepared for
the database) and, on SQLite, run it on the DB-API connection with the placeholders
rewritten once per statement text. Everything else goes through Django's cursor as usual:

- PostgreSQL (psycopg's own adaptation and Django's cursor settings stay in charge);
- any connection that is logging its queries (``DEBUG``, ``CaptureQueriesContext``,
  ``assertNumQueries``) or has execute wrappers installed (``connection.execute_wrapper``), so
  query counts in tests, the debug toolbar and query monitors see every statement;
- a connection outside a transaction (the callers run inside ``transaction.atomic``).

Errors come out as Django's database errors on both paths (``connection.wrap_database_errors``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from operator import methodcaller

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

# Django's own rule (SQLiteCursorWrapper): "%s" not preceded by "%" becomes "?", "%%" becomes "%".
_QMARK = re.compile(r"(?<!%)%s")
_SQLITE_FORMS: dict[str, str] = {}


def _sqlite_form(sql: str) -> str:
    form = _SQLITE_FORMS.get(sql)
    if form is None:
        form = _SQLITE_FORMS[sql] = _QMARK.sub("?", sql).replace("%%", "%")
    return form


def _direct(connection) -> bool:
    return (
        connection.vendor == "sqlite"
        and connection.in_atomic_block
        and not connection.queries_logged
        and not connection.execute_wrappers  # installed hooks (query monitors) see every statement
    )


def connection_for(using):
    """The connection for an alias, or the connection itself (callers that hold one save a lookup)."""
    return connections[using] if isinstance(using, str) else using


def _run(sql: str, params, using, result, *, many: bool = False):
    """Run a statement on the direct or the Django path; ``result`` reads the answer off the cursor."""
    connection = connection_for(using)
    if _direct(connection):
        connection.validate_no_broken_transaction()
        raw = connection.connection
        with connection.wrap_database_errors:
            return result((raw.executemany if many else raw.execute)(_sqlite_form(sql), params))
    with connection.cursor() as cursor:
        (cursor.executemany if many else cursor.execute)(sql, params)
        return result(cursor)


def _rowcount(cursor) -> int:
    return cursor.rowcount


def execute(sql: str, params: Sequence = (), *, using=DEFAULT_DB_ALIAS) -> int:
    """Run one statement; returns the number of rows it changed.

    ``using`` is a database alias or a connection (``connections[alias]``).
    """
    return _run(sql, params, using, _rowcount)


def fetchone(sql: str, params: Sequence = (), *, using=DEFAULT_DB_ALIAS) -> tuple | None:
    """Run one statement and return its first row (``None`` if it has none)."""
    return _run(sql, params, using, methodcaller("fetchone"))


def fetchall(sql: str, params: Sequence = (), *, using=DEFAULT_DB_ALIAS) -> list[tuple]:
    """Run one statement and return all its rows."""
    return _run(sql, params, using, methodcaller("fetchall"))


def executemany(sql: str, rows: Sequence[Sequence], *, using=DEFAULT_DB_ALIAS) -> None:
    """Run one statement once per row of values."""
    _run(sql, rows, using, _rowcount, many=True)


# --- inserting model rows ------------------------------------------------------------------
#
# Append-only rows (ledger entries, their events, audit rows) are only ever inserted, so an
# INSERT is all their ``save()`` would do. The statement is built once per model and database
# from the model's fields; each value is prepared as its field prepares it for ``save()``,
# by the shortest way for its kind.

_AS_IS, _DATE, _DATETIME, _JSON, _FIELD = range(5)
# Fields whose prepared value is the Python value itself when it is a str, int, bool or None.
_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
_PLAIN_VALUES = frozenset((str, int, bool, type(None)))


@dataclass(frozen=True, slots=True)
class InsertPlan:
    sql: str  # INSERT INTO ... VALUES (%s, ...)
    returning: str  # " RETURNING <pk>" when the database numbers the rows, else ""
    columns: tuple  # (attname, field, how its value is prepared)
    stamped: tuple  # attnames of auto_now / auto_now_add fields


_PLANS: dict[tuple[type, str], InsertPlan] = {}


def _preparation(field) -> int:
    if isinstance(field, models.JSONField):
        return _JSON
    if isinstance(field, models.DateTimeField):
        return _DATETIME
    if isinstance(field, models.DateField):
        return _DATE
    if isinstance(field, _PLAIN_FIELDS):
        return _AS_IS
    return _FIELD


def insert_plan(model, *, using=DEFAULT_DB_ALIAS) -> InsertPlan:
    connection = connection_for(using)
    plan = _PLANS.get((model, connection.alias))
    if plan is None:
        meta = model._meta
        quote = connection.ops.quote_name
        auto = isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
        fields = [f for f in meta.concrete_fields if not (auto and f.primary_key)]
        statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names come from the model
            quote(meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
        )
        plan = _PLANS[(model, connection.alias)] = InsertPlan(
            sql=statement,
            returning=f" RETURNING {quote(meta.pk.column)}" if auto else "",
            columns=tuple((f.attname, f, _preparation(f)) for f in fields),
            stamped=tuple(
                f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            ),
        )
    return plan


def insert_params(plan: InsertPlan, values: dict, connection) -> list:
    """The prepared values of a row, from its values by attname (an instance's ``__dict__``)."""
    ops = connection.ops
    params = []
    for attname, field, how in plan.columns:
        value = values[attname]
        kind = type(value)
        if value is None or (how == _AS_IS and kind in _PLAIN_VALUES):
            params.append(value)  # None is NULL for every field (a JSON null needs Value(None))
        elif how == _DATETIME and kind is dt.datetime and value.tzinfo is not None:
            params.append(ops.adapt_datetimefield_value(value))
        elif how == _DATE and kind is dt.date:
            params.append(ops.adapt_datefield_value(value))
        elif how == _JSON and (kind is dict or kind is list):
            params.append(ops.adapt_json_value(value, field.encoder))
        else:
            params.append(field.get_db_prep_save(value, connection))
    return params


def insert_row(obj: models.Model, *, using=DEFAULT_DB_ALIAS) -> models.Model:
    """INSERT one new model instance and read its pk back, without the ORM's query building.

    Only for rows no signal listens to (``save()`` would send ``pre_save``/``post_save``).
    """
    connection = connection_for(using)
    plan = insert_plan(type(obj), using=connection)
    if plan.stamped:
        now = timezone.now()
        for attname in plan.stamped:
            setattr(obj, attname, now)
    params = insert_params(plan, obj.__dict__, connection)
    if plan.returning:
        obj.pk = fetchone(plan.sql + plan.returning, params, using=connection)[0]
    else:
        execute(plan.sql, params, using=connection)
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def _attfields(model) -> tuple:
    fields = _ATTFIELDS.get(model)
    if fields is None:
        fields = _ATTFIELDS[model] = tuple((f.attname, f) for f in model._meta.concrete_fields)
    return fields


_ATTFIELDS: dict[type, tuple] = {}


def build(model, **values):
    """A new, unsaved instance from values by attname (``rule_id=``, not ``rule=``).

    Built by the positional path of ``Model.__init__``, the one Django takes for rows read
    from the database (about a third of the keyword path's cost); fields not given get their
    defaults, as with keywords.
    """
    args = [values.pop(attname) if attname in values else field.get_default() for attname, field in _attfields(model)]
    if values:
        raise TypeError(f"{model.__name__} has no field(s) {', '.join(values)}")
    return model(*args)


def insert(model, *, using=DEFAULT_DB_ALIAS, **values) -> int | None:
    """INSERT one row from values by attname, without building an instance; returns its pk if numbered here.

    Fields not given get their defaults; ``auto_now`` fields the current time.
    """
    connection = connection_for(using)
    plan = insert_plan(model, using=connection)
    row = {attname: field.get_default() for attname, field in _attfields(model) if attname not in values}
    row.update(values)
    if plan.stamped:
        now = timezone.now()
        row.update(dict.fromkeys(plan.stamped, now))
    params = insert_params(plan, row, connection)
    if plan.returning:
        return fetchone(plan.sql + plan.returning, params, using=connection)[0]
    execute(plan.sql, params, using=connection)
    return None
