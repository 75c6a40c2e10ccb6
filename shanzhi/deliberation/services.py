"""Every write of deliberation. Views, the API, the demo and tests all call these.

Each function checks the actor's permission, re-checks scope inside its transaction,
validates everything before writing anything (one ``InvalidInput`` naming every bad
field), moves statuses only along ``TOPIC_TRANSITIONS`` / ``MEETING_TRANSITIONS``
(``Conflict`` otherwise), writes a ``TopicEvent`` per topic transition and an audit row.
``actor=None`` is the system (demo builder, the case-closed listener).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.choices import Role
from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core import audit
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.core.scoping import ensure_in_scope
from shanzhi.deliberation.choices import (
    ACTION_OPEN_STATUSES,
    MEETING_TRANSITIONS,
    TOPIC_TRANSITIONS,
    ActionStatus,
    MeetingFormat,
    MeetingStatus,
    Outcome,
    QuorumBasis,
    RaisedVia,
    TopicClass,
    TopicStatus,
    VenueKind,
)
from shanzhi.deliberation.files import check_file
from shanzhi.deliberation.models import (
    ActionItem,
    ActionProgress,
    AgendaItem,
    Decision,
    Meeting,
    MinutesVersion,
    QuorumRule,
    Topic,
    TopicAttachment,
    TopicEvent,
    Venue,
)
from shanzhi.people.choices import HouseholdStatus, ResidentStatus
from shanzhi.people.models import Household, Resident

PERM_RAISE = "deliberation.raise_topic"
PERM_VIEW = "deliberation.view_deliberation"
PERM_MANAGE_TOPICS = "deliberation.manage_topics"
PERM_VENUES = "deliberation.manage_venues"
PERM_MEETINGS = "deliberation.run_meeting"
PERM_ACTIONS = "deliberation.track_actions"
PERM_QUORUM = "deliberation.set_quorum_rule"

TOPIC_AUDIT_FIELDS = ["title", "topic_class", "village", "household", "raised_via", "status"]
VENUE_AUDIT_FIELDS = [
    "kind",
    "name",
    "village",
    "host_household",
    "location",
    "latitude",
    "longitude",
    "capacity",
    "active",
]
MEETING_AUDIT_FIELDS = ["village", "venue", "format", "title", "scheduled_at", "host_name", "minute_taker_name"]
MAX_MINUTES = 20_000


def require(actor, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise Forbidden()


def _text(value, limit: int | None = None) -> str:
    text = (value or "").strip()
    return text[:limit] if limit else text


def _village_in_scope(village: Area, actor) -> bool:
    return actor is None or Area.objects.for_user(actor).filter(pk=village.pk).exists()


def _move(topic: Topic, to: str, *, actor, note: str = "", at: dt.datetime | None = None) -> None:
    """Move ``topic`` along the lifecycle and write its event; 409 for a move the table forbids."""
    if to not in TOPIC_TRANSITIONS[topic.status]:
        raise Conflict(
            _("The topic is %(status)s; it cannot become %(target)s.")
            % {"status": topic.get_status_display(), "target": TopicStatus(to).label},
            code="illegal_transition",
        )
    from_status = topic.status
    topic.status = to
    if to == TopicStatus.RESOLVED:
        topic.resolved_at = at or timezone.now()
    topic.save()
    TopicEvent.objects.create(
        topic=topic,
        actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=from_status,
        to_status=to,
        note=note[:2000],
        created=at or timezone.now(),
    )
    audit.record(
        f"deliberation.topic.{to}",
        actor=actor,
        obj=topic,
        before={"status": from_status},
        after={"status": to},
        note=note[:500],
    )


def _locked_topic(topic: Topic, actor) -> Topic:
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    ensure_in_scope(topic, actor)
    return topic


def _locked_meeting(meeting: Meeting, actor) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    ensure_in_scope(meeting, actor)
    return meeting


# --- the quorum rule --------------------------------------------------------------------------


def quorum_rule_for(village: Area) -> QuorumRule:
    """The village's rule, or the unsaved default: more than half of the households represented."""
    rule = QuorumRule.objects.filter(village=village).first()
    return rule or QuorumRule(village=village)


def share_label(rule) -> str:
    numerator, denominator = rule.numerator, rule.denominator
    if (numerator, denominator) == (1, 2):
        return _("half")
    if (numerator, denominator) == (2, 3):
        return _("two thirds")
    return f"{numerator}/{denominator}"


@transaction.atomic
def set_quorum_rule(village: Area, *, actor, basis: str, numerator: int, denominator: int) -> QuorumRule:
    require(actor, PERM_QUORUM)
    ensure_in_scope(village, actor)
    errors: dict = {}
    if village.level != AreaLevel.VILLAGE:
        errors["village"] = [_("A quorum rule belongs to a village.")]
    if basis not in QuorumBasis.values:
        errors["basis"] = [_("Choose whether votes are counted by household or by resident.")]
    if not isinstance(denominator, int) or denominator < 2 or denominator > 10:
        errors["denominator"] = [_("The denominator must be between 2 and 10.")]
    elif not isinstance(numerator, int) or numerator < 1 or numerator >= denominator:
        errors["numerator"] = [_("The share must be a proper fraction such as 1/2 or 2/3.")]
    if errors:
        raise InvalidInput(fields=errors)
    rule = QuorumRule.objects.select_for_update().filter(village=village).first()
    before = {"basis": rule.basis, "numerator": rule.numerator, "denominator": rule.denominator} if rule else None
    rule = rule or QuorumRule(village=village)
    rule.basis, rule.numerator, rule.denominator = basis, numerator, denominator
    rule.updated_by = actor if actor is not None and actor.is_authenticated else None
    rule.save()
    audit.record(
        "deliberation.quorum_rule.set",
        actor=actor,
        obj=rule,
        before=before,
        after={"basis": basis, "numerator": numerator, "denominator": denominator},
    )
    return rule


# --- venues ----------------------------------------------------------------------------------------


