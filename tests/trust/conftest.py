"""Fixtures for the trust suites: authenticator devices and codes, production-like OTP rules."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from tests.factories import PASSWORD


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` 30-second steps later)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def post_json(path: str, payload: dict, *, ip: str = "127.0.0.1", client: Client | None = None):
    return (client or Client()).post(path, data=json.dumps(payload), content_type="application/json", REMOTE_ADDR=ip)


def token_request(username: str, password: str = PASSWORD, *, otp: str | None = None, ip: str = "127.0.0.1"):
    payload = {"username": username, "password": password}
    if otp is not None:
        payload["otp"] = otp
    return post_json("/api/v1/auth/token", payload, ip=ip)


def page_login(client: Client, username: str, password: str = PASSWORD, *, ip: str = "127.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def otp_required(settings):
    """The production rule: county administrators must use an authenticator app."""
    settings.SHANZHI_OTP_REQUIRED_ROLES = ["county_admin"]
    return settings
