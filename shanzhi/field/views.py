"""The field app's three pages: the app shell, its service worker and its web-app manifest.

The shell is the same for every screen of the app (screens are drawn by
``static/field/field.js`` from the snapshot it keeps in IndexedDB), so the service
worker can keep one copy and open the app without a connection. The service worker is
served from /field/ (not /static/) so that it may control the app's pages; its cache name
carries a digest of the assets, so a new release replaces the cached copies.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from shanzhi.core.errors import Forbidden
from shanzhi.field.access import may_use
from shanzhi.field.strings import js_strings

# What the shell loads, and what the service worker keeps for offline use.
SCRIPTS = ["field/field.js"]
STYLES = ["field/field.css"]
ICONS = ["field/icon-192.png", "field/icon-512.png"]


def _digest() -> str:
    digest = hashlib.sha256()
    for name in [*SCRIPTS, *STYLES, *ICONS, "field/sw.js"]:
        with open(finders.find(name), "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:12]


_cached_digest = lru_cache(maxsize=1)(_digest)


def assets_version() -> str:
    """A digest of the assets: part of their URLs and of the service worker's cache name."""
    # In DEBUG the files change under a running server: work it out each time.
    return _digest() if settings.DEBUG else _cached_digest()


def _asset(name: str) -> str:
    return f"{static(name)}?v={assets_version()}"


def asset_urls() -> dict:
    return {
        "scripts": [_asset(n) for n in SCRIPTS],
        "styles": [_asset(n) for n in STYLES],
        "icons": [_asset(n) for n in ICONS],
    }


@require_GET
@login_required
@never_cache
@ensure_csrf_cookie
def app(request):
    if not may_use(request.user):
        raise Forbidden()
    config = {
        "user": request.user.pk,
        "userName": str(request.user),
        "version": assets_version(),
        "urls": {
            "snapshot": "/api/v1/field/snapshot",
            "cases": "/api/v1/field/cases",
            "visits": "/api/v1/field/visits",
            "points": "/api/v1/field/points",
            "casePhotos": "/api/v1/field/cases/{id}/photos",
            "login": reverse("accounts:login") + "?next=" + reverse("field:app"),
            "serviceWorker": reverse("field:service_worker"),
            "home": reverse("core:home"),
        },
        "strings": js_strings(),
    }
    return render(request, "field/app.html", {"config": config, "assets": asset_urls()})


@require_GET
def service_worker(request):
    urls = asset_urls()
    precache = [reverse("field:app"), reverse("field:manifest"), *urls["scripts"], *urls["styles"], *urls["icons"]]
    path = finders.find("field/sw.js")
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    header = (
        f"const VERSION = {json.dumps(assets_version())};\n"
        f"const SHELL = {json.dumps(reverse('field:app'))};\n"
        f"const PRECACHE = {json.dumps(precache)};\n"
    )
    response = HttpResponse(header + body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field:app")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    urls = asset_urls()
    data = {
        "name": _("Shanzhi field app"),
        "short_name": _("Field app"),
        "description": _("Visits, case reports and points for grid workers, also without a signal."),
        "lang": "zh-CN",
        "start_url": reverse("field:app"),
        "scope": reverse("field:app"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "icons": [
            {"src": urls["icons"][0], "sizes": "192x192", "type": "image/png", "purpose": "any maskable"},
            {"src": urls["icons"][1], "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response
