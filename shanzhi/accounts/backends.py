from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from shanzhi.accounts.models import User
from shanzhi.accounts.roles import permissions_for_roles
from shanzhi.core.validators import normalize_phone


class ShanzhiBackend(ModelBackend):
    """Log in with a username or a phone number; permissions come from roles too."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = str(username).strip()
        phone = normalize_phone(login)
        candidates = list(User.objects.filter(Q(username=login) | Q(phone=phone) if phone else Q(username=login))[:2])
        if len(candidates) != 1:
            User().set_password(password)  # spend the same time as a real check
            return None
        user = candidates[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_shanzhi_perm_cache"):
            perms = set(super().get_all_permissions(user_obj))
            perms |= permissions_for_roles(user_obj.roles)
            user_obj._shanzhi_perm_cache = perms
        return user_obj._shanzhi_perm_cache
