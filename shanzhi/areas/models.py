from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.choices import AreaLevel, DepartmentKind
from shanzhi.core.scoping import ScopedQuerySet, subtree_q

code_validator = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z_-]{0,39}$", _("Code may contain only letters, digits, - and _.")
)


class AreaQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return subtree_q("path", scope.area_paths)

    def current(self, on: dt.date | None = None):
        """Areas valid on ``on`` (today by default): redrawn grids keep their history."""
        on = on or timezone.localdate()
        return self.filter(Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gt=on))

    def subtree(self, area: Area):
        return self.filter(subtree_q("path", [area.path]))

    def of_level(self, level: str):
        return self.filter(level=level)


class Area(models.Model):
    """One node of the county tree: county → township → village → grid."""

    parent = models.ForeignKey(
        "self", verbose_name=_("Parent area"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField(_("Level"), max_length=10, choices=AreaLevel.choices, db_index=True)
    code = models.CharField(_("Code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("Name"), max_length=100)
    path = models.CharField(_("Path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("Depth"), editable=False, default=0)
    centroid_lat = models.FloatField(_("Centre latitude"), null=True, blank=True)
    centroid_lng = models.FloatField(_("Centre longitude"), null=True, blank=True)
    boundary = models.JSONField(_("Boundary (GeoJSON)"), null=True, blank=True)
    valid_from = models.DateField(_("Activation date"), default=dt.date(2000, 1, 1))
    valid_to = models.DateField(_("Deactivation date"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("Order"), default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("Area")
        verbose_name_plural = _("Area")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="area_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["level", "path"])]

    def __str__(self):
        return self.name

    def build_path(self) -> str:
        return (self.parent.path if self.parent_id else "/") + self.code + "/"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.valid_from <= today and (self.valid_to is None or self.valid_to > today)

    def ancestors(self):
        parts = [p for p in self.path.strip("/").split("/")][:-1]
        return Area.objects.filter(code__in=parts).order_by("depth")

    def full_name(self) -> str:
        names = [a.name for a in self.ancestors() if a.level != AreaLevel.COUNTY] + [self.name]
        return " / ".join(names)

    def ancestor_code(self, level: str) -> str | None:
        """Code of the ancestor at ``level`` read from the path, without a query."""
        index = [AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE, AreaLevel.GRID].index(level)
        parts = self.path.strip("/").split("/")
        return parts[index] if index < len(parts) else None


class DepartmentQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        # Staff see departments serving their part of the tree; handlers see their own.
        q = Q(pk__in=scope.department_ids) if scope.department_ids else Q(pk__in=[])
        if scope.area_paths:
            q |= subtree_q("area__path", scope.area_paths)
            q |= Q(kind=DepartmentKind.COUNTY_BUREAU)
        return q


class Department(models.Model):
    """A county bureau or township station that handles dispatched cases."""

    name = models.CharField(_("Name"), max_length=100)
    code = models.CharField(_("Code"), max_length=40, unique=True, validators=[code_validator])
    kind = models.CharField(_("Category"), max_length=20, choices=DepartmentKind.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("Area"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("County departments serve the whole county; township offices belong to their township."),
    )
    phone = models.CharField(_("Phone"), max_length=20, blank=True)
    active = models.BooleanField(_("Active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Department")
        verbose_name_plural = _("Department")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="department_unique_name_in_area")]

    def __str__(self):
        return self.name
