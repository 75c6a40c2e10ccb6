"""The dashboard in a real browser: overview, big screen, grid map and a monthly return.

Screenshots go to docs/guide/img/ for docs/guide/dashboard.md and show the demo county's figures.
"""

from __future__ import annotations

from django.utils import timezone

from tests.browser.conftest import _context, _Page, login, screenshot


def _overview(username: str, area=None):
    from shanzhi.accounts.models import User
    from shanzhi.dashboard.figures import overview_page

    return overview_page(User.objects.get(username=username), timezone.localdate().replace(day=1), area)


def test_county_overview_with_charts_tables_and_drill_down(demo_site, desktop):
    login(desktop, "demo-county")
    desktop.goto_path("/dashboard/")
    desktop.wait_for_selector('[data-chart="cases-status"] canvas')
    doc = _overview("demo-county")
    assert desktop.locator('[data-figure="households"]').inner_text() == str(doc["households"])
    assert desktop.locator('[data-figure="cases.reported"]').inner_text() == str(doc["cases"]["reported"])
    screenshot(desktop, "dashboard-overview")
    # every chart has a table view with the same numbers
    desktop.click('[data-chart-toggle="cases-status"]')
    table = desktop.locator('[data-chart-table="cases-status"]')
    assert table.is_visible()
    cells = table.locator("td.num").all_inner_texts()
    assert sum(int(c) for c in cells) == doc["cases"]["reported"]
    # a number opens the list that produced it
    desktop.click('[data-figure="cases.reported"]')
    desktop.wait_for_load_state("networkidle")
    assert "/cases/?" in desktop.url and "since=" in desktop.url


def test_overview_on_a_phone(demo_site, phone):
    login(phone, "demo-township")
    phone.goto_path("/dashboard/")
    phone.wait_for_selector('[data-chart="cases-category"] canvas')
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "dashboard-overview-phone", full_page=False)


def test_big_screen_fills_1920_by_1080_and_shows_the_demo_figures(demo_site, browser, live_server):
    context = _context(browser, viewport={"width": 1920, "height": 1080})
    context.set_default_timeout(20_000)
    page = _Page(context.new_page(), live_server.url)
    try:
        login(page, "demo-county")
        page.goto_path("/dashboard/screen/")
        page.wait_for_selector("body[data-loaded=true]")
        page.wait_for_selector('[data-chart="cases-status"] canvas')
        doc = _overview("demo-county")
        figures = page.locator(".screen-figure .n").all_inner_texts()
        assert str(doc["households"]) in figures and str(doc["cases"]["reported"]) in figures
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(6, 19, 41)"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1920
        screenshot(page, "dashboard-big-screen", full_page=False)
        page.click('[data-chart-toggle="workers"]')
        assert page.locator('[data-chart-table="workers"] table').is_visible()
    finally:
        context.close()


def test_grid_map_colours_grids_and_opens_a_panel(demo_site, desktop):
    from shanzhi.areas.models import Area

    login(desktop, "demo-township")
    desktop.goto_path("/dashboard/map/?metric=open_cases")
    desktop.wait_for_selector("#grid-map[data-loaded]")
    township = Area.objects.get(name="珍宝岛乡")
    grids = Area.objects.filter(level="grid").subtree(township).count()
    assert int(desktop.locator("#grid-map").get_attribute("data-loaded")) == grids
    assert desktop.locator("path.leaflet-interactive").count() == grids
    assert desktop.locator(".leaflet-tile").count() == 0  # no tile server by default
    desktop.locator("path.leaflet-interactive").nth(0).click(force=True)
    desktop.wait_for_selector("#grid-panel h3")
    assert "网格" in desktop.locator("#grid-panel h3").inner_text()
    screenshot(desktop, "dashboard-map")


def test_monthly_return_runs_in_the_background_with_progress(demo_site, desktop):
    from shanzhi.dashboard.services import run_pending

    login(desktop, "demo-county")
    desktop.goto_path("/dashboard/reports/")
    desktop.select_option("select[name=kind]", "monthly_return")
    desktop.check("input[name=file_format][value=xlsx]")
    desktop.click("button.primary")
    desktop.wait_for_load_state("networkidle")
    assert desktop.locator("progress").is_visible()
    assert run_pending() == 1  # what the worker does every few seconds
    desktop.wait_for_selector("[data-download]", timeout=10_000)
    screenshot(desktop, "dashboard-report-ready")
    with desktop.expect_download() as download:
        desktop.click("[data-download]")
    assert download.value.suggested_filename.endswith(".xlsx")
