"""Lockout after 5 failures, per-address throttling, password rules, forced password change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from shanzhi.accounts.models import APIToken, FailedLogin, User
from shanzhi.accounts.services import create_user
from shanzhi.core.errors import InvalidInput
from shanzhi.core.models import AuditLog
from tests.factories import PASSWORD
from tests.trust.conftest import page_login, post_json, token_request

WRONG = "not-the-password-9"


def test_sixth_attempt_with_the_right_password_is_refused_as_locked_by_the_api(county):
    for attempt in range(1, 5):
        response = token_request("grid_worker", WRONG)
        assert response.status_code == 401, attempt
        assert response.json()["code"] == "invalid_credentials"
    fifth = token_request("grid_worker", WRONG)
    assert fifth.status_code == 403
    assert fifth.json()["code"] == "account_locked"
    sixth = token_request("grid_worker", PASSWORD)
    assert sixth.status_code == 403
    body = sixth.json()
    assert body["code"] == "account_locked"
    assert "锁定" in body["message"]
    user = User.objects.get(username="grid_worker")
    assert user.locked_until > timezone.now() + dt.timedelta(minutes=14)
    assert user.locked_until <= timezone.now() + dt.timedelta(minutes=15)
    assert AuditLog.objects.filter(action="accounts.user.locked", object_id=str(user.pk)).count() == 1
    refused = AuditLog.objects.filter(action="accounts.login_failed", object_id=str(user.pk), outcome="denied")
    # The 5th attempt (which locked) and the 6th (refused while locked).
    assert [r.extra["reason"] for r in refused] == ["account_locked", "account_locked"]
    assert AuditLog.objects.filter(action="accounts.login_failed", object_id=str(user.pk)).count() == 6
    assert not APIToken.objects.filter(user=user).exists()


def test_lock_lasts_fifteen_minutes_then_the_right_password_works_and_the_count_restarts(county):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            token_request("village_secretary", WRONG)
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=50), tick=False):
        assert token_request("village_secretary").json()["code"] == "account_locked"
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert token_request("village_secretary").status_code == 200
        user = User.objects.get(username="village_secretary")
        assert user.failed_login_count == 0 and user.locked_until is None
        for _ in range(4):
            token_request("village_secretary", WRONG)
        assert token_request("village_secretary").status_code == 200  # 4 failures: not locked


def test_a_success_resets_the_count_so_only_failures_in_a_row_lock(county):
    for _ in range(4):
        token_request("villager", WRONG)
    assert token_request("villager").status_code == 200
    for _ in range(4):
        token_request("villager", WRONG)
    assert token_request("villager").status_code == 200
    assert User.objects.get(username="villager").locked_until is None


def test_login_page_shows_the_lock_in_chinese_with_403(county):
    client = Client()
    for _ in range(5):
        response = page_login(client, "township_officer", WRONG)
    assert response.status_code == 403
    response = page_login(client, "township_officer", PASSWORD)
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-refusal="account_locked"' in html
    assert "密码错误次数过多,账户已锁定至" in html
    assert "_auth_user_id" not in client.session
    # Locked accounts are refused by every door, the admin's login form included.
    admin = Client().post("/admin/login/", {"username": "township_officer", "password": PASSWORD})
    assert admin.status_code == 200 and "_auth_user_id" not in admin.client.session


def test_one_address_is_throttled_after_20_failures_while_others_are_not(county, settings):
    assert settings.SHANZHI_LOGIN_IP_MAX_FAILURES == 20
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(20):
            response = token_request(f"nobody{n}", WRONG, ip="10.9.8.7")
            assert response.status_code == 401
        throttled = token_request("county_admin", PASSWORD, ip="10.9.8.7")
        assert throttled.status_code == 429
        assert throttled.json()["code"] == "throttled"
        assert 590 <= int(throttled["Retry-After"]) <= 601
        assert token_request("county_admin", PASSWORD, ip="10.9.8.8").status_code == 200
        page = page_login(Client(), "county_admin", PASSWORD, ip="10.9.8.7")
        assert page.status_code == 429 and "请于" in page.content.decode()
    with time_machine.travel(start + dt.timedelta(seconds=601), tick=False):
        assert token_request("county_admin", PASSWORD, ip="10.9.8.7").status_code == 200
    # Throttled attempts are refused before the password is checked and do not count against the account.
    assert User.objects.get(username="county_admin").failed_login_count == 0
    assert FailedLogin.objects.filter(ip="10.9.8.7").count() == 20


def test_failed_logins_older_than_a_day_are_pruned(county):
    old = timezone.now() - dt.timedelta(days=2)
    with time_machine.travel(old, tick=False):
        token_request("ghost", WRONG)
    token_request("ghost", WRONG)
    assert FailedLogin.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-1", "至少"),  # under 10 characters
        ("password123", "太常见"),
        ("1234567890123", "只包含数字"),
        ("{username}1", "太相似"),  # too close to the username
    ],
)
def test_passwords_follow_the_rules_on_every_path(county, password, reason):
    with pytest.raises(InvalidInput) as info:
        create_user(username="wangxiaoming", password=password.format(username="wangxiaoming"), display_name="王晓明")
    assert any(reason in m for m in info.value.fields["password"])
    assert not User.objects.filter(username="wangxiaoming").exists()

    password = password.format(username="grid_worker")
    client = Client()
    page_login(client, "grid_worker")
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert "has-error" in response.content.decode()
    assert User.objects.get(username="grid_worker").check_password(PASSWORD)

    api = post_json(
        "/api/v1/auth/password", {"username": "grid_worker", "password": PASSWORD, "new_password": password}
    )
    assert api.status_code == 422
    assert api.json()["fields"]["new_password"]


def test_password_similar_to_the_users_phone_is_refused(county):
    with pytest.raises(InvalidInput) as info:
        create_user(username="liu", password="13900001234", display_name="刘", phone="13900001234")
    assert info.value.fields["password"]


def test_forced_password_change_on_pages_and_in_the_api(county):
    create_user(username="newcomer", password="Initial-pass-2026", display_name="新同事", must_change_password=True)
    client = Client()
    assert page_login(client, "newcomer", "Initial-pass-2026").status_code == 302
    for path in ("/", "/households/", "/accounts/history/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", path
    assert "管理员设置" in client.get("/accounts/password/").content.decode()
    # Session API calls get the clear code, not a redirect.
    api = client.get("/api/v1/auth/me")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    token = token_request("newcomer", "Initial-pass-2026")
    assert token.status_code == 403 and token.json()["code"] == "password_change_required"

    same = client.post(
        "/accounts/password/",
        {
            "old_password": "Initial-pass-2026",
            "new_password1": "Initial-pass-2026",
            "new_password2": "Initial-pass-2026",
        },
    )
    assert "新密码不能与当前密码相同" in same.content.decode()
    done = client.post(
        "/accounts/password/",
        {"old_password": "Initial-pass-2026", "new_password1": "Cabbage-field-77", "new_password2": "Cabbage-field-77"},
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # still logged in, gate open
    assert token_request("newcomer", "Cabbage-field-77").status_code == 200
    user = User.objects.get(username="newcomer")
    assert not user.must_change_password
    assert AuditLog.objects.filter(action="accounts.password_changed", actor=user).count() == 1


def test_forced_change_through_the_api_returns_a_token(county):
    create_user(username="fieldapp", password="Initial-pass-2026", must_change_password=True)
    response = post_json(
        "/api/v1/auth/password",
        {"username": "fieldapp", "password": "Initial-pass-2026", "new_password": "Sorghum-harvest-31"},
    )
    assert response.status_code == 200, response.content
    me = Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['token']}"})
    assert me.status_code == 200 and me.json()["username"] == "fieldapp"
    wrong = post_json(
        "/api/v1/auth/password", {"username": "fieldapp", "password": WRONG, "new_password": "Sorghum-harvest-32"}
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"


def test_admin_created_accounts_and_admin_resets_force_a_change(county):
    admin = Client()
    admin.force_login(county.county_admin)
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "username": "cadre01",
            "usable_password": "true",
            "password1": "Admin-set-2026x",
            "password2": "Admin-set-2026x",
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S
    )
    user = User.objects.get(username="cadre01")
    assert user.must_change_password

    short = admin.post(
        f"/admin/accounts/user/{county.grid_worker.pk}/password/",
        {"password1": "abc", "password2": "abc", "usable_password": "true"},
    )
    assert short.status_code == 200  # refused by the validators
    token = token_request("grid_worker").json()["token"]
    reset = admin.post(
        f"/admin/accounts/user/{county.grid_worker.pk}/password/",
        {"password1": "Reset-by-admin-42", "password2": "Reset-by-admin-42", "usable_password": "true"},
    )
    assert reset.status_code == 302
    worker = User.objects.get(pk=county.grid_worker.pk)
    assert worker.must_change_password and worker.check_password("Reset-by-admin-42")
    old = Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 401  # the reset revoked the old tokens
    entry = AuditLog.objects.get(action="accounts.password_reset", object_id=str(worker.pk))
    assert entry.actor == county.county_admin and entry.extra["tokens_revoked"] == 1


def test_admin_unlocks_an_account(county):
    for _ in range(5):
        token_request("department_handler", WRONG)
    assert token_request("department_handler").status_code == 403
    admin = Client()
    admin.force_login(county.county_admin)
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "unlock_accounts", "_selected_action": [county.department_handler.pk]},
    )
    assert response.status_code == 302
    assert token_request("department_handler").status_code == 200
    assert AuditLog.objects.filter(action="accounts.user.unlocked", actor=county.county_admin).count() == 1


def test_login_endpoints_never_answer_500_on_odd_input(county):
    for payload in ({}, {"username": "x"}, {"username": None, "password": 3}, {"username": "a" * 5000, "password": ""}):
        response = post_json("/api/v1/auth/token", payload)
        assert response.status_code in (401, 422), payload
        assert set(response.json()) == {"code", "message", "fields"}
