from django.contrib import admin

from shanzhi.core.admin import AuditedModelAdmin
from shanzhi.people.models import HouseholdTag


@admin.register(HouseholdTag)
class HouseholdTagAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "sort_order", "active")
    list_editable = ("sort_order", "active")
