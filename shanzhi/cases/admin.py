from django.contrib import admin

from shanzhi.cases.models import CalendarDay, Case, Category, Open311Key
from shanzhi.core.admin import AuditedModelAdmin


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = (
        "name",
        "code",
        "default_department",
        "check_in_limit",
        "check_in_unit",
        "resolution_limit",
        "resolution_unit",
        "sort_order",
        "active",
    )
    list_editable = ("sort_order", "active")
    filter_horizontal = ("default_co_departments",)
    audit_fields = [
        "code",
        "name",
        "default_department",
        "check_in_limit",
        "check_in_unit",
        "resolution_limit",
        "resolution_unit",
        "sort_order",
        "active",
    ]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    list_display = ("date", "kind", "note")
    list_filter = ("kind",)
    exclude = ("created_by",)


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    """Keys are issued on the Open311 settings page (the value is shown once); here they are only read."""

    list_display = ("name", "prefix", "default_grid", "active", "created", "last_used")
    readonly_fields = ("name", "prefix", "default_grid", "source", "created_by", "created", "last_used", "active")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: every change to a case goes through the workflow so its timeline stays whole."""

    list_display = ("number", "title", "status", "category", "grid", "department", "escalation_level", "reported_at")
    list_filter = ("status", "category", "escalation_level")
    search_fields = ("number", "title")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
