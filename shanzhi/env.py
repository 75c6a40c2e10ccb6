"""Read settings from the environment, failing loudly on values that cannot be right.

A county's IT staff configure the platform through environment variables (or a
``.env``-style file their service manager loads). A typo must stop the start-up with
a message that names the variable, not run with a silent default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import urlparse


class ConfigurationError(RuntimeError):
    pass


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ConfigurationError(f"environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name}={value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name}={value} is above the maximum {maximum}")
    return value


def env_list(name: str, default: list[str], *, item: Callable[[str], str] = str.strip) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item(part) for part in raw.split(",") if part.strip()]


def env_database_url(name: str) -> str | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"postgres", "postgresql", "sqlite", "pgsql"}:
        raise ConfigurationError(
            f"{name} has scheme {parsed.scheme!r}; Shanzhi supports postgres://... and sqlite:///..."
        )
    return raw
