from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import PASSWORD, build_small_county


@pytest.fixture(scope="session", autouse=True)
def _fast_hashing():
    """Tests log in thousands of times; production keeps Django's slow hashers."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def county(db):
    """The small test county with every persona (see tests/factories.py)."""
    return build_small_county()


class ApiClient:
    """JSON client for /api/v1 that authenticates with a bearer token like a real integration."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path, params=None, **headers):
        return self.client.get(_url(path), params or {}, headers=self._headers(headers))

    def post(self, path, payload=None, **headers):
        return self.client.post(
            _url(path),
            data=json.dumps(payload if payload is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def post_raw(self, path, body: bytes | str, content_type="application/json", **headers):
        return self.client.post(_url(path), data=body, content_type=content_type, headers=self._headers(headers))

    def patch(self, path, payload=None, **headers):
        return self.client.patch(
            _url(path), data=json.dumps(payload or {}), content_type="application/json", headers=self._headers(headers)
        )


def _url(path: str) -> str:
    return path if path.startswith("/") else "/api/v1/" + path


def token_for(username: str, password: str = PASSWORD) -> str:
    response = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def api_as(county):
    """``api_as("grid_worker")`` is an API client holding that persona's token."""

    def make(persona: str | None) -> ApiClient:
        return ApiClient(token_for(persona) if persona else None)

    return make


@pytest.fixture
def page_as(county):
    """``page_as("grid_worker")`` is a Django test client logged in through the real login form."""

    def make(persona: str | None) -> Client:
        client = Client()
        if persona:
            response = client.post("/accounts/login/", {"username": persona, "password": PASSWORD})
            assert response.status_code == 302, response.content.decode()[:500]
        return client

    return make
