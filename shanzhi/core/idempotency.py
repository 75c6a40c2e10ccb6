"""Idempotent writes: a retried request never creates a second record.

API clients send an ``Idempotency-Key`` header; pages send a hidden ``form_token``
field. :func:`run_idempotent` stores the first successful response under
(user, operation, key) in the same transaction as the write, and replays it to every
retry with the same body. The same key with a different body is refused with 422
``idempotency_key_reused``. A failed write stores nothing, so a retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
FORM_FIELD = "form_token"
MAX_KEY_LENGTH = 200


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


def request_hash(payload) -> str:
    canonical = json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_form_token() -> str:
    return uuid.uuid4().hex


def key_from_request(request) -> str | None:
    key = request.headers.get(HEADER) or (request.POST.get(FORM_FIELD) if request.method == "POST" else None)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            _("The Idempotency-Key must be 1 to 200 characters."),
            code="invalid_idempotency_key",
            fields={"Idempotency-Key": _("1 to 200 characters")},
        )
    return key


def _stored(user, operation: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        user=user if user and user.is_authenticated else None, operation=operation, key=key
    ).first()


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, dict]:
    if record.request_hash != digest:
        raise KeyReused(
            _("This Idempotency-Key was already used for a different request."),
            fields={"Idempotency-Key": _("already used with a different body")},
        )
    return record.status_code, record.response


def run_idempotent(
    *, user, operation: str, key: str | None, payload, run: Callable[[], tuple[int, dict]], wait_seconds: float = 10.0
) -> tuple[int, dict]:
    """Run ``run()`` once per (user, operation, key); retries get the stored (status, body)."""
    if key is None:
        return run()
    digest = request_hash(payload)
    owner = user if user is not None and user.is_authenticated else None
    deadline = time.monotonic() + wait_seconds
    while True:
        existing = _stored(owner, operation, key)
        if existing is not None and existing.status_code is not None:
            return _replay(existing, digest)
        if existing is None:
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=owner, operation=operation, key=key, request_hash=digest
                    )
                    status, body = run()
                    body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
                    record.status_code, record.response = status, body
                    record.save(update_fields=["status_code", "response"])
                    return status, body
            except IntegrityError:
                # Either a concurrent request with this key committed first (its row is
                # visible now) or the write itself broke a constraint (no row: re-raise).
                if _stored(owner, operation, key) is None:
                    raise
                continue
        if time.monotonic() > deadline:
            raise Conflict(
                _("A request with this Idempotency-Key is still being processed."), code="idempotency_in_progress"
            )
        time.sleep(0.05)