def _check_venue_fields(data: dict, actor, errors: dict, *, creating: bool) -> None:
    if "kind" in data or creating:
        if data.get("kind") not in VenueKind.values:
            errors["kind"] = [_("Choose the kind of venue.")]
    if "name" in data or creating:
        data["name"] = _text(data.get("name"), 100)
        if not data["name"]:
            errors["name"] = [_("Enter the venue's name.")]
    if "village" in data or creating:
        village = data.get("village")
        if village is None or village.level != AreaLevel.VILLAGE:
            errors["village"] = [_("Choose the village the venue belongs to.")]
        elif not _village_in_scope(village, actor):
            errors["village"] = [_("This village is outside your jurisdiction.")]
    if data.get("capacity") is not None and not (1 <= data["capacity"] <= 100_000):
        errors["capacity"] = [_("Capacity must be a whole number of people, at least 1.")]
    for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        if data.get(name) is not None and not (low <= data[name] <= high):
            errors[name] = [_("Enter a valid coordinate.")]
    if "location" in data:
        data["location"] = _text(data.get("location"), 200)


def _check_host(data: dict, village, actor, errors: dict) -> None:
    host = data.get("host_household")
    if host is None or village is None or "village" in errors:
        return
    if host.grid.parent_id != village.pk:
        errors["host_household"] = [_("The host household must live in the venue's village.")]
    elif actor is not None and not Household.objects.for_user(actor).filter(pk=host.pk).exists():
        errors["host_household"] = [_("This household is outside your jurisdiction.")]


@transaction.atomic
def create_venue(
    *,
    actor,
    kind: str,
    name: str,
    village: Area,
    host_household: Household | None = None,
    location: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    capacity: int | None = None,
    active: bool = True,
    photo=None,
) -> Venue:
    require(actor, PERM_VENUES)
    data = {
        "kind": kind,
        "name": name,
        "village": village,
        "host_household": host_household,
        "location": location,
        "latitude": latitude,
        "longitude": longitude,
        "capacity": capacity,
    }
    errors: dict = {}
    _check_venue_fields(data, actor, errors, creating=True)
    _check_host(data, village, actor, errors)
    if "name" not in errors and "village" not in errors:
        if Venue.objects.filter(village=village, name=data["name"]).exists():
            errors["name"] = [_("This village already has a venue called %(name)s.") % {"name": data["name"]}]
    checked = None
    if photo is not None:
        try:
            checked = check_file(photo, field="photo", photo_only=True)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    venue = Venue(active=active, **data)
    if checked is not None:
        stored = checked.as_django_file()
        venue.photo.save(stored.name, stored, save=False)
    venue.save()
    audit.record("deliberation.venue.created", actor=actor, obj=venue, after=audit.snapshot(venue, VENUE_AUDIT_FIELDS))
    return venue


@transaction.atomic
def update_venue(venue: Venue, *, actor, photo=None, **changes) -> Venue:
    require(actor, PERM_VENUES)
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    ensure_in_scope(venue, actor)
    unknown = set(changes) - set(VENUE_AUDIT_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: _("This field cannot be changed.") for name in unknown})
    before = audit.snapshot(venue, VENUE_AUDIT_FIELDS)
    errors: dict = {}
    _check_venue_fields(changes, actor, errors, creating=False)
    village = changes.get("village", venue.village)
    if "host_household" in changes or "village" in changes:
        _check_host({"host_household": changes.get("host_household", venue.host_household)}, village, actor, errors)
    if "village" in changes and "village" not in errors and venue.meetings.exclude(village=village).exists():
        errors["village"] = [_("This venue already hosted meetings of its village; it cannot move to another.")]
    name = changes.get("name", venue.name)
    if not errors and Venue.objects.filter(village=village, name=name).exclude(pk=venue.pk).exists():
        errors["name"] = [_("This village already has a venue called %(name)s.") % {"name": name}]
    checked = None
    if photo is not None:
        try:
            checked = check_file(photo, field="photo", photo_only=True)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    for key, value in changes.items():
        setattr(venue, key, value)
    if checked is not None:
        stored = checked.as_django_file()
        venue.photo.save(stored.name, stored, save=False)
    venue.save()
    old, new = audit.changed(before, audit.snapshot(venue, VENUE_AUDIT_FIELDS))
    if checked is not None:
        new["photo"] = venue.photo.name
    if new:
        audit.record("deliberation.venue.updated", actor=actor, obj=venue, before=old, after=new)
    return venue


# --- topics ----------------------------------------------------------------------------------------


def _villager_households(actor) -> list[int]:
    return [a.household_id for a in actor.active_assignments if a.role == Role.VILLAGER and a.household_id]


