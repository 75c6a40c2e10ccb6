"""Carry the current request's client address into services for the audit log."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""


_NO_REQUEST = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("shanzhi_request", default=None)


def current_request_context() -> RequestContext:
    return _current.get() or _NO_REQUEST


def client_ip(request) -> str | None:
    if getattr(settings, "SHANZHI_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(
            RequestContext(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:255])
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

    def process_exception(self, request, exception):
        """A domain error escaping a page view becomes its status with a Chinese message."""
        from django.shortcuts import render

        from shanzhi.core.errors import DomainError

        if isinstance(exception, DomainError) and not request.path.startswith("/api/"):
            return render(
                request,
                "core/error.html",
                {"status": exception.status, "message": exception.message},
                status=exception.status,
            )
        return None
