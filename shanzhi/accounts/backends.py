from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from shanzhi.accounts import security
from shanzhi.accounts.models import User
from shanzhi.accounts.roles import permissions_for_roles
from shanzhi.core.middleware import client_ip
from shanzhi.core.validators import normalize_phone


class ShanzhiBackend(ModelBackend):
    """Log in with a username or a phone number; permissions come from roles too.

    The login policy (lockout and per-address throttling, see shanzhi.accounts.security)
    is applied here so that every door in obeys it. A refusal's reason is left on the
    request for the page or the API to explain.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = str(username).strip()
        ip = client_ip(request) if request is not None else None
        phone = normalize_phone(login)
        candidates = list(User.objects.filter(Q(username=login) | Q(phone=phone) if phone else Q(username=login))[:2])
        user = candidates[0] if len(candidates) == 1 else None
        refusal = security.refusal_before_password(user, ip)
        if refusal is not None:
            User().set_password(password)  # spend the same time as a real check
            if refusal.code == security.ACCOUNT_LOCKED:
                security.note_failure(user, ip=ip, username=login, reason=security.ACCOUNT_LOCKED)
            security.remember_refusal(request, refusal)
            return None
        if user is None:
            User().set_password(password)
            security.remember_refusal(request, security.note_failure(None, ip=ip, username=login))
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        security.remember_refusal(request, security.note_failure(user, ip=ip, username=login))
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_shanzhi_perm_cache"):
            perms = set(super().get_all_permissions(user_obj))
            perms |= permissions_for_roles(user_obj.roles)
            user_obj._shanzhi_perm_cache = perms
        return user_obj._shanzhi_perm_cache
