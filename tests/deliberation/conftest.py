"""Fixtures for deliberation tests: a venue in each village, photos, case categories."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.deliberation import services
from shanzhi.deliberation.choices import MeetingFormat, TopicClass, VenueKind


def png_bytes() -> bytes:
    """A real 1×1 PNG (what a phone camera upload starts with)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def photo(name="sheet.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def categories(db):
    """The default case categories (a flush by another module's demo fixture removes the seeded ones)."""
    from shanzhi.cases.defaults import ensure_default_categories

    ensure_default_categories()


@pytest.fixture
def venue(county):
    return services.create_venue(
        actor=county.village_secretary,
        kind=VenueKind.COURTYARD,
        name="李桂君家议事小院",
        village=county.village,
        host_household=county.household,
        location="永和村前街1号",
        capacity=30,
    )


@pytest.fixture
def far_venue(county):
    return services.create_venue(
        actor=None, kind=VenueKind.CORRIDOR, name="阿北村议事长廊", village=county.far_village, capacity=60
    )


def tomorrow_evening():
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(19, 30), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def accepted_topic(county):
    topic = services.raise_topic(
        actor=county.villager, title="修缮前街破损水泥路", topic_class=TopicClass.LIVELIHOOD, description="雨天积水"
    )
    return services.accept_topic(topic, actor=county.village_secretary)


@pytest.fixture
def open_meeting(county, venue, accepted_topic):
    """An open evening talk in 永和村 with the accepted topic on its agenda and 2 households signed in."""
    meeting = services.create_meeting(
        actor=county.village_secretary,
        venue=venue,
        format=MeetingFormat.EVENING_TALK,
        scheduled_at=tomorrow_evening(),
        host_name="永和村书记",
        minute_taker_name="到村大学生",
        topics=[accepted_topic],
    )
    services.open_meeting(meeting, actor=county.village_secretary)
    services.record_attendance(meeting, actor=county.village_secretary, residents_present=3, households_represented=2)
    meeting.refresh_from_db()
    accepted_topic.refresh_from_db()
    return meeting


def close_case_through_the_workflow(case, county):
    """Township accepts and dispatches, the department checks in and resolves, the follow-up is satisfied."""
    from shanzhi.cases import services as cases

    case = cases.accept_case(case, actor=county.township_officer)
    case = cases.dispatch_case(case, county.department, actor=county.township_officer)
    case = cases.check_in_case(case, actor=county.department_handler)
    case = cases.resolve_case(case, result="路面已重新硬化,验收合格。", actor=county.department_handler)
    return cases.follow_up_case(case, satisfied=True, note="村民满意", actor=county.township_officer)
