"""The field app on a 360 px phone, with the network switched off and on (docs/guide/field.md).

- Offline: report a case with a camera photo and log two visits; back online, the server
  holds exactly one case and two visits, and the photo arrives as the phone resized it.
- The page is closed while a record is on its way (the server applied it, the answer
  never came back); reopened, the queue sends the rest and nothing is applied twice.
- The session expires while the phone is offline: the queue waits for a new login.
- A household moved out of the worker's area meanwhile: the phone shows why in Chinese,
  keeps the record, and the worker changes the household and sends it.
"""

from __future__ import annotations

import hashlib
import io
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from PIL import Image

from shanzhi.accounts.middleware import SEEN_AT
from shanzhi.cases.models import Case, CaseAttachment
from shanzhi.core.models import IdempotencyRecord
from shanzhi.gridwork.models import Visit
from shanzhi.people.services import update_household
from tests.browser.conftest import PHONE, _context, _Page, screenshot
from tests.factories import PASSWORD, build_small_county
from tests.field.conftest import build_field_county

SOURCE_SIZE = (2400, 1800)  # a camera photo; the phone sends at most 1280 px on the long side
QUADRANTS = [(220, 30, 30), (30, 160, 40), (30, 60, 200), (240, 200, 20)]


@pytest.fixture
def field_site(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_field_county(build_small_county())


@pytest.fixture
def camera_photo(tmp_path):
    """A large PNG with four coloured quadrants, so the resized copy can be checked by eye and by pixel."""
    width, height = SOURCE_SIZE
    image = Image.new("RGB", SOURCE_SIZE)
    half_w, half_h = width // 2, height // 2
    boxes = [
        (0, 0, half_w, half_h),
        (half_w, 0, width, half_h),
        (0, half_h, half_w, height),
        (half_w, half_h, width, height),
    ]
    for box, colour in zip(boxes, QUADRANTS, strict=True):
        image.paste(colour, box)
    path = tmp_path / "camera.png"
    image.save(path)
    return path


@pytest.fixture
def open_phone(browser, live_server):
    contexts = []

    def make():
        context = _context(browser, **PHONE)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def log_in(page: _Page, username: str = "grid_worker"):
    page.goto_path("/accounts/login/?next=/field/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/field/")
    wait_ready(page)


def shot(page: _Page, name: str):
    """A full-page screenshot for the guide, with the tab bar where it ends up after scrolling down."""
    page.evaluate(
        "() => { const s = document.createElement('style'); s.id = 'shot'; "
        "s.textContent = '.tabs { position: static; }'; document.head.appendChild(s); }"
    )
    screenshot(page, name)
    page.evaluate("() => document.getElementById('shot').remove()")


def wait_ready(page: _Page):
    page.wait_for_selector("body[data-ready]", state="attached")


def wait_synced(page: _Page):
    page.wait_for_selector('body[data-pending="0"]:not([data-syncing])', state="attached", timeout=30_000)


def fits_360(page: _Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def queue_visit(page: _Page, household, notes: str, purpose="elderly_care"):
    page.goto_path(f"/field/#visit?household={household.pk}")
    page.wait_for_selector("form #f-purpose")
    page.select_option("#f-purpose", purpose)
    page.fill("#f-notes", notes)
    page.click("#save")
    page.wait_for_selector("body[data-screen=home]", state="attached")


def queued_photo_sha(page: _Page) -> str:
    return page.evaluate(
        """() => shanzhiField.actions().then(async (list) => {
            const action = list.find((a) => a.type === 'case');
            const digest = await crypto.subtle.digest('SHA-256', await action.photos[0].arrayBuffer());
            return Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, '0')).join('');
        })"""
    )


def queue_case(page: _Page, county, photo_path):
    page.click("#go-case")
    page.wait_for_selector("form #f-category")
    page.select_option("#f-category", "infrastructure")
    page.fill("#f-title", "前街村道塌陷")
    page.fill("#f-description", "前街1号门口村道塌陷约一米,车辆无法通行。")
    page.select_option("#f-household", str(county.household.pk))
    page.set_input_files("#photo-input", str(photo_path))
    page.wait_for_selector(".thumb img")


def test_offline_case_with_photo_and_two_visits_reach_the_server_exactly_once(
    field_site, open_phone, live_server, camera_photo
):
    county = field_site
    page = _Page(open_phone().new_page(), live_server.url)
    log_in(page)
    # The service worker has taken the app shell: it opens again with no connection.
    page.wait_for_selector("body[data-offline-ready]", state="attached")
    assert "李桂君" in page.locator("#care-due").inner_text()
    assert fits_360(page)
    shot(page, "field-home")

    page.context.set_offline(True)
    page.reload()
    wait_ready(page)
    assert page.locator("#net").inner_text() == "离线"
    assert "李桂君" in page.locator("#care-due").inner_text()  # the snapshot came from IndexedDB

    queue_case(page, county, camera_photo)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 45.7612, "longitude": 132.9795})  # 虎林, from the phone's GPS
    page.click("text=记录我的位置")
    page.wait_for_selector("text=已记录位置")
    assert fits_360(page)
    shot(page, "field-case-offline")
    page.click("#save")
    page.wait_for_selector("body[data-screen=home]", state="attached")
    assert "联网后" in page.locator("#toast").inner_text()

    queue_visit(page, county.household, "帮老人买药,打扫院子。")
    queue_visit(page, county.care_household, "了解残疾补贴发放情况。", purpose="assistance")
    assert page.locator("#queue-count").inner_text() == "3"
    page.click("a[data-tab=queue]")
    page.wait_for_selector("#queue-list")
    assert page.locator("#queue-list li").count() == 3
    assert "等待发送" in page.locator("#queue-list").inner_text()
    shot(page, "field-queue-offline")
    sent_sha = queued_photo_sha(page)
    assert Case.objects.count() == 0 and Visit.objects.count() == 0  # nothing left the phone

    page.context.set_offline(False)
    wait_synced(page)
    page.wait_for_selector("#sent-list")
    shot(page, "field-queue-sent")

    assert Case.objects.count() == 1
    assert Visit.objects.count() == 2
    assert sorted(Visit.objects.values_list("household_id", flat=True)) == sorted(
        [county.household.pk, county.care_household.pk]
    )
    case = Case.objects.get()
    assert case.title == "前街村道塌陷" and case.household_id == county.household.pk
    assert abs(case.location_lat - 45.7612) < 1e-5 and abs(case.location_lng - 132.9795) < 1e-5
    attachment = CaseAttachment.objects.get(case=case)
    stored = attachment.file.read()
    # Byte for byte what the phone queued, and what the case service recorded.
    assert hashlib.sha256(stored).hexdigest() == sent_sha == attachment.sha256
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (1280, 960)  # resized on the phone, proportions kept
    for (x, y), colour in zip([(320, 240), (960, 240), (320, 720), (960, 720)], QUADRANTS, strict=True):
        pixel = image.convert("RGB").getpixel((x, y))
        assert all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True)), (pixel, colour)
    assert len(stored) < 300_000  # a weak signal can carry it


