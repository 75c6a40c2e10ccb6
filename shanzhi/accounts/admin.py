from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts.models import RoleAssignment, User
from shanzhi.core.admin import AuditedModelAdmin


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    raw_id_fields = ("area", "department", "household")
    readonly_fields = ("granted_by", "created")


@admin.register(User)
class ShanzhiUserAdmin(AuditedModelAdmin, UserAdmin):
    audit_fields = ["username", "display_name", "phone", "is_active", "is_superuser", "must_change_password"]
    list_display = ("username", "display_name", "phone", "is_active", "last_login")
    search_fields = ("username", "display_name", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal details"), {"fields": ("display_name", "phone")}),
        (_("Status"), {"fields": ("is_active", "is_superuser", "must_change_password", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = [RoleAssignmentInline]
