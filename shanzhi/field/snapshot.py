"""What the phone keeps for a day offline: today's work, my grids' households (masked), the lists its forms need.

Only masked personal data leaves the server here (a phone can be lost in a field):
the head's name, the household number and address, the phone number masked, tags.
No ID numbers, no resident lists.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from shanzhi.areas.models import Area
from shanzhi.cases.choices import CaseSource
from shanzhi.cases.models import Case, Category
from shanzhi.gridwork import care
from shanzhi.gridwork.choices import VisitPurpose
from shanzhi.gridwork.home import due_duties
from shanzhi.gridwork.models import Duty
from shanzhi.gridwork.services import grids_served, worker_for_user
from shanzhi.people.choices import HouseholdStatus
from shanzhi.people.models import Household, HouseholdTag
from shanzhi.points.models import Rule

MAX_HOUSEHOLDS = 3000  # a village cadre's whole village fits; a township would not (and is not the audience)
RECENT_CASES = 20


def _households(user, worker, today):
    """My grids' households: a worker's served grids, a cadre's area."""
    households = Household.objects.for_user(user).filter(status=HouseholdStatus.ACTIVE)
    grids = grids_served(worker, today) if worker is not None else []
    if grids:
        households = households.filter(grid__in=[g.pk for g in grids])
    return households


def household_row(household: Household) -> dict:
    return {
        "id": household.pk,
        "number": household.number,
        "head": household.head_name,
        "address": household.address,
        "phone": household.masked_phone,
        "grid": household.grid_id,
        "grid_name": household.grid.name,
        "village": household.grid.parent_id,
        "tags": [t.name for t in household.tags.all()],
    }


def build(user) -> dict:
    today = timezone.localdate()
    worker = worker_for_user(user) if user.has_perm("gridwork.add_visit") else None
    households_qs = _households(user, worker, today)
    rows = list(
        households_qs.select_related("grid", "head")
        .prefetch_related(Prefetch("tags", queryset=HouseholdTag.objects.only("name")))
        .order_by("number")[:MAX_HOUSEHOLDS]
    )
    grid_ids = sorted({h.grid_id for h in rows})
    if worker is not None:
        grids = grids_served(worker, today)
    else:
        grids = list(Area.objects.filter(pk__in=grid_ids).order_by("path"))
    care_due = care.attach(care.due_items(households_qs, today=today)[:50]) if worker is not None else []
    village_ids = sorted({h.grid.parent_id for h in rows} | {g.parent_id for g in grids})
    can_points = user.has_perm("points.record_entry")
    rules = (
        Rule.objects.for_user(user)
        .filter(active=True, area_id__in=village_ids)
        .order_by("area_id", "sort_order", "code")
        if can_points
        else Rule.objects.none()
    )
    duties = list(Duty.objects.active().for_kind(worker.kind).order_by("number")) if worker is not None else []
    due = due_duties(worker, today) if worker is not None else []
    recent = (
        Case.objects.for_user(user).filter(reporter=user).order_by("-reported_at", "-pk")[:RECENT_CASES]
        if user.has_perm("cases.report_case")
        else []
    )
    return {
        "user": {"id": user.pk, "name": str(user)},
        "today": today.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "worker": {"id": worker.pk, "name": worker.name, "kind": worker.get_kind_display()} if worker else None,
        "can": {
            "visit": worker is not None,
            "case": user.has_perm("cases.report_case"),
            "points": can_points,
        },
        "grids": [{"id": g.pk, "name": g.name, "village": g.parent_id} for g in grids],
        "households": [household_row(h) for h in rows],
        "households_total": households_qs.count(),
        "care_due": [
            {
                "household": item.household_id,
                "days_overdue": item.days_overdue(today),
                "last_visit": item.last_visit.isoformat() if item.last_visit else None,
                "tags": item.tags,
            }
            for item in care_due
        ],
        "duties": [{"id": d.pk, "name": d.name, "evidence": d.evidence_required} for d in duties],
        "duties_due": [{"id": d["duty"].pk, "name": d["duty"].name, "remaining": d["remaining"]} for d in due],
        "purposes": [{"value": v, "label": str(label)} for v, label in VisitPurpose.choices],
        "categories": [{"code": c.code, "name": c.name} for c in Category.objects.filter(active=True)],
        "rules": [
            {
                "id": r.pk,
                "code": r.code,
                "text": r.text,
                "points": r.points,
                "village": r.area_id,
                "evidence": r.evidence_required,
                "deduction": r.points < 0,
            }
            for r in rules
        ],
        "recent_cases": [
            {"id": c.pk, "number": c.number, "title": c.title, "status": c.get_status_display()} for c in recent
        ],
        "source": CaseSource.GRID_PATROL,
    }
