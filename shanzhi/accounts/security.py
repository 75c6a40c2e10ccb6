"""The login policy: account lockout, per-address throttling, the TOTP second factor.

Every door in (the login page, the Django admin's login, ``POST /api/v1/auth/token``)
goes through :class:`shanzhi.accounts.backends.ShanzhiBackend`, which applies
:func:`refusal_before_password` and :func:`note_failure`. Counters live in the database
so they hold across server processes and on both engines:

- ``User.failed_login_count`` counts failures in a row (wrong password or wrong TOTP
  code); at ``SHANZHI_LOGIN_MAX_FAILURES`` the account is locked until
  ``User.locked_until``, and even the right password is refused until then. A complete
  login (password and, where enrolled, the code) resets the count.
- :class:`FailedLogin` rows count failures per client address; past
  ``SHANZHI_LOGIN_IP_MAX_FAILURES`` within ``SHANZHI_LOGIN_IP_WINDOW`` seconds that
  address is refused (HTTP 429) until the oldest failure leaves the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.models import FailedLogin, User
from shanzhi.core import audit
from shanzhi.core.choices import Outcome

ACCOUNT_LOCKED = "account_locked"
THROTTLED = "throttled"
INVALID_CREDENTIALS = "invalid_credentials"
OTP_REQUIRED = "otp_required"
OTP_INVALID = "otp_invalid"
OTP_ENROLMENT_REQUIRED = "otp_enrolment_required"
PASSWORD_CHANGE_REQUIRED = "password_change_required"

FAILED_LOGIN_KEEP = dt.timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt was refused, kept on the request for the page or API to explain."""

    code: str
    until: dt.datetime | None = None
    user_id: int | None = None

    @property
    def status(self) -> int:
        return {ACCOUNT_LOCKED: 403, THROTTLED: 429}.get(self.code, 401)

    @property
    def retry_after_seconds(self) -> int | None:
        if self.until is None:
            return None
        return max(1, int((self.until - timezone.now()).total_seconds()) + 1)

    def message(self) -> str:
        local = timezone.localtime(self.until).strftime("%H:%M") if self.until else ""
        if self.code == ACCOUNT_LOCKED:
            return _(
                "Too many failed attempts: this account is locked until %(time)s. "
                "Try again after that, or ask the county administrator to unlock it."
            ) % {"time": local}
        if self.code == THROTTLED:
            return _("Too many failed logins from this network. Please try again after %(time)s.") % {"time": local}
        if self.code == OTP_INVALID:
            return _("The verification code is incorrect or has expired.")
        if self.code == OTP_REQUIRED:
            return _("Enter the 6-digit code from your authenticator app.")
        return _("Incorrect username (or mobile) or password.")


REFUSAL_ATTRIBUTE = "shanzhi_login_refusal"


def remember_refusal(request, refusal: Refusal) -> None:
    if request is not None:
        setattr(request, REFUSAL_ATTRIBUTE, refusal)


def refusal_of(request) -> Refusal | None:
    return getattr(request, REFUSAL_ATTRIBUTE, None)


def ip_throttled_until(ip: str | None) -> dt.datetime | None:
    """When ``ip`` may try again, if it has used up its failures in the window."""
    if not ip:
        return None
    window = dt.timedelta(seconds=settings.SHANZHI_LOGIN_IP_WINDOW)
    now = timezone.now()
    recent = FailedLogin.objects.filter(ip=ip, created__gt=now - window).order_by("-created")
    limit = settings.SHANZHI_LOGIN_IP_MAX_FAILURES
    times = list(recent.values_list("created", flat=True)[:limit])
    if len(times) < limit:
        return None
    return times[-1] + window  # the oldest counted failure leaves the window then


def locked_until(user: User) -> dt.datetime | None:
    if user.locked_until and user.locked_until > timezone.now():
        return user.locked_until
    return None


def refusal_before_password(user: User | None, ip: str | None) -> Refusal | None:
    """A refusal that applies whatever the password: a throttled address or a locked account."""
    until = ip_throttled_until(ip)
    if until:
        return Refusal(THROTTLED, until, user.pk if user else None)
    if user is not None:
        until = locked_until(user)
        if until:
            return Refusal(ACCOUNT_LOCKED, until, user.pk)
    return None


def note_failure(user: User | None, *, ip: str | None, username: str, reason: str = INVALID_CREDENTIALS) -> Refusal:
    """Count a failed attempt against the address and the account; lock the account at the limit."""
    now = timezone.now()
    FailedLogin.objects.filter(created__lt=now - FAILED_LOGIN_KEEP).delete()
    FailedLogin.objects.create(ip=ip or None, username=username[:150], created=now)
    if user is None:
        return Refusal(reason)
    if locked_until(user):  # attempts during a lock do not extend it
        return Refusal(ACCOUNT_LOCKED, user.locked_until, user.pk)
    User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    count = User.objects.filter(pk=user.pk).values_list("failed_login_count", flat=True).get()
    user.failed_login_count = count
    if count < settings.SHANZHI_LOGIN_MAX_FAILURES:
        return Refusal(reason, None, user.pk)
    until = now + dt.timedelta(minutes=settings.SHANZHI_LOGIN_LOCK_MINUTES)
    User.objects.filter(pk=user.pk).update(locked_until=until, failed_login_count=0)
    user.locked_until, user.failed_login_count = until, 0
    audit.record(
        "accounts.user.locked",
        obj=user,
        outcome=Outcome.DENIED,
        actor_label=username,
        failures=count,
        until=until,
    )
    return Refusal(ACCOUNT_LOCKED, until, user.pk)


def note_success(user: User) -> None:
    """A complete login (every factor passed): the count of failures starts again."""
    if user.failed_login_count or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.failed_login_count, user.locked_until = 0, None


def unlock(user: User, *, actor) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    user.failed_login_count, user.locked_until = 0, None
    audit.record("accounts.user.unlocked", actor=actor, obj=user)


# --- the second factor ------------------------------------------------------------------


def otp_required_for(user: User) -> bool:
    """Whether the user's roles oblige them to use an authenticator app."""
    required = set(settings.SHANZHI_OTP_REQUIRED_ROLES)
    if not required:
        return False
    roles = set(user.roles)
    if user.is_superuser:
        roles.add("county_admin")
    return bool(roles & required)


def confirmed_device(user: User):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if user is None or not user.pk:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def verify_code(device, code: str) -> bool:
    """Check a TOTP code (replays and django-otp's back-off throttle are refused)."""
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return False
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _why = locked.verify_is_allowed()
        return bool(allowed and locked.verify_token(code))
