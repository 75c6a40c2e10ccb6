from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")
    DISPATCHED = "dispatched", _("Dispatched")
    CHECKED_IN = "checked_in", _("Checked in")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Statuses in which a case still needs someone's work.
OPEN_STATUSES = (
    CaseStatus.REPORTED,
    CaseStatus.ACCEPTED,
    CaseStatus.DISPATCHED,
    CaseStatus.CHECKED_IN,
    CaseStatus.ON_HOLD,
    CaseStatus.RESOLVED,
)
# Statuses whose clock runs (the sweep looks only at these).
CLOCK_STATUSES = (CaseStatus.DISPATCHED, CaseStatus.CHECKED_IN)
FINAL_STATUSES = (CaseStatus.REJECTED, CaseStatus.MERGED, CaseStatus.CLOSED)


class CaseSource(models.TextChoices):
    GRID_PATROL = "grid_patrol", _("Grid worker patrol")
    SELF_REPORT = "self_report", _("Villager self-report")
    ON_BEHALF = "on_behalf", _("Reported on a villager's behalf")
    DELIBERATION = "deliberation", _("Deliberation decision")
    HOTLINE = "hotline_12345", _("12345 hotline")
    OPEN311 = "open311", _("Open311")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("Hours")
    WORKING_DAYS = "working_days", _("Working days")


class EventAction(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged into another case")
    RESOLVED_ON_THE_SPOT = "resolved_on_the_spot", _("Resolved on the spot")
    DISPATCHED = "dispatched", _("Dispatched")
    CHECKED_IN = "checked_in", _("Checked in")
    RETURNED = "returned", _("Returned")
    RESOLVED = "resolved", _("Resolved")
    PUT_ON_HOLD = "put_on_hold", _("Put on hold")
    RESUMED = "resumed", _("Resumed")
    CLOSED = "closed", _("Follow-up: satisfied, closed")
    REOPENED = "reopened", _("Follow-up: unsatisfied, reopened")
    OVERDUE = "overdue", _("Overdue, escalated")
    ESCALATED = "escalated", _("Escalated")
    SUPERVISED = "supervised", _("Supervision note")
    URGED = "urged", _("Urged")
    ATTACHED = "attached", _("Attachments added")


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    TOWNSHIP = 1, _("Township Party organisation")
    COUNTY = 2, _("County supervision")


class EscalationReason(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    STILL_OVERDUE = "still_overdue", _("Still overdue")
    REOPENED = "reopened", _("Reopened twice")


class NotificationKind(models.TextChoices):
    DISPATCHED = "dispatched", _("Dispatched to your department")
    RETURNED = "returned", _("Returned by a department")
    REOPENED = "reopened", _("Reopened after follow-up")
    OVERDUE = "overdue", _("Overdue")
    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due")
    ESCALATED = "escalated", _("Escalated for supervision")
    SUPERVISED = "supervised", _("Supervision note")
    URGED = "urged", _("Urged")
    REPORTED = "reported", _("New case reported")
    REPORT_READY = "report_ready", _("Report or export ready")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Day off")
    WORKING_DAY = "working_day", _("Working day")
