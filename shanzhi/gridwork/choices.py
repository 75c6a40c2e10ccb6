from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerKind(models.TextChoices):
    SPECIALIST = "specialist", _("Specialist grid worker")
    FULL_TIME = "full_time", _("Full-time grid worker")
    PART_TIME = "part_time", _("Part-time grid worker")


class DutyCategory(models.TextChoices):
    GOVERNANCE = "governance", _("Comprehensive governance")
    PARTY = "party", _("Party building")
    FIRE = "fire", _("Fire safety")
    WORK_SAFETY = "work_safety", _("Work safety")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs and social security")
    HEALTH = "health", _("Health")
    ENVIRONMENT = "environment", _("Environment and village appearance")
    EMERGENCY = "emergency", _("Emergency and disaster prevention")
    INFORMATION = "information", _("Population and information collection")
    PUBLICITY = "publicity", _("Policy publicity")
    SERVICE = "service", _("Services for villagers")


class DutyFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    PER_EVENT = "per_event", _("Per event")
    PER_HOUSEHOLD_MONTHLY = "per_household_monthly", _("Each household monthly")


# Frequencies that have a schedule, and so a completion rate; "per event" has none.
SCHEDULED_FREQUENCIES = (
    DutyFrequency.DAILY,
    DutyFrequency.WEEKLY,
    DutyFrequency.MONTHLY,
    DutyFrequency.PER_HOUSEHOLD_MONTHLY,
)


class VisitKind(models.TextChoices):
    HOUSEHOLD = "household", _("Household visit")
    PATROL = "patrol", _("Grid patrol")


class VisitPurpose(models.TextChoices):
    ELDERLY_CARE = "elderly_care", _("Elderly care")
    DISPUTE_MEDIATION = "dispute_mediation", _("Dispute mediation")
    POLICY_PUBLICITY = "policy_publicity", _("Policy publicity")
    SAFETY_CHECK = "safety_check", _("Safety check")
    INFORMATION = "information", _("Information collection")
    ASSISTANCE = "assistance", _("Help with an errand")
    ROUTINE_PATROL = "routine_patrol", _("Routine patrol")
    OTHER = "other", _("Other")


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("Provisional")
    CLOSED = "closed", _("Closed and published")


class Indicator(models.TextChoices):
    """The computed indicators of the monthly evaluation, plus the township's manual part."""

    DUTY_COMPLETION = "duty_completion", _("Duty completion")
    CARE_ON_TIME = "care_on_time", _("Care visits on time")
    CASES_REPORTED = "cases_reported", _("Cases reported")
    RESOLVED_ON_THE_SPOT = "resolved_on_the_spot", _("Cases resolved on the spot")
    TIMELINESS = "timeliness", _("Timeliness of their cases")
    SATISFACTION = "satisfaction", _("Follow-up satisfaction")
    MANUAL = "manual", _("Township assessment")


INDICATOR_ORDER = [
    Indicator.DUTY_COMPLETION,
    Indicator.CARE_ON_TIME,
    Indicator.CASES_REPORTED,
    Indicator.RESOLVED_ON_THE_SPOT,
    Indicator.TIMELINESS,
    Indicator.SATISFACTION,
    Indicator.MANUAL,
]
