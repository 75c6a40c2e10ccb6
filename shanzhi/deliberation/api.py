"""The deliberation API under /api/v1/deliberation: venues, topics, meetings, decisions,
action items, quorum rules and the public results board.

Reads go through ``for_user``; writes call ``services``. A role without the permission
gets 403, a record outside the caller's scope 404, bad input 422 with per-field messages.
"""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from shanzhi.areas.models import Area
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import Forbidden, InvalidInput, NotFound
from shanzhi.core.idempotency import key_from_request, run_idempotent
from shanzhi.core.scoping import get_in_scope
from shanzhi.deliberation import services
from shanzhi.deliberation.board import board_document
from shanzhi.deliberation.choices import (
    ActionStatus,
    MeetingFormat,
    MeetingStatus,
    Outcome,
    QuorumBasis,
    TopicClass,
    TopicStatus,
    VenueKind,
)
from shanzhi.deliberation.filters import filtered_actions, filtered_meetings, filtered_topics, filtered_venues
from shanzhi.deliberation.models import ActionItem, Decision, Meeting, Topic, TopicAttachment, Venue
from shanzhi.deliberation.serializers import (
    action_out,
    decision_out,
    meeting_detail,
    meeting_out,
    topic_detail,
    topic_out,
    venue_out,
)
from shanzhi.people.models import Household

router = Router(tags=["deliberation"])


def _need(user, *perms: str) -> None:
    if not any(user.has_perm(p) for p in perms):
        raise Forbidden()


def _area(area_id: int | None, user) -> Area | None:
    if area_id is None:
        return None
    area = Area.objects.for_user(user).filter(pk=area_id).first()
    if area is None:
        raise InvalidInput(fields={"area": _("Unknown area, or outside your jurisdiction.")}, code="unknown_area")
    return area


def _ref(model, pk, user, field: str, message: str):
    """A record named in a request body: in the caller's scope, or a field error."""
    if pk is None:
        return None
    obj = model.objects.for_user(user).filter(pk=pk).first()
    if obj is None:
        raise InvalidInput(fields={field: message})
    return obj


# --- schemas ----------------------------------------------------------------------------------


class Page(Schema):
    items: list[dict]
    count: int


