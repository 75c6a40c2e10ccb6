from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.models import Area
from shanzhi.core.masking import mask_phone
from shanzhi.core.scoping import NOTHING, ScopedQuerySet, subtree_q
from shanzhi.gridwork.choices import (
    DutyCategory,
    DutyFrequency,
    EvaluationStatus,
    VisitKind,
    VisitPurpose,
    WorkerKind,
)


def ancestor_paths(paths) -> list[str]:
    """Every prefix path of ``paths``: the areas that contain a scope's areas."""
    found: set[str] = set()
    for path in paths:
        parts = path.strip("/").split("/")
        for index in range(1, len(parts) + 1):
            found.add("/" + "/".join(parts[:index]) + "/")
    return sorted(found)


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
        permissions = [("manage_workers", _("Manage grid workers and their grids"))]

    def __str__(self):
        return f"{self.name}({self.get_kind_display()})"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_active(self) -> bool:
        return self.end_date is None


class GridAssignmentQuerySet(models.QuerySet):
    def current(self):
        return self.filter(end_date__isnull=True)

    def on(self, day):
        """Assignments in force on ``day`` (the end date is the first day no longer served)."""
        return self.filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gt=day))

    def overlapping(self, first, last):
        return self.filter(Q(start_date__lte=last), Q(end_date__isnull=True) | Q(end_date__gt=first))


class GridAssignment(models.Model):
    """A worker serving a grid over a period; the history of transfers is kept."""

    worker = models.ForeignKey(GridWorker, on_delete=models.PROTECT, related_name="assignments")
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="grid_assignments", limit_choices_to={"level": "grid"}
    )
    is_lead = models.BooleanField(_("Grid lead (full-time)"), default=False)
    start_date = models.DateField(_("Start date"))
    end_date = models.DateField(_("End date"), null=True, blank=True)
    note = models.CharField(_("Note"), max_length=200, blank=True)

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


class DutyQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        # The county's catalogue: every staff member reads it.
        return Q() if (scope.area_paths or scope.department_ids) else NOTHING

    def active(self):
        return self.filter(active=True)

    def for_kind(self, kind: str):
        return self.filter(**{Duty.KIND_FIELDS[kind]: True})


class Duty(models.Model):
    """One standing duty of the county's catalogue (任务清单事项)."""

    KIND_FIELDS = {
        WorkerKind.SPECIALIST: "for_specialist",
        WorkerKind.FULL_TIME: "for_full_time",
        WorkerKind.PART_TIME: "for_part_time",
    }

    number = models.PositiveSmallIntegerField(_("No."), unique=True)
    name = models.CharField(_("Duty"), max_length=100, unique=True)
    category = models.CharField(_("Category"), max_length=20, choices=DutyCategory.choices, db_index=True)
    description = models.TextField(_("Duty requirements"), max_length=1000, blank=True)
    frequency = models.CharField(_("Frequency"), max_length=24, choices=DutyFrequency.choices)
    evidence_required = models.BooleanField(_("Evidence required"), default=False)
    for_specialist = models.BooleanField(_("Applies to specialist grid workers"), default=False)
    for_full_time = models.BooleanField(_("Applies to full-time grid workers"), default=True)
    for_part_time = models.BooleanField(_("Applies to part-time grid workers"), default=False)
    active = models.BooleanField(_("Active"), default=True)
    updated = models.DateTimeField(auto_now=True)

    objects = DutyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Duty")
        verbose_name_plural = _("Duties")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number}. {self.name}"

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, field in self.KIND_FIELDS.items() if getattr(self, field)]

    def applies_to(self, kind: str) -> bool:
        return bool(getattr(self, self.KIND_FIELDS[kind], False))


class VisitQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return subtree_q("grid__path", scope.area_paths) if scope.area_paths else NOTHING

    def in_area(self, area: Area):
        return self.filter(subtree_q("grid__path", [area.path]))


