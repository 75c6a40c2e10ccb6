"""Session limits, the gates a logged-in user must pass, and the production start-up guard.

- :class:`SessionPolicyMiddleware` ends a session 30 minutes after its last request
  (``SHANZHI_SESSION_IDLE_SECONDS``) and 12 hours after login (``SESSION_COOKIE_AGE``),
  on the server, whatever the browser keeps.
- :class:`LoginGateMiddleware` sends a user who must change their password, or who
  must enrol an authenticator app, to that page before anything else; a session that
  skipped the second factor of an enrolled user is ended.
- :class:`ProductionGuardMiddleware` refuses to start a production server while demo
  accounts with the demo password exist (gunicorn loads middleware at start-up).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shanzhi.accounts import security

LOGIN_AT = "_shanzhi_login_at"
SEEN_AT = "_shanzhi_seen_at"
# The session's second-factor state, worked out on its first request: "verified" (the
# code was given), "required" (the role needs an app not yet bound) or "none".
OTP_STATE = "_shanzhi_otp_state"
SEEN_RESOLUTION_SECONDS = 60  # the last-seen time is saved at most once a minute

# Paths any logged-in user may reach while a gate is closed.
_OPEN_PREFIXES = ("/static/", "/media/", "/jsi18n/", "/i18n/", "/healthz", "/favicon")


def start_session_clock(request) -> None:
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or request.headers.get("Accept", "").startswith("application/json")


def _json_refusal(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "fields": {}}, status=status, json_dumps_params={"ensure_ascii": False}
    )


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            if session.get(LOGIN_AT) is None:  # a session opened before these limits existed
                start_session_clock(request)
            expired = self._expired(session)
            if expired:
                return self._end(request, expired)
        return self.get_response(request)

    def _expired(self, session) -> str:
        now = time.time()
        login_at, seen_at = float(session[LOGIN_AT]), float(session.get(SEEN_AT) or session[LOGIN_AT])
        if now - login_at > settings.SESSION_COOKIE_AGE:
            return "absolute"
        if now - seen_at > settings.SHANZHI_SESSION_IDLE_SECONDS:
            return "idle"
        if now - seen_at > SEEN_RESOLUTION_SECONDS:
            session[SEEN_AT] = now
        return ""

    def _end(self, request, reason: str):
        request.shanzhi_logout_reason = f"session_{reason}"
        path = request.get_full_path()
        logout(request)
        message = (
            _("You were logged out after 30 minutes without activity. Please log in again.")
            if reason == "idle"
            else _("Your session reached its 12-hour limit. Please log in again.")
        )
        if _wants_json(request):
            return _json_refusal(401, "session_expired", message)
        messages.info(request, message)
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': path})}")


class LoginGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_OPEN_PREFIXES):
            return self.get_response(request)
        session = getattr(request, "session", None)
        state = session.get(OTP_STATE) if session is not None else None
        if state is None:
            device = security.confirmed_device(user)
            if device is not None and not user.is_verified():
                # A session opened without the code (for instance through another login form).
                request.shanzhi_logout_reason = "otp_missing"
                logout(request)
                if _wants_json(request):
                    return _json_refusal(
                        401, security.OTP_REQUIRED, _("Please log in again with your authenticator code.")
                    )
                return redirect("accounts:login")
            state = "verified" if device is not None else ("required" if security.otp_required_for(user) else "none")
            if session is not None:
                session[OTP_STATE] = state
        allowed = {reverse("accounts:logout")}
        if user.must_change_password:
            target = reverse("accounts:password_change")
            if request.path not in allowed | {target}:
                message = _("You must change your password before continuing.")
                if _wants_json(request):
                    return _json_refusal(403, security.PASSWORD_CHANGE_REQUIRED, message)
                messages.warning(request, message)
                return redirect(target)
        elif state == "required":
            target = reverse("accounts:two_factor")
            if request.path not in allowed | {target}:
                message = _("Your role requires an authenticator app. Please bind one now.")
                if _wants_json(request):
                    return _json_refusal(403, security.OTP_ENROLMENT_REQUIRED, message)
                messages.warning(request, message)
                return redirect(target)
        return self.get_response(request)


def demo_password_accounts() -> list[str]:
    """Usernames of demo accounts that still open with the published demo password."""
    from django.contrib.auth.hashers import check_password
    from django.db import DatabaseError

    from shanzhi.accounts.models import User
    from shanzhi.demo.builder import DEMO_ACCOUNTS, DEMO_PASSWORD

    names = [username for username, *_rest in DEMO_ACCOUNTS]
    try:
        rows = list(User.objects.filter(username__in=names, is_active=True).values_list("username", "password"))
    except DatabaseError:  # not migrated yet: nothing to find
        return []
    found, verdicts = [], {}
    for username, encoded in rows:
        if encoded not in verdicts:  # the demo builder gives every demo account one hash
            verdicts[encoded] = check_password(DEMO_PASSWORD, encoded)
        if verdicts[encoded]:
            found.append(username)
    return sorted(found)


class ProductionGuardMiddleware:
    """Runs once when the server loads its middleware; not part of any request."""

    def __init__(self, get_response):
        if settings.PRODUCTION:
            found = demo_password_accounts()
            if found:
                raise ImproperlyConfigured(
                    "refusing to start in production: demo accounts still have the demo password: "
                    + ", ".join(found)
                    + " (deactivate them or change their passwords)"
                )
        raise MiddlewareNotUsed
