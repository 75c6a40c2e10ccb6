from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts.choices import ROLE_SCOPE_LEVEL, Role
from shanzhi.core.scoping import Scope


class User(AbstractUser):
    """A person who logs in: staff of the county, townships, departments and villages, or a villager."""

    display_name = models.CharField(_("Full name"), max_length=50, blank=True)
    phone = models.CharField(_("Mobile"), max_length=20, null=True, blank=True, unique=True)
    must_change_password = models.BooleanField(_("Must change password at next login"), default=False)
    # Login policy (shanzhi.accounts.security): consecutive failures since the last
    # successful login, and the end of the current lock.
    failed_login_count = models.PositiveSmallIntegerField(_("Failed logins in a row"), default=0, editable=False)
    locked_until = models.DateTimeField(_("Locked until"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("User")
        verbose_name_plural = _("User")
        permissions = [("manage_users", _("Manage users and roles"))]

    def __str__(self):
        return self.display_name or self.username

    @cached_property
    def active_assignments(self) -> list[RoleAssignment]:
        return list(self.role_assignments.filter(active=True).select_related("area", "department", "household"))

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(a.role for a in self.active_assignments)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser and Role.COUNTY_ADMIN in roles or bool(self.roles.intersection(roles))

    @cached_property
    def scope(self) -> Scope:
        if not self.is_active:
            return Scope()
        if self.is_superuser:
            return Scope(everything=True, roles=self.roles | {Role.COUNTY_ADMIN}, user_id=self.pk)
        paths, departments, households = [], [], []
        everything = False
        for assignment in self.active_assignments:
            if assignment.role == Role.COUNTY_ADMIN and assignment.area and assignment.area.parent_id is None:
                everything = True
            elif assignment.area_id:
                paths.append(assignment.area.path)
            if assignment.department_id:
                departments.append(assignment.department_id)
            if assignment.household_id:
                households.append(assignment.household_id)
        return Scope(
            everything=everything,
            area_paths=tuple(paths),
            department_ids=tuple(departments),
            household_ids=tuple(households),
            roles=self.roles,
            user_id=self.pk,
        )

    @property
    def is_county_admin(self) -> bool:
        return self.is_superuser or Role.COUNTY_ADMIN in self.roles

    @property
    def is_staff_member(self) -> bool:
        return self.is_superuser or bool(self.roles - {Role.VILLAGER})

    def primary_assignment(self) -> RoleAssignment | None:
        order = list(Role.values)
        assignments = sorted(self.active_assignments, key=lambda a: order.index(a.role))
        return assignments[0] if assignments else None


class RoleAssignment(models.Model):
    """A role held by a user over one part of the county: an area, a department or a household."""

    user = models.ForeignKey(User, verbose_name=_("User"), on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("Role"), max_length=30, choices=Role.choices)
    area = models.ForeignKey("areas.Area", verbose_name=_("Area"), null=True, blank=True, on_delete=models.PROTECT)
    department = models.ForeignKey(
        "areas.Department", verbose_name=_("Department"), null=True, blank=True, on_delete=models.PROTECT
    )
    household = models.ForeignKey(
        "people.Household", verbose_name=_("Household"), null=True, blank=True, on_delete=models.PROTECT
    )
    active = models.BooleanField(_("Active"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        User, verbose_name=_("Granted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("Role assignments")
        verbose_name_plural = _("Role assignments")
        constraints = [
            models.CheckConstraint(
                name="role_assignment_has_one_target",
                condition=(
                    Q(area__isnull=False, department__isnull=True, household__isnull=True)
                    | Q(area__isnull=True, department__isnull=False, household__isnull=True)
                    | Q(area__isnull=True, department__isnull=True, household__isnull=False)
                ),
            ),
        ]
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.target}"

    @property
    def target(self):
        return self.area or self.department or self.household

    @property
    def scope_level(self) -> str:
        return ROLE_SCOPE_LEVEL[self.role]


class APITokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked__isnull=True, expires__gt=timezone.now())


class APIToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    objects = APITokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API token")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "sz_" + secrets.token_urlsafe(32)


class FailedLogin(models.Model):
    """One failed login attempt, counted per client address for throttling.

    Kept for a day (older rows are removed as new ones arrive); the audit log keeps
    the permanent record.
    """

    ip = models.GenericIPAddressField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Failed login")
        verbose_name_plural = _("Failed logins")
        indexes = [models.Index(fields=["ip", "created"]), models.Index(fields=["created"])]

    def __str__(self):
        return f"{self.ip} {self.username} {self.created:%Y-%m-%d %H:%M}"
