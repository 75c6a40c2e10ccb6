"""Query-string parameters shared by list pages, their exports and the API filters."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from shanzhi.core.errors import InvalidInput


def parse_date(value, name: str, errors: dict) -> dt.date | None:
    """A ``YYYY-MM-DD`` parameter (or a date); empty gives None, a bad value a field error in ``errors``."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD")]
        return None


def parse_id(value) -> int | None:
    """A record id from a query parameter: a positive integer the database can hold, else None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def optional_date(params, name: str) -> dt.date | None:
    """``params[name]`` as a date, or None when absent; a bad value raises a field error (422)."""
    errors: dict = {}
    value = parse_date(params.get(name), name, errors)
    if errors:
        raise InvalidInput(fields=errors)
    return value