@transaction.atomic
def raise_topic(
    *,
    actor,
    title: str,
    topic_class: str,
    description: str = "",
    village: Area | None = None,
    household: Household | None = None,
    raiser_name: str = "",
    attachments=(),
    raised_via: str | None = None,
) -> Topic:
    """A villager raises a topic for their household; staff raise one on a household's behalf
    (``household`` given) or as a cadre (``village`` given, no household)."""
    require(actor, PERM_RAISE)
    errors: dict = {}
    title = _text(title)
    if not title:
        errors["title"] = [_("Say in a few words what the topic is.")]
    elif len(title) > 120:
        errors["title"] = [_("Keep the title within 120 characters; put the details in the description.")]
    description = _text(description)
    if len(description) > 4000:
        errors["description"] = [_("The description is limited to 4,000 characters.")]
    if topic_class not in TopicClass.values:
        errors["topic_class"] = [_("Choose the class of the topic.")]
    villager_only = actor is not None and not actor.is_staff_member
    if villager_only:
        own = _villager_households(actor)
        if household is None and len(own) == 1:
            household = Household.objects.get(pk=own[0])
        if household is None or household.pk not in own:
            errors["household"] = [_("Choose your own household.")]
        via = RaisedVia.SELF
    else:
        via = raised_via or (RaisedVia.ON_BEHALF if household is not None else RaisedVia.CADRE)
        if (
            household is not None
            and actor is not None
            and not Household.objects.for_user(actor).filter(pk=household.pk).exists()
        ):
            errors["household"] = [_("This household is outside your jurisdiction.")]
    if household is not None and household.status != HouseholdStatus.ACTIVE and "household" not in errors:
        errors["household"] = [_("This household is no longer registered.")]
    if household is not None and "household" not in errors:
        household_village = household.grid.parent
        if village is not None and village.pk != household_village.pk:
            errors["village"] = [_("The household does not live in this village.")]
        village = household_village
    elif village is None and "household" not in errors:
        errors["village" if not villager_only else "household"] = [
            _("Choose the village, or the household on whose behalf the topic is raised.")
        ]
    elif village is not None and (village.level != AreaLevel.VILLAGE or not _village_in_scope(village, actor)):
        errors["village"] = [_("Choose a village within your jurisdiction.")]
    raiser_name = _text(raiser_name, 50)
    if not raiser_name and household is not None:
        raiser_name = household.head_name
    if not raiser_name and actor is not None:
        raiser_name = str(actor)[:50]
    checked = []
    for upload in attachments or ():
        try:
            checked.append(check_file(upload, field="attachments", photo_only=False))
        except InvalidInput as exc:
            errors.setdefault("attachments", []).extend(exc.fields["attachments"])
    if len(checked) > 5:
        errors["attachments"] = [_("At most 5 files per topic.")]
    if errors:
        raise InvalidInput(fields=errors)
    topic = Topic.objects.create(
        title=title,
        description=description,
        topic_class=topic_class,
        village=village,
        grid=household.grid if household is not None else None,
        household=household,
        raiser_name=raiser_name,
        raised_via=via,
        raised_by=actor if actor is not None and actor.is_authenticated else None,
    )
    TopicEvent.objects.create(topic=topic, actor=topic.raised_by, to_status=TopicStatus.RAISED, note=title)
    for item in checked:
        _store_attachment(topic, item, actor)
    audit.record("deliberation.topic.raised", actor=actor, obj=topic, after=audit.snapshot(topic, TOPIC_AUDIT_FIELDS))
    return topic


