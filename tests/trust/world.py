"""One small but complete county for the access matrix, the leak scan and the fuzzing.

The demo county (at a few hundred households, so every capability has rows) gets the
personas of tests/factories.py, each with the same role over the same named places
(珍宝岛乡 › 永和村 › 永和村第1网格 and 阿北乡 › 阿北村 › 阿北村第1网格), and for every kind
of object two instances:

* ``near``: in 永和村第1网格 / 永和村 / 珍宝岛乡, tied to 李桂君's household where the
  kind belongs to a household;
* ``far``: in 阿北村第1网格 / 阿北村 / 阿北乡.

``HOME`` says which of the two each persona's assignment covers. Residents carry real
GB 11643 ID numbers and real-format mobile numbers, so a leak would show.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field

from django.test import Client

from tests.factories import PASSWORD, PERSONAS

HOUSEHOLDS = 400

# Which of the two places each persona's assignment covers.
HOME: dict[str | None, set[str]] = {
    "county_admin": {"near", "far"},
    "township_officer": {"near"},
    "other_township_officer": {"far"},
    "department_handler": {"near"},  # the near case is dispatched to their department, the far one is not
    "village_secretary": {"near"},
    "other_village_secretary": set(),  # 珍宝村: a sibling of 永和村 in the same township
    "grid_worker": {"near"},
    "villager": {"near"},  # 李桂君's household in 永和村第1网格
    "other_villager": {"far"},
    "outsider": set(),
    None: set(),  # anonymous
}
PERSONA_NAMES: list[str | None] = [*PERSONAS, "outsider", None]


@dataclass
class World:
    objects: dict[str, dict[str, object]] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)

    def obj(self, kind: str, place: str):
        return self.objects[kind][place]

    def api(self, persona: str | None) -> Client:
        client = Client()
        if persona:
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens[persona]}"
        return client

    def page(self, persona: str | None) -> Client:
        from django.conf import settings

        client = Client()
        if persona:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def png_upload(name: str = "photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, _png(), content_type="image/png")


def build_world(households: int = HOUSEHOLDS) -> World:
    from shanzhi.accounts.choices import Role
    from shanzhi.accounts.services import assign_role, create_user
    from shanzhi.areas.models import Area
    from shanzhi.demo.steps import build_demo
    from shanzhi.gridwork.models import GridAssignment

    build_demo(households)
    world = World()
    area = {name: Area.objects.get(name=name) for name in
            ["虎林市", "珍宝岛乡", "阿北乡", "永和村", "珍宝村", "阿北村", "永和村第1网格", "阿北村第1网格"]}
    from shanzhi.people.models import Household

    li_household = Household.objects.filter(residents__name="李桂君", grid=area["永和村第1网格"]).first()
    far_household = (
        Household.objects.filter(grid=area["阿北村第1网格"], residents__phone__startswith="1")
        .exclude(phone="").order_by("pk").first()
    )
    from shanzhi.cases.models import Case

    near_case = (
        Case.objects.filter(grid=area["永和村第1网格"], status="dispatched", department__isnull=False)
        .order_by("pk").first()
    )
    department = near_case.department
    targets = {
        "county_admin": {"area": area["虎林市"]},
        "township_officer": {"area": area["珍宝岛乡"]},
        "other_township_officer": {"area": area["阿北乡"]},
        "department_handler": {"department": department},
        "village_secretary": {"area": area["永和村"]},
        "other_village_secretary": {"area": area["珍宝村"]},
        "grid_worker": {"area": area["永和村第1网格"]},
        "villager": {"household": li_household},
        "other_villager": {"household": far_household},
    }
    for name, (role, _attribute) in PERSONAS.items():
        user = create_user(username=name, password=PASSWORD, display_name=name)
        assign_role(user, role, **targets[name])
        world.users[name] = user
    world.users["outsider"] = create_user(username="outsider", password=PASSWORD)
    lead = GridAssignment.objects.current().get(grid=area["永和村第1网格"], is_lead=True).worker
    lead.__class__.objects.filter(pk=lead.pk).update(user=world.users["grid_worker"])
    for user in world.users.values():
        user.refresh_from_db()
    assert Role.GRID_WORKER  # the enum is the one tests/factories.py uses

    _pick_objects(world, area, li_household, far_household, near_case, department)
    _log_in(world)
    return world


def _first(queryset, what: str):
    obj = queryset.order_by("pk").first()
    assert obj is not None, f"the demo county has no {what}"
    return obj


def _pick_objects(world, area, li_household, far_household, near_case, department):
    from django.utils import timezone

    from shanzhi.cases import services as cases
    from shanzhi.cases.models import Case, Notification
    from shanzhi.core.models import AuditLog
    from shanzhi.deliberation import services as deliberation
    from shanzhi.deliberation.models import ActionItem, Decision, Meeting, Topic, Venue
    from shanzhi.gridwork import services as gridwork
    from shanzhi.gridwork.models import Duty, EvaluationMonth, GridAssignment, Visit, WorkerEvaluation
    from shanzhi.imports import services as imports
    from shanzhi.people.models import Resident
    from shanzhi.points import services as points
    from shanzhi.points.models import (
        AwardList,
        DividendPlan,
        HonourCampaign,
        Rule,
        Shop,
        ShopItem,
    )

    users = world.users
    o = world.objects
    places = {"near": ("珍宝岛乡", "永和村", "永和村第1网格"), "far": ("阿北乡", "阿北村", "阿北村第1网格")}
    households = {"near": li_household, "far": far_household}
    o["county"] = {"near": area["虎林市"], "far": area["虎林市"]}
    o["township"] = {w: area[p[0]] for w, p in places.items()}
    o["village"] = {w: area[p[1]] for w, p in places.items()}
    o["grid"] = {w: area[p[2]] for w, p in places.items()}
    o["household"] = households
    o["resident"] = {w: _first(Resident.objects.filter(household=h, phone__startswith="1"), "resident with a phone")
                     for w, h in households.items()}
    far_case = _first(Case.objects.filter(grid__parent__parent=area["阿北乡"]).exclude(department=department)
                      .exclude(co_departments=department), "far case")
    o["case"] = {"near": near_case, "far": far_case}
    o["case_attachment"] = {
        "near": cases.add_attachments(near_case, files=[png_upload()], actor=users["township_officer"])[0],
        "far": cases.add_attachments(far_case, files=[png_upload()], actor=users["other_township_officer"])[0],
    }
    o["notification"] = {
        w: Notification.objects.create(recipient=users[p], kind="assigned", case=o["case"][w], text="测试提醒")
        for w, p in (("near", "township_officer"), ("far", "other_township_officer"))
    }
    o["visit"] = {w: _first(Visit.objects.filter(grid=o["grid"][w], household__isnull=False), "visit")
                  for w in places}
    o["worker"] = {w: GridAssignment.objects.current().get(grid=o["grid"][w], is_lead=True).worker for w in places}
    o["assignment"] = {w: GridAssignment.objects.current().get(grid=o["grid"][w], is_lead=True) for w in places}
    o["visit_photo"] = {
        w: gridwork.add_visit_photos(o["visit"][w], photos=[png_upload()], actor=users[p] if p else None)[0]
        for w, p in (("near", "grid_worker"), ("far", None))
    }
    duty = _first(Duty.objects.all(), "duty")
    o["duty"] = {"near": duty, "far": duty}
    o["evaluation"] = {w: _first(EvaluationMonth.objects.filter(township=o["township"][w]).order_by("-month"),
                                 "evaluation month") for w in places}
    o["evaluation_result"] = {w: _first(WorkerEvaluation.objects.filter(evaluation=o["evaluation"][w]),
                                        "worker evaluation") for w in places}
    o["red_flag"] = {w: _first(WorkerEvaluation.objects.filter(evaluation__township=o["township"][w],
                                                               certificate_number__gt=""), "red flag")
                     for w in places}
    # The audit log is county-wide (only county admins read it): any row serves both places.
    audit_row = _first(AuditLog.objects.order_by("-id"), "audit row")
    o["audit_row"] = {"near": audit_row, "far": audit_row}
    o["topic"] = {w: _first(Topic.objects.filter(village=o["village"][w]), "topic") for w in places}
    fresh_topics = {
        w: deliberation.raise_topic(actor=users[p], title="修缮村口破损水泥路", topic_class="livelihood", description="雨天积水")
        for w, p in (("near", "villager"), ("far", "other_villager"))
    }
    o["topic_attachment"] = {
        w: deliberation.add_attachment(fresh_topics[w], actor=users[p], upload=png_upload())
        for w, p in (("near", "villager"), ("far", "other_villager"))
    }
    o["meeting"] = {w: _first(Meeting.objects.filter(village=o["village"][w]), "meeting") for w in places}
    o["decision"] = {w: _first(Decision.objects.filter(meeting__village=o["village"][w]), "decision") for w in places}
    o["action"] = {w: _first(ActionItem.objects.filter(topic__village=o["village"][w]), "action item") for w in places}
    o["venue"] = {w: _first(Venue.objects.filter(village=o["village"][w]), "venue") for w in places}
    o["rule"] = {w: _first(Rule.objects.filter(area=o["village"][w], active=True), "rule") for w in places}
    # A fresh entry in public notice for each household: approvable, appealable, reversible.
    o["entry"] = {}
    o["appeal"] = {}
    for w in places:
        entry = points.record_entry(household=households[w], rule=o["rule"][w], actor=None, note="测试")
        o["entry"][w] = entry
        appealed = points.record_entry(household=households[w], rule=o["rule"][w], actor=None, note="申诉测试")
        o["appeal"][w] = points.appeal_entry(appealed, actor=users["villager" if w == "near" else "other_villager"],
                                             reason="不属实")
    o["shop"] = {w: _first(Shop.objects.filter(area=o["village"][w]), "shop") for w in places}
    o["item"] = {w: _first(ShopItem.objects.filter(shop=o["shop"][w]), "shop item") for w in places}
    o["award"] = {w: _first(AwardList.objects.filter(village=o["village"][w]), "award list") for w in places}
    near_plan = _first(DividendPlan.objects.filter(village=o["village"]["near"]), "dividend plan")
    far_plan = DividendPlan.objects.filter(village=o["village"]["far"]).first()
    if far_plan is None:
        far_plan = DividendPlan.objects.create(
            **{f.name: getattr(near_plan, f.name) for f in near_plan._meta.concrete_fields
               if f.name not in ("id", "village", "approved_by", "approved_at")},
            village=o["village"]["far"],
        )
    o["dividend"] = {"near": near_plan, "far": far_plan}
    campaign = _first(HonourCampaign.objects.all(), "honour campaign")
    o["campaign"] = {"near": campaign, "far": campaign}
    from shanzhi.points.models import Honour

    near_honour = _first(Honour.objects.filter(household__grid__parent=o["village"]["near"]), "honour")
    far_honour = Honour.objects.filter(household__grid__parent__parent=o["township"]["far"]).first()
    if far_honour is None:
        far_honour = Honour.objects.create(
            **{f.name: getattr(near_honour, f.name) for f in near_honour._meta.concrete_fields
               if f.name not in ("id", "household", "verify_code", "number")},
            household=households["far"], verify_code="far" + near_honour.verify_code[3:],
            **({"number": near_honour.number + 1} if hasattr(near_honour, "number") else {}),
        )
    o["honour"] = {"near": near_honour, "far": far_honour}
    redemption = {}
    for w, persona in (("near", "village_secretary"), ("far", None)):
        item = o["item"][w]
        ShopItem.objects.filter(pk=item.pk).update(stock=50, active=True)
        bonus = points.create_rule(o["village"][w], actor=None, code="TRUSTBONUS", text="测试奖励",
                                   category="good_deeds", points=500)
        points.record_entry(household=households[w], rule=bonus, actor=None, note="测试")
        points.sweep_notices(now=timezone.now() + dt.timedelta(days=30))
        redemption[w] = points.redeem(shop=o["shop"][w], household=households[w],
                                      lines=[(item.pk, 1)], actor=users.get(persona))
    o["redemption"] = redemption
    # Entries above were swept out of notice; record fresh ones still in notice for the workflow routes.
    for w in places:
        o["entry"][w] = points.record_entry(household=households[w], rule=o["rule"][w], actor=None, note="待审")
    # Import jobs: a households template uploaded by the village secretary / the far township.
    jobs = {}
    for w, persona in (("near", "village_secretary"), ("far", "other_township_officer")):
        content, _name = imports.template("households", file_format="xlsx")
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("households.xlsx", content,
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        jobs[w] = imports.upload(kind="households", source=upload, actor=users[persona])
    o["import_job"] = jobs
    assert io and json  # (kept for helpers below)


def _log_in(world: World) -> None:
    from django.conf import settings

    from tests.trust.conftest import token_request

    for name in world.users:
        response = token_request(name)
        assert response.status_code == 200, (name, response.content[:300])
        world.tokens[name] = response.json()["token"]
        client = Client()
        response = client.post("/accounts/login/", {"username": name, "password": PASSWORD})
        assert response.status_code == 302, (name, response.content[:300])
        world.sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
