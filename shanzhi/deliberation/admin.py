"""County admins can correct venues and quorum rules in the admin; every change is audited.
Topics, meetings and decisions change only through the services (their history matters)."""

from __future__ import annotations

from django.contrib import admin

from shanzhi.core.admin import AuditedModelAdmin
from shanzhi.deliberation.models import QuorumRule, Venue


@admin.register(Venue)
class VenueAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "village", "capacity", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "village__name", "location")
    raw_id_fields = ("village", "host_household")
    audit_fields = ["kind", "name", "village", "host_household", "location", "capacity", "active"]


@admin.register(QuorumRule)
class QuorumRuleAdmin(AuditedModelAdmin):
    list_display = ("village", "basis", "numerator", "denominator", "updated")
    raw_id_fields = ("village",)
    exclude = ("updated_by",)
    audit_fields = ["village", "basis", "numerator", "denominator"]
