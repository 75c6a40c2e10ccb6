"""Fixtures for the grid-work suites: the small test county with duties, care rules and workers.

``gw`` adds to the test county (tests/factories.py): the default catalogue of 53 duties
and care rules, case categories, a full-time lead for every grid of 珍宝岛乡 and 阿北乡,
every worker serving since 2024-01-01, a second care household in 永和村第1网格, and
``county.workers`` by name.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest

from shanzhi.cases.defaults import ensure_default_categories
from shanzhi.cases.models import Category
from shanzhi.gridwork.catalogue import load_default_care_rules, load_default_catalogue
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.models import GridAssignment, GridWorker
from shanzhi.gridwork.services import assign_worker_to_grid, create_grid_worker
from shanzhi.people.services import create_household

SINCE = dt.date(2024, 1, 1)


def prepare(county):
    load_default_catalogue()
    load_default_care_rules()
    ensure_default_categories()
    Category.objects.filter(code="infrastructure").update(default_department=county.department)
    wang = create_grid_worker(name="王秀兰", kind=WorkerKind.FULL_TIME, home_area=county.village, phone="13600004444")
    assign_worker_to_grid(wang, county.grid2, lead=True)
    zhao = create_grid_worker(name="赵德才", kind=WorkerKind.FULL_TIME, home_area=county.other_village)
    assign_worker_to_grid(zhao, county.other_grid, lead=True)
    GridWorker.objects.update(start_date=SINCE)
    GridAssignment.objects.update(start_date=SINCE)
    county.care_household = create_household(
        number="H0003", grid=county.grid, address="永和村前街3号", tags=["disabled"], actor=None
    )
    county.plain_household = create_household(number="H0004", grid=county.grid, address="永和村前街4号", actor=None)
    county.workers = {w.name: w for w in GridWorker.objects.all()}
    for user in county.users.values():
        user.refresh_from_db()
    return county


@pytest.fixture
def gw(county):
    return prepare(county)


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\xff\x00\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
