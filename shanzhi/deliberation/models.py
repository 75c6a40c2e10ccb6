"""Deliberation: venues, topics villagers raise, meetings that deliberate them, decisions
with show-of-hands counts, and the action items those decisions become.

Everything belongs to a village; scoping follows the village's path in the area tree.
A villager (whose scope is their household) sees the topics their household raised,
and reads the public results board of their village (see ``services.board_village``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.areas.models import Area
from shanzhi.core.models import AppendOnlyModel, AppendOnlyQuerySet
from shanzhi.core.scoping import NOTHING, ScopedQuerySet, subtree_q
from shanzhi.deliberation.choices import (
    ACTION_OPEN_STATUSES,
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
from shanzhi.people.models import Household, Resident


class ChoiceLabels:
    """``get_FOO_display()`` from a per-field dict built once, not rebuilt on every call
    (Django's version hashes every choice each time: a board of 100 topics spent most of
    its time there)."""

    _choice_labels: dict = {}

    def _get_FIELD_display(self, field):
        labels = ChoiceLabels._choice_labels.get(field)
        if labels is None:
            labels = ChoiceLabels._choice_labels[field] = dict(field.flatchoices)
        value = getattr(self, field.attname)
        return force_str(labels.get(value, value), strings_only=True)


def _village_q(field: str, scope) -> Q:
    return subtree_q(field, scope.area_paths) if scope.area_paths else NOTHING


def topic_scope_q(scope, prefix: str = "") -> Q:
    """Topics a scope covers: village staff by the village, a grid worker by the grid of the
    household that raised it, a villager the topics their household raised."""
    q = NOTHING
    if scope.area_paths:
        q = subtree_q(f"{prefix}village__path", scope.area_paths) | subtree_q(f"{prefix}grid__path", scope.area_paths)
    if scope.household_ids:
        q |= Q(**{f"{prefix}household_id__in": scope.household_ids})
    return q


# --- the quorum rule -------------------------------------------------------------------


class QuorumRuleQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q("village__path", scope)


class QuorumRule(ChoiceLabels, models.Model):
    """How a village decides by show of hands. One row per village; without one the default applies.

    With ``base`` the attendance figure named by ``basis`` (default: the households
    represented at the meeting, one vote per household) and ``r = numerator/denominator``
    (default 1/2), both comparisons strictly "more than":

    * quorum: the votes cast (for + against + abstain) are more than ``r × base``;
      without quorum a topic can only be deferred;
    * adopted: the votes for are more than ``r × base`` (which implies quorum);
    * rejected: quorum, and the votes for are not more than ``r × base``.

    Votes cast may never exceed ``base`` nor the residents present.
    """

    village = models.OneToOneField(
        Area,
        verbose_name=_("Village"),
        on_delete=models.PROTECT,
        related_name="quorum_rule",
        limit_choices_to={"level": "village"},
    )
    basis = models.CharField(
        _("Counted by"), max_length=12, choices=QuorumBasis.choices, default=QuorumBasis.HOUSEHOLDS
    )
    numerator = models.PositiveSmallIntegerField(_("Share (numerator)"), default=1)
    denominator = models.PositiveSmallIntegerField(_("Share (denominator)"), default=2)
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = QuorumRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("Quorum rule")
        verbose_name_plural = _("Quorum rules")
        constraints = [
            models.CheckConstraint(
                name="quorum_share_proper_fraction",
                condition=Q(numerator__gte=1) & Q(denominator__gte=2) & Q(numerator__lt=models.F("denominator")),
            )
        ]

    def __str__(self):
        return f"{self.village} {self.numerator}/{self.denominator}"

    def exceeds(self, votes: int, base: int) -> bool:
        """``votes`` is more than ``numerator/denominator`` of ``base`` (integers only, no rounding)."""
        return votes * self.denominator > base * self.numerator

    def needed(self, base: int) -> int:
        """The smallest vote count that is more than the share of ``base``."""
        return base * self.numerator // self.denominator + 1


# --- venues --------------------------------------------------------------------------------


class VenueQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q("village__path", scope)

    def active(self):
        return self.filter(active=True)


def venue_photo_path(instance, filename):
    return f"deliberation/venues/{timezone.localdate():%Y/%m}/{filename}"


class Venue(ChoiceLabels, models.Model):
    """A place where villagers deliberate: a courtyard (议事小院), a corridor (议事长廊) ..."""

    kind = models.CharField(_("Kind"), max_length=12, choices=VenueKind.choices, db_index=True)
    name = models.CharField(_("Name"), max_length=100)
    village = models.ForeignKey(
        Area,
        verbose_name=_("Village"),
        on_delete=models.PROTECT,
        related_name="deliberation_venues",
        limit_choices_to={"level": "village"},
    )
    host_household = models.ForeignKey(
        Household,
        verbose_name=_("Host household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_venues",
    )
    location = models.CharField(_("Location"), max_length=200, blank=True)
    latitude = models.FloatField(_("Latitude"), null=True, blank=True)
    longitude = models.FloatField(_("Longitude"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("Capacity (people)"), null=True, blank=True)
    photo = models.FileField(_("Photo"), upload_to=venue_photo_path, blank=True, max_length=255)
    active = models.BooleanField(_("Active"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = VenueQuerySet.as_manager()

    class Meta:
        verbose_name = _("Deliberation venue")
        verbose_name_plural = _("Deliberation venues")
        ordering = ["village__path", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["village", "name"], name="venue_unique_name_in_village")]
        indexes = [models.Index(fields=["kind", "active"])]

    def __str__(self):
        return self.name


# --- topics ------------------------------------------------------------------------------------


class TopicQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return topic_scope_q(scope)

    def in_area(self, area: Area):
        return self.filter(subtree_q("village__path", [area.path]))


class Topic(ChoiceLabels, models.Model):
    """A matter raised for deliberation, and its way through the lifecycle to a public result."""

    title = models.CharField(_("Title"), max_length=120)
    description = models.TextField(_("Description"), blank=True)
    topic_class = models.CharField(_("Class"), max_length=14, choices=TopicClass.choices, db_index=True)
    village = models.ForeignKey(
        Area, verbose_name=_("Village"), on_delete=models.PROTECT, related_name="deliberation_topics"
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("Grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The grid of the household that raised the topic."),
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("Household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliberation_topics",
    )
    raiser_name = models.CharField(_("Raised by"), max_length=50, blank=True)
    raised_via = models.CharField(_("Raised"), max_length=10, choices=RaisedVia.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("Raised at"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("Status"), max_length=12, choices=TopicStatus.choices, default=TopicStatus.RAISED, db_index=True
    )
    decline_reason = models.TextField(_("Reason for declining"), blank=True)
    result = models.TextField(_("Public result"), blank=True)
    resolved_at = models.DateTimeField(_("Resolved at"), null=True, blank=True, db_index=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("Case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated = models.DateTimeField(auto_now=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("Topic")
        verbose_name_plural = _("Topics")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["village", "status"]),
            models.Index(fields=["status", "resolved_at"]),
        ]

    def __str__(self):
        return self.title


def attachment_path(instance, filename):
    return f"deliberation/topics/{timezone.localdate():%Y/%m}/{filename}"


class TopicAttachmentQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return topic_scope_q(scope, "topic__")


class TopicAttachment(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("File"), upload_to=attachment_path, max_length=255)
    name = models.CharField(_("File name"), max_length=120)
    size = models.PositiveIntegerField(_("Size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = TopicAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachments")
        ordering = ["id"]

    def __str__(self):
        return self.name


class TopicEventQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return topic_scope_q(scope, "topic__")


class TopicEvent(ChoiceLabels, AppendOnlyModel):
    """One transition of a topic: who moved it, when, from what to what, and why."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="events")
    created = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=TopicStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=TopicStatus.choices)
    note = models.TextField(blank=True)

    objects = TopicEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("Topic event")
        verbose_name_plural = _("Topic events")
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.topic_id} {self.from_status}→{self.to_status}"