def _store_attachment(topic: Topic, checked, actor) -> TopicAttachment:
    stored = checked.as_django_file()
    attachment = TopicAttachment(
        topic=topic,
        name=checked.name,
        size=checked.size,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    attachment.file.save(stored.name, stored, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def add_attachment(topic: Topic, *, actor, upload) -> TopicAttachment:
    """The raiser (or staff of the village) adds a photo or PDF to a topic not yet decided."""
    require(actor, PERM_RAISE)
    topic = _locked_topic(topic, actor)
    if topic.status not in (TopicStatus.RAISED, TopicStatus.ACCEPTED, TopicStatus.SCHEDULED):
        raise Conflict(_("Attachments can only be added before the topic is deliberated."))
    if topic.attachments.count() >= 5:
        raise InvalidInput(fields={"attachments": _("At most 5 files per topic.")})
    attachment = _store_attachment(topic, check_file(upload, field="file", photo_only=False), actor)
    audit.record("deliberation.topic.attachment_added", actor=actor, obj=topic, after={"file": attachment.name})
    return attachment


@transaction.atomic
def accept_topic(topic: Topic, *, actor, note: str = "") -> Topic:
    require(actor, PERM_MANAGE_TOPICS)
    topic = _locked_topic(topic, actor)
    _move(topic, TopicStatus.ACCEPTED, actor=actor, note=_text(note, 2000))
    return topic


@transaction.atomic
def decline_topic(topic: Topic, *, actor, reason: str) -> Topic:
    require(actor, PERM_MANAGE_TOPICS)
    topic = _locked_topic(topic, actor)
    reason = _text(reason, 2000)
    if not reason:
        raise InvalidInput(fields={"reason": _("Give the reason; the villager who raised the topic will see it.")})
    topic.decline_reason = reason
    _move(topic, TopicStatus.DECLINED, actor=actor, note=reason)
    return topic


@transaction.atomic
def resolve_topic(topic: Topic, *, actor, result: str) -> Topic:
    """Publish the result of a decided topic whose action items are all done (or that was rejected)."""
    require(actor, PERM_MANAGE_TOPICS)
    topic = _locked_topic(topic, actor)
    result = _text(result, 4000)
    if not result:
        raise InvalidInput(fields={"result": _("Write the result villagers will read on the results board.")})
    if topic.status == TopicStatus.ESCALATED:
        raise Conflict(_("This topic was escalated as a case; it is resolved when the case is closed."))
    if topic.action_items.filter(status__in=ACTION_OPEN_STATUSES).exists():
        raise Conflict(_("Some action items are not done yet; finish them before publishing the result."))
    topic.result = result
    _move(topic, TopicStatus.RESOLVED, actor=actor, note=result)
    return topic


# --- meetings ----------------------------------------------------------------------------------------


def _check_meeting_fields(data: dict, actor, errors: dict, *, creating: bool) -> None:
    if "venue" in data or creating:
        venue = data.get("venue")
        if venue is None:
            errors["venue"] = [_("Choose the venue where the meeting is held.")]
        elif not venue.active:
            errors["venue"] = [_("This venue is no longer in use.")]
        elif actor is not None and not Venue.objects.for_user(actor).filter(pk=venue.pk).exists():
            errors["venue"] = [_("This venue is outside your jurisdiction.")]
    if "format" in data or creating:
        if data.get("format") not in MeetingFormat.values:
            errors["format"] = [_("Choose the format of the meeting.")]
    if "scheduled_at" in data or creating:
        when = data.get("scheduled_at")
        if when is None:
            errors["scheduled_at"] = [_("Enter the date and time of the meeting.")]
        elif timezone.is_naive(when):
            data["scheduled_at"] = timezone.make_aware(when)
    for name, message in (
        ("host_name", _("Enter who hosts the meeting.")),
        ("minute_taker_name", _("Enter who takes the minutes.")),
    ):
        if name in data or creating:
            data[name] = _text(data.get(name), 50)
            if not data[name]:
                errors[name] = [message]
    if "title" in data:
        data["title"] = _text(data.get("title"), 120)


@transaction.atomic
def create_meeting(
    *,
    actor,
    venue: Venue | None,
    format: str,
    scheduled_at: dt.datetime | None,
    host_name: str,
    minute_taker_name: str,
    title: str = "",
    village: Area | None = None,
    topics=(),
) -> Meeting:
    """Plan a meeting at a venue of the village; ``topics`` (accepted) go on its agenda."""
    require(actor, PERM_MEETINGS)
    data = {
        "venue": venue,
        "format": format,
        "scheduled_at": scheduled_at,
        "host_name": host_name,
        "minute_taker_name": minute_taker_name,
        "title": title,
    }
    errors: dict = {}
    _check_meeting_fields(data, actor, errors, creating=True)
    if venue is not None and "venue" not in errors and village is not None and venue.village_id != village.pk:
        errors["venue"] = [_("This venue belongs to another village.")]
    topics = list(Topic.objects.filter(pk__in=[t.pk for t in topics or ()]).order_by("raised_at", "pk"))
    for topic in topics:
        if venue is not None and topic.village_id != venue.village_id:
            errors["topics"] = [_("Only topics of the venue's village can be put on the agenda.")]
        elif topic.status != TopicStatus.ACCEPTED:
            errors["topics"] = [
                _("%(title)s is %(status)s; only accepted topics can be scheduled.")
                % {"title": topic.title, "status": topic.get_status_display()}
            ]
    if errors:
        raise InvalidInput(fields=errors)
    meeting = Meeting.objects.create(
        village=venue.village,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **data,
    )
    audit.record(
        "deliberation.meeting.created", actor=actor, obj=meeting, after=audit.snapshot(meeting, MEETING_AUDIT_FIELDS)
    )
    for topic in topics:
        _schedule(meeting, topic, actor)
    return meeting


@transaction.atomic
def update_meeting(meeting: Meeting, *, actor, **changes) -> Meeting:
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    allowed = {"venue", "format", "scheduled_at", "host_name", "minute_taker_name", "title"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(fields={name: _("This field cannot be changed.") for name in unknown})
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.OPEN):
        raise Conflict(_("The meeting is %(status)s.") % {"status": meeting.get_status_display()})
    before = audit.snapshot(meeting, MEETING_AUDIT_FIELDS)
    errors: dict = {}
    _check_meeting_fields(changes, actor, errors, creating=False)
    venue = changes.get("venue")
    if venue is not None and "venue" not in errors and venue.village_id != meeting.village_id:
        errors["venue"] = [_("This venue belongs to another village.")]
    if errors:
        raise InvalidInput(fields=errors)
    for key, value in changes.items():
        setattr(meeting, key, value)
    meeting.save()
    old, new = audit.changed(before, audit.snapshot(meeting, MEETING_AUDIT_FIELDS))
    if new:
        audit.record("deliberation.meeting.updated", actor=actor, obj=meeting, before=old, after=new)
    return meeting


def _schedule(meeting: Meeting, topic: Topic, actor) -> AgendaItem:
    topic = _locked_topic(topic, actor)
    if topic.village_id != meeting.village_id:
        raise InvalidInput(fields={"topic": _("Only topics of the meeting's village can be put on its agenda.")})
    if AgendaItem.objects.filter(meeting=meeting, topic=topic).exists():
        raise Conflict(_("This topic is already on the agenda."))
    if topic.status != TopicStatus.ACCEPTED:
        raise Conflict(
            _("%(title)s is %(status)s; only accepted topics can be scheduled.")
            % {"title": topic.title, "status": topic.get_status_display()}
        )
    order = (AgendaItem.objects.filter(meeting=meeting).aggregate(n=Max("order"))["n"] or 0) + 1
    item = AgendaItem.objects.create(meeting=meeting, topic=topic, order=order)
    when = timezone.localtime(meeting.scheduled_at)
    _move(
        topic,
        TopicStatus.SCHEDULED,
        actor=actor,
        note=_("On the agenda of %(meeting)s, %(when)s at %(venue)s")
        % {"meeting": meeting.get_format_display(), "when": f"{when:%Y-%m-%d %H:%M}", "venue": meeting.venue.name},
    )
    return item


@transaction.atomic
def add_to_agenda(meeting: Meeting, topic: Topic, *, actor) -> AgendaItem:
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.OPEN):
        raise Conflict(
            _("Topics can only be added to a planned or open meeting; this one is %(status)s.")
            % {"status": meeting.get_status_display()}
        )
    return _schedule(meeting, topic, actor)


@transaction.atomic
def remove_from_agenda(meeting: Meeting, topic: Topic, *, actor) -> None:
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    item = AgendaItem.objects.filter(meeting=meeting, topic=topic).first()
    if item is None:
        raise NotFound()
    if Decision.objects.filter(meeting=meeting, topic=topic).exists():
        raise Conflict(_("A vote on this topic is recorded; it cannot be taken off the agenda."))
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.OPEN):
        raise Conflict(_("The meeting is %(status)s.") % {"status": meeting.get_status_display()})
    topic = _locked_topic(topic, actor)
    item.delete()
    if topic.status == TopicStatus.SCHEDULED:
        _move(topic, TopicStatus.ACCEPTED, actor=actor, note=_("Taken off the agenda"))


def _move_meeting(meeting: Meeting, to: str, *, actor, note: str = "") -> None:
    if to not in MEETING_TRANSITIONS[meeting.status]:
        raise Conflict(
            _("The meeting is %(status)s; it cannot become %(target)s.")
            % {"status": meeting.get_status_display(), "target": MeetingStatus(to).label},
            code="illegal_transition",
        )
    before = meeting.status
    meeting.status = to
    meeting.save()
    audit.record(
        f"deliberation.meeting.{to}", actor=actor, obj=meeting, before={"status": before}, after={"status": to}
    )


