from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.core.choices import Outcome
from shanzhi.core.scoping import NOTHING, ScopedQuerySet


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove a row of an append-only table."""


class AppendOnlyQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """A row that is written once and never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class RowidOneToOneField(models.OneToOneField):
    """A one-to-one primary key that, on SQLite, is the table's rowid.

    SQLite makes an ``INTEGER PRIMARY KEY`` column the rowid itself; any other declared
    type (Django declares ``bigint`` for a key pointing at a BigAutoField) gets a separate
    unique index beside the table, one more b-tree and one more page written per row.
    SQLite's INTEGER holds 64 bits, so nothing is lost; other databases keep Django's type.
    """

    def db_type(self, connection):
        if self.primary_key and connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AuditLogQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        # County admins see everything (handled by ``everything``); others only their own rows.
        return Q(actor_id=scope.user_id) if scope.user_id else NOTHING


class AuditLog(AppendOnlyModel):
    """Who did what, when, from where, to which record, with before/after values."""

    # Set by shanzhi.core.audit.record under the chain lock (and covered by the hash).
    created = models.DateTimeField(_("Time"), default=timezone.now, editable=False, db_index=True)
    # No index of its own for actor or object type: the (actor, created) and (object_type,
    # object_id) indexes below lead with them, and every index is a page written per row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(_("Operator account"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("Client"), max_length=255, blank=True)
    action = models.CharField(_("Action"), max_length=100, db_index=True)
    object_type = models.CharField(_("Object type"), max_length=100, blank=True)
    object_id = models.CharField(_("Object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("Object"), max_length=200, blank=True)
    before = models.JSONField(_("Before"), null=True, blank=True)
    after = models.JSONField(_("After"), null=True, blank=True)
    outcome = models.CharField(_("Result"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    extra = models.JSONField(_("Additional information"), default=dict, blank=True)
    # The SM3 hash chain (see shanzhi.core.audit): each row's hash covers its content and
    # the hash of the row before it, so a changed, removed or inserted row breaks the chain.
    prev_hash = models.CharField(_("Previous hash"), max_length=64, default="", editable=False)
    row_hash = models.CharField(_("Row hash"), max_length=64, default="", editable=False)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("Audit log")
        verbose_name_plural = _("Audit log")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["actor", "created"])]

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class AuditCheckpointQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return NOTHING


class AuditCheckpoint(AppendOnlyModel):
    """Where the audit chain starts after a purge: the hash of the last row removed.

    ``shanzhi audit purge`` removes a prefix of the chain and writes one of these; the
    first remaining row must link to ``through_hash``, so the chain still verifies.
    """

    created = models.DateTimeField(_("Time"), auto_now_add=True)
    purged_before = models.DateTimeField(_("Purged rows older than"))
    through_id = models.BigIntegerField(_("Last purged row"))
    through_hash = models.CharField(_("Hash of the last purged row"), max_length=64)
    rows_purged = models.PositiveIntegerField(_("Rows purged"))
    actor_label = models.CharField(_("Operator account"), max_length=150, blank=True)

    objects = AuditCheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("Audit checkpoint")
        verbose_name_plural = _("Audit checkpoints")
        ordering = ["-id"]

    def __str__(self):
        return f"#{self.through_id} {self.through_hash[:12]}"


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an ``Idempotency-Key``, replayed to retries.

    The row is inserted in the same transaction as the write it guards, so a concurrent
    retry with the same key waits on the unique index and then reads the stored answer.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    operation = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Idempotency record")
        verbose_name_plural = _("Idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "operation", "key"], name="idempotency_unique_key")]

    def __str__(self):
        return f"{self.operation} {self.key}"
