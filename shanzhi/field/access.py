"""Who may use the field app: grid workers and village cadres (``field.use_field_app``)."""

from __future__ import annotations

from shanzhi.core.errors import Forbidden

PERM_USE = "field.use_field_app"


def may_use(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(PERM_USE))


def require_field_user(user) -> None:
    if not may_use(user):
        raise Forbidden()
