"""An import job (one uploaded file on its way in) and the column mappings a township keeps.

The job keeps the file, what was found in it (sheets, header rows, which column is
which field, which sheet is which area) and the last check's report. Domain rows are
written only by ``services.commit``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.areas.models import Area
from shanzhi.core.scoping import NOTHING, ScopedQuerySet, subtree_q
from shanzhi.imports.choices import FileFormat, ImportMode, JobStatus, Kind


def upload_path(instance, filename):
    return f"imports/{timezone.now():%Y/%m}/{filename}"


class ImportJobQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        # A job holds a person's upload: only its owner (and the county, via ``everything``) sees it.
        return Q(created_by_id=scope.user_id) if scope.user_id else NOTHING


class ImportJob(models.Model):
    kind = models.CharField(_("Kind"), max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("Area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The area of the uploader's role: column mappings without a sheet area are kept here."),
    )
    file = models.FileField(_("File"), upload_to=upload_path, max_length=255)
    original_name = models.CharField(_("File name"), max_length=200)
    file_format = models.CharField(pgettext_lazy("file", "Format"), max_length=4, choices=FileFormat.choices)
    encoding = models.CharField(_("Encoding"), max_length=20, blank=True)
    size = models.PositiveBigIntegerField(_("Size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("Status"), max_length=16, choices=JobStatus.choices, default=JobStatus.NEEDS_MAPPING)
    mode = models.CharField(_("Mode"), max_length=8, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    sheets = models.JSONField(_("Sheets"), default=list, blank=True)
    overrides = models.JSONField(_("Choices made"), default=dict, blank=True)
    summary = models.JSONField(_("Summary"), default=dict, blank=True)
    issues = models.JSONField(_("Problems"), default=list, blank=True)
    rejected_file = models.FileField(_("Rejected rows"), upload_to=upload_path, max_length=255, blank=True)
    created = models.DateTimeField(_("Uploaded at"), auto_now_add=True)
    checked_at = models.DateTimeField(_("Checked at"), null=True, blank=True)
    committed_at = models.DateTimeField(_("Imported at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("Import job")
        verbose_name_plural = _("Import jobs")
        ordering = ["-created", "-id"]
        permissions = [("import_data", _("Import and export data with spreadsheets"))]
        indexes = [models.Index(fields=["created_by", "created"])]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def is_open(self) -> bool:
        """Still before its commit: mapping, checking and committing are allowed."""
        return self.status in (JobStatus.NEEDS_MAPPING, JobStatus.READY, JobStatus.CHECKED, JobStatus.REFUSED)


class ColumnMappingQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return subtree_q("area__path", scope.area_paths) if scope.area_paths else NOTHING


class ColumnMapping(models.Model):
    """How one area's sheets name their columns, kept so the next file maps itself.

    ``columns`` maps a normalised header text to a field name, or to ``""`` for a
    column to leave out.
    """

    kind = models.CharField(_("Kind"), max_length=20, choices=Kind.choices)
    area = models.ForeignKey(Area, verbose_name=_("Area"), on_delete=models.PROTECT, related_name="+")
    columns = models.JSONField(_("Columns"), default=dict)
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ColumnMappingQuerySet.as_manager()

    class Meta:
        verbose_name = _("Column mapping")
        verbose_name_plural = _("Column mappings")
        constraints = [models.UniqueConstraint(fields=["kind", "area"], name="imports_one_mapping_per_area")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.area}"
