"""Content-Security-Policy on every response (Django 5.2 has none built in).

Scripts run only from this server's own static files, or inline with the request's
nonce (``<script nonce="{{ request.csp_nonce }}">``); the two inline event handlers
templates use (``this.form.submit()`` on filter selects and ``window.print()`` on print
buttons) are allowed by their hashes. Styles may be inline (templates use style
attributes for layout). Nothing may frame the pages, plugins are off, and forms post
only back to this server. Set ``SHANZHI_CSP_REPORT_ONLY=1`` to watch a new policy in
the browser console before enforcing it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.conf import settings
from django.utils.functional import SimpleLazyObject

# Inline event handlers allowed by hash ('unsafe-hashes'); keep this list short.
ALLOWED_HANDLERS = ("this.form.submit()", "window.print()")


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


HANDLER_HASHES = " ".join(_sha256(h) for h in ALLOWED_HANDLERS)


def _tile_origin() -> str:
    """The map tile server's origin (SHANZHI_MAP_TILE_URL), when the county has one."""
    from urllib.parse import urlsplit

    url = getattr(settings, "SHANZHI_MAP_TILE_URL", "")
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "a"))
    return f" {parts.scheme}://{parts.netloc}"


def policy(nonce: str | None) -> str:
    script = "'self'" + (f" 'nonce-{nonce}'" if nonce else "") + f" 'unsafe-hashes' {HANDLER_HASHES}"
    directives = {
        "default-src": "'self'",
        "script-src": script,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:" + _tile_origin(),
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "media-src": "'self' blob:",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "SHANZHI_CSP_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )

    def __call__(self, request):
        generated: list[str] = []

        def make_nonce() -> str:
            generated.append(secrets.token_urlsafe(16))
            return generated[0]

        request.csp_nonce = SimpleLazyObject(make_nonce)
        response = self.get_response(request)
        if self.header not in response:
            response[self.header] = policy(generated[0] if generated else None)
        return response
