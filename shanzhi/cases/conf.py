"""Settings of the cases capability, read from the environment once (fail loudly on bad values)."""

from __future__ import annotations

from django.conf import settings

from shanzhi.env import env_int, env_str

# Largest attachment accepted, and how many may go with one report or step.
MAX_ATTACHMENT_BYTES = env_int("SHANZHI_CASE_MAX_ATTACHMENT_MB", 10, minimum=1, maximum=100) * 1024 * 1024
MAX_ATTACHMENTS = env_int("SHANZHI_CASE_MAX_ATTACHMENTS", 9, minimum=1, maximum=30)
# A case escalated for being overdue goes to county supervision this long after its deadline.
SECOND_LEVEL_AFTER_HOURS = env_int("SHANZHI_CASE_SECOND_LEVEL_HOURS", 48, minimum=1, maximum=24 * 60)
# Reopened this many times, a case is escalated whatever its deadline says.
REOPEN_ESCALATION_COUNT = env_int("SHANZHI_CASE_REOPEN_ESCALATION", 2, minimum=1, maximum=20)
# Dotted path of the notification sender (see shanzhi/cases/notify.py).
NOTIFICATION_SENDER = env_str("SHANZHI_NOTIFICATION_SENDER", "shanzhi.cases.notify.LogSender")
NOTIFICATION_MAX_ATTEMPTS = env_int("SHANZHI_NOTIFICATION_MAX_ATTEMPTS", 5, minimum=1, maximum=50)
SWEEP_BATCH = env_int("SHANZHI_CASE_SWEEP_BATCH", 5000, minimum=10, maximum=100_000)


def case_prefix() -> str:
    return getattr(settings, "SHANZHI_CASE_PREFIX", "HL")
