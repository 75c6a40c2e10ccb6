from django.contrib import admin

from shanzhi.dashboard.models import OverviewSnapshot, ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are created by users and built by the worker; the file stays with its owner."""

    list_display = ["title", "kind", "file_format", "status", "progress", "row_count", "requested_by", "created"]
    list_filter = ["kind", "status"]
    exclude = ["file", "params"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OverviewSnapshot)
class OverviewSnapshotAdmin(admin.ModelAdmin):
    list_display = ["area", "month", "computed_at", "duration_ms"]
    exclude = ["document"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
