"""Open311 GeoReport v2 at ``/open311/v2/``: the county's cases for 12345 hotlines and city apps.

* ``GET services.json`` — the case categories as services.
* ``GET services/{code}.json`` — a service definition (no extra attributes).
* ``POST requests.json`` — form-encoded, with ``api_key`` (issued per integration by a
  county admin), ``service_code``, ``lat``/``long`` or ``address_string``,
  ``description`` and optionally ``email``, ``first_name``, ``last_name``, ``phone``.
  An ``Idempotency-Key`` header makes a retry return the first request.
* ``GET requests.json`` — filters ``service_request_id``, ``service_code``, ``start_date``,
  ``end_date`` (at most 90 days, the last 90 by default) and ``status`` (open, closed).
* ``GET requests/{id}.json`` — one request.

Reading needs no key, as the standard has it, and therefore shows only requests that
came in through Open311 and never the requester's name, phone or e-mail. Every format
is also offered as ``.xml``. Errors are the standard's ``[{"code", "description"}]``.
"""

from __future__ import annotations

import datetime as dt
import math
from xml.etree import ElementTree as ET  # noqa: S405 - we only write XML, never parse it

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.cases.choices import CaseStatus, DeadlineUnit
from shanzhi.cases.models import Case, Category
from shanzhi.cases.services import open311_key_for, report_case
from shanzhi.core.errors import DomainError
from shanzhi.core.idempotency import HEADER, run_idempotent
from shanzhi.people.models import Household

CLOSED = (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED)
MAX_WINDOW = dt.timedelta(days=90)
NEAREST_GRID_KM = 5.0
FORMATS = ("json", "xml")


# --- rendering ---------------------------------------------------------------------
# The standard's element order (a replayed response comes back from JSONB with its keys re-ordered).
FIELD_ORDER = [
    "service_request_id",
    "token",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "account_id",
    "code",
]


def _ordered(row: dict) -> list[tuple]:
    rank = {name: index for index, name in enumerate(FIELD_ORDER)}
    return sorted(row.items(), key=lambda item: rank.get(item[0], len(rank)))


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, item)
        for key, value in _ordered(row):
            child = ET.SubElement(node, key)
            if isinstance(value, list):
                for entry in value:
                    ET.SubElement(child, "keyword").text = str(entry)
            elif value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _render(rows: list[dict], fmt: str, root: str, item: str, status: int = 200):
    if fmt == "xml":
        return HttpResponse(_xml(root, item, rows), status=status, content_type="text/xml; charset=utf-8")
    rows = [dict(_ordered(row)) for row in rows]
    return JsonResponse(rows, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, status: int, description: str):
    return _render([{"code": status, "description": description}], fmt, "errors", "error", status)


