from django import template
from django.utils.html import format_html

from shanzhi.cases.models import Notification
from shanzhi.cases.workflow import PERM_FOLLOW_UP, PERM_HANDLE, PERM_REPORT, PERM_SUPERVISE, PERM_TRIAGE

register = template.Library()

CASE_PERMISSIONS = (PERM_REPORT, PERM_TRIAGE, PERM_HANDLE, PERM_FOLLOW_UP, PERM_SUPERVISE)


@register.inclusion_tag("cases/_nav.html", takes_context=True)
def cases_nav(context):
    """The header's case links and the unread-notification count (one indexed query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not any(user.has_perm(p) for p in CASE_PERMISSIONS):
        return {"show": False}
    return {"show": True, "unread": Notification.objects.for_user(user).unread().count()}


@register.simple_tag
def status_badge(case):
    return format_html('<span class="badge status-{}">{}</span>', case.status, case.get_status_display())
