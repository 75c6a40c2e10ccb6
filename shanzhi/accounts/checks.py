"""System checks of the login policy, run by ``shanzhi check`` (and ``--deploy``).

In production (``SHANZHI_PRODUCTION=1``) the platform refuses to run while demo
accounts still open with the published demo password; ``check --deploy`` also wants the
authenticator required for county administrators and the CSP header installed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def demo_passwords_in_production(app_configs=None, databases=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    from shanzhi.accounts.middleware import demo_password_accounts

    found = demo_password_accounts()
    if not found:
        return []
    return [
        Error(
            "Demo accounts still have the demo password: " + ", ".join(found),
            hint="Deactivate these accounts or change their passwords before running in production.",
            id="shanzhi.E001",
        )
    ]


@register(Tags.security, deploy=True)
def login_policy_for_deployment(app_configs=None, **kwargs):
    problems = []
    if "county_admin" not in settings.SHANZHI_OTP_REQUIRED_ROLES:
        problems.append(
            Warning(
                "County administrators are not required to use an authenticator app.",
                hint="Set SHANZHI_OTP_REQUIRED_ROLES to include county_admin (the production default).",
                id="shanzhi.W001",
            )
        )
    if "shanzhi.core.csp.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE:
        problems.append(Warning("The Content-Security-Policy middleware is not installed.", id="shanzhi.W002"))
    elif getattr(settings, "SHANZHI_CSP_REPORT_ONLY", False):
        problems.append(Warning("The Content-Security-Policy is only reported, not enforced.", id="shanzhi.W003"))
    if not settings.SHANZHI_FIELD_KEY:
        problems.append(
            Warning(
                "Personal data is sealed with a key derived from SECRET_KEY.",
                hint="Set SHANZHI_FIELD_KEY_FILE (see docs/data-protection.md).",
                id="shanzhi.W004",
            )
        )
    return problems