def test_closing_the_page_while_sending_leaves_no_duplicates(field_site, open_phone, live_server):
    county = field_site
    context = open_phone()
    page = _Page(context.new_page(), live_server.url)
    log_in(page)
    context.set_offline(True)
    page.click("#go-case")
    page.wait_for_selector("form #f-category")
    page.select_option("#f-category", "infrastructure")
    page.fill("#f-description", "水渠堵塞")
    page.click("#save")
    page.wait_for_selector("body[data-screen=home]", state="attached")
    queue_visit(page, county.household, "第一次走访")
    queue_visit(page, county.care_household, "第二次走访")

    # The first record goes through; the second reaches the server, which applies it,
    # but its answer never comes back: the worker closes the app right then.
    posts, held = [], []

    def lose_the_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.headers["idempotency-key"])
        if len(posts) == 1:
            route.continue_()
            return
        held.append(route.fetch().status)  # applied on the server; the page waits for ever

    page.route("**/api/v1/field/**", lose_the_answer)
    context.set_offline(False)
    deadline = time.monotonic() + 30
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert held == [201]
    states = page.evaluate("shanzhiField.actions().then((l) => l.map((a) => a.status))")
    assert states == ["done", "sending", "pending"]
    page.close()
    assert Case.objects.count() == 1 and Visit.objects.count() == 1

    seen = []
    context.on("request", lambda r: seen.append(r.headers.get("idempotency-key")) if r.method == "POST" else None)
    again = _Page(context.new_page(), live_server.url)
    again.goto_path("/field/")
    wait_ready(again)
    wait_synced(again)
    assert Case.objects.count() == 1
    assert Visit.objects.count() == 2
    assert seen[0] == posts[1]  # the interrupted record was sent again with its own key ...
    assert IdempotencyRecord.objects.filter(operation="field.visit").count() == 2  # ... and applied once
    statuses = again.evaluate("shanzhiField.actions().then((l) => l.map((a) => a.status))")
    assert statuses == ["done", "done", "done"]


