"""Browser tests: Playwright driving Debian's Chromium against a live Django server.

Fixtures:
- ``browser``: one headless Chromium for the session.
- ``phone``: a new page in a 360×740 phone context (zh-CN), bound to the live server;
  ``phone.goto_path("/households/")`` opens a path on it.
- ``demo_site``: the demo county (at a small size, for speed) in the live server's database.
- ``login(page, username)`` logs in through the real form.
- ``screenshot(page, name)`` saves docs/guide/img/<name>.png for the user guide.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("SHANZHI_CHROMIUM", "/usr/bin/chromium")
GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "guide" / "img"
DEMO_PASSWORD = "shanzhi-demo"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure_system_deps.sh (make test does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()


class _Page:
    """A Playwright page that knows the live server's address."""

    def __init__(self, page, base_url):
        self._page = page
        self.base_url = base_url

    def goto_path(self, path: str, **kwargs):
        return self._page.goto(self.base_url + path, **kwargs)

    def __getattr__(self, name):
        return getattr(self._page, name)


def _context(browser, **extra):
    return browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **extra)


@pytest.fixture
def phone(browser, live_server):
    context = _context(browser, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield _Page(page, live_server.url)
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    context = _context(browser, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield _Page(page, live_server.url)
    context.close()


@pytest.fixture
def demo_site(transactional_db):
    """The demo county at 1,200 households (every demo login and named place exists)."""
    from shanzhi.demo.builder import county_exists
    from shanzhi.demo.steps import build_demo

    if not county_exists():
        build_demo(households=1200)


def login(page, username: str, password: str = DEMO_PASSWORD):
    page.goto_path("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    path = GUIDE_IMAGES / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
