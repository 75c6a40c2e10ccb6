from tests.browser.conftest import login, screenshot


def test_grid_worker_opens_their_grids_households_on_a_phone(demo_site, phone):
    phone.goto_path("/")
    assert "/accounts/login/" in phone.url
    screenshot(phone, "login")
    login(phone, "demo-grid")
    assert phone.locator("h1").inner_text().startswith("您好")
    home_grids = phone.locator("ul.list li a")
    assert home_grids.first.inner_text().startswith("永和村第1网格")
    screenshot(phone, "grid-worker-home")

    home_grids.first.click()
    phone.wait_for_load_state("networkidle")
    count_text = phone.locator("#result-count").inner_text()
    rows = phone.locator("ul.households > li")
    assert rows.count() >= 1
    assert "户" in count_text
    first = rows.first.inner_text()
    assert "永和村第1网格" in first
    # Phones are masked for a grid worker.
    assert "****" in first or "·" in first
    screenshot(phone, "grid-households")

    # The page fits a 360-px phone: nothing scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # Search by pinyin initials of the head of household of the article's villager.
    phone.fill("input[name=q]", "lgj")
    phone.wait_for_selector("ul.households li:has-text('李桂君')")
    phone.locator("ul.households li a:has-text('李桂君')").first.click()
    phone.wait_for_load_state("networkidle")
    assert "李桂君" in phone.locator("h1").inner_text()
    id_cell = phone.locator("td.id-number").first.inner_text()
    assert "********" in id_cell and len(id_cell) == 18
    screenshot(phone, "household-detail")