class Visit(models.Model):
    """A logged household visit or grid patrol (走访 / 巡查)."""

    # The composite indexes below start with worker, grid and household: no single-column ones.
    worker = models.ForeignKey(
        GridWorker, verbose_name=_("Grid worker"), on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    kind = models.CharField(_("Kind"), max_length=10, choices=VisitKind.choices)
    purpose = models.CharField(_("Purpose"), max_length=20, choices=VisitPurpose.choices)
    grid = models.ForeignKey(
        Area,
        verbose_name=_("Grid"),
        on_delete=models.PROTECT,
        related_name="visits",
        limit_choices_to={"level": "grid"},
        db_index=False,
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("Household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    visited_at = models.DateTimeField(_("Time of visit"))
    visited_on = models.DateField(_("Date of visit"), editable=False)
    notes = models.TextField(_("Notes"), max_length=2000, blank=True)
    location_lat = models.FloatField(_("Latitude"), null=True, blank=True)
    location_lng = models.FloatField(_("Longitude"), null=True, blank=True)
    duties = models.ManyToManyField(Duty, verbose_name=_("Duties covered"), blank=True, related_name="visits")
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("Case raised"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("Visit")
        verbose_name_plural = _("Visits")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["worker", "visited_on"], name="visit_worker_day"),
            models.Index(fields=["household", "visited_on"], name="visit_household_day"),
            models.Index(fields=["grid", "visited_on"], name="visit_grid_day"),
            models.Index(fields=["visited_on"], name="visit_day"),
        ]
        constraints = [
            models.CheckConstraint(
                name="visit_household_when_household_kind",
                condition=~Q(kind=VisitKind.HOUSEHOLD) | Q(household__isnull=False),
            ),
        ]

    def __str__(self):
        target = self.household.head_name if self.household_id and self.household else self.grid.name
        return f"{self.visited_on} {self.get_kind_display()} {target}"

    @property
    def location_label(self) -> str:
        if self.location_lat is None or self.location_lng is None:
            return ""
        return f"{self.location_lat:.5f}, {self.location_lng:.5f}"


def photo_path(instance, filename):
    now = timezone.now()
    return f"gridwork/visits/{now:%Y/%m}/{secrets.token_hex(8)}{instance.extension}"


class VisitPhotoQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return subtree_q("visit__grid__path", scope.area_paths) if scope.area_paths else NOTHING


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, verbose_name=_("Visit"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("Photo"), upload_to=photo_path, max_length=200)
    content_type = models.CharField(_("Type"), max_length=40)
    size = models.PositiveIntegerField(_("Size"))
    sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    objects = VisitPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("Visit photo")
        verbose_name_plural = _("Visit photos")
        ordering = ["id"]

    def __str__(self):
        return self.file.name

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(self.content_type, "")


class CareRuleQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return Q() if (scope.area_paths or scope.department_ids) else NOTHING

    def active(self):
        return self.filter(active=True, tag__active=True)


class CareRule(models.Model):
    """How often a household carrying a tag must be visited (the care list)."""

    tag = models.OneToOneField(
        "people.HouseholdTag", verbose_name=_("Household tag"), on_delete=models.PROTECT, related_name="care_rule"
    )
    interval_days = models.PositiveSmallIntegerField(
        _("Visit at least every (days)"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    active = models.BooleanField(_("Active"), default=True)
    updated = models.DateTimeField(auto_now=True)

    objects = CareRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("Care visit rule")
        verbose_name_plural = _("Care visit rules")
        ordering = ["interval_days", "tag__sort_order"]

    def __str__(self):
        return f"{self.tag} / {self.interval_days}"


class EvaluationScheme(models.Model):
    """The county's weights and targets for the monthly evaluation (one row; closed months keep a copy)."""

    weight_duty_completion = models.PositiveSmallIntegerField(_("Duty completion"), default=25)
    weight_care_on_time = models.PositiveSmallIntegerField(_("Care visits on time"), default=20)
    weight_cases_reported = models.PositiveSmallIntegerField(_("Cases reported"), default=10)
    weight_resolved_on_the_spot = models.PositiveSmallIntegerField(_("Cases resolved on the spot"), default=10)
    weight_timeliness = models.PositiveSmallIntegerField(_("Timeliness of their cases"), default=10)
    weight_satisfaction = models.PositiveSmallIntegerField(_("Follow-up satisfaction"), default=5)
    weight_manual = models.PositiveSmallIntegerField(_("Township assessment"), default=20)
    target_cases_reported = models.PositiveSmallIntegerField(
        _("Cases reported for full marks"), default=4, validators=[MinValueValidator(1)]
    )
    target_resolved_on_the_spot = models.PositiveSmallIntegerField(
        _("Cases resolved on the spot for full marks"), default=2, validators=[MinValueValidator(1)]
    )
    red_flags_per_township = models.PositiveSmallIntegerField(
        _("Red-flag grid workers per township"), default=1, validators=[MinValueValidator(1)]
    )
    close_on_day = models.PositiveSmallIntegerField(
        _("Close the month on day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("The monthly run closes last month on or after this day of the month."),
    )
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("Evaluation scheme")
        verbose_name_plural = _("Evaluation scheme")

    def __str__(self):
        return str(_("Evaluation scheme"))


class EvaluationMonthQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        """A township's month is visible inside the township and to those above it."""
        if not scope.area_paths:
            return NOTHING
        return subtree_q("township__path", scope.area_paths) | Q(township__path__in=ancestor_paths(scope.area_paths))

    def closed(self):
        return self.filter(status=EvaluationStatus.CLOSED)


class EvaluationMonth(models.Model):
    """The monthly evaluation of one township's full-time grid workers."""

    township = models.ForeignKey(
        Area,
        verbose_name=_("Township"),
        on_delete=models.PROTECT,
        related_name="evaluation_months",
        limit_choices_to={"level": "township"},
    )
    month = models.DateField(_("Month"), help_text=_("The first day of the month."))
    status = models.CharField(
        _("Status"), max_length=8, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    scheme = models.JSONField(_("Weights and targets used"), default=dict)
    workers_count = models.PositiveIntegerField(_("Workers evaluated"), default=0)
    computed_at = models.DateTimeField(_("Computed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("Closed and published at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = EvaluationMonthQuerySet.as_manager()

    class Meta:
        verbose_name = _("Monthly evaluation")
        verbose_name_plural = _("Monthly evaluations")
        ordering = ["-month", "township__path"]
        constraints = [models.UniqueConstraint(fields=["township", "month"], name="one_evaluation_per_township_month")]
        permissions = [
            ("score_evaluation", _("Score the township assessment of grid workers")),
            ("run_evaluation", _("Compute and close monthly evaluations")),
        ]

    def __str__(self):
        return f"{self.township} {self.month:%Y-%m}"

    @property
    def is_closed(self) -> bool:
        return self.status == EvaluationStatus.CLOSED

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"


class WorkerEvaluationQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        if not scope.area_paths:
            return NOTHING
        return subtree_q("area_path", scope.area_paths) | subtree_q("evaluation__township__path", scope.area_paths)

    def published(self, user):
        """Red-flag workers of closed months, shown to everyone inside or above the township."""
        months = EvaluationMonth.objects.for_user(user).closed()
        return self.filter(evaluation__in=months, is_red_flag=True)


class WorkerEvaluation(models.Model):
    """One full-time worker's score for one month, with every indicator's raw figure and points."""

    evaluation = models.ForeignKey(
        EvaluationMonth, verbose_name=_("Monthly evaluation"), on_delete=models.CASCADE, related_name="results"
    )
    worker = models.ForeignKey(
        GridWorker, verbose_name=_("Grid worker"), on_delete=models.PROTECT, related_name="evaluations"
    )
    area_path = models.CharField(max_length=255, editable=False, db_index=True)
    grid_names = models.CharField(_("Grids"), max_length=255, blank=True)
    indicators = models.JSONField(_("Indicators"), default=list)
    total = models.DecimalField(_("Score"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("Rank"))
    is_red_flag = models.BooleanField(_("Red-flag grid worker"), default=False)
    certificate_number = models.CharField(_("Certificate number"), max_length=40, blank=True)

    objects = WorkerEvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Worker evaluation")
        verbose_name_plural = _("Worker evaluations")
        ordering = ["evaluation", "rank", "worker_id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "worker"], name="one_result_per_worker_month")]

    def __str__(self):
        return f"{self.evaluation} {self.worker.name} {self.total}"


class ManualScoreQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return subtree_q("township__path", scope.area_paths) if scope.area_paths else NOTHING


class ManualScore(models.Model):
    """The township's own assessment of a worker for a month (the manual part of the score)."""

    worker = models.ForeignKey(GridWorker, verbose_name=_("Grid worker"), on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Area, verbose_name=_("Township"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("Month"))
    percent = models.PositiveSmallIntegerField(
        _("Assessment (0-100)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    note = models.CharField(_("Note"), max_length=300, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated = models.DateTimeField(auto_now=True)

    objects = ManualScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("Township assessment")
        verbose_name_plural = _("Township assessments")
        constraints = [models.UniqueConstraint(fields=["worker", "month"], name="one_manual_score_per_worker_month")]

    def __str__(self):
        return f"{self.worker} {self.month:%Y-%m} {self.percent}"
