"""The Django admin: county admins only, every change audited, the audit log read-only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shanzhi.core import audit
from shanzhi.core.models import AuditLog


def _county_admin_only(request) -> bool:
    user = request.user
    return user.is_active and user.is_authenticated and user.is_county_admin


admin.site.has_permission = _county_admin_only
admin.site.site_header = _("Shanzhi administration")
admin.site.site_title = _("Shanzhi")


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin edits write the same audit rows as the services do."""

    audit_fields: list[str] = []

    def _fields(self, obj):
        return self.audit_fields or [f.name for f in obj._meta.concrete_fields if not f.primary_key]

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = audit.snapshot(type(obj).objects.get(pk=obj.pk), self._fields(obj))
        super().save_model(request, obj, form, change)
        after = audit.snapshot(obj, self._fields(obj))
        if change:
            before, after = audit.changed(before, after)
        action = "updated" if change else "created"
        audit.record(
            f"{obj._meta.label_lower}.{action}",
            actor=request.user,
            obj=obj,
            before=before,
            after=after,
            channel="admin",
        )

    def delete_model(self, request, obj):
        before = audit.snapshot(obj, self._fields(obj))
        audit.record(f"{obj._meta.label_lower}.deleted", actor=request.user, obj=obj, before=before, channel="admin")
        super().delete_model(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created", "actor_label", "action", "object_repr", "outcome", "ip")
    list_filter = ("outcome",)
    search_fields = ("action", "actor_label", "object_repr")
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
