"""Write the audit log. Services call :func:`record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.db import models

from shanzhi.core.choices import Outcome
from shanzhi.core.middleware import current_request_context
from shanzhi.core.models import AuditLog


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
        object_repr = object_repr or str(obj)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditLog.objects.create(
        actor=actor if authenticated else None,
        actor_label=(actor_label or (actor.get_username() if authenticated else ""))[:150],
        ip=context.ip,
        user_agent=context.user_agent,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=_json_value(before) if before is not None else None,
        after=_json_value(after) if after is not None else None,
        outcome=outcome,
        extra=_json_value(extra),
    )


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value changed, so update rows say exactly what moved."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