# --- meetings ------------------------------------------------------------------------------------


class MeetingQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q("village__path", scope)

    def in_area(self, area: Area):
        return self.filter(subtree_q("village__path", [area.path]))


def sign_in_sheet_path(instance, filename):
    return f"deliberation/sign-in/{timezone.localdate():%Y/%m}/{filename}"


class Meeting(ChoiceLabels, models.Model):
    """A deliberation session at a venue: agenda, attendance, votes, minutes."""

    village = models.ForeignKey(
        Area, verbose_name=_("Village"), on_delete=models.PROTECT, related_name="deliberation_meetings"
    )
    venue = models.ForeignKey(Venue, verbose_name=_("Venue"), on_delete=models.PROTECT, related_name="meetings")
    format = models.CharField(_("Format"), max_length=16, choices=MeetingFormat.choices)
    title = models.CharField(_("Title"), max_length=120, blank=True)
    scheduled_at = models.DateTimeField(_("Time"), db_index=True)
    host_name = models.CharField(_("Host"), max_length=50)
    minute_taker_name = models.CharField(_("Minute-taker"), max_length=50)
    status = models.CharField(
        _("Status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED, db_index=True
    )
    residents_present = models.PositiveIntegerField(_("Residents present"), null=True, blank=True)
    households_represented = models.PositiveIntegerField(_("Households represented"), null=True, blank=True)
    attendees = models.ManyToManyField(
        Resident, verbose_name=_("Residents signed in"), blank=True, related_name="deliberation_meetings"
    )
    sign_in_sheet = models.FileField(_("Photo of the sign-in sheet"), upload_to=sign_in_sheet_path, blank=True)
    minutes = models.TextField(_("Minutes"), blank=True)
    opened_at = models.DateTimeField(_("Opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("deliberation", "Closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("Meeting")
        verbose_name_plural = _("Meetings")
        ordering = ["-scheduled_at", "-id"]
        indexes = [models.Index(fields=["village", "scheduled_at"])]
        constraints = [
            models.CheckConstraint(
                name="meeting_households_within_residents",
                condition=Q(households_represented__isnull=True)
                | Q(residents_present__isnull=True)
                | Q(households_represented__lte=models.F("residents_present")),
            )
        ]

    def __str__(self):
        return self.title or f"{self.get_format_display()} {timezone.localtime(self.scheduled_at):%Y-%m-%d}"

    @property
    def display_title(self) -> str:
        return str(self)

    @property
    def attendance_recorded(self) -> bool:
        return self.residents_present is not None and self.households_represented is not None


class MinutesVersionQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return _village_q("meeting__village__path", scope)


class MinutesVersion(AppendOnlyModel):
    """The minutes as they stood at the close, and after every later edit: earlier text is never lost."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="minutes_versions")
    version = models.PositiveIntegerField(_("Version"))
    text = models.TextField(_("Minutes"), blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("Reason for the change"), max_length=200, blank=True)

    objects = MinutesVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Minutes version")
        verbose_name_plural = _("Minutes versions")
        ordering = ["meeting", "version"]
        constraints = [models.UniqueConstraint(fields=["meeting", "version"], name="minutes_version_unique")]

    def __str__(self):
        return f"{self.meeting_id} v{self.version}"


class AgendaItemQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q("meeting__village__path", scope)


class AgendaItem(models.Model):
    """A topic on a meeting's agenda, with the notes taken while it was discussed."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="agenda_items")
    order = models.PositiveSmallIntegerField(_("Order"), default=0)
    notes = models.TextField(_("Notes on this topic"), blank=True)

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("Agenda item")
        verbose_name_plural = _("Agenda items")
        ordering = ["meeting", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "topic"], name="agenda_topic_once_per_meeting")]

    def __str__(self):
        return f"{self.meeting_id} · {self.topic_id}"


# --- decisions and action items -----------------------------------------------------------------


class DecisionQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return topic_scope_q(scope, "topic__")


class Decision(ChoiceLabels, models.Model):
    """The show of hands on one topic at one meeting, checked against the attendance and the quorum rule."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="decisions")
    votes_for = models.PositiveIntegerField(_("For"))
    votes_against = models.PositiveIntegerField(_("Against"))
    votes_abstain = models.PositiveIntegerField(_("Abstain"))
    outcome = models.CharField(_("Outcome"), max_length=10, choices=Outcome.choices)
    summary = models.TextField(_("What was decided"), blank=True)
    # The figures the check used, kept with the decision so it can be re-read later.
    residents_present = models.PositiveIntegerField(_("Residents present"))
    households_represented = models.PositiveIntegerField(_("Households represented"))
    quorum_basis = models.CharField(max_length=12, choices=QuorumBasis.choices)
    quorum_numerator = models.PositiveSmallIntegerField()
    quorum_denominator = models.PositiveSmallIntegerField()
    decided_at = models.DateTimeField(_("Decided at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Decision")
        verbose_name_plural = _("Decisions")
        ordering = ["-decided_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "topic"], name="decision_once_per_meeting_topic")]

    def __str__(self):
        return f"{self.topic} · {self.get_outcome_display()}"

    @property
    def votes_cast(self) -> int:
        return self.votes_for + self.votes_against + self.votes_abstain


class ActionItemQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return topic_scope_q(scope, "topic__")

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status__in=ACTION_OPEN_STATUSES, deadline__lt=today)


class ActionItem(ChoiceLabels, models.Model):
    """Work an adopted decision asks for: an owner, a deadline, progress notes, perhaps a case."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="action_items")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="action_items")
    title = models.CharField(_("What to do"), max_length=200)
    owner_name = models.CharField(_("Owner"), max_length=50)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Owner's account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateField(_("Deadline"), db_index=True)
    status = models.CharField(
        _("Status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN, db_index=True
    )
    completed_at = models.DateTimeField(_("Completed at"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("Case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("Action item")
        verbose_name_plural = _("Action items")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status in ACTION_OPEN_STATUSES and self.deadline < timezone.localdate()


class ActionProgressQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return topic_scope_q(scope, "action_item__topic__")


class ActionProgress(ChoiceLabels, AppendOnlyModel):
    """A progress note on an action item, with the status it left the item in."""

    action_item = models.ForeignKey(ActionItem, on_delete=models.PROTECT, related_name="progress")
    note = models.TextField(_("Progress"))
    status = models.CharField(_("Status"), max_length=12, choices=ActionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    objects = ActionProgressQuerySet.as_manager()

    class Meta:
        verbose_name = _("Progress note")
        verbose_name_plural = _("Progress notes")
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.action_item_id} {self.status}"
