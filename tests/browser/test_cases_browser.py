"""The whistle loop clicked through on a phone: grid worker → command centre → department → command centre."""

from __future__ import annotations

import struct
import zlib

from tests.browser.conftest import login, screenshot


def _png(path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    width = height = 48
    raw = b"".join(b"\x00" + bytes([150, 120 + (y % 40), 90]) * width for y in range(height))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def _switch(page, username):
    page.context.clear_cookies()
    login(page, username)


def _step(page, name, fill=None):
    block = page.locator(f"details[data-step={name}]")
    block.locator("summary").click()
    if fill:
        fill(block)
    block.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_whole_loop_on_a_phone(demo_site, phone, tmp_path):
    photo = _png(tmp_path / "road.png")
    after = _png(tmp_path / "after.png")

    # 1. The grid worker blows the whistle.
    login(phone, "demo-grid")
    phone.goto_path("/cases/new/")
    phone.locator("label.chip:has-text('基础设施')").click()
    phone.fill("textarea[name=description]", "永和村前街路面塌陷约两米，车辆无法通行。")
    phone.set_input_files("input[name=photos]", str(photo))
    phone.wait_for_selector("#previews img")
    phone.fill("#household-q", "李桂君")
    phone.wait_for_selector("#household-results button.pick")
    phone.locator("#household-results button.pick").first.click()
    assert "李桂君" in phone.locator("#picked-label").inner_text()
    _fits(phone)
    screenshot(phone, "cases-report-form")
    phone.click("button[type=submit]:has-text('吹哨上报')")
    phone.wait_for_load_state("networkidle")
    number = phone.locator("#case-number").inner_text()
    assert number.startswith("HL-")
    assert phone.locator("#case-status").inner_text() == "已上报"
    assert phone.locator(".card > .photos img").count() == 1
    _fits(phone)
    screenshot(phone, "cases-reported")

    # 2. The township command centre accepts and dispatches it.
    _switch(phone, "demo-township")
    phone.goto_path("/cases/queue/")
    phone.locator(f"ul.cases li:has-text('{number}') a").click()
    phone.wait_for_load_state("networkidle")
    _step(phone, "accept", lambda b: b.locator("textarea[name=note]").fill("已受理，派住建局。"))
    assert phone.locator("#case-status").inner_text() == "已受理"
    phone.locator("details[data-step=dispatch] summary").click()
    assert phone.locator("details[data-step=dispatch] select[name=department] option:checked").inner_text() == "住建局"
    _fits(phone)
    screenshot(phone, "cases-dispatch")
    phone.locator("details[data-step=dispatch] button[type=submit]").click()
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#case-status").inner_text() == "已派单"
    assert phone.locator("#case-department").inner_text() == "住建局"

    # 3. The department checks in and resolves it with a photo.
    _switch(phone, "demo-dept")
    assert phone.locator("#notifications-link .unread-badge").count() == 1
    phone.goto_path("/cases/inbox/")
    _fits(phone)
    screenshot(phone, "cases-department-inbox")
    phone.locator(f"ul.cases li:has-text('{number}') a").click()
    phone.wait_for_load_state("networkidle")
    _step(phone, "check_in")
    assert phone.locator("#case-status").inner_text() == "已报到"

    def resolve(block):
        block.locator("textarea[name=result]").fill("已回填压实并恢复路面，设置警示桩。")
        block.locator("input[name=photos]").set_input_files(str(after))

    _step(phone, "resolve", resolve)
    assert phone.locator("#case-status").inner_text() == "已办结"

    # 4. The command centre follows up with the reporter: satisfied, closed.
    _switch(phone, "demo-township")
    phone.goto_path("/cases/follow-up/")
    phone.locator(f"ul.cases li:has-text('{number}') a").click()
    phone.wait_for_load_state("networkidle")

    def satisfied(block):
        block.locator("label:has-text('满意') input[value=yes]").check()
        block.locator("textarea[name=note]").fill("电话回访李桂君，满意。")

    _step(phone, "follow_up", satisfied)
    assert phone.locator("#case-status").inner_text() == "已结案"
    actions = phone.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions == ["reported", "accepted", "dispatched", "checked_in", "resolved", "closed"]
    _fits(phone)
    screenshot(phone, "cases-timeline")


def test_supervision_board_and_list_on_a_phone(demo_site, phone):
    login(phone, "demo-supervisor")
    phone.goto_path("/cases/supervision/")
    assert int(phone.locator("#open-escalated").inner_text()) >= 1
    _fits(phone)
    screenshot(phone, "cases-supervision")
    phone.locator("ul.cases li a").first.click()
    phone.wait_for_load_state("networkidle")
    _step(phone, "urge", lambda b: b.locator("textarea[name=note]").fill("请今日内到场处置。"))
    assert phone.locator("#timeline li[data-action=urged]").count() >= 1

    _switch(phone, "demo-county")
    phone.goto_path("/cases/?overdue=true")
    assert phone.locator("ul.cases li.case-item").count() >= 1
    _fits(phone)
    screenshot(phone, "cases-list-overdue")
    phone.goto_path("/cases/settings/calendar/")
    screenshot(phone, "cases-calendar")
