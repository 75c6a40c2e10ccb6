"""Grid work in a real browser: the grid worker's phone home, and the township's evaluation pages."""

from __future__ import annotations

from tests.browser.conftest import login, screenshot


def _number(page, selector: str) -> int:
    return int(page.locator(selector).inner_text().strip())


def test_grid_worker_logs_a_care_visit_from_the_home_page_and_sees_it_counted(demo_site, phone):
    login(phone, "demo-grid")
    panel = phone.locator("#grid-worker-panel")
    assert panel.is_visible()
    visits_today, visits_month, care_due = (
        _number(phone, "#visits-today"),
        _number(phone, "#visits-month"),
        _number(phone, "#care-due"),
    )
    row = phone.locator("#care-due-list li", has_text="李桂君")
    assert row.count() == 1 and care_due >= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "gridwork-home")

    row.locator("a.button").click()
    phone.wait_for_load_state("networkidle")
    assert "/gridwork/visits/new/" in phone.url
    assert phone.locator("select[name=household] option:checked").inner_text().startswith("李桂君")
    assert phone.locator("select[name=purpose]").input_value() == "elderly_care"
    phone.fill("textarea[name=notes]", "帮老人买药,打扫院子,检查了火炕。")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "gridwork-visit-form")
    phone.click("#save-visit")
    phone.wait_for_load_state("networkidle")

    # Back on the home page: the visit is counted and 李桂君 is no longer due.
    assert phone.url == phone.base_url + "/"
    assert "走访已记录" in phone.locator(".messages").inner_text()
    assert _number(phone, "#visits-today") == visits_today + 1
    assert _number(phone, "#visits-month") == visits_month + 1
    assert _number(phone, "#care-due") == care_due - 1
    assert phone.locator("#care-due-list li", has_text="李桂君").count() == 0
    screenshot(phone, "gridwork-visit-counted")

    # The visit is in the worker's list, with its notes.
    phone.goto_path("/gridwork/visits/?mine=1")
    first = phone.locator("ul.visits li").first
    assert "李桂君" in first.inner_text() and "关爱老人" in first.inner_text()


def test_township_reads_the_roster_care_list_and_evaluation_on_a_phone(demo_site, phone):
    login(phone, "demo-township")
    phone.goto_path("/gridwork/")
    counts = phone.locator("#kind-counts").inner_text()
    assert "专职" in counts
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "gridwork-roster")

    phone.goto_path("/gridwork/care/")
    assert "户逾期" in phone.locator("#care-count").inner_text()
    screenshot(phone, "gridwork-care-list")

    phone.goto_path("/gridwork/evaluations/")
    phone.locator("ul.months li a", has_text="已定档").first.click()
    phone.wait_for_load_state("networkidle")
    assert "珍宝岛乡" in phone.locator("h1").inner_text()
    red = phone.locator("tr.red-flag")
    assert red.count() >= 1
    screenshot(phone, "gridwork-evaluation-month")
    red.first.locator("a").first.click()
    phone.wait_for_load_state("networkidle")
    assert phone.locator("tr[data-indicator]").count() == 7
    screenshot(phone, "gridwork-score-explained")

    phone.goto_path("/gridwork/red-flags/")
    assert phone.locator(".red-flag-card").count() >= 1
    screenshot(phone, "gridwork-red-flags")
    with phone.expect_response(lambda r: r.url.endswith("certificate.pdf")) as response:
        phone.evaluate(
            "url => fetch(url)", phone.locator(".red-flag-card a", has_text="荣誉证书").first.get_attribute("href")
        )
    assert response.value.headers["content-type"] == "application/pdf"
