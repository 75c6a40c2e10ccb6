"""Notifications: an outbox of one row per message per user, and pluggable senders.

Services put rows in the outbox inside their own transaction (so a message exists
exactly when the step it tells about happened). The page header counts the unread
ones. ``manage.py send_notifications`` (run by the worker after each sweep) hands
the unsent rows to the configured sender, ``SHANZHI_NOTIFICATION_SENDER``:

* :class:`LogSender` (the default) writes each message to the ``shanzhi.notifications``
  logger: the in-app inbox is the channel, the log is the delivery record.
* :class:`SmsGatewaySender` is the interface for an SMS gateway. Subclass it and
  implement :meth:`SmsGatewaySender.send_sms` with the gateway's own client (the
  county's operator, 阿里云短信, 腾讯云短信 ...), then point the setting at the subclass.
  A recipient without a mobile number is skipped (marked sent, nothing to deliver to);
  an exception from ``send_sms`` counts as a failed attempt and the row is retried by
  the next run, up to ``SHANZHI_NOTIFICATION_MAX_ATTEMPTS`` times.

A sender is any object with ``send(notification) -> None`` that raises on failure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from shanzhi.accounts.choices import Role
from shanzhi.accounts.models import RoleAssignment
from shanzhi.cases import conf
from shanzhi.cases.models import Notification
from shanzhi.core.validators import is_local_path

logger = logging.getLogger("shanzhi.notifications")


class LogSender:
    """Write each message to the log; the in-app inbox shows it to the user."""

    def send(self, notification: Notification) -> None:
        logger.info(
            "notification %s to user %s (%s): %s",
            notification.pk,
            notification.recipient_id,
            notification.kind,
            notification.text,
        )


class SmsGatewaySender:
    """Base class for an SMS gateway. Implement :meth:`send_sms`; keep messages under 70 characters."""

    signature = "【善治】"

    def send(self, notification: Notification) -> None:
        phone = notification.recipient.phone
        if not phone:
            return
        self.send_sms(phone, f"{self.signature}{notification.text}")

    def send_sms(self, phone: str, text: str) -> None:  # pragma: no cover - the county's gateway implements it
        raise NotImplementedError("Subclass SmsGatewaySender and implement send_sms(phone, text)")


def get_sender():
    return import_string(conf.NOTIFICATION_SENDER)()


def notify(
    user_ids: Iterable[int], *, kind: str, text: str, case=None, exclude: int | None = None, link: str = ""
) -> int:
    """Put one message per distinct user in the outbox; returns how many.

    ``link`` is a path on this site (``/dashboard/reports/7/``) for messages that are not about a case.
    """
    if link and not is_local_path(link):
        raise ValueError("a notification link is a path on this site")
    now = timezone.now()
    rows = [
        Notification(recipient_id=uid, kind=kind, text=str(text)[:300], case=case, link=link[:200], created=now)
        for uid in sorted(set(user_ids))
        if uid is not None and uid != exclude
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def _assignment_users(q: Q) -> list[int]:
    return list(RoleAssignment.objects.filter(q, active=True, user__is_active=True).values_list("user_id", flat=True))


def department_users(department_ids: Iterable[int]) -> list[int]:
    ids = [d for d in department_ids if d]
    if not ids:
        return []
    return _assignment_users(Q(role=Role.DEPARTMENT_HANDLER, department_id__in=ids))


def area_role_users(grid_path: str, role: str) -> list[int]:
    """Users holding ``role`` on the grid or any area above it."""
    parts = grid_path.strip("/").split("/")
    paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return _assignment_users(Q(role=role, area__path__in=paths))


def command_centre_users(grid_path: str) -> list[int]:
    return area_role_users(grid_path, Role.COMMAND_CENTRE)


def supervisor_users(grid_path: str) -> list[int]:
    return area_role_users(grid_path, Role.SUPERVISOR)


def county_admin_users() -> list[int]:
    return _assignment_users(Q(role=Role.COUNTY_ADMIN, area__parent__isnull=True))


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.for_user(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def deliver_outbox(*, limit: int = 500, sender=None) -> dict:
    """Hand unsent messages to the sender. Each row is claimed before sending, so two runs never both send it."""
    sender = sender or get_sender()
    sent = failed = 0
    candidates = list(Notification.objects.unsent().order_by("id").values_list("pk", "attempts")[:limit])
    for pk, attempts in candidates:
        # Claim: bump the attempt counter only if nobody else did since we read it.
        with transaction.atomic():
            claimed = Notification.objects.filter(
                pk=pk, attempts=attempts, sent_at__isnull=True, failed_at__isnull=True
            ).update(attempts=attempts + 1)
        if not claimed:
            continue
        notification = Notification.objects.select_related("recipient", "case").get(pk=pk)
        try:
            sender.send(notification)
        except Exception as exc:  # noqa: BLE001 - any gateway failure is retried later
            failed += 1
            updates = {"last_error": str(exc)[:300]}
            if attempts + 1 >= conf.NOTIFICATION_MAX_ATTEMPTS:
                updates["failed_at"] = timezone.now()
            Notification.objects.filter(pk=pk).update(**updates)
            logger.warning("notification %s failed: %s", pk, exc)
            continue
        Notification.objects.filter(pk=pk).update(sent_at=timezone.now(), last_error="")
        sent += 1
    return {"sent": sent, "failed": failed}
