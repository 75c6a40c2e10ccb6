from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobStatus(models.TextChoices):
    NEEDS_MAPPING = "needs_mapping", _("Columns to map")
    READY = "ready", _("Ready to check")
    CHECKED = "checked", _("Checked")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    REFUSED = "refused", _("Not imported")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("All or nothing: import only if every row is valid")
    GOOD_ROWS = "good", _("Import the valid rows; return the rejected rows for correction")


class Outcome(models.TextChoices):
    CREATED = "created", pgettext_lazy("import outcome", "New")
    UPDATED = "updated", pgettext_lazy("import outcome", "Updated")
    UNCHANGED = "unchanged", pgettext_lazy("import outcome", "Unchanged")
    REJECTED = "rejected", pgettext_lazy("import outcome", "Rejected")


class FileFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    CSV = "csv", "CSV"


class Kind(models.TextChoices):
    """What a file holds. The order is the order to import a new county in."""

    AREAS = "areas", pgettext_lazy("import kind", "Areas (townships, villages, grids)")
    DEPARTMENTS = "departments", pgettext_lazy("import kind", "Departments")
    HOUSEHOLDS = "households", pgettext_lazy("import kind", "Households")
    RESIDENTS = "residents", pgettext_lazy("import kind", "Residents")
    GRID_WORKERS = "grid_workers", pgettext_lazy("import kind", "Grid workers and their grids")
    VENUES = "venues", pgettext_lazy("import kind", "Deliberation venues")
    RULES = "rules", pgettext_lazy("import kind", "Points rules")
    GOODS = "goods", pgettext_lazy("import kind", "Points shop goods")
