"""The overview document: figures of the caller's scope, one section per capability.

Each capability adds its section by appending a function to ``SECTIONS``; every
section reads only through ``for_user`` so the whole document is scoped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Count, Q

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.scoping import subtree_q
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.models import GridWorker
from shanzhi.people.choices import HouseholdStatus, ResidentStatus
from shanzhi.people.models import Household, Resident


def areas_section(user, since, until, area=None) -> dict:
    qs = Area.objects.for_user(user).current()
    if area is not None:
        qs = qs.filter(subtree_q("path", [area.path]))
    counts = qs.aggregate(
        townships=Count("id", filter=Q(level=AreaLevel.TOWNSHIP)),
        villages=Count("id", filter=Q(level=AreaLevel.VILLAGE)),
        grids=Count("id", filter=Q(level=AreaLevel.GRID)),
    )
    return {"areas": counts}


def people_section(user, since, until, area=None) -> dict:
    households = Household.objects.for_user(user).filter(status=HouseholdStatus.ACTIVE)
    residents = Resident.objects.for_user(user).filter(status=ResidentStatus.ACTIVE)
    if area is not None:
        households = households.in_area(area)
        residents = residents.filter(subtree_q("household__grid__path", [area.path]))
    return {"households": households.count(), "residents": residents.count()}


def grid_workers_section(user, since, until, area=None) -> dict:
    workers = GridWorker.objects.for_user(user).active()
    if area is not None:
        workers = workers.filter(subtree_q("home_area__path", [area.path]))
    counts = workers.aggregate(**{kind: Count("id", filter=Q(kind=kind)) for kind in WorkerKind.values})
    return {"grid_workers": counts}


SECTIONS: list[Callable] = [areas_section, people_section, grid_workers_section]

from shanzhi.cases.stats import cases_section  # noqa: E402

SECTIONS.append(cases_section)

from shanzhi.deliberation.stats import deliberation_section  # noqa: E402

SECTIONS.append(deliberation_section)

from shanzhi.points.stats import points_section  # noqa: E402

SECTIONS.append(points_section)

from shanzhi.gridwork.stats import gridwork_section  # noqa: E402

SECTIONS.append(gridwork_section)


def build_overview(user, since: dt.date, until: dt.date, area: Area | None = None) -> dict:
    document: dict = {"since": since, "until": until}
    for section in SECTIONS:
        document.update(section(user, since, until, area))
    return document
