"""Deliberation venues, points rules and points-shop goods, through their own apps' services."""

from __future__ import annotations

import pytest

from shanzhi.core.models import AuditLog
from shanzhi.deliberation.models import Venue
from shanzhi.imports import services
from shanzhi.points.models import Rule, Shop, ShopItem, StockMovement
from tests.imports.conftest import fingerprint, run, write_csv, write_xlsx
from tests.imports.test_roundtrip import export_to

VENUE_HEADER = ["所属村", "场所名称", "类别", "提供户户号", "地点", "纬度", "经度", "可容纳人数", "是否启用"]
RULE_HEADER = [
    "所属村",
    "编码",
    "条目内容",
    "类别",
    "分值",
    "每期上限",
    "上限周期",
    "需要照片",
    "超过多少分需复核",
    "重大扣分",
    "是否启用",
    "排序",
]
GOODS_HEADER = ["积分超市所在村", "商品名称", "兑换积分", "库存", "是否上架"]


def test_venues(county, tmp_path):
    rows = [
        VENUE_HEADER,
        ["永和村", "李家议事小院", "议事小院", "H0001", "永和村前街1号", 45.77, 132.97, 20, "是"],
        ["永和村", "村委会议事长廊", "长廊", "", "村委会", "", "", 60, ""],
    ]
    path = write_xlsx(tmp_path / "venues.xlsx", {"永和村": rows})
    job, report = run("venues", path, county.village_secretary)
    assert report.committed, job.issues
    venue = Venue.objects.get(name="李家议事小院")
    assert venue.kind == "courtyard" and venue.host_household == county.household and venue.capacity == 20
    assert AuditLog.objects.filter(action="deliberation.venue.created", object_id=str(venue.pk)).exists()
    job, _ = run("venues", path, county.village_secretary)
    assert job.summary["unchanged"] == 2
    rows[2][7] = 80
    job, _ = run("venues", write_xlsx(tmp_path / "v2.xlsx", {"永和村": rows}), county.village_secretary)
    assert job.summary["updated"] == 1
    entry = AuditLog.objects.filter(action="deliberation.venue.updated").latest("id")
    assert entry.before == {"capacity": 60} and entry.after == {"capacity": 80}
    bad = [
        VENUE_HEADER,
        ["永和村", "阿北人家", "小院", "H0100", "", "", "", "", ""],
        ["阿北村", "广场", "广场", "", "", "", "", "", ""],
    ]
    before = fingerprint()
    job, report = run("venues", write_csv(tmp_path / "bad.csv", bad), county.village_secretary)
    assert not report.committed and fingerprint() == before
    assert {(i["row"], i["code"]) for i in job.issues} == {(2, "unknown_household"), (3, "out_of_scope")}


def test_points_rules(county, tmp_path):
    rows = [
        RULE_HEADER,
        ["", "WS-01", "房前屋后干净整洁", "环境卫生与庭院整洁", 5, 20, "月", "否", "", "否", "是", 1],
        ["", "LJ-01", "乱扔垃圾", "乱扔乱倒", -3, "", "", "是", 10, "否", "是", 2],
    ]
    path = write_csv(tmp_path / "永和村村规民约.csv", rows)
    job, report = run("rules", path, county.village_secretary)
    assert report.committed, job.issues
    rule = Rule.objects.get(area=county.village, code="LJ-01")
    assert rule.points == -3 and rule.category == "littering" and rule.evidence_required
    assert Rule.objects.get(area=county.village, code="WS-01").cap_per_period == 20
    job, _ = run("rules", path, county.village_secretary)
    assert job.summary["unchanged"] == 2
    bad = [
        RULE_HEADER,
        ["", "X-1", "什么都没有", "其他", 0, "", "", "", "", "", "", ""],
        ["测试县", "T-1", "模板", "其他", 1, "", "", "", "", "", "", ""],
    ]
    job, report = run("rules", write_csv(tmp_path / "永和村坏.csv", bad), county.village_secretary)
    assert not report.committed
    assert {(i["row"], i["code"]) for i in job.issues} == {(2, "number_range"), (3, "out_of_scope")}
    # The county imports its templates.
    job, report = run("rules", write_csv(tmp_path / "模板.csv", [RULE_HEADER, bad[2]]), county.county_admin)
    assert report.committed and Rule.objects.filter(area=county.county, code="T-1").exists()


def test_shop_goods(county, tmp_path):
    rows = [GOODS_HEADER, ["永和村", "洗衣粉", 10, 50, "是"], ["永和村", "毛巾", 15, 0, "是"]]
    path = write_csv(tmp_path / "goods.csv", rows)
    job, report = run("goods", path, county.village_secretary)
    assert report.committed, job.issues
    shop = Shop.objects.get(area=county.village)
    assert shop.name == "永和村积分超市"
    soap = ShopItem.objects.get(shop=shop, name="洗衣粉")
    assert (soap.points_price, soap.stock) == (10, 50)
    job, _ = run("goods", path, county.village_secretary)
    assert job.summary["unchanged"] == 2
    rows[1][3] = 42  # a stock count
    rows[2][2] = 12
    job, report = run("goods", write_csv(tmp_path / "g2.csv", rows), county.village_secretary)
    assert report.committed and job.summary["updated"] == 2
    soap.refresh_from_db()
    assert soap.stock == 42
    movement = StockMovement.objects.filter(item=soap).latest("id")
    assert (movement.delta, movement.reason, movement.stock_after) == (-8, "adjustment", 42)


@pytest.mark.parametrize("kind", ["venues", "rules", "goods"])
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_round_trip(county, tmp_path, kind, file_format):
    run(
        "venues",
        write_csv(
            tmp_path / "v.csv", [VENUE_HEADER, ["永和村", "李家议事小院", "议事小院", "H0001", "", "", "", 20, "是"]]
        ),
        county.county_admin,
    )
    run(
        "rules",
        write_csv(
            tmp_path / "r.csv", [RULE_HEADER, ["永和村", "WS-01", "整洁", "其他", 5, 20, "月", "否", "", "否", "是", 1]]
        ),
        county.county_admin,
    )
    run("goods", write_csv(tmp_path / "g.csv", [GOODS_HEADER, ["永和村", "洗衣粉", 10, 50, "是"]]), county.county_admin)
    path, count = export_to(tmp_path, kind, county.county_admin, file_format)
    assert count == 1
    before = fingerprint()
    movements = StockMovement.objects.count()
    job, report = run(kind, path, county.county_admin)
    assert report.committed and job.summary["unchanged"] == 1, job.issues
    assert fingerprint() == before and StockMovement.objects.count() == movements


def test_who_imports_what(county):
    assert services.allowed_kinds(county.county_admin) == [
        "areas",
        "departments",
        "households",
        "residents",
        "grid_workers",
        "venues",
        "rules",
        "goods",
    ]
    assert services.allowed_kinds(county.township_officer) == ["households", "residents", "grid_workers", "goods"]
    assert services.allowed_kinds(county.village_secretary) == ["households", "residents", "venues", "rules", "goods"]
    for persona in ("grid_worker", "villager", "department_handler", "outsider"):
        assert services.allowed_kinds(getattr(county, persona)) == []
