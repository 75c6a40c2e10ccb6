"""Idle and absolute session limits; each user's own login history; security headers."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client
from django.utils import timezone

from shanzhi.core.models import AuditLog
from tests.trust.conftest import page_login, token_request


def _logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_an_idle_session_ends_after_30_minutes(county):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        page_login(client, "grid_worker")
        assert _logged_in(client)
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert _logged_in(client)  # activity at 29 minutes keeps it alive ...
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert _logged_in(client)  # ... for another 30
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        response = client.get("/households/?q=x")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=%2Fhouseholds%2F%3Fq%3Dx"
        assert "30 分钟未操作" in client.get(response["Location"]).content.decode()
        assert client.get("/").status_code == 302
    entry = AuditLog.objects.filter(action="accounts.logout", actor=county.grid_worker).latest("id")
    assert entry.extra["reason"] == "session_idle"


def test_any_session_ends_after_12_hours_even_when_active(county):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        page_login(client, "grid_worker")
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert _logged_in(client), minutes
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=1), tick=False):
        response = client.get("/")
        assert response.status_code == 302
        assert "已满 12 小时" in client.get(response["Location"]).content.decode()
    entry = AuditLog.objects.filter(action="accounts.logout", actor=county.grid_worker).latest("id")
    assert entry.extra["reason"] == "session_absolute"


def test_expired_session_on_the_api_gets_a_json_code(county):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        page_login(client, "village_secretary")
        assert client.get("/api/v1/auth/me").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_each_user_sees_their_own_login_history_with_failed_attempts(county):
    token_request("grid_worker", "someone-guessing-1", ip="10.1.2.3")
    client = Client()
    page_login(client, "grid_worker", ip="10.4.5.6")
    token_request("village_secretary")  # someone else's history
    page = client.get("/accounts/history/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "失败:密码错误" in html and "10.1.2.3" in html
    assert "登录成功" in html and "10.4.5.6" in html
    assert "village_secretary" not in html
    rows = AuditLog.objects.filter(object_type="accounts.user", object_id=str(county.village_secretary.pk))
    assert rows.exists()
    assert html.count('data-action="') == 2


def test_a_county_admin_sees_only_their_own_history_too(county):
    page_login(Client(), "grid_worker")
    admin = Client()
    page_login(admin, "county_admin")
    html = admin.get("/accounts/history/").content.decode()
    assert html.count('data-action="accounts.login"') == 1


def test_pages_and_the_api_carry_the_security_headers(county):
    client = Client()
    page_login(client, "grid_worker")
    for response in (client.get("/"), client.get("/accounts/login/"), client.get("/api/v1/auth/me")):
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
