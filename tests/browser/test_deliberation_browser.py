"""Deliberation on phones: demo-villager raises a topic, demo-village runs the meeting that
decides it, the action item becomes a case, and once the case closes the villager reads the
result on the village's results board. Screenshots feed docs/guide/deliberation.md."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import PHONE, _context, _Page, login, screenshot
from tests.deliberation.conftest import png_bytes

STEPS = ["shanzhi.deliberation.demo.build"]


@pytest.fixture
def deliberation_site(transactional_db):
    """The demo county at 1,200 households with its deliberation venues and history."""
    from shanzhi.cases.defaults import ensure_default_categories
    from shanzhi.demo.builder import county_exists
    from shanzhi.demo.steps import build_demo

    ensure_default_categories()
    if not county_exists():
        build_demo(households=1200, steps=STEPS)


@pytest.fixture
def phone_for(browser, live_server):
    contexts = []

    def make(username: str) -> _Page:
        context = _context(browser, **PHONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = _Page(context.new_page(), live_server.url)
        login(page, username)
        return page

    yield make
    for context in contexts:
        context.close()


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _close_case_as_the_township_and_department(case_id: int):
    """What the command centre and 住建局 do on their own pages (issue 3), through the same services."""
    from shanzhi.accounts.models import User
    from shanzhi.areas.models import Department
    from shanzhi.cases import services as cases
    from shanzhi.cases.models import Case

    township = User.objects.get(username="demo-township")
    handler = User.objects.get(username="demo-dept")
    department = Department.objects.get(code="230381-zjj")
    case = Case.objects.get(pk=case_id)
    case = cases.accept_case(case, actor=township)
    case = cases.dispatch_case(case, department, actor=township)
    case = cases.check_in_case(case, actor=handler)
    case = cases.resolve_case(case, result="住建局已完成后街路面硬化,村民代表验收合格。", actor=handler)
    return cases.follow_up_case(case, satisfied=True, note="回访李桂君,满意。", actor=township)


def test_a_villagers_topic_from_raising_to_the_results_board(deliberation_site, phone_for):
    from shanzhi.areas.models import Area
    from shanzhi.deliberation.models import ActionItem, Topic, Venue
    from shanzhi.people.models import Household

    yonghe = Area.objects.get(level="village", name="永和村")
    households = Household.objects.filter(grid__parent=yonghe, status="active").count()
    represented = min(households, 10)
    assert represented >= 4

    # --- the villager raises a topic -------------------------------------------------------------
    villager = phone_for("demo-villager")
    villager.goto_path("/deliberation/")
    assert "/deliberation/topics/mine/" in villager.url
    villager.click("a.button:has-text('我要说事')")
    villager.fill("input[name=title]", "后街路面坑洼需要硬化")
    villager.check("input[name=topic_class][value=livelihood]")
    villager.fill("textarea[name=description]", "后街一下雨就积水,老人出门容易滑倒,希望村里议一议把路修好。")
    _fits(villager)
    screenshot(villager, "deliberation-raise-topic")
    villager.click("main button:has-text('提交')")
    villager.wait_for_load_state("networkidle")
    assert villager.locator("#topic-status").inner_text() == "已提出"
    topic = Topic.objects.get(title="后街路面坑洼需要硬化")
    assert topic.raised_via == "self" and topic.village == yonghe
    screenshot(villager, "deliberation-topic-raised")

    # --- the secretary accepts it and plans an evening talk ----------------------------------------
    secretary = phone_for("demo-village")
    secretary.goto_path("/deliberation/")
    assert "后街路面坑洼需要硬化" in secretary.locator("main").inner_text()
    _fits(secretary)
    screenshot(secretary, "deliberation-secretary-board")
    secretary.goto_path(f"/deliberation/topics/{topic.pk}/")
    secretary.click("button:has-text('受理,列入议事')")
    secretary.wait_for_load_state("networkidle")
    assert secretary.locator("#topic-status").inner_text() == "已受理"
    secretary.click("a:has-text('为该议题安排一次新的议事会')")
    secretary.wait_for_load_state("networkidle")
    # Saving without a venue is refused beside the field.
    secretary.click("main button:has-text('保存')")
    secretary.wait_for_load_state("networkidle")
    assert "请选择召开议事会的议事场所" in secretary.locator("[data-field=venue]").inner_text()
    screenshot(secretary, "deliberation-meeting-errors", full_page=False)
    secretary.goto_path(f"/deliberation/meetings/new/?topic={topic.pk}")
    venue = Venue.objects.filter(village=yonghe, kind="courtyard").first()
    secretary.select_option("select[name=venue]", str(venue.pk))
    secretary.select_option("select[name=format]", "evening_talk")
    evening = timezone.localdate() + dt.timedelta(days=1)
    secretary.fill("input[name=scheduled_at]", f"{evening:%Y-%m-%d}T19:30")
    secretary.fill("input[name=minute_taker_name]", "到村大学生小王")
    assert secretary.locator(f"input[name=topics][value='{topic.pk}']").is_checked()
    screenshot(secretary, "deliberation-plan-meeting")
    secretary.click("main button:has-text('保存')")
    secretary.wait_for_load_state("networkidle")
    assert "/deliberation/meetings/" in secretary.url

    # --- the meeting runs on the phone -------------------------------------------------------------------
    secretary.click("#open-meeting")
    secretary.wait_for_load_state("networkidle")
    assert secretary.locator("#meeting-status").inner_text() == "进行中"
    secretary.fill("input[name=residents_present]", str(represented + 6))
    secretary.fill("input[name=households_represented]", str(represented))
    secretary.set_input_files(
        "input[name=sign_in_sheet]", files=[{"name": "签到表.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    secretary.click("#attendance button:has-text('保存到会情况')")
    secretary.wait_for_load_state("networkidle")
    assert f"代表 {represented} 户" in secretary.locator("#attendance-summary").inner_text()
    card = f"#topic-{topic.pk}"
    secretary.fill(f"{card} textarea[name$=notes]", "大家都说后街该修了,党员带头出工。")
    secretary.click(f"{card} button:has-text('保存讨论记录')")
    secretary.wait_for_load_state("networkidle")
    # Hands counted wrong: more votes than households represented.
    secretary.fill(f"{card} input[name$=votes_for]", str(represented))
    secretary.fill(f"{card} input[name$=votes_against]", "1")
    secretary.fill(f"{card} input[name$=votes_abstain]", "0")
    secretary.check(f"{card} input[name$=outcome][value=adopted]")
    secretary.click(f"{card} button:has-text('登记表决结果')")
    secretary.wait_for_load_state("networkidle")
    error = secretary.locator(f"{card} .votes-errors").inner_text()
    assert f"超过了到会的 {represented} 户" in error
    assert secretary.locator(f"{card} [data-field=votes_for]").evaluate("e => e.classList.contains('has-error')")
    _fits(secretary)
    secretary.locator(f"{card} .decide").scroll_into_view_if_needed()
    screenshot(secretary, "deliberation-vote-error", full_page=False)
    votes_for = represented // 2 + 2
    secretary.fill(f"{card} input[name$=votes_for]", str(votes_for))
    secretary.fill(f"{card} input[name$=votes_against]", "1")
    secretary.fill(f"{card} input[name$=votes_abstain]", "0")
    secretary.check(f"{card} input[name$=outcome][value=adopted]")
    secretary.fill(f"{card} textarea[name$=summary]", "同意硬化后街路面,报请住建局支持。")
    secretary.click(f"{card} button:has-text('登记表决结果')")
    secretary.wait_for_load_state("networkidle")
    assert "通过" in secretary.locator(f"{card} .decision-result").inner_text()
    deadline = timezone.localdate() + dt.timedelta(days=30)
    secretary.fill(f"{card} input[name$='-title']", "报请住建局硬化后街路面")
    secretary.fill(f"{card} input[name$=owner_name]", "村党支部书记")
    secretary.fill(f"{card} input[name$=deadline]", deadline.isoformat())
    secretary.click(f"{card} button:has-text('添加')")
    secretary.wait_for_load_state("networkidle")
    assert ActionItem.objects.filter(topic=topic).count() == 1
    secretary.fill("textarea[name=minutes]", f"到会 {represented + 6} 人,代表 {represented} 户。议定硬化后街路面。")
    secretary.click("#minutes button:has-text('保存会议记录')")
    secretary.wait_for_load_state("networkidle")
    _fits(secretary)
    screenshot(secretary, "deliberation-run-meeting")
    secretary.click("#close-meeting")
    secretary.wait_for_load_state("networkidle")
    assert secretary.locator("#meeting-status").inner_text() == "已结束"

    # --- the village cannot pave the road itself: escalate the action item as a case -----------------
    secretary.click(f"{card} .actions-list a")
    secretary.wait_for_load_state("networkidle")
    secretary.click("#escalate summary")
    secretary.select_option("select[name=category]", label="基础设施")
    screenshot(secretary, "deliberation-escalate")
    secretary.click("#escalate button:has-text('转为事件')")
    secretary.wait_for_load_state("networkidle")
    case_number = secretary.locator("#case-number").inner_text()
    topic.refresh_from_db()
    assert topic.status == "escalated" and topic.case.number in case_number

    # --- the case goes round the whistle loop and closes ------------------------------------------------
    closed = _close_case_as_the_township_and_department(topic.case_id)
    assert closed.status == "closed"
    topic.refresh_from_db()
    assert topic.status == "resolved"

    # --- the villager reads the result on the results board ------------------------------------------------
    villager.goto_path("/deliberation/board/")
    villager.wait_for_load_state("networkidle")
    assert f"/deliberation/board/{yonghe.pk}/" in villager.url
    row = villager.locator(f"#board-topic-{topic.pk}")
    assert "已办结" in row.inner_text()
    assert "住建局已完成后街路面硬化" in row.inner_text()
    row.scroll_into_view_if_needed()
    _fits(villager)
    screenshot(villager, "deliberation-results-board")
    villager.goto_path(f"/deliberation/board/{yonghe.pk}/print/")
    assert villager.locator(".qr svg").count() == 1
    screenshot(villager, "deliberation-notice")
    villager.goto_path(f"/deliberation/topics/{topic.pk}/")
    assert villager.locator("#topic-status").inner_text() == "已办结"
