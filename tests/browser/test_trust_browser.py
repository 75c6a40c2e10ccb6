"""Logging in safely on a phone: the lockout message, binding an authenticator, the code step, the history."""

from __future__ import annotations

import base64
import time

from tests.browser.conftest import DEMO_PASSWORD, login, screenshot


def _code(secret: str, *, steps_ahead: int = 0) -> str:
    from django_otp.oath import TOTP

    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


def _fits_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_lockout_message_on_a_phone(demo_site, phone):
    violations = _watch_csp(phone)
    for _ in range(5):
        login(phone, "demo-grid", "wrong-password-1")
    assert "账户已锁定" in phone.locator(".errorlist").inner_text()
    login(phone, "demo-grid", DEMO_PASSWORD)  # the right password, sixth attempt
    message = phone.locator(".errorlist.nonfield").inner_text()
    assert "密码错误次数过多,账户已锁定至" in message and "联系县级管理员解锁" in message
    assert "/accounts/login/" in phone.url
    _fits_phone(phone)
    screenshot(phone, "security-login-locked")
    assert not violations


def test_bind_an_authenticator_then_log_in_with_a_code_on_a_phone(demo_site, phone):
    violations = _watch_csp(phone)
    login(phone, "demo-village")
    phone.goto_path("/accounts/two-factor/")
    assert phone.locator("#otp-qr svg").is_visible()
    secret = phone.locator("#otp-secret").inner_text()
    _fits_phone(phone)
    screenshot(phone, "security-bind-authenticator")

    phone.fill("input[name=code]", "000000")
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "验证码不正确" in phone.locator(".errorlist").inner_text()
    time.sleep(1.1)  # django-otp's back-off after a wrong code
    phone.fill("input[name=code]", _code(secret))
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "绑定成功" in phone.locator(".messages").inner_text()
    screenshot(phone, "security-authenticator-bound")

    phone.click(".who button[type=submit]")  # log out
    phone.wait_for_load_state("networkidle")
    login(phone, "demo-village")
    assert phone.url.endswith("/accounts/login/verify/")
    assert phone.locator("input[name=code]").get_attribute("autocomplete") == "one-time-code"
    _fits_phone(phone)
    screenshot(phone, "security-login-code")
    phone.fill("input[name=code]", _code(secret, steps_ahead=1))
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("h1").inner_text().startswith("您好")

    phone.click("text=登录记录")
    phone.wait_for_load_state("networkidle")
    history = phone.locator("ul.history").inner_text()
    assert "已绑定身份验证器" in history and "已用验证码" in history and "登录成功" in history
    _fits_phone(phone)
    screenshot(phone, "security-login-history")
    assert not violations
