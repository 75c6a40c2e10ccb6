from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shanzhi.cases import services
from shanzhi.cases.models import CalendarDay, Case, CaseAttachment, CaseEvent, Notification, Open311Key
from tests.cases.conftest import new_case, png_bytes
from tests.factories import fresh

pytestmark = pytest.mark.usefixtures("cc", "media_root")

# page -> (a persona allowed to open it, a logged-in persona whose role lacks the permission)
PAGES = {
    "/cases/": ("grid_worker", "outsider"),
    "/cases/new/": ("grid_worker", "department_handler"),
    "/cases/queue/": ("township_officer", "grid_worker"),
    "/cases/inbox/": ("department_handler", "township_officer"),
    "/cases/follow-up/": ("township_officer", "department_handler"),
    "/cases/supervision/": ("supervisor", "township_officer"),
    "/cases/settings/calendar/": ("county_admin", "township_officer"),
    "/cases/settings/open311/": ("county_admin", "supervisor"),
    "/cases/households/?q=lgj": ("grid_worker", "department_handler"),
}


@pytest.mark.parametrize("path", PAGES)
def test_pages_open_for_their_roles_and_refuse_others(page_as, path):
    allowed, refused = PAGES[path]
    response = page_as(allowed).get(path)
    assert response.status_code == 200, response.content[:300]
    assert page_as(refused).get(path).status_code == 403
    anonymous = page_as(None).get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_detail_and_attachment_scope(cc, page_as):
    case = new_case(cc, attachments=[SimpleUploadedFile("p.png", png_bytes())])
    attachment = CaseAttachment.objects.get(case=case)
    assert page_as("grid_worker").get(f"/cases/{case.pk}/").status_code == 200
    assert page_as("villager").get(f"/cases/{case.pk}/").status_code == 404  # not about their household
    for persona in ("other_township_officer", "department_handler", "supervisor", "outsider", "other_villager"):
        assert page_as(persona).get(f"/cases/{case.pk}/").status_code == 404, persona
        assert page_as(persona).get(f"/cases/attachments/{attachment.pk}/").status_code == 404, persona
    image = page_as("township_officer").get(f"/cases/attachments/{attachment.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert page_as("grid_worker").post(f"/cases/{case.pk}/steps/accept/").status_code == 403
    assert page_as("other_township_officer").post(f"/cases/{case.pk}/steps/accept/").status_code == 404


def test_report_form_on_a_phone_with_photo_and_household(cc, page_as):
    client = page_as("grid_worker")
    page = client.get("/cases/new/").content.decode()
    assert 'capture="environment"' in page and 'name="form_token"' in page and "使用当前位置" in page
    token = "tok-1"
    form = {
        "form_token": token,
        "category": "infrastructure",
        "description": "永和村前街路灯不亮",
        "grid": cc.grid.pk,
        "household": cc.household.pk,
        "location_lat": "45.77",
        "location_lng": "132.97",
        "source": "grid_patrol",
        "address": "永和村前街",
    }
    response = client.post("/cases/new/", {**form, "photos": [SimpleUploadedFile("a.png", png_bytes())]})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.household == cc.household and case.attachments.count() == 1 and case.location_lat == 45.77
    # The same form sent again (a double tap, a retry on a bad network) opens the same case.
    again = client.post("/cases/new/", {**form, "photos": [SimpleUploadedFile("a.png", png_bytes())]})
    assert again.status_code == 302 and again["Location"] == f"/cases/{case.pk}/"
    assert Case.objects.count() == 1
    detail = client.get(again["Location"]).content.decode()
    assert case.number in detail and "网格员巡查" in detail


def test_report_form_errors_are_shown_by_the_fields_and_nothing_is_saved(cc, page_as):
    client = page_as("grid_worker")
    response = client.post(
        "/cases/new/",
        {
            "form_token": "tok-2",
            "category": "infrastructure",
            "description": "",
            "grid": cc.grid.pk,
            "source": "grid_patrol",
            "photos": [SimpleUploadedFile("virus.jpg", b"MZ\x90\x00not a photo", content_type="image/jpeg")],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "请描述问题" in page
    response = client.post(
        "/cases/new/",
        {
            "form_token": "tok-3",
            "category": "infrastructure",
            "description": "路灯不亮",
            "grid": cc.grid.pk,
            "source": "grid_patrol",
            "photos": [SimpleUploadedFile("virus.jpg", b"MZ\x90\x00not a photo", content_type="image/jpeg")],
        },
    )
    page = response.content.decode()
    assert "virus.jpg 不是可接受的文件" in page and 'data-field="photos"' in page
    response = client.post(
        "/cases/new/",
        {"form_token": "tok-4", "category": "infrastructure", "description": "x", "grid": cc.far_grid.pk},
    )
    assert "请选择您辖区内的网格" in response.content.decode()
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_villager_reports_from_the_page(cc, page_as):
    client = page_as("villager")
    page = client.get("/cases/new/").content.decode()
    assert 'name="grid"' not in page
    response = client.post(
        "/cases/new/", {"form_token": "v-1", "category": "social_assistance", "description": "养老金没到账"}
    )
    assert response.status_code == 302
    assert Case.objects.get().household == cc.household


def test_steps_through_pages_and_queues(cc, page_as):
    case = new_case(cc)
    township = page_as("township_officer")
    queue = township.get("/cases/queue/").content.decode()
    assert case.title in queue and 'data-tab="new"' in queue
    detail = township.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-step="accept"' in detail and 'data-step="dispatch"' not in detail
    assert township.post(f"/cases/{case.pk}/steps/accept/", {"note": "受理"}).status_code == 302
    again = township.post(f"/cases/{case.pk}/steps/accept/", {"note": "受理"})
    assert again.status_code == 409 and "不能执行" in again.content.decode()
    detail = township.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-step="dispatch"' in detail and f'<option value="{cc.department.pk}" selected>' in detail
    bad = township.post(f"/cases/{case.pk}/steps/dispatch/", {"department": ""})
    assert bad.status_code == 422 and "请选择主办部门" in bad.content.decode()
    ok = township.post(f"/cases/{case.pk}/steps/dispatch/", {"department": cc.department.pk})
    assert ok.status_code == 302
    handler = page_as("department_handler")
    inbox = handler.get("/cases/inbox/").content.decode()
    assert case.title in inbox
    assert handler.get("/").content.decode().count('class="unread-badge"') == 1
    assert handler.post(f"/cases/{case.pk}/steps/check_in/").status_code == 302
    resolved = handler.post(
        f"/cases/{case.pk}/steps/resolve/",
        {"result": "已修复", "photos": [SimpleUploadedFile("after.png", png_bytes())]},
    )
    assert resolved.status_code == 302
    assert case.title in township.get("/cases/follow-up/").content.decode()
    assert township.post(f"/cases/{case.pk}/steps/follow_up/", {"satisfied": "yes"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    page = township.get(f"/cases/{case.pk}/").content.decode()
    for label in ("已上报", "受理", "派单", "报到", "办结", "回访满意"):
        assert label in page
    assert page.count('class="event ') == 6


def test_notifications_page(cc, page_as):
    new_case(cc)
    client = page_as("township_officer")
    page = client.get("/cases/notifications/").content.decode()
    assert "新事件" in page
    note = Notification.objects.get(recipient=cc.township_officer)
    opened = client.get(f"/cases/notifications/{note.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/cases/{note.case_id}/"
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert page_as("grid_worker").get(f"/cases/notifications/{note.pk}/").status_code == 404


def test_calendar_settings_page(cc, page_as):
    client = page_as("county_admin")
    page = client.get("/cases/settings/calendar/").content.decode()
    assert 'id="makeup-warning"' in page  # today's next year (the machine clock) has no announced make-up days
    response = client.post(
        "/cases/settings/calendar/", {"date": "2027-02-20", "kind": "working_day", "note": "春节调休"}
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get()
    assert day.created_by == cc.county_admin
    bad = client.post("/cases/settings/calendar/", {"date": "not a date", "kind": "working_day"})
    assert bad.status_code == 200 and 'class="field has-error" data-field="date"' in bad.content.decode()
    assert client.post("/cases/settings/calendar/", {"remove": day.pk}).status_code == 302
    assert CalendarDay.objects.count() == 0


def test_open311_key_page(cc, page_as):
    client = page_as("county_admin")
    response = client.post("/cases/settings/open311/", {"name": "12345热线", "default_grid": cc.grid.pk})
    page = response.content.decode()
    assert 'id="issued-key"' in page
    key = Open311Key.objects.get()
    assert key.prefix in page and key.key_hash not in page
    again = client.post("/cases/settings/open311/", {"name": "12345热线", "default_grid": cc.grid.pk})
    assert "已有同名的对接系统" in again.content.decode()
    client.post("/cases/settings/open311/", {"revoke": key.pk})
    assert Open311Key.objects.get().active is False


def test_supervision_board_shows_escalated_cases_only(cc, page_as):
    case = new_case(cc)
    officer = fresh(cc.township_officer)
    services.accept_case(case, actor=officer)
    services.dispatch_case(case, cc.department, actor=officer)
    board = page_as("supervisor").get("/cases/supervision/").content.decode()
    assert case.title not in board
    Case.objects.filter(pk=case.pk).update(escalation_level=1)
    board = page_as("supervisor").get("/cases/supervision/?tab=township").content.decode()
    assert case.title in board and "住建局" in board
    assert case.title not in page_as("other_supervisor").get("/cases/supervision/?tab=township").content.decode()
    assert page_as("supervisor").post(f"/cases/{case.pk}/steps/urge/", {"note": "请加快"}).status_code == 302
    assert Notification.objects.filter(recipient=cc.department_handler, kind="urged").count() == 1


def test_list_filters_on_the_page(cc, page_as):
    new_case(cc, title="路灯不亮")
    new_case(cc, title="垃圾堆放", category="sanitation")
    client = page_as("township_officer")
    page = client.get("/cases/", {"category": "sanitation"}).content.decode()
    assert "垃圾堆放" in page and "路灯不亮" not in page
    partial = client.get("/cases/", {"q": "路灯"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "路灯不亮" in partial
    bad = client.get("/cases/", {"area": cc.far_village.pk}).content.decode()
    assert "未知区域" in bad


def test_a_county_supervisor_sees_escalated_cases_of_every_township(cc, page_as, client):
    from shanzhi.accounts.choices import Role
    from shanzhi.accounts.services import assign_role, create_user
    from shanzhi.core.errors import InvalidInput

    near, far = new_case(cc, title="永和村道塌陷"), new_case(cc, title="阿北村桥梁开裂", grid=cc.far_grid, actor=cc.other_township_officer)
    quiet = new_case(cc, title="未升级的事件")
    Case.objects.filter(pk__in=[near.pk, far.pk]).update(escalation_level=1)
    inspector = create_user(username="county_inspector", password="shanzhi-test-pw", display_name="县纪委督导")
    assign_role(inspector, Role.SUPERVISOR, area=cc.county)
    assert set(Case.objects.for_user(fresh(inspector)).values_list("pk", flat=True)) == {near.pk, far.pk}
    client.force_login(inspector)
    board = client.get("/cases/supervision/?tab=township").content.decode()
    assert near.title in board and far.title in board and quiet.title not in board
    # A village is not a level supervision is organised at; the message names the levels in Chinese.
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        assign_role(inspector, Role.SUPERVISOR, area=cc.village)
    assert "乡镇或县" in str(refused.value.fields["area"])
