"""Masking of personal data, applied everywhere unless the role may see it in full."""

from __future__ import annotations

from shanzhi.core.validators import is_mobile

PERMISSION_VIEW_SENSITIVE = "people.view_sensitive"


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if is_mobile(phone):
        return phone[:3] + "****" + phone[-4:]
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[: max(len(phone) - 8, 0)] + "****" + phone[-4:]


def may_view_sensitive(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PERMISSION_VIEW_SENSITIVE))
