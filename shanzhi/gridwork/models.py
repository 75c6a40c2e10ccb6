from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.models import Area
from shanzhi.core.masking import mask_phone
from shanzhi.core.scoping import ScopedQuerySet, subtree_q
from shanzhi.gridwork.choices import WorkerKind


class GridWorkerQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        if not scope.area_paths:
            return Q(pk__in=[])
        serving = GridAssignment.objects.current().filter(subtree_q("grid__path", scope.area_paths))
        return Q(pk__in=serving.values("worker_id")) | subtree_q("home_area__path", scope.area_paths)

    def active(self):
        return self.filter(end_date__isnull=True)


class GridWorker(models.Model):
    """A staff member serving one or more grids ("1+N": one full-time lead per grid plus N others)."""

    name = models.CharField(_("Full name"), max_length=50)
    kind = models.CharField(_("Category"), max_length=12, choices=WorkerKind.choices, db_index=True)
    phone = models.CharField(_("Mobile"), max_length=20, blank=True)
    home_area = models.ForeignKey(
        Area,
        verbose_name=_("Area"),
        on_delete=models.PROTECT,
        related_name="grid_workers",
        help_text=_(
            "Specialist grid workers usually belong to a township; full-time and part-time grid workers belong to a village."
        ),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Login account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_worker",
    )
    start_date = models.DateField(_("Service start"))
    end_date = models.DateField(_("Service end"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = GridWorkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("Grid worker")
        verbose_name_plural = _("Grid worker")
        ordering = ["home_area__path", "kind", "name"]

    def __str__(self):
        return f"{self.name}({self.get_kind_display()})"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class GridAssignmentQuerySet(models.QuerySet):
    def current(self):
        return self.filter(end_date__isnull=True)


class GridAssignment(models.Model):
    """A worker serving a grid over a period; the history of transfers is kept."""

    worker = models.ForeignKey(GridWorker, on_delete=models.PROTECT, related_name="assignments")
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="grid_assignments", limit_choices_to={"level": "grid"}
    )
    is_lead = models.BooleanField(_("Grid lead (full-time)"), default=False)
    start_date = models.DateField(_("Start date"))
    end_date = models.DateField(_("End date"), null=True, blank=True)

    objects = GridAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Grid assignments")
        verbose_name_plural = _("Grid assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["grid"], condition=Q(is_lead=True, end_date__isnull=True), name="one_current_lead_per_grid"
            ),
            models.UniqueConstraint(
                fields=["worker", "grid"], condition=Q(end_date__isnull=True), name="one_current_assignment"
            ),
        ]
        indexes = [models.Index(fields=["grid", "end_date"])]

    def __str__(self):
        return f"{self.worker} → {self.grid}"
