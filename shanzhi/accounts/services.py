"""Writes to accounts: users, role assignments, API tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.choices import ROLE_SCOPE_LEVEL, ROLE_SCOPE_LEVELS, Role
from shanzhi.accounts.models import APIToken, RoleAssignment, User
from shanzhi.areas.choices import AreaLevel
from shanzhi.core import audit
from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.validators import validate_phone

USER_AUDIT_FIELDS = ["username", "display_name", "phone", "is_active", "must_change_password"]


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str = "",
    actor=None,
    must_change_password: bool = False,
    audit_it: bool = True,
) -> User:
    from django.core.exceptions import ValidationError

    try:
        phone = validate_phone(phone) or None
    except ValidationError as exc:
        raise InvalidInput(fields={"phone": exc.messages}) from None
    if User.objects.filter(username=username).exists():
        raise Conflict(
            _("Username already exists."), code="duplicate_username", fields={"username": _("Username already exists.")}
        )
    if phone and User.objects.filter(phone=phone).exists():
        raise Conflict(
            _("This mobile number is already used by another account."),
            code="duplicate_phone",
            fields={"phone": _("Mobile number already in use.")},
        )
    user = User(username=username, display_name=display_name, phone=phone, must_change_password=must_change_password)
    if password:
        check_password_strength(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if audit_it:
        audit.record("accounts.user.created", actor=actor, obj=user, after=audit.snapshot(user, USER_AUDIT_FIELDS))
    return user


@transaction.atomic
def assign_role(
    user: User, role: str, *, area=None, department=None, household=None, actor=None, audit_it: bool = True
) -> RoleAssignment:
    level = ROLE_SCOPE_LEVEL.get(role)
    if level is None:
        raise InvalidInput(fields={"role": _("Unknown role")})
    if level == "department":
        if department is None:
            raise InvalidInput(fields={"department": _("A department handler must be assigned a department.")})
    elif level == "household":
        if household is None:
            raise InvalidInput(fields={"household": _("A villager account must be linked to a household.")})
    else:
        levels = ROLE_SCOPE_LEVELS[role]
        if area is None or area.level not in levels:
            names = _(" or ").join(str(AreaLevel(name).label) for name in levels)
            raise InvalidInput(fields={"area": _("This role must be linked to a %(level)s.") % {"level": names}})
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        area=area if level not in ("department", "household") else None,
        department=department if level == "department" else None,
        household=household if level == "household" else None,
        granted_by=actor if actor is not None and actor.is_authenticated else None,
    )
    user.__dict__.pop("active_assignments", None)
    user.__dict__.pop("roles", None)
    user.__dict__.pop("scope", None)
    if audit_it:
        audit.record(
            "accounts.role.assigned",
            actor=actor,
            obj=assignment,
            after={"user": user.pk, "role": role, "target": str(assignment.target)},
        )
    return assignment


def check_password_strength(password: str, user: User, *, field: str = "password") -> None:
    """The configured validators (length, common passwords, likeness to the user's details)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(fields={field: exc.messages}) from None


@transaction.atomic
def set_password(user: User, password: str, *, actor, must_change_password: bool) -> None:
    """Every password change goes through here: validated, tokens revoked, audited.

    An administrator setting someone's password passes ``must_change_password=True``:
    the password is known to two people until its owner changes it.
    """
    check_password_strength(password, user)
    user.set_password(password)
    user.must_change_password = must_change_password
    user.save(update_fields=["password", "must_change_password"])
    revoked = revoke_tokens(user)
    by_owner = actor is not None and actor.pk == user.pk
    audit.record(
        "accounts.password_changed" if by_owner else "accounts.password_reset",
        actor=actor,
        obj=user,
        must_change_password=must_change_password,
        tokens_revoked=revoked,
    )


def revoke_tokens(user: User) -> int:
    return APIToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())


@transaction.atomic
def reset_second_factor(user: User, *, actor) -> int:
    """Remove a user's authenticator (a lost phone); they enrol again at their next login."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit.record("accounts.otp.reset", actor=actor, obj=user, devices=removed)
    return removed


def issue_token(user: User) -> tuple[str, APIToken]:
    key = APIToken.new_key()
    token = APIToken.objects.create(
        user=user,
        key_hash=APIToken.hash_key(key),
        prefix=key[3:9],
        expires=timezone.now() + dt.timedelta(days=settings.SHANZHI_API_TOKEN_DAYS),
    )
    audit.record("accounts.token.issued", actor=user, obj=user, token=token.prefix, channel="api")
    return key, token


def user_for_token(key: str) -> User | None:
    if not key:
        return None
    token = APIToken.objects.live().select_related("user").filter(key_hash=APIToken.hash_key(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > dt.timedelta(minutes=5):
        APIToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


def describe_roles(user: User) -> list[str]:
    return [f"{Role(a.role).label}·{a.target}" for a in user.active_assignments]
