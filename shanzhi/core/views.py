from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shanzhi.core.choices import Outcome
from shanzhi.core.errors import Forbidden
from shanzhi.core.models import AuditLog
from shanzhi.core.params import parse_date
from shanzhi.core.scoping import get_in_scope
from shanzhi.core.validators import is_local_path


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/open311/")


def _error(request, status: int, code: str, message: str, **context):
    if _wants_json(request):
        return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)
    return render(request, "core/error.html", {"status": status, "message": message, **context}, status=status)


def not_found(request, exception=None):
    return _error(
        request, 404, "not_found", _("The page or record was not found, or you do not have permission to view it.")
    )


def server_error(request):
    return _error(request, 500, "server_error", _("Internal server error. It has been logged; please try again later."))


def forbidden(request, exception=None):
    return _error(request, 403, "forbidden", _("Your role is not permitted to perform this action."))


def bad_request(request, exception=None):
    return _error(request, 400, "bad_request", _("Invalid request."))


def csrf_failure(request, reason=""):
    """A form came back without a valid security token: the page was open too long, cookies were
    cleared, or the browser logged in or out meanwhile. Said plainly, with the page offered again
    (Django's own page is English and technical; the reason is logged by django.security.csrf)."""
    message = _(
        "This form has expired: the page was open too long, or you logged in or out in the meantime. "
        "Open the page again and send it once more."
    )
    retry = request.get_full_path()
    return _error(request, 403, "csrf_failed", message, retry=retry if is_local_path(retry) else "")


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def home(request):
    from shanzhi.dashboard.home import home_context

    return render(request, "core/home.html", home_context(request.user))


def _require_audit_access(user):
    if not user.has_perm("core.view_auditlog"):
        raise Forbidden()


@login_required
def audit_list(request):
    _require_audit_access(request.user)
    qs = AuditLog.objects.for_user(request.user).select_related("actor")
    params = request.GET
    if params.get("action"):
        qs = qs.filter(action__startswith=params["action"].strip())
    if params.get("actor"):
        qs = qs.filter(actor_label__icontains=params["actor"].strip())
    if params.get("object_type"):
        qs = qs.filter(object_type=params["object_type"].strip())
    if params.get("outcome") in Outcome.values:
        qs = qs.filter(outcome=params["outcome"])
    tz = timezone.get_current_timezone()
    errors: dict = {}  # a bad date is named on the page and left out of the filter
    since, until = parse_date(params.get("since"), "since", errors), parse_date(params.get("until"), "until", errors)
    if since:
        qs = qs.filter(created__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz))
    if until:
        qs = qs.filter(created__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    page = Paginator(qs, 50).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "params": params,
            "outcomes": Outcome.choices,
            "query": query.urlencode(),
            "errors": errors,
        },
    )


@login_required
def audit_detail(request, pk: int):
    _require_audit_access(request.user)
    entry = get_in_scope(AuditLog.objects, request.user, pk=pk)
    return render(request, "core/audit_detail.html", {"entry": entry})