@transaction.atomic
def open_meeting(meeting: Meeting, *, actor) -> Meeting:
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    meeting.opened_at = timezone.now()
    _move_meeting(meeting, MeetingStatus.OPEN, actor=actor)
    return meeting


@transaction.atomic
def close_meeting(meeting: Meeting, *, actor, at: dt.datetime | None = None) -> Meeting:
    """Close the meeting: attendance must be recorded; topics left without a vote go back to be
    scheduled again; the minutes as they stand become version 1."""
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    if meeting.status == MeetingStatus.OPEN and not meeting.attendance_recorded:
        raise InvalidInput(
            _("Record the attendance before closing the meeting."),
            fields={"residents_present": _("Record the attendance before closing the meeting.")},
        )
    meeting.closed_at = at or timezone.now()
    _move_meeting(meeting, MeetingStatus.CLOSED, actor=actor)
    decided = set(Decision.objects.filter(meeting=meeting).values_list("topic_id", flat=True))
    for item in meeting.agenda.select_related("topic"):
        if item.topic_id in decided:
            continue
        topic = _locked_topic(item.topic, None)
        if topic.status in (TopicStatus.SCHEDULED, TopicStatus.DELIBERATED):
            _move(topic, TopicStatus.ACCEPTED, actor=actor, note=_("No vote at the meeting; to be scheduled again"))
    MinutesVersion.objects.create(
        meeting=meeting,
        version=1,
        text=meeting.minutes,
        saved_by=actor if actor is not None and actor.is_authenticated else None,
        saved_at=meeting.closed_at,
        note=_("Minutes at the close of the meeting"),
    )
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, *, actor, reason: str) -> Meeting:
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    reason = _text(reason, 500)
    if not reason:
        raise InvalidInput(fields={"reason": _("Give the reason for cancelling.")})
    _move_meeting(meeting, MeetingStatus.CANCELLED, actor=actor, note=reason)
    for item in meeting.agenda.select_related("topic"):
        topic = _locked_topic(item.topic, None)
        if topic.status == TopicStatus.SCHEDULED:
            _move(
                topic, TopicStatus.ACCEPTED, actor=actor, note=_("Meeting cancelled: %(reason)s") % {"reason": reason}
            )
    return meeting


def _check_count(value, field: str, errors: dict, *, minimum: int = 0) -> int | None:
    if value is None or value == "":
        errors[field] = [_("Enter a number.")]
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = [_("Enter a whole number.")]
        return None
    if number < minimum:
        errors[field] = [_("Enter a number of at least %(minimum)d.") % {"minimum": minimum}]
        return None
    return number


@transaction.atomic
def record_attendance(
    meeting: Meeting,
    *,
    actor,
    residents_present,
    households_represented,
    attendees=None,
    sign_in_sheet=None,
) -> Meeting:
    """Who came: the head counts from the sign-in sheet, optionally the residents ticked one by one,
    and a photo of the paper sheet. Fixed once a vote has been taken on them."""
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.OPEN):
        raise Conflict(_("The meeting is %(status)s.") % {"status": meeting.get_status_display()})
    if meeting.decisions.exists():
        raise Conflict(_("Votes have been recorded against this attendance; it can no longer be changed."))
    errors: dict = {}
    residents = _check_count(residents_present, "residents_present", errors, minimum=1)
    households = _check_count(households_represented, "households_represented", errors, minimum=1)
    village_households = Household.objects.filter(grid__parent=meeting.village, status=HouseholdStatus.ACTIVE).count()
    if households is not None and households > village_households:
        errors["households_represented"] = [
            _("The village has %(count)d registered households; more cannot be represented.")
            % {"count": village_households}
        ]
    if (
        residents is not None
        and households is not None
        and households > residents
        and "households_represented" not in errors
    ):
        errors["households_represented"] = [
            _("%(households)d households cannot be represented by %(residents)d residents.")
            % {"households": households, "residents": residents}
        ]
    ticked = []
    if attendees:
        ids = sorted({int(a.pk if isinstance(a, Resident) else a) for a in attendees})
        ticked = list(
            Resident.objects.filter(
                pk__in=ids, household__grid__parent=meeting.village, status=ResidentStatus.ACTIVE
            ).only("pk", "household_id")
        )
        if len(ticked) != len(ids):
            errors["attendees"] = [_("Only registered residents of this village can be signed in.")]
        elif residents is not None and len(ticked) > residents:
            errors["residents_present"] = [
                _("%(count)d residents are signed in by name; the number present cannot be smaller.")
                % {"count": len(ticked)}
            ]
        else:
            distinct = len({r.household_id for r in ticked})
            if households is not None and distinct > households and "households_represented" not in errors:
                errors["households_represented"] = [
                    _("The residents signed in by name come from %(count)d households; the number cannot be smaller.")
                    % {"count": distinct}
                ]
    checked = None
    if sign_in_sheet is not None:
        try:
            checked = check_file(sign_in_sheet, field="sign_in_sheet", photo_only=True)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    before = {"residents_present": meeting.residents_present, "households_represented": meeting.households_represented}
    meeting.residents_present, meeting.households_represented = residents, households
    if checked is not None:
        stored = checked.as_django_file()
        meeting.sign_in_sheet.save(stored.name, stored, save=False)
    meeting.save()
    if attendees is not None:
        meeting.attendees.set(ticked)
    audit.record(
        "deliberation.meeting.attendance",
        actor=actor,
        obj=meeting,
        before=before,
        after={
            "residents_present": residents,
            "households_represented": households,
            "signed_in_by_name": len(ticked),
            "sign_in_sheet": meeting.sign_in_sheet.name or None,
        },
    )
    return meeting


