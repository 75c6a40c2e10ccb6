"""Fast row updates for the bulk path.

Django's ``bulk_update`` builds a CASE expression per field and row, which costs more
than the database's work by far at tens of thousands of rows. Here each distinct set of
changed fields becomes one ``UPDATE … WHERE id = %s`` run with ``executemany``, the
values prepared by the model fields exactly as ``save()`` prepares them.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection


def update_rows(model, rows) -> int:
    """Apply ``(pk, {field or attname: value})`` pairs; returns the number of rows given."""
    groups: dict[tuple[str, ...], list] = defaultdict(list)
    count = 0
    for pk, changes in rows:
        if changes:
            groups[tuple(sorted(changes))].append((pk, changes))
            count += 1
    if not groups:
        return 0
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for names, items in groups.items():
            fields = [meta.get_field(name) for name in names]
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names come from the model
            params = [
                [field.get_db_prep_save(changes[name], connection) for name, field in zip(names, fields, strict=True)]
                + [pk]
                for pk, changes in items
            ]
            cursor.executemany(sql, params)
    return count


def insert_rows(model, rows: list[dict], constants: dict | None = None) -> int:
    """INSERT ``rows`` (field name → value) with ``executemany``, without reading ids back.

    For rows nothing refers to in the same transaction (the audit rows of a bulk write).
    ``constants`` are the values every row shares, prepared once. Values are prepared
    by their fields as ``save()`` prepares them; text goes in as it is.
    """
    if not rows:
        return 0
    from django.db import models

    constants = constants or {}
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 - names come from the model
    prepared = {
        f.attname: f.get_db_prep_save(constants[f.attname], connection) for f in fields if f.attname in constants
    }
    plain = {f.attname for f in fields if isinstance(f, models.CharField | models.TextField) and not f.choices}
    plan = []
    for f in fields:
        if f.attname in prepared:
            plan.append((f.attname, None, prepared[f.attname]))
        elif f.attname in plain:
            plan.append((f.attname, "plain", None))
        else:
            plan.append((f.attname, f, None))
    params = []
    for row in rows:
        values = []
        for name, how, constant in plan:
            if how is None:
                values.append(constant)
            elif how == "plain":
                values.append(row.get(name, ""))
            else:
                values.append(how.get_db_prep_save(row.get(name), connection))
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(rows)
