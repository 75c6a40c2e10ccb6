from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts.choices import Role
from shanzhi.cases.choices import (
    CLOCK_STATUSES,
    CaseSource,
    CaseStatus,
    DayKind,
    DeadlineUnit,
    EscalationLevel,
    EventAction,
    NotificationKind,
    Priority,
)
from shanzhi.core.models import AppendOnlyModel, AppendOnlyQuerySet
from shanzhi.core.scoping import NOTHING, ScopedQuerySet, scope_for, subtree_q

# Roles that see every case in the part of the tree their assignment covers.
AREA_CASE_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.COMMAND_CENTRE, Role.VILLAGE_SECRETARY, Role.VILLAGE_CADRE, Role.GRID_WORKER}
)
SUPERVISOR_ROLE = "supervisor"


class Category(models.Model):
    """One entry of the county's managed list of case categories, with its routing and deadlines."""

    code = models.SlugField(_("Code"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=40, unique=True)
    default_department = models.ForeignKey(
        "areas.Department",
        verbose_name=_("Default lead department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_co_departments = models.ManyToManyField(
        "areas.Department", verbose_name=_("Default co-handling departments"), blank=True, related_name="+"
    )
    check_in_limit = models.PositiveIntegerField(_("Check-in time limit"), default=1)
    check_in_unit = models.CharField(
        _("Check-in limit unit"), max_length=12, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    resolution_limit = models.PositiveIntegerField(_("Resolution time limit"), default=5)
    resolution_unit = models.CharField(
        _("Resolution limit unit"), max_length=12, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    sort_order = models.PositiveIntegerField(_("Order"), default=0)
    active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Case category")
        verbose_name_plural = _("Case categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class CaseQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        """Cases the scope covers. Used when only a :class:`Scope` is at hand.

        ``for_user`` is more exact for users holding several roles (it pairs each
        assignment with its own rule); this method applies the union of the rules.
        """
        q = NOTHING
        area_roles = scope.roles & AREA_CASE_ROLES
        if scope.area_paths and area_roles:
            q |= subtree_q("grid__path", scope.area_paths)
        elif scope.area_paths and SUPERVISOR_ROLE in scope.roles:
            q |= subtree_q("grid__path", scope.area_paths) & Q(escalation_level__gt=0)
        if scope.department_ids:
            q |= Q(department_id__in=scope.department_ids) | Q(co_departments__in=scope.department_ids)
        if scope.household_ids:
            q |= Q(household_id__in=scope.household_ids)
        if Role.VILLAGER in scope.roles and scope.user_id:
            q |= Q(reporter_id=scope.user_id)
        return q

    def for_user(self, user):
        scope = scope_for(user)
        if scope.everything:
            return self.all()
        if scope.is_empty and Role.VILLAGER not in scope.roles:
            return self.none()
        q = NOTHING
        department_ids = []
        for assignment in user.active_assignments:
            if assignment.role in AREA_CASE_ROLES and assignment.area_id:
                q |= subtree_q("grid__path", [assignment.area.path])
            elif assignment.role == SUPERVISOR_ROLE and assignment.area_id:
                q |= subtree_q("grid__path", [assignment.area.path]) & Q(escalation_level__gt=0)
            elif assignment.role == Role.DEPARTMENT_HANDLER and assignment.department_id:
                department_ids.append(assignment.department_id)
            elif assignment.role == Role.VILLAGER:
                if assignment.household_id:
                    q |= Q(household_id=assignment.household_id)
                q |= Q(reporter_id=user.pk)
        if department_ids:
            co = CaseCoDepartment.objects.filter(department_id__in=department_ids).values("case_id")
            q |= Q(department_id__in=department_ids) | Q(pk__in=co)
        return self.filter(q)

    def open(self):
        return self.exclude(status__in=[CaseStatus.REJECTED, CaseStatus.MERGED, CaseStatus.CLOSED])

    def overdue(self, now=None):
        return self.filter(status__in=CLOCK_STATUSES, deadline__lt=now or timezone.now())


class Case(models.Model):
    """A problem raised for handling: the whistle, and everything that follows it."""

    number = models.CharField(_("Case number"), max_length=30, unique=True)
    title = models.CharField(_("Title"), max_length=100)
    description = models.TextField(_("Description"), max_length=4000)
    category = models.ForeignKey(Category, verbose_name=_("Category"), on_delete=models.PROTECT, related_name="cases")
    priority = models.CharField(_("Priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField(_("Source"), max_length=20, choices=CaseSource.choices)
    status = models.CharField(_("Status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.REPORTED)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("Reporter name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("Reporter phone"), max_length=20, blank=True)
    grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("Grid"),
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"level": "grid"},
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("Household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    location_lat = models.FloatField(_("Latitude"), null=True, blank=True)
    location_lng = models.FloatField(_("Longitude"), null=True, blank=True)
    address = models.CharField(_("Address"), max_length=200, blank=True)

    department = models.ForeignKey(
        "areas.Department",
        verbose_name=_("Lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    co_departments = models.ManyToManyField(
        "areas.Department",
        verbose_name=_("Co-handling departments"),
        blank=True,
        through="CaseCoDepartment",
        related_name="co_handled_cases",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("Merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    open311_key = models.ForeignKey(
        "Open311Key",
        verbose_name=_("Open311 integration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )

    # Deadlines: the limits as given at dispatch and the one running now (NULL when no clock runs).
    check_in_deadline = models.DateTimeField(_("Check-in deadline"), null=True, blank=True)
    resolution_deadline = models.DateTimeField(_("Resolution deadline"), null=True, blank=True)
    resolution_unit = models.CharField(
        _("Resolution limit unit"), max_length=12, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    deadline = models.DateTimeField(_("Current deadline"), null=True, blank=True)
    hold_remaining_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    on_hold_since = models.DateTimeField(_("On hold since"), null=True, blank=True)

    escalation_level = models.PositiveSmallIntegerField(
        _("Escalation"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    escalated_at = models.DateTimeField(_("Escalated at"), null=True, blank=True)
    overdue_since = models.DateTimeField(_("Overdue since"), null=True, blank=True)
    sweep_claim = models.CharField(max_length=32, blank=True, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("Times reopened"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("Times urged"), default=0)

    resolution = models.TextField(_("Result"), blank=True)
    rejection_reason = models.CharField(_("Rejection reason"), max_length=500, blank=True)
    satisfied = models.BooleanField(_("Satisfied"), null=True, blank=True)
    resolved_on_the_spot = models.BooleanField(_("Resolved on the spot"), default=False)

    reported_at = models.DateTimeField(_("Reported at"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(_("Accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("Dispatched at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("Checked in at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("Resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("Case")
        verbose_name_plural = _("Cases")
        ordering = ["-reported_at", "-id"]
        permissions = [
            ("report_case", _("Report cases")),
            ("triage_case", _("Accept, reject, merge and dispatch cases")),
            ("resolve_on_the_spot", _("Resolve cases on the spot")),
            ("handle_case", _("Check in, resolve and return dispatched cases")),
            ("follow_up_case", _("Follow up with reporters")),
            ("supervise_case", _("Supervise and urge escalated cases")),
            ("manage_cases", _("Manage case categories, calendar and Open311 keys")),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="case_status_deadline"),
            models.Index(fields=["grid", "status"], name="case_grid_status"),
            models.Index(fields=["department", "status"], name="case_department_status"),
            models.Index(fields=["escalation_level", "status"], name="case_escalation_status"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_merged_has_target",
                condition=~Q(status=CaseStatus.MERGED) | Q(merged_into__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_overdue(self) -> bool:
        return self.status in CLOCK_STATUSES and self.deadline is not None and self.deadline < timezone.now()

    @property
    def is_open(self) -> bool:
        return self.status not in (CaseStatus.REJECTED, CaseStatus.MERGED, CaseStatus.CLOSED)

    @property
    def location_label(self) -> str:
        if self.location_lat is None or self.location_lng is None:
            return ""
        return f"{self.location_lat:.5f}, {self.location_lng:.5f}"


class CaseCoDepartment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE)
    department = models.ForeignKey("areas.Department", on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="case_co_department_unique")]


class CaseEventQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return Q(case__in=Case.objects.filter(Case.objects.scope_q(scope)).values("pk"))

    def for_user(self, user):
        return self.filter(case__in=Case.objects.for_user(user).values("pk"))


class CaseEvent(AppendOnlyModel):
    """One step of a case's timeline: who did what, when, from which status to which."""

    case = models.ForeignKey(Case, verbose_name=_("Case"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("Action"), max_length=24, choices=EventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("Operator"), max_length=150, blank=True)
    created = models.DateTimeField(_("Time"), default=timezone.now)
    from_status = models.CharField(_("From"), max_length=12, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("To"), max_length=12, choices=CaseStatus.choices, blank=True)
    note = models.TextField(_("Note"), blank=True)
    department = models.ForeignKey(
        "areas.Department", verbose_name=_("Department"), null=True, blank=True, on_delete=models.PROTECT
    )
    data = models.JSONField(_("Details"), default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("Case event")
        verbose_name_plural = _("Case events")
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["case", "created"], name="case_event_case_created")]

    def __str__(self):
        return f"{self.case_id} {self.action}"


def attachment_path(instance, filename):
    now = timezone.now()
    return f"cases/{now:%Y/%m}/{secrets.token_hex(8)}{instance.extension}"


class CaseAttachmentQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return Q(case__in=Case.objects.filter(Case.objects.scope_q(scope)).values("pk"))

    def for_user(self, user):
        return self.filter(case__in=Case.objects.for_user(user).values("pk"))


class CaseAttachment(models.Model):
    """A photo or document attached to a case, usually to one event of its timeline."""

    case = models.ForeignKey(Case, verbose_name=_("Case"), on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("Event"), null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(_("File"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("File name"), max_length=200)
    content_type = models.CharField(_("Type"), max_length=60)
    size = models.PositiveIntegerField(_("Size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("Time"), auto_now_add=True)

    objects = CaseAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachments")
        ordering = ["created", "id"]

    def __str__(self):
        return self.original_name

    @property
    def extension(self) -> str:
        from shanzhi.core.uploads import EXTENSIONS

        return EXTENSIONS.get(self.content_type, "")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CalendarDay(models.Model):
    """A county's own correction to the working-day calendar (a make-up working day, an extra day off)."""

    date = models.DateField(_("Date"), unique=True)
    kind = models.CharField(_("Kind"), max_length=12, choices=DayKind.choices)
    note = models.CharField(_("Note"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Calendar day")
        verbose_name_plural = _("Calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"


class NotificationQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return Q(recipient_id=scope.user_id) if scope.user_id else NOTHING

    def for_user(self, user):
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def unsent(self):
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)


class Notification(models.Model):
    """One message to one user, kept in the outbox until the sender has delivered it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("Kind"), max_length=20, choices=NotificationKind.choices)
    case = models.ForeignKey(
        Case, verbose_name=_("Case"), null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("Message"), max_length=300)
    # A page of this site the message opens when it is not about a case (e.g. a finished report).
    link = models.CharField(_("Link"), max_length=200, blank=True)
    created = models.DateTimeField(_("Time"), default=timezone.now)
    read_at = models.DateTimeField(_("Read at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("Sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    last_error = models.CharField(_("Last error"), max_length=300, blank=True)
    failed_at = models.DateTimeField(_("Gave up at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Notification")
        verbose_name_plural = _("Notifications")
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["sent_at", "failed_at"], name="notification_outbox"),
        ]

    def __str__(self):
        return self.text


class Open311KeyQuerySet(models.QuerySet):
    def live(self):
        return self.filter(active=True)


class Open311Key(models.Model):
    """An API key issued by a county admin to one Open311 integration (12345 hotline, a city app)."""

    name = models.CharField(_("Integration"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("Key prefix"), max_length=8, editable=False)
    default_grid = models.ForeignKey(
        "areas.Area",
        verbose_name=_("Default grid"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "grid"},
        help_text=_("Requests whose location matches no grid are filed here for the command centre to re-route."),
    )
    source = models.CharField(_("Source"), max_length=20, choices=CaseSource.choices, default=CaseSource.OPEN311)
    active = models.BooleanField(_("Active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    objects = Open311KeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class CaseNumberSequence(models.Model):
    """The last number given out per year, so case numbers never repeat and never skip under load."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Case number sequence")
        verbose_name_plural = _("Case number sequence")


__all__ = [
    "Case",
    "CaseAttachment",
    "CaseCoDepartment",
    "CaseEvent",
    "CaseNumberSequence",
    "CalendarDay",
    "Category",
    "EscalationLevel",
    "EventAction",
    "Notification",
    "Open311Key",
]
