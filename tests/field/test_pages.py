"""The app shell, its service worker and manifest; the first-load budget of a cheap phone."""

from __future__ import annotations

import gzip
import io
import json
import re

import pytest
from django.test import Client
from PIL import Image

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 300 * 1024  # JavaScript and CSS of the first load, gzip-compressed


def _logged_in(persona="grid_worker") -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": persona, "password": PASSWORD}).status_code == 302
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_first_load_is_under_300_kb_of_compressed_js_and_css(field_county, capsys):
    client = _logged_in()
    page = client.get("/field/")
    html = page.content.decode()
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    styles = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html)
    assert scripts and styles
    total, lines = 0, []
    for url in scripts + styles:
        response = client.get(url)
        assert response.status_code == 200, url
        raw = _body(response)
        compressed = len(gzip.compress(raw, compresslevel=9))
        total += compressed
        lines.append(f"{url}: {len(raw)} bytes, {compressed} gzipped")
    with capsys.disabled():
        print("\nfield app first load (JS+CSS):", *lines, f"total {total} bytes gzipped", sep="\n  ")
    assert total < BUDGET_BYTES


def test_the_shell_runs_no_inline_script_and_speaks_chinese(field_county):
    html = _logged_in().get("/field/").content.decode()
    assert '<html lang="zh-CN">' in html and "网格通" in html and "待发送" in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag
    config = json.loads(re.search(r'<script id="field-config" type="application/json">(.*?)</script>', html).group(1))
    assert config["strings"]["offline"] == "离线"
    assert config["strings"]["session_lost"].startswith("登录已过期")


def test_the_service_worker_may_control_the_app_and_lists_what_it_keeps(field_county):
    client = Client()  # no login needed: it holds no data
    response = client.get("/field/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/field/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))
    version = json.loads(re.search(r"const VERSION = (\".*?\");", body).group(1))
    assert "/field/" in precache and "/field/manifest.webmanifest" in precache
    assert any(url.startswith("/static/field/field.js?v=" + version) for url in precache)
    for url in precache[2:]:
        assert client.get(url.split("?")[0]).status_code == 200, url


def test_the_manifest_makes_the_app_installable(field_county):
    client = Client()
    response = client.get("/field/manifest.webmanifest")
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/field/" and manifest["scope"] == "/field/"
    assert manifest["display"] == "standalone" and manifest["name"] == "善治网格通"
    sizes = set()
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(_body(client.get(icon["src"].split("?")[0]))))
        assert icon["sizes"] == f"{image.width}x{image.height}" and image.format == "PNG"
        sizes.add(image.width)
    assert {192, 512} <= sizes


def test_pages_refuse_writes(field_county):
    client = _logged_in()
    for path in ("/field/", "/field/sw.js", "/field/manifest.webmanifest"):
        assert client.post(path).status_code in (403, 405)


def test_the_main_navigation_links_the_field_app_for_its_users_only(field_county):
    assert 'href="/field/"' in _logged_in("grid_worker").get("/").content.decode()
    assert 'href="/field/"' not in _logged_in("villager").get("/").content.decode()