def _expire_sessions_of(user):
    for row in Session.objects.all():
        store = SessionStore(session_key=row.session_key)
        if store.get("_auth_user_id") == str(user.pk):
            store[SEEN_AT] = time.time() - 24 * 3600
            store.save()


def test_a_session_that_expired_offline_keeps_the_queue_until_the_worker_logs_in_again(
    field_site, open_phone, live_server
):
    county = field_site
    context = open_phone()
    page = _Page(context.new_page(), live_server.url)
    log_in(page)
    context.set_offline(True)
    queue_visit(page, county.household, "下雨天巡访")
    _expire_sessions_of(county.grid_worker)

    context.set_offline(False)
    page.wait_for_selector("#banner:not([hidden])")
    assert "重新登录" in page.locator("#banner").inner_text()
    assert page.locator("body").get_attribute("data-pending") == "1"
    assert Visit.objects.count() == 0
    shot(page, "field-session-expired")

    page.click("#banner a")
    page.fill("input[name=username]", "grid_worker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/field/")
    wait_ready(page)
    wait_synced(page)
    assert Visit.objects.count() == 1
    assert Visit.objects.get().notes == "下雨天巡访"


def test_a_household_moved_away_meanwhile_is_explained_kept_and_can_be_corrected(field_site, open_phone, live_server):
    county = field_site
    context = open_phone()
    page = _Page(context.new_page(), live_server.url)
    log_in(page)
    context.set_offline(True)
    queue_visit(page, county.household, "送米面油")
    update_household(county.household, actor=None, grid=county.grid2)  # the village moved it meanwhile

    context.set_offline(False)
    page.wait_for_selector('body[data-conflicts="1"]', state="attached", timeout=30_000)
    assert Visit.objects.count() == 0
    page.click("a[data-tab=queue]")
    item = page.locator("#queue-list li.conflict")
    assert "不在您的管辖范围" in item.inner_text()
    assert fits_360(page)
    shot(page, "field-conflict")

    item.locator("a", has_text="修改").click()
    page.wait_for_selector(".conflict")
    assert page.locator("#f-notes").input_value() == "送米面油"  # nothing the worker wrote is lost
    page.select_option("#f-household", str(county.care_household.pk))
    page.click("#save")
    page.wait_for_selector("body[data-screen=home]", state="attached")
    wait_synced(page)
    visit = Visit.objects.get()
    assert visit.household_id == county.care_household.pk and visit.notes == "送米面油"
    assert page.locator("body").get_attribute("data-conflicts") == "0"


def test_font_size_setting_and_the_households_list(field_site, open_phone, live_server):
    page = _Page(open_phone().new_page(), live_server.url)
    log_in(page)
    page.click("a[data-tab=households]")
    page.wait_for_selector("#household-list li")
    assert page.locator("#household-list li").count() == 3
    page.fill("#household-search", "李桂君")
    assert page.locator("#household-list li").count() == 1
    assert "138****5678" in page.locator("#household-list").inner_text()
    shot(page, "field-households")

    page.click("a[data-tab=settings]")
    normal = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.check("input[name=font][value=larger]")
    larger = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert larger > normal * 1.25
    # Touch targets stay at least 48 px high, and nothing spills past 360 px.
    heights = page.evaluate(
        "Array.from(document.querySelectorAll('button, .tabs a')).map((e) => e.getBoundingClientRect().height)"
    )
    assert min(heights) >= 48
    assert fits_360(page)
    shot(page, "field-settings-large-font")
    page.reload()
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.font") == "larger"  # remembered on the phone


def snapshot_keys(page: _Page) -> list:
    return page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open('shanzhi-field');
            open.onsuccess = () => {
                const request = open.result.transaction('snapshot').objectStore('snapshot').getAllKeys();
                request.onsuccess = () => resolve(request.result);
            };
        })"""
    )


def test_a_shared_phone_keeps_only_the_current_workers_households(field_site, open_phone, live_server):
    county = field_site
    context = open_phone()
    page = _Page(context.new_page(), live_server.url)
    log_in(page, "grid_worker")
    assert snapshot_keys(page) == [county.grid_worker.pk]
    context.clear_cookies()
    log_in(page, "village_secretary")
    assert snapshot_keys(page) == [county.village_secretary.pk]
