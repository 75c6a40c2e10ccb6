"""Domain errors raised by services and turned into messages by pages and the API.

Each carries a stable ``code`` (the API's JSON ``code``), a Chinese ``message`` for
people, an HTTP ``status`` and optional per-field messages.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = _("Invalid request.")

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None, status=None):
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = {
            key: [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
            for key, value in (fields or {}).items()
        }
        super().__init__(self.message)


class InvalidInput(DomainError):
    status = 422
    code = "invalid"
    default_message = _("Invalid input. Please check the highlighted fields.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("The record was not found, or you do not have permission to view it.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("Your role is not permitted to perform this action.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("The record has been modified, or its status does not allow this action.")
