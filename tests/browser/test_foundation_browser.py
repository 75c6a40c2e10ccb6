from tests.browser.conftest import login, screenshot


def test_grid_worker_opens_their_grids_households_on_a_phone(demo_site, phone):
    phone.goto_path("/")
    assert "/accounts/login/" in phone.url
    screenshot(phone, "login")
    login(phone, "demo-grid")
    assert phone.locator("h1").inner_text().startswith("您好")
    home_grids = phone.locator("ul.my-grids li a")
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


def test_secretary_registers_a_household_with_clear_errors(demo_site, phone):
    login(phone, "demo-village")
    phone.goto_path("/households/new/")
    phone.fill("input[name=number]", "2303812032010001")  # already taken
    phone.select_option("select[name=grid]", index=1)
    phone.fill("input[name=phone]", "12345")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    errors = phone.locator(".field.has-error").all_inner_texts()
    assert any("电话号码格式不正确" in e for e in errors)
    screenshot(phone, "household-form-errors")
    phone.fill("input[name=number]", "2303812032019999")
    phone.fill("input[name=phone]", "13912345678")
    phone.fill("input[name=address]", "永和村东街99号")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "已登记户" in phone.locator(".messages").inner_text()
    phone.click("text=添加成员")
    phone.fill("input[name=name]", "赵春梅")
    phone.fill("input[name=id_number]", "230381198203150021")
    phone.select_option("select[name=relation]", "head")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "身份证号码" in phone.locator(".field.has-error").inner_text()
    screenshot(phone, "resident-form-errors")


def test_county_admin_browses_the_tree_and_the_audit_log(demo_site, desktop):
    login(desktop, "demo-county")
    screenshot(desktop, "county-home")
    desktop.click("nav >> text=区域")
    desktop.wait_for_load_state("networkidle")
    assert desktop.locator("table tbody tr").count() == 11
    screenshot(desktop, "area-browser")
    desktop.click("text=珍宝岛乡")
    desktop.wait_for_load_state("networkidle")
    assert desktop.locator("table tbody tr:has-text('永和村')").count() == 1
    desktop.goto_path("/audit/?action=accounts.login")
    assert desktop.locator("table tbody tr").count() >= 1
    screenshot(desktop, "audit-log")
