"""A villager sees a deduction in public notice, appeals it, and sees the decision; the secretary reads the ledger."""

from shanzhi.points.models import Appeal
from tests.browser.conftest import login, screenshot


def test_villager_appeals_an_entry_in_notice_and_sees_the_decision(demo_site, phone):
    login(phone, "demo-villager")
    phone.goto_path("/points/me/")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#spendable").is_visible()
    notice = phone.locator("ul.notice li.entry", has_text="门前乱堆柴草")
    assert notice.count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "points-my-points")

    notice.locator("a.appeal").click()
    phone.wait_for_load_state("networkidle")
    phone.fill("textarea[name=reason]", "柴草是邻居家暂放的,已经清走了")
    screenshot(phone, "points-appeal-form")
    phone.click("form.appeal-form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#appeal .badge.open").count() == 1
    screenshot(phone, "points-appeal-submitted")
    entry_url = phone.url

    phone.context.clear_cookies()
    login(phone, "demo-village")
    phone.goto_path("/points/appeals/")
    phone.wait_for_load_state("networkidle")
    phone.locator("ul.appeals li a", has_text="李桂君").first.click()
    phone.wait_for_load_state("networkidle")
    phone.check("input[name=decision][value=reject]")
    phone.fill("form.decide textarea[name=reason]", "网格员现场照片显示柴草堆放在您家门前,维持原记录")
    screenshot(phone, "points-appeal-decide")
    phone.click("form.decide button[type=submit]")
    phone.wait_for_load_state("networkidle")
    appeal = Appeal.objects.get(reason__startswith="柴草是邻居家暂放的")
    assert appeal.status == "rejected" and appeal.decided_by.username == "demo-village"

    phone.goto_path(f"/points/villages/{appeal.village_id}/")
    phone.wait_for_load_state("networkidle")
    screenshot(phone, "points-board")

    phone.context.clear_cookies()
    login(phone, "demo-villager")
    phone.goto(entry_url)
    phone.wait_for_load_state("networkidle")
    decision = phone.locator("#decision").inner_text()
    assert "维持原记录" in decision
    screenshot(phone, "points-appeal-decision")

    # The secretary reads the village's ledger: every entry with who recorded it, filtered by kind.
    phone.context.clear_cookies()
    login(phone, "demo-village")
    phone.goto_path(f"/points/villages/{appeal.village_id}/")
    phone.wait_for_load_state("networkidle")
    phone.locator("a.button", has_text="积分台账").click()
    phone.wait_for_load_state("networkidle")
    phone.select_option("#f-kind", "deduction")
    phone.click("#ledger-filter button[type=submit]")
    phone.wait_for_load_state("networkidle")
    deltas = phone.locator("table.ledger tbody tr[data-entry] td.delta").all_inner_texts()
    assert deltas and all(d.strip().startswith("-") for d in deltas)
    assert phone.locator("table.ledger", has_text="门前乱堆柴草").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # the table scrolls in its own box
    phone.set_viewport_size({"width": 1280, "height": 900})  # the guide shows the whole table
    screenshot(phone, "points-ledger")