@transaction.atomic
def save_minutes(meeting: Meeting, *, actor, text: str, note: str = "") -> Meeting:
    """Write the minutes. After the close every edit is a new version; earlier versions stay."""
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    text = (text or "").strip()
    if len(text) > MAX_MINUTES:
        raise InvalidInput(fields={"minutes": _("The minutes are limited to 20,000 characters.")})
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(_("The meeting was cancelled."))
    if text == meeting.minutes:
        return meeting
    before = meeting.minutes
    meeting.minutes = text
    meeting.save()
    version = None
    if meeting.status == MeetingStatus.CLOSED:
        note = _text(note, 200)
        if not note:
            raise InvalidInput(
                fields={"note": _("The meeting is closed: say why the minutes are changed; the earlier text is kept.")}
            )
        last = meeting.minutes_versions.aggregate(n=Max("version"))["n"] or 0
        version = MinutesVersion.objects.create(
            meeting=meeting,
            version=last + 1,
            text=text,
            saved_by=actor if actor is not None and actor.is_authenticated else None,
            note=note,
        ).version
    audit.record(
        "deliberation.meeting.minutes",
        actor=actor,
        obj=meeting,
        before={"length": len(before)},
        after={"length": len(text), "version": version},
    )
    return meeting


def _agenda_item(meeting: Meeting, topic: Topic) -> AgendaItem:
    item = AgendaItem.objects.filter(meeting=meeting, topic=topic).first()
    if item is None:
        raise InvalidInput(fields={"topic": _("This topic is not on the meeting's agenda.")})
    return item


@transaction.atomic
def save_topic_notes(meeting: Meeting, topic: Topic, *, actor, notes: str) -> AgendaItem:
    """Notes on one topic; saving them in the open meeting marks the topic deliberated."""
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    item = _agenda_item(meeting, topic)
    notes = (notes or "").strip()
    if len(notes) > 4000:
        raise InvalidInput(fields={"notes": _("Notes are limited to 4,000 characters.")})
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.OPEN):
        raise Conflict(_("The meeting is %(status)s.") % {"status": meeting.get_status_display()})
    item.notes = notes
    item.save(update_fields=["notes"])
    topic = _locked_topic(topic, actor)
    if meeting.status == MeetingStatus.OPEN and notes and topic.status == TopicStatus.SCHEDULED:
        _move(topic, TopicStatus.DELIBERATED, actor=actor, note=notes[:200])
    return item


def check_votes(meeting: Meeting, rule: QuorumRule, *, votes_for, votes_against, votes_abstain, outcome) -> dict:
    """Every field-level problem of a show of hands against the attendance and the village's rule."""
    errors: dict = {}
    counts = {}
    for field, value in (("votes_for", votes_for), ("votes_against", votes_against), ("votes_abstain", votes_abstain)):
        counts[field] = _check_count(value, field, errors, minimum=0)
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose the outcome: adopted, rejected or deferred.")]
    if not meeting.attendance_recorded:
        errors.setdefault("votes_for", []).append(
            _("Record the attendance (residents present and households represented) before the vote.")
        )
    if errors:
        return errors
    cast = sum(counts.values())
    households, residents = meeting.households_represented, meeting.residents_present
    by_households = rule.basis == QuorumBasis.HOUSEHOLDS
    base = households if by_households else residents
    share = share_label(rule)
    if by_households and cast > households:
        errors["votes_for"] = [
            _(
                "For, against and abstain add up to %(cast)d votes, more than the %(base)d households represented "
                "(one vote per household)."
            )
            % {"cast": cast, "base": households}
        ]
    elif cast > residents:
        errors["votes_for"] = [
            _("For, against and abstain add up to %(cast)d votes, more than the %(base)d residents present.")
            % {"cast": cast, "base": residents}
        ]
    if errors:
        return errors
    unit = _("households represented") if by_households else _("residents present")
    if outcome == Outcome.ADOPTED and not rule.exceeds(counts["votes_for"], base):
        errors["outcome"] = [
            _(
                "Not adopted: %(votes)d votes for. Adoption needs more than %(share)s of the %(base)d %(unit)s, "
                "that is at least %(needed)d."
            )
            % {"votes": counts["votes_for"], "share": share, "base": base, "unit": unit, "needed": rule.needed(base)}
        ]
    elif outcome == Outcome.REJECTED and not rule.exceeds(cast, base):
        errors["outcome"] = [
            _(
                "No quorum: only %(cast)d votes were cast; more than %(share)s of the %(base)d %(unit)s "
                "(at least %(needed)d) must vote. Without a quorum the topic can only be deferred."
            )
            % {"cast": cast, "share": share, "base": base, "unit": unit, "needed": rule.needed(base)}
        ]
    elif outcome == Outcome.REJECTED and rule.exceeds(counts["votes_for"], base):
        errors["outcome"] = [
            _("%(votes)d votes for is more than %(share)s of the %(base)d %(unit)s: the topic is adopted.")
            % {"votes": counts["votes_for"], "share": share, "base": base, "unit": unit}
        ]
    return errors


