from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema

from shanzhi.accounts import security
from shanzhi.accounts.services import describe_roles, issue_token, set_password
from shanzhi.core import audit
from shanzhi.core.api_schemas import ERRORS, ErrorOut
from shanzhi.core.choices import Outcome
from shanzhi.core.errors import DomainError
from shanzhi.core.middleware import client_ip

router = Router(tags=["auth"])
LOGIN_ERRORS = {**ERRORS, 429: ErrorOut}


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = None


class PasswordChangeIn(TokenIn):
    new_password: str


class TokenOut(Schema):
    token: str
    expires: dt.datetime


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    permissions: list[str]


class LoginRefused(DomainError):
    def __init__(self, refusal: security.Refusal):
        super().__init__(refusal.message(), code=refusal.code, status=refusal.status)
        self.retry_after = refusal.retry_after_seconds if refusal.code == security.THROTTLED else None


def _refused(request, exc: LoginRefused):
    from shanzhi.api import error_response

    response = error_response(request, exc.status, exc.code, exc.message, exc.fields)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _authenticate_fully(request, payload: TokenIn):
    """Password, then the authenticator code for users who have one; every refusal is explained."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise LoginRefused(security.refusal_of(request) or security.Refusal(security.INVALID_CREDENTIALS))
    device = security.confirmed_device(user)
    if device is not None:
        if not (payload.otp or "").strip():
            raise DomainError(security.Refusal(security.OTP_REQUIRED).message(), code=security.OTP_REQUIRED, status=401)
        if not security.verify_code(device, payload.otp):
            refusal = security.note_failure(
                user, ip=client_ip(request), username=user.get_username(), reason=security.OTP_INVALID
            )
            audit.record(
                "accounts.login_failed",
                outcome=Outcome.FAILURE if refusal.code == security.OTP_INVALID else Outcome.DENIED,
                actor_label=user.get_username(),
                object_type="accounts.user",
                object_id=str(user.pk),
                channel="api",
                reason=refusal.code,
            )
            raise LoginRefused(refusal)
    elif security.otp_required_for(user):
        raise DomainError(
            _("Your role requires an authenticator app. Log in on the web page once to bind it."),
            code=security.OTP_ENROLMENT_REQUIRED,
            status=403,
        )
    return user


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, **LOGIN_ERRORS},
    summary="Exchange a username (or phone), password and, if enrolled, a TOTP code for a bearer token",
    description="Refusals: 401 `invalid_credentials`, 401 `otp_required` (send `otp`), 401 `otp_invalid`, "
    "403 `account_locked` (5 failures in a row lock the account for 15 minutes, even for the right password), "
    "429 `throttled` (too many failures from one address; see Retry-After), "
    "403 `password_change_required` (use POST /auth/password), 403 `otp_enrolment_required`.",
)
def obtain_token(request, payload: TokenIn):
    try:
        user = _authenticate_fully(request, payload)
    except LoginRefused as exc:
        return _refused(request, exc)
    if user.must_change_password:
        raise DomainError(
            _("You must change your password first (POST /api/v1/auth/password or the web page)."),
            code=security.PASSWORD_CHANGE_REQUIRED,
            status=403,
        )
    security.note_success(user)
    key, token = issue_token(user)
    return {"token": key, "expires": token.expires}


@router.post(
    "/password",
    auth=None,
    response={200: TokenOut, **LOGIN_ERRORS},
    summary="Change one's own password (with the current one and, if enrolled, a TOTP code); returns a new token",
)
def change_password(request, payload: PasswordChangeIn):
    try:
        user = _authenticate_fully(request, payload)
    except LoginRefused as exc:
        return _refused(request, exc)
    if user.check_password(payload.new_password):
        raise DomainError(
            _("The new password must differ from the current one."),
            code="invalid",
            status=422,
            fields={"new_password": _("The new password must differ from the current one.")},
        )
    try:
        set_password(user, payload.new_password, actor=user, must_change_password=False)
    except DomainError as exc:
        exc.fields = {"new_password": exc.fields.get("password", [])}
        raise
    security.note_success(user)
    key, token = issue_token(user)
    return {"token": key, "expires": token.expires}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Who the token or session belongs to")
def me(request):
    user = request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "roles": describe_roles(user),
        "permissions": sorted(user.get_all_permissions()),
    }