def _when(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# --- services ----------------------------------------------------------------------
def _limit_text(amount: int, unit: str) -> str:
    if unit == DeadlineUnit.HOURS:
        return _("%(n)d hours") % {"n": amount}
    return _("%(n)d working days") % {"n": amount}


def _service_out(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("Check-in within %(check_in)s, resolution within %(resolution)s.")
        % {
            "check_in": _limit_text(category.check_in_limit, category.check_in_unit),
            "resolution": _limit_text(category.resolution_limit, category.resolution_unit),
        },
        "metadata": False,
        "type": "realtime",
        "keywords": [],
        "group": _("Grid governance"),
    }


@require_GET
def services(request, fmt: str):
    rows = [_service_out(c) for c in Category.objects.filter(active=True)]
    return _render(rows, fmt, "services", "service")


@require_GET
def service_definition(request, code: str, fmt: str):
    category = Category.objects.filter(active=True, code=code).first()
    if category is None:
        return _error(fmt, 404, _("Unknown service_code."))
    body = {"service_code": category.code, "attributes": []}
    if fmt == "xml":
        return HttpResponse(_xml("service_definition", "service", [body]), content_type="text/xml; charset=utf-8")
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


# --- requests ----------------------------------------------------------------------
def _status_notes(case: Case) -> str:
    if case.status == CaseStatus.CLOSED:
        return case.resolution
    if case.status == CaseStatus.REJECTED:
        return case.rejection_reason
    if case.status == CaseStatus.MERGED and case.merged_into_id:
        return _("Merged into %(number)s") % {"number": case.merged_into.number}
    return str(case.get_status_display())


def _agency(case: Case) -> str:
    if case.department_id:
        return case.department.name
    township = case.grid.parent.parent if case.grid.parent_id and case.grid.parent.parent_id else None
    return _("%(township)s grid command centre") % {"township": township.name} if township else ""


def request_out(case: Case) -> dict:
    category = case.category
    return {
        "service_request_id": case.number,
        "status": "closed" if case.status in CLOSED else "open",
        "status_notes": _status_notes(case),
        "service_name": category.name,
        "service_code": category.code,
        "description": case.description,
        "agency_responsible": _agency(case),
        "service_notice": _service_out(category)["description"],
        "requested_datetime": _when(case.reported_at),
        "updated_datetime": _when(case.updated_at),
        "expected_datetime": _when(case.resolution_deadline),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.location_lat,
        "long": case.location_lng,
        "media_url": None,
    }


def _public_cases():
    return Case.objects.filter(open311_key__isnull=False).select_related(
        "category", "department", "grid__parent__parent", "merged_into"
    )


def _parse_when(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(_("%(name)s must be a W3C date-time such as 2026-01-01T00:00:00Z.") % {"name": name}) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request, fmt: str):
    if request.method == "POST":
        return _post_request(request, fmt)
    params = request.GET
    qs = _public_cases()
    if params.get("service_request_id"):
        numbers = [n.strip() for n in params["service_request_id"].split(",") if n.strip()]
        rows = [request_out(c) for c in qs.filter(number__in=numbers).order_by("-reported_at")]
        return _render(rows, fmt, "service_requests", "request")
    try:
        start = _parse_when(params.get("start_date"), "start_date")
        end = _parse_when(params.get("end_date"), "end_date")
    except ValueError as exc:
        return _error(fmt, 400, str(exc))
    end = end or timezone.now()
    start = start or end - MAX_WINDOW
    if start > end:
        return _error(fmt, 400, _("start_date must be before end_date."))
    if end - start > MAX_WINDOW:
        return _error(fmt, 400, _("The date range may not span more than 90 days."))
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    if params.get("service_code"):
        qs = qs.filter(category__code__in=[c.strip() for c in params["service_code"].split(",") if c.strip()])
    if params.get("status"):
        wanted = {s.strip() for s in params["status"].split(",")}
        if not wanted <= {"open", "closed"}:
            return _error(fmt, 400, _("status must be open or closed."))
        if wanted == {"open"}:
            qs = qs.exclude(status__in=CLOSED)
        elif wanted == {"closed"}:
            qs = qs.filter(status__in=CLOSED)
    rows = [request_out(c) for c in qs.order_by("-reported_at")[:1000]]
    return _render(rows, fmt, "service_requests", "request")


@require_GET
def request_detail(request, number: str, fmt: str):
    case = _public_cases().filter(number=number).first()
    if case is None:
        return _error(fmt, 404, _("Unknown service_request_id."))
    return _render([request_out(case)], fmt, "service_requests", "request")


def _distance_km(lat1, lng1, lat2, lng2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_lat, d_lng = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(d_lat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_lng / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def _inside(lat: float, lng: float, boundary) -> bool:
    """Ray casting on the first ring of a GeoJSON Polygon ([lng, lat] pairs)."""
    try:
        geometry = boundary.get("geometry", boundary) if isinstance(boundary, dict) else None
        if not geometry or geometry.get("type") != "Polygon":
            return False
        ring = geometry["coordinates"][0]
    except (KeyError, IndexError, TypeError, AttributeError):
        return False
    inside = False
    for i in range(len(ring)):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[i - 1][0], ring[i - 1][1]
        if (y1 > lat) != (y2 > lat) and lng < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def locate_grid(lat: float | None, lng: float | None, address: str, default: Area) -> Area:
    """The grid a request belongs to: by its point, else by its address, else the key's default grid."""
    grids = Area.objects.current().filter(level=AreaLevel.GRID)
    if lat is not None and lng is not None:
        candidates = list(grids.exclude(centroid_lat=None).only("id", "centroid_lat", "centroid_lng", "boundary"))
        for grid in candidates:
            if grid.boundary and _inside(lat, lng, grid.boundary):
                return Area.objects.get(pk=grid.pk)
        nearest = min(candidates, key=lambda g: _distance_km(lat, lng, g.centroid_lat, g.centroid_lng), default=None)
        if (
            nearest is not None
            and _distance_km(lat, lng, nearest.centroid_lat, nearest.centroid_lng) <= NEAREST_GRID_KM
        ):
            return Area.objects.get(pk=nearest.pk)
    if address:
        household = Household.objects.filter(address__isnull=False).exclude(address="").filter(address=address).first()
        if household is not None:
            return household.grid
        for grid in grids.select_related("parent").order_by("-depth", "path"):
            if grid.name in address:
                return grid
        for village in Area.objects.current().filter(level=AreaLevel.VILLAGE).order_by("path"):
            if village.name in address:
                first = grids.filter(parent=village).order_by("sort_order", "path").first()
                if first is not None:
                    return first
    return default


def _post_request(request, fmt: str):
    data = request.POST
    key = open311_key_for(data.get("api_key", ""))
    if key is None:
        return _error(fmt, 403, _("A valid api_key is required to submit requests."))
    category = Category.objects.filter(active=True, code=data.get("service_code", "")).first()
    if category is None:
        return _error(fmt, 400, _("service_code is missing or unknown."))
    lat_raw, lng_raw = data.get("lat", ""), data.get("long", "")
    address = (data.get("address_string") or "").strip()
    lat = lng = None
    if lat_raw or lng_raw:
        try:
            lat, lng = float(lat_raw), float(lng_raw)
        except ValueError:
            return _error(fmt, 400, _("lat and long must be numbers."))
    if lat is None and not address:
        return _error(fmt, 400, _("A location is required: lat and long, or address_string."))
    description = (data.get("description") or "").strip()
    if not description:
        return _error(fmt, 400, _("description is required."))
    name = f"{data.get('last_name', '').strip()}{data.get('first_name', '').strip()}"
    grid = locate_grid(lat, lng, address, key.default_grid)
    payload = {k: data.get(k, "") for k in sorted(data.keys()) if k != "api_key"}

    def run():
        case = report_case(
            actor=None,
            title="",
            description=description,
            category=category,
            grid=grid,
            source=key.source,
            location_lat=lat,
            location_lng=lng,
            address=address,
            reporter_name=name,
            reporter_phone=(data.get("phone") or "").strip(),
            actor_label=f"Open311: {key.name}",
        )
        Case.objects.filter(pk=case.pk).update(open311_key=key)
        return 201, [
            {
                "service_request_id": case.number,
                "service_notice": _service_out(category)["description"],
                "account_id": None,
            }
        ]

    idempotency_key = (request.headers.get(HEADER) or "").strip() or None
    try:
        status, body = run_idempotent(
            user=None, operation=f"open311.create.{key.pk}", key=idempotency_key, payload=payload, run=run
        )
    except DomainError as exc:
        details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()) or exc.message
        return _error(fmt, 400 if exc.status == 422 else exc.status, details)
    return _render(body, fmt, "service_requests", "request", status=status)


def only_formats(view):
    def wrapper(request, *args, fmt: str, **kwargs):
        if fmt not in FORMATS:
            return _error("json", 404, _("Use .json or .xml."))
        return view(request, *args, fmt=fmt, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.csrf_exempt = getattr(view, "csrf_exempt", False)
    return wrapper