@transaction.atomic
def record_decision(
    meeting: Meeting,
    topic: Topic,
    *,
    actor,
    votes_for,
    votes_against,
    votes_abstain,
    outcome: str,
    summary: str = "",
    at: dt.datetime | None = None,
) -> Decision:
    """The show of hands on a topic of the open meeting. Adopted or rejected decides the topic;
    deferred sends it back to be scheduled again."""
    require(actor, PERM_MEETINGS)
    meeting = _locked_meeting(meeting, actor)
    item = _agenda_item(meeting, topic)
    topic = _locked_topic(item.topic, actor)
    if meeting.status != MeetingStatus.OPEN:
        raise Conflict(
            _("Votes are recorded while the meeting is in session; this one is %(status)s.")
            % {"status": meeting.get_status_display()}
        )
    if Decision.objects.filter(meeting=meeting, topic=topic).exists():
        raise Conflict(_("The vote on this topic is already recorded."))
    if topic.status not in (TopicStatus.SCHEDULED, TopicStatus.DELIBERATED):
        raise Conflict(_("The topic is %(status)s.") % {"status": topic.get_status_display()})
    rule = quorum_rule_for(meeting.village)
    summary = _text(summary)
    errors = check_votes(
        meeting, rule, votes_for=votes_for, votes_against=votes_against, votes_abstain=votes_abstain, outcome=outcome
    )
    if len(summary) > 4000:
        errors["summary"] = [_("Limited to 4,000 characters.")]
    if errors:
        raise InvalidInput(fields=errors)
    at = at or timezone.now()
    decision = Decision.objects.create(
        meeting=meeting,
        topic=topic,
        votes_for=int(votes_for),
        votes_against=int(votes_against),
        votes_abstain=int(votes_abstain),
        outcome=outcome,
        summary=summary,
        residents_present=meeting.residents_present,
        households_represented=meeting.households_represented,
        quorum_basis=rule.basis,
        quorum_numerator=rule.numerator,
        quorum_denominator=rule.denominator,
        decided_at=at,
        decided_by=actor if actor is not None and actor.is_authenticated else None,
    )
    tally = _("%(for)d for, %(against)d against, %(abstain)d abstaining") % {
        "for": decision.votes_for,
        "against": decision.votes_against,
        "abstain": decision.votes_abstain,
    }
    if topic.status == TopicStatus.SCHEDULED:
        _move(topic, TopicStatus.DELIBERATED, actor=actor, note=item.notes[:200], at=at)
    if outcome == Outcome.DEFERRED:
        _move(topic, TopicStatus.ACCEPTED, actor=actor, note=_("Deferred (%(tally)s)") % {"tally": tally}, at=at)
    else:
        _move(
            topic,
            TopicStatus.DECIDED,
            actor=actor,
            note=f"{decision.get_outcome_display()}({tally}){summary and ': ' + summary[:300]}",
            at=at,
        )
    audit.record(
        "deliberation.decision.recorded",
        actor=actor,
        obj=decision,
        after={
            "topic": topic.pk,
            "meeting": meeting.pk,
            "votes_for": decision.votes_for,
            "votes_against": decision.votes_against,
            "votes_abstain": decision.votes_abstain,
            "outcome": outcome,
            "households_represented": decision.households_represented,
            "rule": f"{rule.basis} {rule.numerator}/{rule.denominator}",
        },
    )
    return decision


# --- action items ----------------------------------------------------------------------------------------


@transaction.atomic
def add_action_item(
    decision: Decision,
    *,
    actor,
    title: str,
    owner_name: str,
    deadline: dt.date | None,
    owner_user=None,
    at: dt.datetime | None = None,
) -> ActionItem:
    """Work an adopted decision asks for; the first one puts the topic in progress."""
    require(actor, PERM_ACTIONS)
    decision = Decision.objects.select_related("topic", "meeting").get(pk=decision.pk)
    ensure_in_scope(decision.meeting, actor)
    topic = _locked_topic(decision.topic, actor)
    errors: dict = {}
    title = _text(title)
    if not title:
        errors["title"] = [_("Say what is to be done.")]
    elif len(title) > 200:
        errors["title"] = [_("Limited to 200 characters.")]
    owner_name = _text(owner_name, 50)
    if not owner_name and owner_user is not None:
        owner_name = str(owner_user)[:50]
    if not owner_name:
        errors["owner_name"] = [_("Name the person responsible for this action.")]
    if deadline is None:
        errors["deadline"] = [_("Set the date by which it must be done.")]
    elif deadline < timezone.localtime(decision.decided_at).date():
        errors["deadline"] = [_("The deadline cannot be before the decision.")]
    if errors:
        raise InvalidInput(fields=errors)
    if decision.outcome != Outcome.ADOPTED:
        raise Conflict(_("Only an adopted decision has action items."))
    if topic.status not in (TopicStatus.DECIDED, TopicStatus.IN_PROGRESS, TopicStatus.ESCALATED):
        raise Conflict(_("The topic is %(status)s.") % {"status": topic.get_status_display()})
    if topic.decisions.filter(decided_at__gt=decision.decided_at).exists():
        raise Conflict(_("A later decision on this topic supersedes this one."))
    item = ActionItem.objects.create(
        decision=decision,
        topic=topic,
        title=title,
        owner_name=owner_name,
        owner_user=owner_user,
        deadline=deadline,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created=at or timezone.now(),
    )
    if topic.status == TopicStatus.DECIDED:
        _move(topic, TopicStatus.IN_PROGRESS, actor=actor, note=title, at=at)
    audit.record(
        "deliberation.action_item.created",
        actor=actor,
        obj=item,
        after={"topic": topic.pk, "title": title, "owner_name": owner_name, "deadline": deadline},
    )
    return item


ACTION_TRANSITIONS = {
    ActionStatus.OPEN: {ActionStatus.IN_PROGRESS, ActionStatus.DONE},
    ActionStatus.IN_PROGRESS: {ActionStatus.IN_PROGRESS, ActionStatus.DONE},
    ActionStatus.DONE: set(),
    ActionStatus.ESCALATED: set(),
}


@transaction.atomic
def record_progress(
    item: ActionItem, *, actor, note: str, status: str, at: dt.datetime | None = None
) -> ActionProgress:
    require(actor, PERM_ACTIONS)
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    ensure_in_scope(item, actor)
    errors: dict = {}
    note = _text(note)
    if not note:
        errors["note"] = [_("Describe the progress.")]
    elif len(note) > 2000:
        errors["note"] = [_("Limited to 2,000 characters.")]
    if status not in (ActionStatus.IN_PROGRESS, ActionStatus.DONE):
        errors["status"] = [_("Choose in progress or done.")]
    if errors:
        raise InvalidInput(fields=errors)
    if status not in ACTION_TRANSITIONS[item.status]:
        raise Conflict(
            _("The action item is %(status)s; no more progress can be recorded here.")
            % {"status": item.get_status_display()}
        )
    before = item.status
    at = at or timezone.now()
    item.status = status
    if status == ActionStatus.DONE:
        item.completed_at = at
    item.save()
    progress = ActionProgress.objects.create(action_item=item, note=note, status=status, actor=_user(actor), created=at)
    audit.record(
        "deliberation.action_item.progress", actor=actor, obj=item, before={"status": before}, after={"status": status}
    )
    return progress


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def default_case_grid(topic: Topic) -> Area | None:
    """Where a case spawned by a topic is reported: the raiser's grid, else the first grid of the village."""
    if topic.grid_id:
        return topic.grid
    return Area.objects.filter(parent=topic.village, level=AreaLevel.GRID).current().order_by("path").first()