class VenueIn(Schema):
    kind: VenueKind
    name: str = Field(..., max_length=100)
    village: int
    host_household: int | None = None
    location: str = Field("", max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    active: bool = True


class VenuePatch(Schema):
    kind: VenueKind | None = None
    name: str | None = Field(None, max_length=100)
    host_household: int | None = None
    location: str | None = Field(None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    active: bool | None = None


class VenueFilter(Schema):
    kind: VenueKind | None = None
    active: bool | None = True
    area: int | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class TopicIn(Schema):
    title: str = Field(..., max_length=200)
    topic_class: TopicClass
    description: str = Field("", max_length=8000)
    village: int | None = Field(None, description="for a topic a cadre raises without a household")
    household: int | None = Field(None, description="the household raising it (villagers: their own)")
    raiser_name: str = Field("", max_length=50)


class TopicFilter(Schema):
    status: TopicStatus | None = None
    topic_class: TopicClass | None = None
    area: int | None = None
    q: str | None = Field(None, max_length=50)
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class ResultIn(Schema):
    result: str = Field("", max_length=4000)


class MeetingIn(Schema):
    venue: int | None = None
    format: MeetingFormat
    scheduled_at: dt.datetime
    host_name: str = Field("", max_length=50)
    minute_taker_name: str = Field("", max_length=50)
    title: str = Field("", max_length=120)
    topics: list[int] = []


class MeetingPatch(Schema):
    venue: int | None = None
    format: MeetingFormat | None = None
    scheduled_at: dt.datetime | None = None
    host_name: str | None = Field(None, max_length=50)
    minute_taker_name: str | None = Field(None, max_length=50)
    title: str | None = Field(None, max_length=120)


class MeetingFilter(Schema):
    status: MeetingStatus | None = None
    area: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class AgendaIn(Schema):
    topic: int


class AttendanceIn(Schema):
    residents_present: int | None = None
    households_represented: int | None = None
    attendees: list[int] | None = Field(None, description="resident ids signed in by name (optional)")


class MinutesIn(Schema):
    minutes: str = Field("", max_length=20000)
    note: str = Field("", max_length=200, description="required once the meeting is closed")


class NotesIn(Schema):
    notes: str = Field("", max_length=4000)


class DecisionIn(Schema):
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    outcome: Outcome
    summary: str = Field("", max_length=4000)


class ActionIn(Schema):
    title: str = Field("", max_length=200)
    owner_name: str = Field("", max_length=50)
    deadline: dt.date | None = None


class ProgressIn(Schema):
    note: str = Field("", max_length=2000)
    status: ActionStatus


class ActionFilter(Schema):
    status: ActionStatus | None = None
    overdue: bool = False
    area: int | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class EscalateIn(Schema):
    category: str = Field(..., max_length=40, description="a case category code, e.g. infrastructure")
    priority: str = Field("normal", max_length=10)
    description: str = Field("", max_length=4000)


class QuorumIn(Schema):
    basis: QuorumBasis = QuorumBasis.HOUSEHOLDS
    numerator: int = 1
    denominator: int = 2


# --- venues ---------------------------------------------------------------------------------------


@router.get("/deliberation/venues", response={200: Page, **ERRORS}, summary="Venues in the caller's scope")
def list_venues(request, filters: Query[VenueFilter]):
    _need(request.auth, services.PERM_VIEW)
    qs = filtered_venues(request.auth, kind=filters.kind, active=filters.active, area=_area(filters.area, request.auth))
    count = qs.count()
    return {"items": [venue_out(v) for v in qs[filters.offset : filters.offset + filters.limit]], "count": count}


@router.post("/deliberation/venues", response={201: dict, **ERRORS}, summary="Register a venue")
def post_venue(request, payload: VenueIn):
    user = request.auth
    _need(user, services.PERM_VENUES)
    village = _area(payload.village, user)
    host = _ref(Household, payload.host_household, user, "host_household", _("Unknown household."))
    data = payload.dict(exclude={"village", "host_household"})
    venue = services.create_venue(actor=user, village=village, host_household=host, **data)
    return Status(201, venue_out(venue))


@router.get("/deliberation/venues/{venue_id}", response={200: dict, **ERRORS}, summary="One venue")
def get_venue(request, venue_id: int):
    _need(request.auth, services.PERM_VIEW)
    return venue_out(
        get_in_scope(Venue.objects.select_related("village", "host_household__head"), request.auth, pk=venue_id)
    )


@router.patch("/deliberation/venues/{venue_id}", response={200: dict, **ERRORS}, summary="Change a venue")
def patch_venue(request, venue_id: int, payload: VenuePatch):
    user = request.auth
    _need(user, services.PERM_VENUES)
    venue = get_in_scope(Venue.objects, user, pk=venue_id)
    changes = payload.dict(exclude_unset=True)
    if "host_household" in changes:
        changes["host_household"] = _ref(
            Household, changes["host_household"], user, "host_household", _("Unknown household.")
        )
    return venue_out(services.update_venue(venue, actor=user, **changes))


@router.post(
    "/deliberation/venues/{venue_id}/photo", response={200: dict, **ERRORS}, summary="Upload the venue's photo"
)
def post_venue_photo(request, venue_id: int, file: File[UploadedFile]):
    user = request.auth
    _need(user, services.PERM_VENUES)
    venue = get_in_scope(Venue.objects, user, pk=venue_id)
    return venue_out(services.update_venue(venue, actor=user, photo=file))


@router.get("/deliberation/venues/{venue_id}/photo", response={200: None, **ERRORS}, summary="The venue's photo")
def get_venue_photo(request, venue_id: int):
    _need(request.auth, services.PERM_VIEW)
    venue = get_in_scope(Venue.objects, request.auth, pk=venue_id)
    return _file(venue.photo)


def _file(field):
    if not field:
        raise NotFound()
    try:
        return FileResponse(field.open("rb"))
    except FileNotFoundError:
        raise NotFound() from None


# --- topics ------------------------------------------------------------------------------------------


@router.get("/deliberation/topics", response={200: Page, **ERRORS}, summary="Topics in the caller's scope")
def list_topics(request, filters: Query[TopicFilter]):
    user = request.auth
    _need(user, services.PERM_VIEW, services.PERM_RAISE)
    qs = filtered_topics(
        user, status=filters.status, topic_class=filters.topic_class, area=_area(filters.area, user), q=filters.q
    )
    count = qs.count()
    return {"items": [topic_out(t) for t in qs[filters.offset : filters.offset + filters.limit]], "count": count}


@router.post(
    "/deliberation/topics",
    response={201: dict, **ERRORS},
    summary="Raise a topic (villagers for their household; staff on a household's behalf or as a cadre). "
    "Accepts an Idempotency-Key header.",
)
def post_topic(request, payload: TopicIn):
    user = request.auth
    _need(user, services.PERM_RAISE)

    def run():
        household = None
        if payload.household is not None:
            household = Household.objects.for_user(user).filter(pk=payload.household).first()
            if household is None:
                raise InvalidInput(fields={"household": _("Unknown household, or outside your jurisdiction.")})
        village = None
        if payload.village is not None:
            village = Area.objects.filter(pk=payload.village, level="village").first()
            if village is None:
                raise InvalidInput(fields={"village": _("Unknown village.")})
        topic = services.raise_topic(
            actor=user,
            title=payload.title,
            topic_class=payload.topic_class,
            description=payload.description,
            village=village,
            household=household,
            raiser_name=payload.raiser_name,
        )
        return 201, topic_detail(topic, user)

    status, body = run_idempotent(
        user=user, operation="deliberation.topic.raise", key=key_from_request(request), payload=payload.dict(), run=run
    )
    return Status(status, body)


def _topic(request, topic_id: int) -> Topic:
    _need(request.auth, services.PERM_VIEW, services.PERM_RAISE)
    return get_in_scope(Topic.objects.select_related("village", "household", "case"), request.auth, pk=topic_id)


@router.get("/deliberation/topics/{topic_id}", response={200: dict, **ERRORS}, summary="One topic with its history")
def get_topic(request, topic_id: int):
    return topic_detail(_topic(request, topic_id), request.auth)


@router.post(
    "/deliberation/topics/{topic_id}/accept", response={200: dict, **ERRORS}, summary="Accept for deliberation"
)
def post_accept(request, topic_id: int, payload: NoteIn):
    _need(request.auth, services.PERM_MANAGE_TOPICS)
    topic = services.accept_topic(_topic(request, topic_id), actor=request.auth, note=payload.note)
    return topic_detail(topic, request.auth)


@router.post(
    "/deliberation/topics/{topic_id}/decline",
    response={200: dict, **ERRORS},
    summary="Decline, with the reason the raiser will see",
)
def post_decline(request, topic_id: int, payload: ReasonIn):
    _need(request.auth, services.PERM_MANAGE_TOPICS)
    topic = services.decline_topic(_topic(request, topic_id), actor=request.auth, reason=payload.reason)
    return topic_detail(topic, request.auth)


@router.post(
    "/deliberation/topics/{topic_id}/resolve", response={200: dict, **ERRORS}, summary="Publish the topic's result"
)
def post_resolve(request, topic_id: int, payload: ResultIn):
    _need(request.auth, services.PERM_MANAGE_TOPICS)
    topic = services.resolve_topic(_topic(request, topic_id), actor=request.auth, result=payload.result)
    return topic_detail(topic, request.auth)


@router.post(
    "/deliberation/topics/{topic_id}/attachments", response={201: dict, **ERRORS}, summary="Attach a photo or PDF"
)
def post_attachment(request, topic_id: int, file: File[UploadedFile]):
    topic = _topic(request, topic_id)
    services.add_attachment(topic, actor=request.auth, upload=file)
    return Status(201, topic_detail(topic, request.auth))


@router.get(
    "/deliberation/topics/{topic_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    summary="Download an attachment",
)
def get_attachment(request, topic_id: int, attachment_id: int):
    topic = _topic(request, topic_id)
    attachment = TopicAttachment.objects.filter(topic=topic, pk=attachment_id).first()
    if attachment is None:
        raise NotFound()
    return _file(attachment.file)


# --- meetings --------------------------------------------------------------------------------------------


def _meeting(request, meeting_id: int, perm: str = services.PERM_VIEW) -> Meeting:
    _need(request.auth, perm)
    return get_in_scope(Meeting.objects.select_related("village", "venue"), request.auth, pk=meeting_id)


def _venue_ref(user, venue_id):
    if venue_id is None:
        return None
    return _ref(Venue, venue_id, user, "venue", _("Unknown venue, or outside your jurisdiction."))


@router.get("/deliberation/meetings", response={200: Page, **ERRORS}, summary="Meetings in the caller's scope")
def list_meetings(request, filters: Query[MeetingFilter]):
    user = request.auth
    _need(user, services.PERM_VIEW)
    qs = filtered_meetings(
        user, status=filters.status, area=_area(filters.area, user), since=filters.since, until=filters.until
    )
    count = qs.count()
    return {"items": [meeting_out(m) for m in qs[filters.offset : filters.offset + filters.limit]], "count": count}


@router.post("/deliberation/meetings", response={201: dict, **ERRORS}, summary="Plan a meeting")
def post_meeting(request, payload: MeetingIn):
    user = request.auth
    _need(user, services.PERM_MEETINGS)
    venue = _venue_ref(user, payload.venue)
    topics = [
        _ref(Topic, pk, user, "topics", _("Unknown topic, or outside your jurisdiction.")) for pk in payload.topics
    ]
    meeting = services.create_meeting(
        actor=user,
        venue=venue,
        format=payload.format,
        scheduled_at=payload.scheduled_at,
        host_name=payload.host_name,
        minute_taker_name=payload.minute_taker_name,
        title=payload.title,
        topics=topics,
    )
    return Status(201, meeting_detail(meeting))


@router.get("/deliberation/meetings/{meeting_id}", response={200: dict, **ERRORS}, summary="One meeting")
def get_meeting(request, meeting_id: int):
    return meeting_detail(_meeting(request, meeting_id))


@router.patch("/deliberation/meetings/{meeting_id}", response={200: dict, **ERRORS}, summary="Change a meeting")
def patch_meeting(request, meeting_id: int, payload: MeetingPatch):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    changes = payload.dict(exclude_unset=True)
    if "venue" in changes:
        changes["venue"] = _venue_ref(request.auth, changes["venue"])
    return meeting_detail(services.update_meeting(meeting, actor=request.auth, **changes))


@router.post("/deliberation/meetings/{meeting_id}/agenda", response={200: dict, **ERRORS}, summary="Schedule a topic")
def post_agenda(request, meeting_id: int, payload: AgendaIn):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    topic = _ref(Topic, payload.topic, request.auth, "topic", _("Unknown topic, or outside your jurisdiction."))
    services.add_to_agenda(meeting, topic, actor=request.auth)
    return meeting_detail(meeting)


@router.delete(
    "/deliberation/meetings/{meeting_id}/agenda/{topic_id}", response={200: dict, **ERRORS}, summary="Unschedule"
)
def delete_agenda(request, meeting_id: int, topic_id: int):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    topic = get_in_scope(Topic.objects, request.auth, pk=topic_id)
    services.remove_from_agenda(meeting, topic, actor=request.auth)
    return meeting_detail(meeting)


@router.post("/deliberation/meetings/{meeting_id}/open", response={200: dict, **ERRORS}, summary="Open the meeting")
def post_open(request, meeting_id: int):
    meeting = services.open_meeting(_meeting(request, meeting_id, services.PERM_MEETINGS), actor=request.auth)
    return meeting_detail(meeting)


@router.post("/deliberation/meetings/{meeting_id}/close", response={200: dict, **ERRORS}, summary="Close the meeting")
def post_close(request, meeting_id: int):
    meeting = services.close_meeting(_meeting(request, meeting_id, services.PERM_MEETINGS), actor=request.auth)
    return meeting_detail(meeting)


@router.post("/deliberation/meetings/{meeting_id}/cancel", response={200: dict, **ERRORS}, summary="Cancel")
def post_cancel(request, meeting_id: int, payload: ReasonIn):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    return meeting_detail(services.cancel_meeting(meeting, actor=request.auth, reason=payload.reason))


@router.put(
    "/deliberation/meetings/{meeting_id}/attendance", response={200: dict, **ERRORS}, summary="Record attendance"
)
def put_attendance(request, meeting_id: int, payload: AttendanceIn):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    meeting = services.record_attendance(
        meeting,
        actor=request.auth,
        residents_present=payload.residents_present,
        households_represented=payload.households_represented,
        attendees=payload.attendees,
    )
    return meeting_detail(meeting)


@router.post(
    "/deliberation/meetings/{meeting_id}/sign-in-sheet",
    response={200: dict, **ERRORS},
    summary="Upload the photo of the paper sign-in sheet",
)
def post_sign_in_sheet(request, meeting_id: int, file: File[UploadedFile]):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    if not meeting.attendance_recorded:
        raise InvalidInput(fields={"residents_present": _("Record the attendance first.")})
    meeting = services.record_attendance(
        meeting,
        actor=request.auth,
        residents_present=meeting.residents_present,
        households_represented=meeting.households_represented,
        sign_in_sheet=file,
    )
    return meeting_detail(meeting)


@router.get(
    "/deliberation/meetings/{meeting_id}/sign-in-sheet", response={200: None, **ERRORS}, summary="The sign-in sheet"
)
def get_sign_in_sheet(request, meeting_id: int):
    return _file(_meeting(request, meeting_id).sign_in_sheet)


@router.put("/deliberation/meetings/{meeting_id}/minutes", response={200: dict, **ERRORS}, summary="Save the minutes")
def put_minutes(request, meeting_id: int, payload: MinutesIn):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    return meeting_detail(services.save_minutes(meeting, actor=request.auth, text=payload.minutes, note=payload.note))


@router.get(
    "/deliberation/meetings/{meeting_id}/minutes/versions",
    response={200: list[dict], **ERRORS},
    summary="Every saved version of the minutes",
)
def get_minutes_versions(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    return [
        {
            "version": v.version,
            "text": v.text,
            "saved_at": v.saved_at,
            "saved_by": str(v.saved_by) if v.saved_by_id else "",
            "note": v.note,
        }
        for v in meeting.minutes_versions.select_related("saved_by").order_by("version")
    ]


@router.put(
    "/deliberation/meetings/{meeting_id}/topics/{topic_id}/notes",
    response={200: dict, **ERRORS},
    summary="Notes on one topic of the meeting",
)
def put_notes(request, meeting_id: int, topic_id: int, payload: NotesIn):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    topic = get_in_scope(Topic.objects, request.auth, pk=topic_id)
    services.save_topic_notes(meeting, topic, actor=request.auth, notes=payload.notes)
    return meeting_detail(meeting)


@router.post(
    "/deliberation/meetings/{meeting_id}/topics/{topic_id}/decision",
    response={201: dict, **ERRORS},
    summary="Record the show of hands and the outcome on one topic",
)
def post_decision(request, meeting_id: int, topic_id: int, payload: DecisionIn):
    meeting = _meeting(request, meeting_id, services.PERM_MEETINGS)
    topic = get_in_scope(Topic.objects, request.auth, pk=topic_id)
    decision = services.record_decision(
        meeting,
        topic,
        actor=request.auth,
        votes_for=payload.votes_for,
        votes_against=payload.votes_against,
        votes_abstain=payload.votes_abstain,
        outcome=payload.outcome,
        summary=payload.summary,
    )
    return Status(201, decision_out(decision))


# --- decisions and action items -----------------------------------------------------------------------


@router.get("/deliberation/decisions/{decision_id}", response={200: dict, **ERRORS}, summary="One decision")
def get_decision(request, decision_id: int):
    _need(request.auth, services.PERM_VIEW, services.PERM_RAISE)
    return decision_out(get_in_scope(Decision.objects.select_related("meeting", "topic"), request.auth, pk=decision_id))


@router.post(
    "/deliberation/decisions/{decision_id}/actions",
    response={201: dict, **ERRORS},
    summary="Add an action item to an adopted decision. Accepts an Idempotency-Key header.",
)
def post_action(request, decision_id: int, payload: ActionIn):
    user = request.auth
    _need(user, services.PERM_ACTIONS)
    decision = get_in_scope(Decision.objects, user, pk=decision_id)

    def run():
        item = services.add_action_item(
            decision, actor=user, title=payload.title, owner_name=payload.owner_name, deadline=payload.deadline
        )
        return 201, action_out(item)

    status, body = run_idempotent(
        user=user,
        operation=f"deliberation.action.add.{decision.pk}",
        key=key_from_request(request),
        payload=payload.dict(),
        run=run,
    )
    return Status(status, body)


@router.get(
    "/deliberation/actions",
    response={200: Page, **ERRORS},
    summary="Action items in the caller's scope; `overdue=true` lists those past their deadline",
)
def list_actions(request, filters: Query[ActionFilter]):
    user = request.auth
    _need(user, services.PERM_VIEW)
    qs = filtered_actions(user, status=filters.status, overdue=filters.overdue, area=_area(filters.area, user))
    count = qs.count()
    return {"items": [action_out(a) for a in qs[filters.offset : filters.offset + filters.limit]], "count": count}


def _action(request, action_id: int, perm: str = services.PERM_VIEW) -> ActionItem:
    _need(request.auth, perm)
    return get_in_scope(ActionItem.objects.select_related("topic__village", "case"), request.auth, pk=action_id)


@router.get("/deliberation/actions/{action_id}", response={200: dict, **ERRORS}, summary="One action item")
def get_action(request, action_id: int):
    return action_out(_action(request, action_id), with_progress=True)


@router.post("/deliberation/actions/{action_id}/progress", response={201: dict, **ERRORS}, summary="Record progress")
def post_progress(request, action_id: int, payload: ProgressIn):
    item = _action(request, action_id, services.PERM_ACTIONS)
    services.record_progress(item, actor=request.auth, note=payload.note, status=payload.status)
    item.refresh_from_db()
    return Status(201, action_out(item, with_progress=True))


@router.post(
    "/deliberation/actions/{action_id}/escalate",
    response={201: dict, **ERRORS},
    summary="Escalate the action item as a case (source: deliberation)",
)
def post_escalate(request, action_id: int, payload: EscalateIn):
    item = _action(request, action_id, services.PERM_ACTIONS)
    services.escalate_action_item(
        item,
        actor=request.auth,
        category=payload.category,
        priority=payload.priority,
        description=payload.description,
    )
    item.refresh_from_db()
    return Status(201, action_out(item, with_progress=True))


# --- quorum rules and the results board ---------------------------------------------------------


def _village(request, village_id: int) -> Area:
    village = get_in_scope(Area.objects, request.auth, pk=village_id)
    if village.level != "village":
        raise NotFound()
    return village


def _rule_out(village, rule) -> dict:
    return {
        "village": village.pk,
        "basis": rule.basis,
        "numerator": rule.numerator,
        "denominator": rule.denominator,
        "is_default": rule.pk is None,
        "text": services.describe_rule(rule),
    }


@router.get(
    "/deliberation/villages/{village_id}/quorum-rule", response={200: dict, **ERRORS}, summary="A village's quorum rule"
)
def get_quorum_rule(request, village_id: int):
    _need(request.auth, services.PERM_VIEW)
    village = _village(request, village_id)
    return _rule_out(village, services.quorum_rule_for(village))


@router.put(
    "/deliberation/villages/{village_id}/quorum-rule", response={200: dict, **ERRORS}, summary="Set a quorum rule"
)
def put_quorum_rule(request, village_id: int, payload: QuorumIn):
    _need(request.auth, services.PERM_QUORUM)
    village = _village(request, village_id)
    rule = services.set_quorum_rule(
        village, actor=request.auth, basis=payload.basis, numerator=payload.numerator, denominator=payload.denominator
    )
    return _rule_out(village, rule)


@router.get(
    "/deliberation/boards", response={200: list[dict], **ERRORS}, summary="Villages whose results board you may read"
)
def list_boards(request):
    return [
        {"village": v.pk, "name": v.name, "township": v.parent.name if v.parent_id else ""}
        for v in services.board_villages(request.auth).select_related("parent")[:500]
    ]


@router.get(
    "/deliberation/boards/{village_id}",
    response={200: dict, **ERRORS},
    summary="The public results board of a village: decided topics, action progress, results",
)
def get_board(request, village_id: int):
    village = services.board_village(request.auth, village_id)
    return board_document(village)
