from __future__ import annotations

import base64
import time

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shanzhi.accounts import security
from shanzhi.accounts.forms import CodeForm, LoginForm, ShanzhiPasswordChangeForm
from shanzhi.accounts.middleware import OTP_STATE
from shanzhi.accounts.services import set_password
from shanzhi.core import audit
from shanzhi.core.choices import Outcome
from shanzhi.core.middleware import client_ip
from shanzhi.core.models import AuditLog

PENDING = "_shanzhi_pending_login"
PENDING_SECONDS = 300  # the code must follow the password within 5 minutes


class LoginView(auth_views.LoginView):
    """Step one: username (or mobile) and password. Users with an authenticator go on to step two."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        device = security.confirmed_device(user)
        if device is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("accounts:login_verify")

    def form_invalid(self, form):
        response = super().form_invalid(form)
        code = form.refusal_code
        if code == security.ACCOUNT_LOCKED:
            response.status_code = 403
        elif code == security.THROTTLED:
            response.status_code = 429
        return response


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


@require_http_methods(["GET", "POST"])
def login_verify(request):
    """Step two: the code from the authenticator app."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Please log in again."))
        return redirect("accounts:login")
    device = security.confirmed_device(user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        refusal = security.refusal_before_password(user, ip)
        if refusal is None and device is not None and security.verify_code(device, form.cleaned_data["code"]):
            request.session.pop(PENDING, None)
            user.backend = pending["backend"]
            user.otp_device = device  # django_otp keeps it in the session on login
            auth_login(request, user)
            request.session[OTP_STATE] = "verified"
            target = pending.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "/"
            return HttpResponseRedirect(target)
        if refusal is None:
            refusal = security.note_failure(user, ip=ip, username=user.get_username(), reason=security.OTP_INVALID)
        audit.record(
            "accounts.login_failed",
            outcome=Outcome.DENIED if refusal.code != security.OTP_INVALID else Outcome.FAILURE,
            actor_label=user.get_username(),
            object_type="accounts.user",
            object_id=str(user.pk),
            channel="web",
            reason=refusal.code,
        )
        if refusal.code == security.ACCOUNT_LOCKED:
            request.session.pop(PENDING, None)
            return render(
                request, "accounts/login_verify.html", {"locked": True, "error": refusal.message()}, status=403
            )
        form.add_error(None, refusal.message())
        if refusal.code == security.THROTTLED:
            status = 429
    return render(request, "accounts/login_verify.html", {"form": form, "locked": False}, status=status)


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#1a1a1a", light="#ffffff")


def _grouped_secret(device) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Bind an authenticator app (scan the QR code, confirm one code), or remove it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = request.user
    device = security.confirmed_device(user)
    required = security.otp_required_for(user)
    action = request.POST.get("action", "")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if device is not None:
        if action == "remove" and form.is_valid():
            if security.verify_code(device, form.cleaned_data["code"]):
                TOTPDevice.objects.filter(user=user).delete()
                audit.record("accounts.otp.removed", actor=user, obj=user)
                request.session.pop(OTP_STATE, None)
                request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
                messages.success(request, _("The authenticator app was removed from your account."))
                return redirect("accounts:two_factor")
            form.add_error("code", _("The verification code is incorrect or has expired."))
        return render(
            request,
            "accounts/two_factor.html",
            {"device": device, "form": form if action == "remove" else CodeForm(), "required": required},
        )
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    if action == "confirm" and form.is_valid():
        if security.verify_code(pending, form.cleaned_data["code"]):
            pending.confirmed = True
            pending.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            user.otp_device = pending
            django_otp.login(request, pending)
            request.session[OTP_STATE] = "verified"
            audit.record("accounts.otp.enrolled", actor=user, obj=user)
            messages.success(request, _("Authenticator app bound. From now on you log in with a code from it."))
            return redirect("accounts:two_factor")
        form.add_error("code", _("The verification code is incorrect or has expired."))
    return render(
        request,
        "accounts/two_factor.html",
        {
            "device": None,
            "form": form if action == "confirm" else CodeForm(),
            "required": required,
            "qr_svg": _qr_svg(pending.config_url),
            "secret": _grouped_secret(pending),
        },
    )


HISTORY_ACTIONS = (
    "accounts.login",
    "accounts.logout",
    "accounts.login_failed",
    "accounts.user.locked",
    "accounts.user.unlocked",
    "accounts.token.issued",
    "accounts.password_changed",
    "accounts.password_reset",
    "accounts.otp.enrolled",
    "accounts.otp.removed",
    "accounts.otp.reset",
)


def login_history_queryset(user):
    """The rows about the user's own account: their logins and the attempts made in their name."""
    return AuditLog.objects.filter(
        Q(actor_id=user.pk) | Q(object_type="accounts.user", object_id=str(user.pk)),
        action__in=HISTORY_ACTIONS,
    ).order_by("-created", "-id")


@login_required
def login_history(request):
    page = Paginator(login_history_queryset(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "accounts/login_history.html", {"page": page, "query": ""})


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ShanzhiPasswordChangeForm
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        user = form.user
        set_password(user, form.cleaned_data["new_password1"], actor=user, must_change_password=False)
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Password changed."))
        return HttpResponseRedirect(self.get_success_url())
