"""The one scoping rule: ``Model.objects.for_user(user)``.

A user's :class:`Scope` says which parts of the county tree, which departments and
which households their role assignments give them. Every domain queryset implements
``scope_q(scope)`` returning the Q that keeps what the scope covers; ``for_user``
applies it. Out of scope reads as 404 everywhere, because the object is simply not in
the queryset.

Area paths are materialised (``/230381/230381101/.../``): a subtree is the half-open
range ``[path, path + "~")`` which both SQLite and PostgreSQL answer from one index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

PATH_END = "~"  # sorts after every character allowed in an area code


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    area_paths: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()
    household_ids: tuple[int, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.area_paths or self.department_ids or self.household_ids)

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.area_paths)


NO_SCOPE = Scope()
NOTHING = Q(pk__in=[])


def scope_for(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_SCOPE
    return user.scope


def subtree_q(field_name: str, paths: tuple[str, ...] | list[str]) -> Q:
    """Rows whose ``field_name`` (a materialised path) lies under any of ``paths``."""
    if not paths:
        return NOTHING
    q = Q()
    for path in _outermost(paths):
        q |= Q(**{f"{field_name}__gte": path, f"{field_name}__lt": path + PATH_END})
    return q


def _outermost(paths) -> list[str]:
    """Drop paths already covered by a shorter one, so the OR stays small."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


class ScopedQuerySet(models.QuerySet):
    def scope_q(self, scope: Scope) -> Q:  # pragma: no cover - every subclass defines it
        raise NotImplementedError(f"{self.model.__name__} must define scope_q")

    def for_user(self, user):
        scope = scope_for(user)
        if scope.everything:
            return self.all()
        if scope.is_empty:
            return self.none()
        return self.filter(self.scope_q(scope))


def get_in_scope(queryset, user, **lookup):
    """The object if ``user`` may see it; :class:`NotFound` otherwise (or if missing)."""
    from shanzhi.core.errors import NotFound

    try:
        return queryset.for_user(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def ensure_in_scope(obj, user) -> None:
    """Re-check inside a write's transaction that ``user`` may touch ``obj``.

    ``user=None`` is the system itself (the demo builder, imports run from the shell),
    which acts on the whole county.
    """
    from shanzhi.core.errors import NotFound

    if obj is None or user is None:
        return
    if not type(obj)._default_manager.for_user(user).filter(pk=obj.pk).exists():
        raise NotFound()
