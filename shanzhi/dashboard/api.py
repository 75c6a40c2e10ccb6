from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from shanzhi.areas.models import Area
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import InvalidInput
from shanzhi.core.scoping import get_in_scope
from shanzhi.dashboard.overview import build_overview

router = Router(tags=["stats"])


class OverviewQuery(Schema):
    since: dt.date | None = Field(None, description="first day of the window (default: 12 months ago)")
    until: dt.date | None = Field(None, description="last day of the window (default: today)")
    area: int | None = Field(None, description="narrow to one area of the caller's scope")


def overview_window(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    until = until or today
    if since is None:
        try:
            since = until.replace(year=until.year - 1) + dt.timedelta(days=1)
        except ValueError:  # 29 February
            since = until.replace(year=until.year - 1, day=28) + dt.timedelta(days=1)
    if since > until:
        raise InvalidInput(
            fields={"since": _("The start date cannot be later than the end date.")}, code="invalid_window"
        )
    return since, until


@router.get("/overview", response={200: dict, **ERRORS}, summary="Figures of the caller's scope")
def overview(request, params: Query[OverviewQuery]):
    since, until = overview_window(params.since, params.until)
    area = get_in_scope(Area.objects, request.auth, pk=params.area) if params.area is not None else None
    return build_overview(request.auth, since, until, area)
