from django.contrib import admin

from shanzhi.areas.models import Area, Department
from shanzhi.core.admin import AuditedModelAdmin


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    list_display = ("name", "level", "code", "parent", "valid_from", "valid_to")
    list_filter = ("level",)
    search_fields = ("name", "code")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")
    audit_fields = ["parent", "level", "code", "name", "valid_from", "valid_to"]

    def save_model(self, request, obj, form, change):
        obj.path = obj.build_path()
        obj.depth = obj.path.count("/") - 2
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request, obj=None):
        # Moving an area or renaming its code would rewrite every path below it.
        return ("path", "depth", "code", "parent", "level") if obj else ("path", "depth")


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "area", "code", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "code")
    raw_id_fields = ("area",)
