"""Report and export jobs: requested on a page or through the API, built by the worker.

A job is claimed with a conditional UPDATE (``status='queued'`` → ``running``), so two
workers never build the same file. Only the user who asked for a job sees it: the file
was built with that user's scope and masking.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.core.scoping import NOTHING, ScopedQuerySet
from shanzhi.dashboard.choices import JobStatus, ReportFormat, ReportKind


class ReportJobQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return Q(requested_by_id=scope.user_id) if scope.user_id else NOTHING

    def for_user(self, user):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(requested_by_id=user.pk)

    def queued(self):
        return self.filter(status=JobStatus.QUEUED)


class ReportJob(models.Model):
    kind = models.CharField(_("Report type"), max_length=20, choices=ReportKind.choices)
    file_format = models.CharField(_("File format"), max_length=8, choices=ReportFormat.choices)
    params = models.JSONField(_("Parameters"), default=dict, blank=True)
    title = models.CharField(_("Title"), max_length=200)
    status = models.CharField(_("Status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("Progress (%)"), default=0)
    row_count = models.PositiveIntegerField(_("Rows"), null=True, blank=True)
    file = models.FileField(_("File"), upload_to="reports/%Y/%m/", blank=True)
    filename = models.CharField(_("File name"), max_length=200, blank=True)
    error = models.CharField(_("Error"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Requested by"), on_delete=models.CASCADE, related_name="report_jobs"
    )
    created = models.DateTimeField(_("Requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("Started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Finished at"), null=True, blank=True)

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("Report job")
        verbose_name_plural = _("Report jobs")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["status", "created"], name="reportjob_queue")]

    def __str__(self):
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class OverviewSnapshot(models.Model):
    """The overview of a county or township for one month, computed by the worker.

    At county scale (hundreds of thousands of households) the live overview takes
    seconds; the worker refreshes these rows every few minutes and pages read them,
    saying how fresh they are. Villages and narrower scopes are always computed live.
    """

    area = models.ForeignKey("areas.Area", verbose_name=_("Area"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("Month"))
    document = models.JSONField(_("Figures"))
    computed_at = models.DateTimeField(_("Computed at"))
    duration_ms = models.PositiveIntegerField(_("Time taken (ms)"), default=0)

    class Meta:
        verbose_name = _("Overview snapshot")
        verbose_name_plural = _("Overview snapshots")
        constraints = [models.UniqueConstraint(fields=["area", "month"], name="overviewsnapshot_area_month")]

    def __str__(self):
        return f"{self.area_id} {self.month:%Y-%m}"
