"""Production settings: `check --deploy` is clean, and the server refuses unsafe starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from shanzhi.accounts.middleware import ProductionGuardMiddleware, demo_password_accounts
from shanzhi.accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SHANZHI_PRODUCTION": "1",
    "SECRET_KEY": "k7#Qw9!zR2mV8pX4tL6nB1cY5hJ3gF0dS8aE2uI7oP9yT4rW6qZ",
    "SHANZHI_FIELD_KEY": "5a" * 32,
    "ALLOWED_HOSTS": "shanzhi.hulin.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://shanzhi.hulin.gov.cn",
}


def _database_env() -> dict[str, str]:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SHANZHI_SQLITE_PATH": str(settings["NAME"])}
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings.get("PASSWORD") else "")
    return {"DATABASE_URL": f"postgres://{auth}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"}


def _shanzhi(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "DATABASE_URL", "SHANZHI_SQLITE_PATH", "DJANGO_ALLOW_ASYNC_UNSAFE")
        and not k.startswith("SHANZHI_FIELD_KEY")
    }
    return subprocess.run(
        [sys.executable, "-m", "shanzhi.cli", *args],
        cwd=ROOT,
        env={**clean, **_database_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(transactional_db):
    result = _shanzhi("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    print(result.stdout)


def test_check_deploy_names_what_is_missing_without_production_settings(transactional_db):
    result = _shanzhi("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016", "shanzhi.W001", "shanzhi.W004"):
        assert check in result.stderr, check


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"SECRET_KEY": "shanzhi-insecure-development-key-change-me"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be set"),
        ({"SHANZHI_FIELD_KEY": ""}, "SHANZHI_FIELD_KEY or SHANZHI_FIELD_KEY_FILE must be set"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(env, message):
    result = _shanzhi("check", **{**PRODUCTION_ENV, **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_demo_accounts_with_the_demo_password(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # what production uses
    User.objects.create(username="demo-county", password=make_password("shanzhi-demo", hasher="pbkdf2_sha256"))
    User.objects.create(username="demo-grid", password=make_password("changed-by-the-county-1", hasher="pbkdf2_sha256"))
    assert demo_password_accounts() == ["demo-county"]
    result = _shanzhi("check", "--deploy", **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "shanzhi.E001" in result.stderr and "demo-county" in result.stderr and "demo-grid" not in result.stderr
    # The same guard stops a WSGI server (gunicorn) at start-up.
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="demo-county"):
        ProductionGuardMiddleware(lambda request: None)
    User.objects.filter(username="demo-county").update(is_active=False)
    assert demo_password_accounts() == []
