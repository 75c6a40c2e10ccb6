"""The pages: forms show field-level Chinese messages, nothing half-saved; the board prints with a QR code."""

from __future__ import annotations

import datetime as dt
import re

import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.deliberation import services
from shanzhi.deliberation.models import ActionItem, Decision, Meeting, Topic, Venue
from tests.deliberation.conftest import photo


def test_villager_raises_a_topic_on_the_page(county, page_as):
    client = page_as("villager")
    page = client.get("/deliberation/topics/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "我要说事" in html and "household_number" not in html  # a villager raises for their own household
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', html).group(1)
    empty = client.post("/deliberation/topics/new/", {"title": "", "form_token": token})
    assert empty.status_code == 200
    body = empty.content.decode()
    assert "请用一句话说明要议什么事" in body and "请选择议题类别" in body
    assert Topic.objects.count() == 0
    data = {
        "title": "安装路灯",
        "topic_class": "livelihood",
        "description": "后街晚上太黑",
        "form_token": token,
        "attachments": [photo("dark.png")],
    }
    created = client.post("/deliberation/topics/new/", data)
    assert created.status_code == 302
    data["attachments"] = [photo("dark.png")]
    again = client.post("/deliberation/topics/new/", data)  # the same form sent twice
    assert again.status_code == 302 and again["Location"] == created["Location"]
    assert Topic.objects.count() == 1
    detail = client.get(created["Location"])
    assert "安装路灯" in detail.content.decode() and "已提出" in detail.content.decode()
    mine = client.get("/deliberation/topics/mine/").content.decode()
    assert "安装路灯" in mine


def test_secretary_declines_with_a_reason_the_villager_reads(county, page_as):
    topic = services.raise_topic(actor=county.villager, title="分家", topic_class="hard_problem")
    secretary = page_as("village_secretary")
    refused = secretary.post(f"/deliberation/topics/{topic.pk}/decline/", {"reason": ""})
    assert refused.status_code == 422 and "请填写理由" in refused.content.decode()
    assert secretary.post(f"/deliberation/topics/{topic.pk}/decline/", {"reason": "建议调解"}).status_code == 302
    page = page_as("villager").get(f"/deliberation/topics/{topic.pk}/").content.decode()
    assert "不予受理" in page and "建议调解" in page


def test_meeting_without_venue_on_the_page(county, page_as, venue, accepted_topic):
    client = page_as("village_secretary")
    form = client.get(f"/deliberation/meetings/new/?topic={accepted_topic.pk}")
    assert form.status_code == 200
    response = client.post(
        "/deliberation/meetings/new/",
        {"format": "evening_talk", "scheduled_at": "", "host_name": "书记", "topics": [accepted_topic.pk]},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "请选择召开议事会的议事场所" in html and "请填写议事会的日期和时间" in html and "请填写记录人" in html
    assert Meeting.objects.count() == 0
    when = (timezone.localdate() + dt.timedelta(days=2)).strftime("%Y-%m-%dT19:30")
    ok = client.post(
        "/deliberation/meetings/new/",
        {
            "venue": venue.pk,
            "format": "evening_talk",
            "scheduled_at": when,
            "host_name": "书记",
            "minute_taker_name": "到村大学生",
            "topics": [accepted_topic.pk],
        },
    )
    assert ok.status_code == 302
    meeting = Meeting.objects.get()
    assert timezone.localtime(meeting.scheduled_at).strftime("%H:%M") == "19:30"
    accepted_topic.refresh_from_db()
    assert accepted_topic.status == "scheduled"


def test_running_the_meeting_on_the_page(county, page_as, open_meeting, accepted_topic):
    client = page_as("village_secretary")
    url = f"/deliberation/meetings/{open_meeting.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and "一、到会情况" in page.content.decode()
    prefix = f"t{accepted_topic.pk}-"
    too_many = client.post(
        url,
        {
            "action": "decide",
            "topic": accepted_topic.pk,
            prefix + "votes_for": "2",
            prefix + "votes_against": "1",
            prefix + "votes_abstain": "0",
            prefix + "outcome": "adopted",
        },
    )
    assert too_many.status_code == 422
    assert "赞成、反对、弃权合计 3 票,超过了到会的 2 户" in too_many.content.decode()
    no_majority = client.post(
        url,
        {
            "action": "decide",
            "topic": accepted_topic.pk,
            prefix + "votes_for": "1",
            prefix + "votes_against": "1",
            prefix + "votes_abstain": "0",
            prefix + "outcome": "adopted",
        },
    )
    assert no_majority.status_code == 422 and "不能记为通过" in no_majority.content.decode()
    assert Decision.objects.count() == 0
    voted = client.post(
        url,
        {
            "action": "decide",
            "topic": accepted_topic.pk,
            prefix + "votes_for": "2",
            prefix + "votes_against": "0",
            prefix + "votes_abstain": "0",
            prefix + "outcome": "adopted",
            prefix + "summary": "同意",
        },
    )
    assert voted.status_code == 302
    no_owner = client.post(url, {"action": "act", "topic": accepted_topic.pk, prefix + "title": "施工"})
    assert no_owner.status_code == 422
    html = no_owner.content.decode()
    assert "请填写责任人" in html and "请填写完成时限" in html
    assert ActionItem.objects.count() == 0
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    added = client.post(
        url,
        {
            "action": "act",
            "topic": accepted_topic.pk,
            prefix + "title": "施工",
            prefix + "owner_name": "村主任",
            prefix + "deadline": deadline,
        },
    )
    assert added.status_code == 302 and ActionItem.objects.count() == 1
    assert client.post(url, {"action": "minutes", "minutes": "到会3人"}).status_code == 302
    assert client.post(url, {"action": "close"}).status_code == 302
    edit = client.post(url, {"action": "minutes", "minutes": "到会3人,代表2户", "note": ""})
    assert edit.status_code == 422 and "修改记录须填写原因" in edit.content.decode()
    assert client.post(url, {"action": "minutes", "minutes": "到会3人,代表2户", "note": "补记"}).status_code == 302
    versions = client.get(f"/deliberation/meetings/{open_meeting.pk}/minutes/").content.decode()
    assert "第 1 版" in versions and "第 2 版" in versions and "补记" in versions


def test_attendance_form_and_sign_in_sheet(county, page_as, venue, accepted_topic):
    meeting = services.create_meeting(
        actor=county.village_secretary,
        venue=venue,
        format="courtyard_talk",
        scheduled_at=timezone.now() + dt.timedelta(hours=2),
        host_name="书记",
        minute_taker_name="记录员",
        topics=[accepted_topic],
    )
    client = page_as("village_secretary")
    url = f"/deliberation/meetings/{meeting.pk}/"
    bad = client.post(url, {"action": "attendance", "residents_present": "1", "households_represented": "2"})
    assert bad.status_code == 422 and "到会 1 人不可能代表 2 户" in bad.content.decode()
    not_photo = client.post(
        url,
        {
            "action": "attendance",
            "residents_present": "3",
            "households_represented": "2",
            "sign_in_sheet": SimpleUploadedFile("sheet.png", b"hello", content_type="image/png"),
        },
    )
    assert not_photo.status_code == 422 and "不是照片" in not_photo.content.decode()
    meeting.refresh_from_db()
    assert meeting.residents_present is None
    good = client.post(
        url,
        {"action": "attendance", "residents_present": "3", "households_represented": "2", "sign_in_sheet": photo()},
    )
    assert good.status_code == 302
    sheet = client.get(f"/deliberation/files/sign-in/{meeting.pk}/")
    assert sheet.status_code == 200 and b"".join(sheet.streaming_content).startswith(b"\x89PNG")
    assert page_as("other_village_secretary").get(f"/deliberation/files/sign-in/{meeting.pk}/").status_code == 404


def test_venue_pages(county, page_as):
    client = page_as("village_secretary")
    bad = client.post("/deliberation/venues/new/", {"kind": "", "name": "", "village": county.village.pk})
    assert bad.status_code == 422
    assert "请选择场所类型" in bad.content.decode() and "请填写场所名称" in bad.content.decode()
    wrong_host = client.post(
        "/deliberation/venues/new/",
        {"kind": "courtyard", "name": "小院", "village": county.village.pk, "host_household_number": "H0100"},
    )
    assert wrong_host.status_code == 422 and "没有这个户号" in wrong_host.content.decode()
    assert Venue.objects.count() == 0
    ok = client.post(
        "/deliberation/venues/new/",
        {
            "kind": "courtyard",
            "name": "李桂君家议事小院",
            "village": county.village.pk,
            "host_household_number": "H0001",
            "capacity": "30",
            "active": "on",
            "photo": photo(),
        },
    )
    assert ok.status_code == 302
    venue = Venue.objects.get()
    assert venue.host_household == county.household and venue.photo
    listing = client.get("/deliberation/venues/").content.decode()
    assert "李桂君家议事小院" in listing and "议事小院" in listing


def test_results_board_and_printable_notice(county, page_as, open_meeting, accepted_topic):
    decision = services.record_decision(
        open_meeting,
        accepted_topic,
        actor=county.village_secretary,
        votes_for=2,
        votes_against=0,
        votes_abstain=0,
        outcome="adopted",
        summary="同意修路",
    )
    item = services.add_action_item(
        decision,
        actor=county.village_secretary,
        title="施工",
        owner_name="村主任",
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    services.record_progress(item, actor=county.village_secretary, note="已完工", status="done")
    services.resolve_topic(accepted_topic, actor=county.village_secretary, result="前街已修好")
    villager = page_as("villager")
    board = villager.get(f"/deliberation/board/{county.village.pk}/")
    assert board.status_code == 200
    html = board.content.decode()
    assert "永和村议事结果公示栏" in html and "前街已修好" in html and "赞成 2" in html and "已完工" in html
    assert "提出人" not in html and "代村民提出" not in html  # the raiser is not named on the public board
    assert villager.get("/deliberation/board/").status_code == 302
    printed = villager.get(f"/deliberation/board/{county.village.pk}/print/")
    assert printed.status_code == 200
    text = printed.content.decode()
    url = f"http://testserver/deliberation/board/{county.village.pk}/"
    expected = segno.make(url, error="m").svg_inline(scale=4, border=2)
    assert expected in text  # the QR code encodes the board's address
    assert "扫码查看最新进展" in text
    assert page_as("other_villager").get(f"/deliberation/board/{county.village.pk}/").status_code == 404


def test_secretary_board_shows_the_work(county, page_as, open_meeting, accepted_topic):
    services.raise_topic(actor=county.villager, title="新提的事", topic_class="development")
    html = page_as("village_secretary").get("/deliberation/").content.decode()
    assert "议事工作台" in html and "新提的事" in html and "近期议事会" in html
    township = page_as("township_officer").get("/deliberation/actions/?overdue=1")
    assert township.status_code == 200 and "逾期落实事项" in township.content.decode()


def test_quorum_rule_page(county, page_as):
    client = page_as("village_secretary")
    page = client.get(f"/deliberation/villages/{county.village.pk}/quorum/")
    assert "按到会户数计票" in page.content.decode() and "默认规则" in page.content.decode()
    saved = client.post(
        f"/deliberation/villages/{county.village.pk}/quorum/", {"basis": "households", "numerator": 2, "denominator": 3}
    )
    assert saved.status_code == 302
    assert "三分之二" in client.get(f"/deliberation/villages/{county.village.pk}/quorum/").content.decode()


def test_topic_list_names_a_bad_date_and_still_lists(county, page_as, accepted_topic):
    """A hand-edited overview link: the bad date is named in Chinese, the rest of the filter still applies."""
    client = page_as("village_secretary")
    good = client.get("/deliberation/topics/")
    assert good.status_code == 200 and accepted_topic.title in good.content.decode()
    bad = client.get("/deliberation/topics/?resolved_since=2026-13-01")
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "请按“年-月-日”(YYYY-MM-DD)填写日期" in html
    assert accepted_topic.title in html  # the bad date is left out, not turned into an empty list
    dated = client.get(f"/deliberation/topics/?resolved_since={timezone.localdate().isoformat()}")
    assert "YYYY-MM-DD" not in dated.content.decode()
    assert accepted_topic.title not in dated.content.decode()  # not resolved: outside the window
