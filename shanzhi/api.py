"""The REST API root at /api/v1: authentication, error shape, and every app's router.

Every error is JSON ``{"code", "message", "fields"}`` with a fitting status.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer as NinjaJSONRenderer
from ninja.security import HttpBearer, SessionAuth

from shanzhi.core.errors import DomainError

logger = logging.getLogger("shanzhi.api")


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        from shanzhi.accounts.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class JSONRenderer(NinjaJSONRenderer):
    """UTF-8 JSON: Chinese stays readable (and a third shorter on a grid worker's phone)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=JSONRenderer(),
    title="Shanzhi 善治 API",
    version="1",
    description="Rural governance for county governments. Authenticate with POST /api/v1/auth/token, "
    "then send `Authorization: Bearer <token>`.",
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
)


def error_response(request, status: int, code: str, message: str, fields: dict | None = None):
    return api.create_response(request, {"code": code, "message": message, "fields": fields or {}}, status=status)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
}


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header", "payload", "file")]
    return ".".join(parts) or "__all__"


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return error_response(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        message = error.get("msg", "invalid")
        if error.get("type") == "missing":
            message = _("Required")
        fields.setdefault(_field_name(error.get("loc", ())), []).append(str(message))
    return error_response(request, 422, "invalid", _("Invalid input. Please check the highlighted fields."), fields)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return error_response(request, 422, "invalid", _("Invalid input. Please check the highlighted fields."), fields)


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    return error_response(request, 401, "unauthenticated", _("Please log in or provide a valid access token."))


# What django-ninja's cookie (session) auth raises when the CSRF token is missing or stale;
# tests/test_audit_and_db.py checks the API still answers it with the code below.
NINJA_CSRF_FAILURE = "CSRF check Failed"


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 403 and str(exc) == NINJA_CSRF_FAILURE:
        return error_response(
            request,
            403,
            "csrf_failed",
            _("The security token of this session is missing or expired. Reload the page and try again."),
        )
    return error_response(request, exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(
        request, 404, "not_found", _("The record was not found, or you do not have permission to view it.")
    )


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return error_response(
        request, 404, "not_found", _("The record was not found, or you do not have permission to view it.")
    )


@api.exception_handler(PermissionDenied)
def _permission_denied(request, exc):
    return error_response(request, 403, "forbidden", _("Your role is not permitted to perform this action."))


@api.exception_handler(OverflowError)
def _number_out_of_range(request, exc):
    """An id or number beyond what the database stores (SQLite raises OverflowError)."""
    return error_response(request, 422, "invalid", _("A number in the request is out of range."))


@api.exception_handler(DataError)
def _data_error(request, exc):
    """The database refused a value (PostgreSQL: a number out of range for its column)."""
    return error_response(request, 422, "invalid", _("A number in the request is out of range."))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("unhandled API error on %s %s", request.method, request.path)
    return error_response(
        request, 500, "server_error", _("Internal server error. It has been logged; please try again later.")
    )


def _register_routers():
    from shanzhi.accounts.api import router as accounts_router
    from shanzhi.areas.api import router as areas_router
    from shanzhi.cases.api import router as cases_router
    from shanzhi.dashboard.api import router as dashboard_router
    from shanzhi.deliberation.api import router as deliberation_router
    from shanzhi.field.api import router as field_router
    from shanzhi.gridwork.api import router as gridwork_router
    from shanzhi.imports.api import router as imports_router
    from shanzhi.people.api import router as people_router
    from shanzhi.points.api import router as points_router

    api.add_router("/auth", accounts_router)
    api.add_router("/", areas_router)
    api.add_router("/", people_router)
    api.add_router("/", points_router)  # /households/{id}/points, /points/..., /shop/...
    api.add_router("/", deliberation_router)
    api.add_router("/stats", dashboard_router)
    api.add_router("/", cases_router)
    api.add_router("/", gridwork_router)
    api.add_router("/", imports_router)
    api.add_router("/", field_router)  # /field/snapshot, /field/cases, /field/visits, /field/points


_register_routers()
