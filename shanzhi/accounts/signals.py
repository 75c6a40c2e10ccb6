"""Audit every login, logout and failed login, whichever door it came through."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from shanzhi.accounts import security
from shanzhi.core import audit
from shanzhi.core.choices import Outcome


def _channel(request) -> str:
    if request is None:
        return "system"
    path = getattr(request, "path", "")
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "web"


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    security.note_success(user)
    if request is not None and hasattr(request, "session"):
        from shanzhi.accounts.middleware import start_session_clock

        start_session_clock(request)
    second_factor = bool(getattr(user, "otp_device", None))
    audit.record("accounts.login", actor=user, obj=user, channel=_channel(request), otp=second_factor)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, "shanzhi_logout_reason", "") if request is not None else ""
        extra = {"reason": reason} if reason else {}
        audit.record("accounts.logout", actor=user, obj=user, channel=_channel(request), **extra)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    attempted = str(credentials.get("username", ""))[:150]
    refusal = security.refusal_of(request)
    code = refusal.code if refusal else security.INVALID_CREDENTIALS
    audit.record(
        "accounts.login_failed",
        outcome=Outcome.DENIED if code in (security.ACCOUNT_LOCKED, security.THROTTLED) else Outcome.FAILURE,
        actor_label=attempted,
        object_type="accounts.user",
        object_id=str(refusal.user_id) if refusal and refusal.user_id else "",
        channel=_channel(request),
        reason=code,
    )
