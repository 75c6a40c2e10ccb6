"""TOTP second factor: enrolment, the verify step, the API's otp field, required for county admins."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from shanzhi.accounts.models import User
from shanzhi.core.models import AuditLog
from tests.trust.conftest import enrol, page_login, token_request, totp_code


def test_staff_member_enrols_an_authenticator_with_a_qr_code(county):
    client = Client()
    page_login(client, "grid_worker")
    page = client.get("/accounts/two-factor/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and 'id="otp-qr"' in html
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=county.grid_worker, confirmed=False)
    assert secret.replace(" ", "") == __import__("base64").b32encode(device.bin_key).decode().rstrip("=")
    # The same pending device (and QR code) until it is confirmed.
    assert client.get("/accounts/two-factor/").content.decode().count(secret) == 1
    assert TOTPDevice.objects.filter(user=county.grid_worker).count() == 1

    wrong = client.post("/accounts/two-factor/", {"action": "confirm", "code": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=county.grid_worker, confirmed=True).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):  # past django-otp's back-off
        done = client.post("/accounts/two-factor/", {"action": "confirm", "code": totp_code(device)})
    assert done.status_code == 302
    assert TOTPDevice.objects.get(user=county.grid_worker).confirmed
    assert "已绑定" in client.get("/accounts/two-factor/").content.decode()
    assert AuditLog.objects.filter(action="accounts.otp.enrolled", actor=county.grid_worker).count() == 1
    assert client.get("/").status_code == 200  # the enrolling session counts as verified


def test_login_with_an_authenticator_takes_two_steps(county):
    device = enrol(county.township_officer)
    client = Client()
    first = page_login(client, "township_officer")
    assert first.status_code == 302 and first["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in client.session  # not logged in after the password alone
    assert client.get("/").status_code == 302

    wrong = client.post("/accounts/login/verify/", {"code": "123456"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert User.objects.get(pk=county.township_officer.pk).failed_login_count == 1
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        ok = client.post("/accounts/login/verify/", {"code": totp_code(device)})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    login = AuditLog.objects.filter(action="accounts.login", actor=county.township_officer).latest("id")
    assert login.extra["otp"] is True
    assert User.objects.get(pk=county.township_officer.pk).failed_login_count == 0


def test_verify_step_expires_and_cannot_be_reached_without_the_password(county):
    enrol(county.township_officer)
    assert Client().get("/accounts/login/verify/").status_code == 302
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        page_login(client, "township_officer")
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        late = client.get("/accounts/login/verify/")
    assert late.status_code == 302 and late["Location"] == "/accounts/login/"


def test_five_wrong_codes_lock_the_account(county):
    device = enrol(county.village_secretary)
    client = Client()
    page_login(client, "village_secretary")
    start = timezone.now()
    for n in range(5):
        with time_machine.travel(start + dt.timedelta(minutes=n), tick=False):
            response = client.post("/accounts/login/verify/", {"code": "999999"})
    assert response.status_code == 403
    assert "账户已锁定" in response.content.decode()
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        assert page_login(Client(), "village_secretary").status_code == 403
        assert token_request("village_secretary", otp=totp_code(device)).json()["code"] == "account_locked"


def test_api_token_requires_the_code_once_enrolled(county):
    device = enrol(county.grid_worker)
    missing = token_request("grid_worker")
    assert missing.status_code == 401 and missing.json()["code"] == "otp_required"
    wrong = token_request("grid_worker", otp="000000")
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    assert User.objects.get(pk=county.grid_worker.pk).failed_login_count == 1
    bad_password = token_request("grid_worker", "wrong-password-1", otp=totp_code(device))
    assert bad_password.json()["code"] == "invalid_credentials"
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=10)):
        ok = token_request("grid_worker", otp=totp_code(device))
        assert ok.status_code == 200, ok.content
        # The same code cannot be replayed.
        again = token_request("grid_worker", otp=totp_code(device))
    assert again.status_code == 401 and again.json()["code"] == "otp_invalid"
    assert User.objects.get(pk=county.grid_worker.pk).failed_login_count == 1  # the success reset it


def test_county_admin_must_enrol_before_doing_anything(county, otp_required):
    client = Client()
    assert page_login(client, "county_admin").status_code == 302
    for path in ("/", "/audit/", "/households/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/", path
    page = client.get("/accounts/two-factor/")
    assert "您的角色必须使用两步登录" in page.content.decode()
    api = token_request("county_admin")
    assert api.status_code == 403 and api.json()["code"] == "otp_enrolment_required"
    session_api = client.get("/api/v1/auth/me")
    assert session_api.status_code == 403 and session_api.json()["code"] == "otp_enrolment_required"

    device = TOTPDevice.objects.get(user=county.county_admin)
    client.post("/accounts/two-factor/", {"action": "confirm", "code": totp_code(device)})
    assert client.get("/audit/").status_code == 200
    # Others are not obliged: a grid worker still logs in with a password alone.
    assert token_request("grid_worker").status_code == 200


def test_a_session_that_skipped_the_code_is_ended(county):
    enrol(county.grid_worker)
    client = Client()
    client.force_login(county.grid_worker)  # as another login form would, without the code
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(action="accounts.logout", actor=county.grid_worker).latest("id").extra == {
        "channel": "web",
        "reason": "otp_missing",
    }


def test_removing_the_authenticator_needs_a_current_code(county):
    device = enrol(county.grid_worker)
    client = Client()
    page_login(client, "grid_worker")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=1)):
        client.post("/accounts/login/verify/", {"code": totp_code(device)})
    assert client.get("/").status_code == 200
    refused = client.post("/accounts/two-factor/", {"action": "remove", "code": "000000"})
    assert "验证码不正确" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=county.grid_worker).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=40)):
        client.post("/accounts/two-factor/", {"action": "remove", "code": totp_code(device)})
    assert not TOTPDevice.objects.filter(user=county.grid_worker).exists()
    assert token_request("grid_worker").status_code == 200


def test_admin_resets_a_lost_authenticator(county):
    enrol(county.grid_worker)
    admin = Client()
    admin.force_login(county.county_admin)
    response = admin.post(
        "/admin/accounts/user/", {"action": "reset_authenticators", "_selected_action": [county.grid_worker.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=county.grid_worker).exists()
    assert AuditLog.objects.get(action="accounts.otp.reset").actor == county.county_admin
    # The admin never sees device secrets: django-otp's device admin is not offered.
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_enrolment_pages_need_a_login(county):
    for path in ("/accounts/two-factor/", "/accounts/history/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().post("/accounts/two-factor/", {"action": "remove", "code": "123456"}).status_code == 302
