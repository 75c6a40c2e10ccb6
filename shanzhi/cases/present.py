"""How a case reads outside the database: the API's JSON and the pages' timeline."""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import reverse

from shanzhi.cases.models import Case, CaseAttachment, CaseEvent
from shanzhi.cases.workflow import steps_for
from shanzhi.core.masking import mask_phone, may_view_sensitive

LIST_RELATED = ("category", "grid__parent__parent", "department", "household", "merged_into")


def list_queryset(qs):
    return qs.select_related(*LIST_RELATED).prefetch_related("co_departments")


def attachment_out(attachment: CaseAttachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse("api:case_attachment_file", kwargs={"attachment_id": attachment.pk}),
        "page_url": reverse("cases:attachment", kwargs={"pk": attachment.pk}),
        "event": attachment.event_id,
    }


def case_out(case: Case, user) -> dict:
    grid = case.grid
    village = grid.parent if grid.parent_id else None
    township = village.parent if village is not None and village.parent_id else None
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "description": case.description,
        "category": case.category.code,
        "category_name": case.category.name,
        "priority": case.priority,
        "source": case.source,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "grid": grid.pk,
        "grid_name": grid.name,
        "village": village.name if village else "",
        "township": township.name if township else "",
        "household": case.household_id,
        "household_number": case.household.number if case.household_id else "",
        "location": ({"lat": case.location_lat, "lng": case.location_lng} if case.location_lat is not None else None),
        "address": case.address,
        "reporter_name": case.reporter_name,
        "reporter_phone": case.reporter_phone if may_view_sensitive(user) else mask_phone(case.reporter_phone),
        "department": case.department_id,
        "department_name": case.department.name if case.department_id else "",
        "co_departments": [d.name for d in case.co_departments.all()],
        "check_in_deadline": case.check_in_deadline,
        "resolution_deadline": case.resolution_deadline,
        "deadline": case.deadline,
        "overdue": case.is_overdue,
        "escalation_level": case.escalation_level,
        "reopen_count": case.reopen_count,
        "urge_count": case.urge_count,
        "resolution": case.resolution,
        "rejection_reason": case.rejection_reason,
        "satisfied": case.satisfied,
        "resolved_on_the_spot": case.resolved_on_the_spot,
        "merged_into": case.merged_into.number if case.merged_into_id else None,
        "reported_at": case.reported_at,
        "accepted_at": case.accepted_at,
        "dispatched_at": case.dispatched_at,
        "checked_in_at": case.checked_in_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "updated_at": case.updated_at,
    }


def timeline(case: Case) -> list[CaseEvent]:
    return list(
        CaseEvent.objects.filter(case=case)
        .select_related("department", "actor")
        .prefetch_related(Prefetch("attachments", queryset=CaseAttachment.objects.order_by("id")))
        .order_by("created", "id")
    )


def event_out(event: CaseEvent) -> dict:
    return {
        "id": event.pk,
        "action": event.action,
        "action_label": str(event.get_action_display()),
        "actor": event.actor_label,
        "created": event.created,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "department": event.department.name if event.department_id else "",
        "data": event.data,
        "attachments": [attachment_out(a) for a in event.attachments.all()],
    }


def case_detail(case: Case, user) -> dict:
    case = list_queryset(Case.objects.filter(pk=case.pk)).get()
    data = case_out(case, user)
    events = timeline(case)
    data["timeline"] = [event_out(e) for e in events]
    data["attachments"] = [attachment_out(a) for a in case.attachments.order_by("id")]
    data["steps"] = [s.name for s in steps_for(user, case)] if user is not None else []
    return data
