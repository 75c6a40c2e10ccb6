"""Audit every login, logout and failed login, whichever door it came through."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from shanzhi.core import audit
from shanzhi.core.choices import Outcome


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record("accounts.login", actor=user, obj=user, channel="web")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record("accounts.logout", actor=user, obj=user, channel="web")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    attempted = str(credentials.get("username", ""))[:150]
    audit.record(
        "accounts.login_failed",
        outcome=Outcome.FAILURE,
        actor_label=attempted,
        object_type="accounts.user",
        channel="api" if request is None else "web",
    )
