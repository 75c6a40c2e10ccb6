"""Fixtures for the cases suites: the small test county plus categories and the supervisor persona."""

from __future__ import annotations

import struct
import zlib

import pytest

from shanzhi.accounts.choices import Role
from shanzhi.accounts.services import assign_role, create_user
from shanzhi.cases.choices import CaseSource
from shanzhi.cases.defaults import ensure_default_categories
from shanzhi.cases.models import Category
from shanzhi.cases.services import report_case
from tests.factories import PASSWORD, fresh


def add_case_personas(county):
    ensure_default_categories()
    Category.objects.filter(code="infrastructure").update(default_department=county.department)
    supervisor = create_user(username="supervisor", password=PASSWORD, display_name="supervisor")
    assign_role(supervisor, Role.SUPERVISOR, area=county.township)
    county.users["supervisor"] = supervisor
    other_handler = create_user(username="other_department_handler", password=PASSWORD, display_name="odh")
    assign_role(other_handler, Role.DEPARTMENT_HANDLER, department=county.other_department)
    county.users["other_department_handler"] = other_handler
    far_supervisor = create_user(username="other_supervisor", password=PASSWORD, display_name="other_supervisor")
    assign_role(far_supervisor, Role.SUPERVISOR, area=county.other_township)
    county.users["other_supervisor"] = far_supervisor
    return county


@pytest.fixture
def cc(county):
    """The test county ready for cases."""
    return add_case_personas(county)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG image."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def new_case(cc, *, actor=None, grid=None, household=None, category="infrastructure", **extra):
    actor = fresh(actor or cc.grid_worker)
    return report_case(
        actor=actor,
        title=extra.pop("title", "村道塌陷"),
        description=extra.pop("description", "永和村前街路面塌陷约两米，车辆无法通行。"),
        category=category,
        grid=grid or cc.grid,
        household=household,
        source=extra.pop("source", CaseSource.GRID_PATROL),
        **extra,
    )


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT

