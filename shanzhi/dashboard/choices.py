from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReportKind(models.TextChoices):
    MONTHLY_RETURN = "monthly_return", _("Monthly return")
    SCORECARD = "scorecard", _("Department scorecard")
    LIST_EXPORT = "list_export", _("List export")


class ReportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel (.xlsx)")
    PDF = "pdf", _("PDF")


class JobStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("dashboard", "Queued")
    RUNNING = "running", pgettext_lazy("dashboard", "Running")
    DONE = "done", pgettext_lazy("dashboard", "Ready")
    FAILED = "failed", pgettext_lazy("dashboard", "Failed")


class MapMetric(models.TextChoices):
    OPEN_CASES = "open_cases", _("Open cases")
    OVERDUE_CASES = "overdue_cases", _("Overdue cases")
    CARE_COVERAGE = "care_coverage", _("Care-visit coverage")