@transaction.atomic
def escalate_action_item(
    item: ActionItem,
    *,
    actor,
    category,
    priority: str = "normal",
    description: str = "",
    grid: Area | None = None,
):
    """Hand an action item the village cannot carry out itself to the case workflow.

    Reports a case (source "deliberation") for it; the topic becomes escalated and is
    resolved when that case closes (see ``resolve_topics_of_closed_case``).
    """
    from shanzhi.cases.services import report_case

    require(actor, PERM_ACTIONS)
    item = ActionItem.objects.select_for_update().select_related("topic").get(pk=item.pk)
    ensure_in_scope(item, actor)
    topic = _locked_topic(item.topic, actor)
    if item.status not in ACTION_OPEN_STATUSES:
        raise Conflict(
            _("The action item is %(status)s; only an open action item can be escalated.")
            % {"status": item.get_status_display()}
        )
    if topic.status not in (TopicStatus.DECIDED, TopicStatus.IN_PROGRESS, TopicStatus.ESCALATED):
        raise Conflict(_("The topic is %(status)s.") % {"status": topic.get_status_display()})
    grid = grid or default_case_grid(topic)
    if grid is None:
        raise InvalidInput(fields={"grid": _("The village has no grid to report the case in.")})
    decision = item.decision
    body = _text(description) or "\n".join(
        part
        for part in (
            topic.description,
            _(
                "Decision of %(meeting)s on %(date)s: %(outcome)s, %(for)d for, %(against)d against, %(abstain)d abstaining."
            )
            % {
                "meeting": decision.meeting.get_format_display(),
                "date": f"{timezone.localtime(decision.decided_at):%Y-%m-%d}",
                "outcome": decision.get_outcome_display(),
                "for": decision.votes_for,
                "against": decision.votes_against,
                "abstain": decision.votes_abstain,
            },
            decision.summary,
            _("Action item: %(title)s (owner %(owner)s, due %(deadline)s)")
            % {"title": item.title, "owner": item.owner_name, "deadline": item.deadline.isoformat()},
        )
        if part
    )
    case = report_case(
        actor=actor,
        title=(_("Deliberation: %(title)s") % {"title": topic.title})[:100],
        description=body[:4000],
        category=category,
        grid=grid,
        source="deliberation",
        household=topic.household,
        priority=priority,
    )
    before = item.status
    item.status = ActionStatus.ESCALATED
    item.case = case
    item.save()
    ActionProgress.objects.create(
        action_item=item,
        note=_("Escalated as case %(number)s") % {"number": case.number},
        status=ActionStatus.ESCALATED,
        actor=_user(actor),
    )
    if topic.case_id is None:
        topic.case = case
    if topic.status != TopicStatus.ESCALATED:
        _move(topic, TopicStatus.ESCALATED, actor=actor, note=_("Case %(number)s") % {"number": case.number})
    else:
        topic.save()
    audit.record(
        "deliberation.action_item.escalated",
        actor=actor,
        obj=item,
        before={"status": before},
        after={"status": item.status, "case": case.pk, "case_number": case.number},
    )
    return case


@transaction.atomic
def resolve_topics_of_closed_case(case) -> list[Topic]:
    """The case spawned by a topic's action item is closed: the item is done and the topic resolved,
    with the case's result as the public result. Idempotent."""
    resolved = []
    result = (getattr(case, "resolution", "") or "").strip()
    number = getattr(case, "number", "")
    for item in ActionItem.objects.select_for_update().filter(case=case, status=ActionStatus.ESCALATED):
        item.status = ActionStatus.DONE
        item.completed_at = timezone.now()
        item.save()
        ActionProgress.objects.create(
            action_item=item,
            note=_("Case %(number)s closed: %(result)s") % {"number": number, "result": result or "—"},
            status=ActionStatus.DONE,
        )
    for topic in Topic.objects.select_for_update().filter(case=case, status=TopicStatus.ESCALATED):
        topic.result = (
            _("Handled as case %(number)s: %(result)s") % {"number": number, "result": result}
            if result
            else _("Handled as case %(number)s, closed.") % {"number": number}
        )
        _move(topic, TopicStatus.RESOLVED, actor=None, note=topic.result)
        resolved.append(topic)
    return resolved


# --- the public results board ------------------------------------------------------------------------


def board_villages(user):
    """The villages whose results board ``user`` may read: staff by scope, a villager their own village."""
    villages = Area.objects.none()
    if user is None or not user.is_authenticated:
        return villages
    if user.is_staff_member:
        # Staff of a village or above, and grid workers for the villages of their grids.
        in_scope = Area.objects.for_user(user)
        villages = Area.objects.filter(level=AreaLevel.VILLAGE).filter(
            Q(pk__in=in_scope.filter(level=AreaLevel.VILLAGE).values("pk"))
            | Q(pk__in=in_scope.filter(level=AreaLevel.GRID).values("parent_id"))
        )
    own = _villager_households(user)
    if own:
        mine = Area.objects.filter(pk__in=Household.objects.filter(pk__in=own).values("grid__parent_id"))
        villages = villages | mine
    return villages.order_by("path")


def board_village(user, village_id) -> Area:
    try:
        return board_villages(user).get(pk=village_id)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def describe_rule(rule: QuorumRule) -> str:
    """The rule in one sentence, as the run-the-meeting page and the printed notice show it."""
    unit = _("households represented") if rule.basis == QuorumBasis.HOUSEHOLDS else _("residents present")
    return _(
        "Counted by %(unit)s: a vote needs more than %(share)s of the %(unit)s taking part (quorum); "
        "a topic is adopted when more than %(share)s of the %(unit)s vote for it."
    ) % {"unit": unit, "share": share_label(rule)}
