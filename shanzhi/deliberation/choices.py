from django.db import models
from django.utils.translation import pgettext_lazy


class VenueKind(models.TextChoices):
    COURTYARD = "courtyard", pgettext_lazy("deliberation", "Deliberation courtyard")
    CORRIDOR = "corridor", pgettext_lazy("deliberation", "Deliberation corridor")
    SQUARE = "square", pgettext_lazy("deliberation", "Square or pavilion")
    FARMYARD = "farmyard", pgettext_lazy("deliberation", "Party member's farmyard")
    OTHER = "other", pgettext_lazy("deliberation", "Other venue")


class TopicClass(models.TextChoices):
    DEVELOPMENT = "development", pgettext_lazy("deliberation", "Development matter")
    LIVELIHOOD = "livelihood", pgettext_lazy("deliberation", "Livelihood matter")
    HARD_PROBLEM = "hard_problem", pgettext_lazy("deliberation", "Hard problem")


class RaisedVia(models.TextChoices):
    SELF = "self", pgettext_lazy("deliberation", "Raised by the villager")
    ON_BEHALF = "on_behalf", pgettext_lazy("deliberation", "Raised on a villager's behalf")
    CADRE = "cadre", pgettext_lazy("deliberation", "Raised by a cadre")


class TopicStatus(models.TextChoices):
    RAISED = "raised", pgettext_lazy("deliberation", "Raised")
    ACCEPTED = "accepted", pgettext_lazy("deliberation", "Accepted for deliberation")
    DECLINED = "declined", pgettext_lazy("deliberation", "Declined")
    SCHEDULED = "scheduled", pgettext_lazy("deliberation", "Scheduled")
    DELIBERATED = "deliberated", pgettext_lazy("deliberation", "Deliberated")
    DECIDED = "decided", pgettext_lazy("deliberation", "Decided")
    IN_PROGRESS = "in_progress", pgettext_lazy("deliberation", "In progress")
    RESOLVED = "resolved", pgettext_lazy("deliberation", "Resolved")
    ESCALATED = "escalated", pgettext_lazy("deliberation", "Escalated as a case")


# The lifecycle: every allowed move, and nothing else (services refuse the rest with 409).
TOPIC_TRANSITIONS: dict[str, set[str]] = {
    TopicStatus.RAISED: {TopicStatus.ACCEPTED, TopicStatus.DECLINED},
    TopicStatus.ACCEPTED: {TopicStatus.SCHEDULED},
    TopicStatus.DECLINED: set(),
    # Off the agenda (meeting cancelled, topic removed) goes back to accepted.
    TopicStatus.SCHEDULED: {TopicStatus.DELIBERATED, TopicStatus.ACCEPTED},
    # A deferred vote sends the topic back to be scheduled again.
    TopicStatus.DELIBERATED: {TopicStatus.DECIDED, TopicStatus.ACCEPTED},
    TopicStatus.DECIDED: {TopicStatus.IN_PROGRESS, TopicStatus.RESOLVED, TopicStatus.ESCALATED},
    TopicStatus.IN_PROGRESS: {TopicStatus.RESOLVED, TopicStatus.ESCALATED},
    TopicStatus.ESCALATED: {TopicStatus.RESOLVED},
    TopicStatus.RESOLVED: set(),
}

# Topics the public results board shows: a decision was taken on them.
PUBLIC_STATUSES = (TopicStatus.DECIDED, TopicStatus.IN_PROGRESS, TopicStatus.ESCALATED, TopicStatus.RESOLVED)
OPEN_STATUSES = (
    TopicStatus.RAISED,
    TopicStatus.ACCEPTED,
    TopicStatus.SCHEDULED,
    TopicStatus.DELIBERATED,
    TopicStatus.DECIDED,
    TopicStatus.IN_PROGRESS,
    TopicStatus.ESCALATED,
)


class MeetingFormat(models.TextChoices):
    EVENING_TALK = "evening_talk", pgettext_lazy("deliberation", "Evening village talk")
    COURTYARD_TALK = "courtyard_talk", pgettext_lazy("deliberation", "Courtyard talk")
    REPRESENTATIVES = "representatives", pgettext_lazy("deliberation", "Villagers' representatives meeting")
    VILLAGERS = "villagers", pgettext_lazy("deliberation", "Villagers' meeting")
    PARTY_MEMBERS = "party_members", pgettext_lazy("deliberation", "Party members' meeting")
    OTHER = "other", pgettext_lazy("deliberation", "Other meeting")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("deliberation", "Planned")
    OPEN = "open", pgettext_lazy("deliberation", "In session")
    CLOSED = "closed", pgettext_lazy("deliberation", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("deliberation", "Cancelled")


MEETING_TRANSITIONS: dict[str, set[str]] = {
    MeetingStatus.PLANNED: {MeetingStatus.OPEN, MeetingStatus.CANCELLED},
    MeetingStatus.OPEN: {MeetingStatus.CLOSED},
    MeetingStatus.CLOSED: set(),
    MeetingStatus.CANCELLED: set(),
}


class Outcome(models.TextChoices):
    ADOPTED = "adopted", pgettext_lazy("deliberation", "Adopted")
    REJECTED = "rejected", pgettext_lazy("deliberation", "Rejected")
    DEFERRED = "deferred", pgettext_lazy("deliberation", "Deferred")


class QuorumBasis(models.TextChoices):
    HOUSEHOLDS = "households", pgettext_lazy("deliberation", "Households represented")
    RESIDENTS = "residents", pgettext_lazy("deliberation", "Residents present")


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("deliberation", "Not started")
    IN_PROGRESS = "in_progress", pgettext_lazy("deliberation", "In progress")
    DONE = "done", pgettext_lazy("deliberation", "Done")
    ESCALATED = "escalated", pgettext_lazy("deliberation", "Escalated as a case")


ACTION_OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
