"""Overview snapshots: the county's and each township's figures, refreshed by the worker.

``shanzhi refresh_overview`` (in PERIODIC_JOBS, every ``REFRESH_SECONDS``) computes the
overview of the county and of every township for the current month (and, in the first
days of a month, the month before) and stores it. :func:`overview_for` serves a page
from the snapshot when it can — the area is a county or township the user's scope
covers entirely, the snapshot is younger than ``MAX_AGE`` — and computes live otherwise.
Served figures carry ``snapshot_at`` so the page says how fresh they are.

Snapshots are computed by a reader that sees everything under the area: for the roles
that may open the overview (county admin, command centre, village cadres), reading
through ``for_user`` inside an area their scope covers gives exactly the same rows.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils import timezone

from shanzhi.accounts.choices import Role
from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.scoping import Scope, scope_for
from shanzhi.dashboard.figures import overview_links, overview_page
from shanzhi.dashboard.models import OverviewSnapshot

REFRESH_SECONDS = 600
MAX_AGE = dt.timedelta(seconds=REFRESH_SECONDS * 2)
SNAPSHOT_LEVELS = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP)
# Roles whose reads, inside an area their scope covers, are exactly the area's rows.
AREA_READING_ROLES = {Role.COUNTY_ADMIN, Role.COMMAND_CENTRE, Role.VILLAGE_SECRETARY, Role.VILLAGE_CADRE}


class CountyReader:
    """The worker's reader: everything in the county, like a county administrator."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = id = None
    roles = frozenset({Role.COUNTY_ADMIN})
    scope = Scope(everything=True, roles=frozenset({Role.COUNTY_ADMIN}))

    def has_perm(self, perm: str, obj=None) -> bool:
        return True


def _to_json(doc: dict) -> dict:
    keep = {k: v for k, v in doc.items() if k not in ("area", "links", "month", "computed_at", "snapshot_at")}
    keep["since"], keep["until"] = doc["since"].isoformat(), doc["until"].isoformat()
    return keep


def _from_json(stored: dict, snapshot: OverviewSnapshot, area: Area) -> dict:
    doc = dict(stored)
    doc["since"], doc["until"] = dt.date.fromisoformat(doc["since"]), dt.date.fromisoformat(doc["until"])
    doc["month"] = snapshot.month
    doc["area"] = area
    doc["computed_at"] = snapshot.computed_at
    doc["snapshot_at"] = snapshot.computed_at
    doc["links"] = overview_links(doc, area)
    return doc


def months_to_refresh(today: dt.date) -> list[dt.date]:
    """This month; in the first week also the month before (late entries still change it)."""
    first = today.replace(day=1)
    months = [first]
    if today.day <= 7:
        months.append((first - dt.timedelta(days=1)).replace(day=1))
    return months


def refresh(*, today: dt.date | None = None, areas=None, say=None) -> int:
    """Recompute the snapshots; returns how many were written."""
    today = today or timezone.localdate()
    reader = CountyReader()
    if areas is None:
        areas = list(Area.objects.current(today).filter(level__in=SNAPSHOT_LEVELS).order_by("path"))
    written = 0
    for month in months_to_refresh(today):
        for area in areas:
            started = time.perf_counter()
            doc = overview_page(reader, month, area)
            elapsed = round((time.perf_counter() - started) * 1000)
            with transaction.atomic():
                OverviewSnapshot.objects.update_or_create(
                    area=area,
                    month=month,
                    defaults={"document": _to_json(doc), "computed_at": doc["computed_at"], "duration_ms": elapsed},
                )
            written += 1
            if say:
                say(f"{area.name} {month:%Y-%m}: {elapsed} ms")
    return written


def may_use_snapshot(user, area: Area | None) -> bool:
    if area is None or area.level not in SNAPSHOT_LEVELS:
        return False
    scope = scope_for(user)
    if not scope.everything and not scope.covers_path(area.path):
        return False
    return bool(scope.roles) and set(scope.roles) <= AREA_READING_ROLES


def overview_for(user, month: dt.date, area: Area | None, *, now=None) -> dict:
    """The overview a page shows: the worker's snapshot when fresh and allowed, else live."""
    if may_use_snapshot(user, area):
        now = now or timezone.now()
        snapshot = OverviewSnapshot.objects.filter(area=area, month=month).first()
        if snapshot is not None and snapshot.computed_at >= now - MAX_AGE:
            return _from_json(snapshot.document, snapshot, area)
    return overview_page(user, month, area)
