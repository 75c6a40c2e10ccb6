from django.contrib import admin

from shanzhi.imports.models import ColumnMapping, ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs change only through the import flow."""

    list_display = ["id", "kind", "original_name", "status", "mode", "created_by", "created", "committed_at"]
    list_filter = ["kind", "status", "mode"]
    search_fields = ["original_name", "sha256"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ["kind", "area", "updated", "updated_by"]
    list_filter = ["kind"]
    readonly_fields = ["updated", "updated_by"]
