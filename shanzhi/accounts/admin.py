from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from shanzhi.accounts import security
from shanzhi.accounts.models import RoleAssignment, User
from shanzhi.accounts.services import reset_second_factor, revoke_tokens
from shanzhi.core import audit
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
    list_display = ("username", "display_name", "phone", "is_active", "locked_until", "last_login")
    search_fields = ("username", "display_name", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal details"), {"fields": ("display_name", "phone")}),
        (
            _("Status"),
            {
                "fields": (
                    "is_active",
                    "is_superuser",
                    "must_change_password",
                    "locked_until",
                    "failed_login_count",
                    "last_login",
                    "date_joined",
                )
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined", "failed_login_count")
    inlines = [RoleAssignmentInline]
    actions = ["unlock_accounts", "reset_authenticators"]

    def save_model(self, request, obj, form, change):
        if not change:
            # The administrator knows the first password: its owner replaces it at first login.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            User.objects.filter(pk=user.pk).update(must_change_password=True)
            revoked = revoke_tokens(user)
            audit.record(
                "accounts.password_reset",
                actor=request.user,
                obj=user,
                must_change_password=True,
                tokens_revoked=revoked,
                channel="admin",
            )
        return response

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock_accounts(self, request, queryset):
        for user in queryset:
            security.unlock(user, actor=request.user)
        messages.success(request, _("%(count)d accounts unlocked.") % {"count": queryset.count()})

    @admin.action(description=_("Reset the authenticator app of the selected accounts (lost phone)"))
    def reset_authenticators(self, request, queryset):
        for user in queryset:
            reset_second_factor(user, actor=request.user)
        messages.success(
            request, _("%(count)d accounts must bind an authenticator again.") % {"count": queryset.count()}
        )


def _hide_device_secrets():
    """django-otp's own admin shows each device's secret key: administrators reset devices instead."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if admin.site.is_registered(TOTPDevice):
        admin.site.unregister(TOTPDevice)


_hide_device_secrets()
