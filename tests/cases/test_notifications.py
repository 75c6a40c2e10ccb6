"""The outbox and its senders."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command

from shanzhi.cases import conf
from shanzhi.cases.models import Notification
from shanzhi.cases.notify import LogSender, SmsGatewaySender, deliver_outbox, mark_read
from tests.cases.conftest import new_case
from tests.factories import fresh


class RecordingGateway(SmsGatewaySender):
    def __init__(self):
        self.sent = []

    def send_sms(self, phone, text):
        self.sent.append((phone, text))


class BrokenGateway(SmsGatewaySender):
    def send_sms(self, phone, text):
        raise ConnectionError("gateway unreachable")


def test_log_sender_delivers_and_marks_sent(cc, caplog):
    new_case(cc)
    assert Notification.objects.unsent().count() == 1
    with caplog.at_level(logging.INFO, logger="shanzhi.notifications"):
        assert deliver_outbox(sender=LogSender()) == {"sent": 1, "failed": 0}
    assert "新事件" in caplog.text
    note = Notification.objects.get()
    assert note.sent_at is not None and note.attempts == 1 and note.read_at is None
    assert deliver_outbox(sender=LogSender()) == {"sent": 0, "failed": 0}


def test_sms_gateway_interface(cc):
    cc.township_officer.phone = "13900009999"
    cc.township_officer.save()
    new_case(cc)
    gateway = RecordingGateway()
    deliver_outbox(sender=gateway)
    [(phone, text)] = gateway.sent
    assert phone == "13900009999" and text.startswith("【善治】新事件")


def test_failures_are_retried_then_given_up(cc):
    cc.township_officer.phone = "13900009999"
    cc.township_officer.save()
    new_case(cc)
    for _attempt in range(conf.NOTIFICATION_MAX_ATTEMPTS):
        assert deliver_outbox(sender=BrokenGateway()) == {"sent": 0, "failed": 1}
    note = Notification.objects.get()
    assert note.failed_at is not None and note.attempts == conf.NOTIFICATION_MAX_ATTEMPTS
    assert "unreachable" in note.last_error
    assert deliver_outbox(sender=BrokenGateway()) == {"sent": 0, "failed": 0}


def test_mark_read_only_touches_my_own(cc):
    new_case(cc)
    note = Notification.objects.get()
    assert mark_read(fresh(cc.grid_worker), [note.pk]) == 0
    assert mark_read(fresh(cc.township_officer), [note.pk]) == 1


def test_send_command(cc, capsys):
    new_case(cc)
    call_command("send_notifications")
    assert "sent=1" in capsys.readouterr().out


@pytest.mark.parametrize("sender", ["shanzhi.cases.notify.LogSender"])
def test_configured_sender_is_importable(sender):
    from django.utils.module_loading import import_string

    assert hasattr(import_string(sender)(), "send")


@pytest.mark.parametrize(
    ("link", "local"),
    [
        ("/dashboard/reports/7/", True),
        ("/points/villages/3/ledger/?kind=deduction", True),
        ("", False),
        ("dashboard/reports/7/", False),
        ("//evil.example/", False),
        ("/\\evil.example/", False),
        ("https://evil.example/", False),
        ("/\x00/", False),
    ],
)
def test_only_paths_of_this_site_are_notification_links(link, local):
    from shanzhi.core.validators import is_local_path

    assert is_local_path(link) is local


def test_a_notification_never_sends_its_reader_to_another_site(county, page_as):
    """notify() refuses a foreign link; a row written around it is not followed either."""
    from shanzhi.cases.notify import notify

    with pytest.raises(ValueError, match="path on this site"):
        notify([county.village_secretary.pk], kind="report_ready", text="报表已生成", link="/\\evil.example/")
    good = notify([county.village_secretary.pk], kind="report_ready", text="报表已生成", link="/dashboard/reports/")
    bad = Notification.objects.create(
        recipient=county.village_secretary, kind="report_ready", text="旧消息", link="/\\evil.example/"
    )
    client = page_as("village_secretary")
    assert client.get(f"/cases/notifications/{bad.pk}/")["Location"] == "/cases/notifications/"
    first = Notification.objects.filter(recipient=county.village_secretary, text="报表已生成").get()
    assert client.get(f"/cases/notifications/{first.pk}/")["Location"] == "/dashboard/reports/"
    assert good == 1
