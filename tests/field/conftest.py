"""Fixtures of the field-app suites: the small county with duties, care rules, case categories and village rules."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.gridwork.conftest import prepare
from tests.points.conftest import setup_points


def build_field_county(county):
    prepare(county)
    county.points = setup_points(county)
    return county


@pytest.fixture
def field_county(county):
    return build_field_county(county)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg_bytes(width: int = 64, height: int = 48, colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def photo(content: bytes | None = None, name: str = "photo-1.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else jpeg_bytes(), content_type="image/jpeg")
