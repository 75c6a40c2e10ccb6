"""Schemas and helpers every app's API shares."""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def paginate(queryset, limit: int, offset: int) -> dict:
    """The list shape of the whole API: ``{"items": [...], "count": N}``."""
    count = queryset.count()
    return {"items": list(queryset[offset : offset + limit]), "count": count}
