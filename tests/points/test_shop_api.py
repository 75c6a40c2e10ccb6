"""The points shop and the API's exact endpoints: shapes, errors, idempotency, scope."""

from __future__ import annotations

import pytest
from django.test import Client

from shanzhi.areas.models import Area
from shanzhi.core.errors import Conflict
from shanzhi.points import services
from shanzhi.points.models import HouseholdPoints, PointsEntry, Redemption, ShopItem, StockMovement
from tests.points.conftest import give


@pytest.fixture
def shop(county, points):
    give(county.household, 100, points.bonus)
    shop = services.create_shop(county.village, actor=None, name="永和村积分超市")
    shop.towel = services.create_item(shop, actor=None, name="毛巾", points_price=15, stock=5)
    shop.oil = services.create_item(shop, actor=None, name="食用油", points_price=60, stock=1)
    return shop


def test_household_points_endpoint(county, shop, api_as):
    response = api_as("villager").get(f"households/{county.household.pk}/points")
    assert response.status_code == 200
    body = response.json()
    assert (body["balance"], body["earned_lifetime"], body["spendable"]) == (100, 100, 100)
    assert {r["period_kind"] for r in body["village_ranks"]} == {"month", "quarter", "year"}
    assert body["village_ranks"][0]["rank"] == 1
    assert api_as("other_villager").get(f"households/{county.household.pk}/points").status_code == 404
    assert api_as("other_village_secretary").get(f"households/{county.household.pk}/points").status_code == 404
    assert api_as(None).get(f"households/{county.household.pk}/points").status_code == 401


def test_shop_items_list_and_create(county, shop, api_as):
    listing = api_as("villager").get("shop/items", {"village": county.village.pk})
    assert listing.status_code == 200
    assert [i["name"] for i in listing.json()["items"]] == ["毛巾", "食用油"]
    assert api_as("other_villager").get("shop/items", {"village": county.village.pk}).status_code == 404
    created = api_as("village_secretary").post(
        "shop/items", {"village": county.village.pk, "name": "洗衣粉", "points_price": 20, "stock": 30}
    )
    assert created.status_code == 201, created.content
    assert created.json()["stock"] == 30 and created.json()["shop"] == shop.pk
    assert StockMovement.objects.filter(item_id=created.json()["id"], reason="initial", delta=30).exists()
    assert (
        api_as("villager")
        .post("shop/items", {"village": county.village.pk, "name": "酱油", "points_price": 5, "stock": 1})
        .status_code
        == 403
    )
    assert (
        api_as("other_village_secretary")
        .post("shop/items", {"village": county.village.pk, "name": "酱油", "points_price": 5, "stock": 1})
        .status_code
        == 404
    )
    bad = api_as("village_secretary").post(
        "shop/items", {"village": county.village.pk, "name": "", "points_price": 0, "stock": -1}
    )
    assert bad.status_code == 422
    assert {"name", "points_price", "stock"} <= set(bad.json()["fields"])
    # A new village gets its shop on first use.
    fresh = api_as("county_admin").post(
        "shop/items", {"village": county.far_village.pk, "name": "大米", "points_price": 50, "stock": 3}
    )
    assert fresh.status_code == 201


def test_redemption_api(county, shop, api_as):
    client = api_as("village_secretary")
    body = {"household": county.household.pk, "items": [{"item": shop.towel.pk, "quantity": 2}]}
    first = client.post("shop/redemptions", body, **{"Idempotency-Key": "counter-1"})
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["points"], data["balance_after"]) == (30, 70)
    assert set(data) >= {"id", "points", "balance_after"}
    again = client.post("shop/redemptions", body, **{"Idempotency-Key": "counter-1"})
    assert again.status_code == 201 and again.json() == data
    reused = client.post(
        "shop/redemptions",
        {"household": county.household.pk, "items": [{"item": shop.towel.pk, "quantity": 1}]},
        **{"Idempotency-Key": "counter-1"},
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Redemption.objects.count() == 1
    too_much = client.post(
        "shop/redemptions", {"household": county.household.pk, "items": [{"item": shop.oil.pk, "quantity": 2}]}
    )
    assert too_much.status_code == 409 and too_much.json()["code"] == "insufficient_points"
    give(county.household, 200, shop.towel.shop.area.points_rules.get(code="BONUS"))
    sold_out = client.post(
        "shop/redemptions", {"household": county.household.pk, "items": [{"item": shop.oil.pk, "quantity": 2}]}
    )
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "out_of_stock"
    assert ShopItem.objects.get(pk=shop.oil.pk).stock == 1
    empty = client.post("shop/redemptions", {"household": county.household.pk, "items": []})
    assert empty.status_code == 422
    zero = client.post(
        "shop/redemptions", {"household": county.household.pk, "items": [{"item": shop.towel.pk, "quantity": 0}]}
    )
    assert zero.status_code == 422 and "items.0.quantity" in zero.json()["fields"]
    assert api_as("villager").post("shop/redemptions", body).status_code == 403
    assert api_as("other_village_secretary").post("shop/redemptions", body).status_code == 404


def test_cancel_same_day_restores_points_and_stock(county, shop, api_as):
    redemption = (
        services.redeem(shop=shop, household=county.household, lines=[(shop.towel.pk, 2)], actor=county.village_cadre)
        if hasattr(county, "village_cadre")
        else services.redeem(
            shop=shop, household=county.household, lines=[(shop.towel.pk, 2)], actor=county.village_secretary
        )
    )
    response = api_as("village_secretary").post(f"shop/redemptions/{redemption.pk}/cancel", {"reason": "拿错了"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled" and response.json()["balance_after"] == 100
    assert ShopItem.objects.get(pk=shop.towel.pk).stock == 5
    reasons = list(StockMovement.objects.filter(item=shop.towel).order_by("id").values_list("reason", "stock_after"))
    assert reasons == [("initial", 5), ("redemption", 3), ("cancellation", 5)]
    again = api_as("village_secretary").post(f"shop/redemptions/{redemption.pk}/cancel", {"reason": "再取消"})
    assert again.status_code == 409


def test_a_township_shared_shop_serves_its_villages(county, points):
    shared = services.create_shop(county.township, actor=county.township_officer, name="珍宝岛乡积分超市")
    item = services.create_item(shared, actor=county.township_officer, name="香皂", points_price=8, stock=10)
    give(county.household, 20, points.bonus)
    services.redeem(shop=shared, household=county.household, lines=[(item.pk, 1)], actor=county.village_secretary)
    assert HouseholdPoints.objects.get(household=county.household).spendable == 12
    with pytest.raises(Exception):  # noqa: B017 - a household of another township: out of scope
        services.redeem(shop=shared, household=county.far_household, lines=[(item.pk, 1)], actor=county.county_admin)


def test_redemption_never_overdraws_or_oversells_sequentially(county, shop):
    for _ in range(6):
        services.redeem(
            shop=shop, household=county.household, lines=[(shop.towel.pk, 1)], actor=county.village_secretary
        ) if ShopItem.objects.get(pk=shop.towel.pk).stock else None
    with pytest.raises(Conflict) as error:
        services.redeem(
            shop=shop, household=county.household, lines=[(shop.towel.pk, 1)], actor=county.village_secretary
        )
    assert error.value.code == "out_of_stock"
    assert HouseholdPoints.objects.get(household=county.household).spendable == 25
    assert sum(PointsEntry.objects.filter(household=county.household).values_list("delta", flat=True)) == 25


def test_entries_api_and_appeal_flow(county, points, api_as):
    rules = api_as("villager").get("points/rules", {"village": county.village.pk})
    assert rules.status_code == 200 and "VL01" in {r["code"] for r in rules.json()}
    recorded = api_as("grid_worker").post(
        "points/entries",
        {"households": [county.household.pk], "rule": points.rules["LT01"].pk, "note": "乱倒垃圾"},
        **{"Idempotency-Key": "e-1"},
    )
    assert recorded.status_code == 201, recorded.content
    entry = recorded.json()[0]
    assert entry["status"] == "in_notice" and entry["delta"] == -5 and len(entry["hash"]) == 64
    replay = api_as("grid_worker").post(
        "points/entries",
        {"households": [county.household.pk], "rule": points.rules["LT01"].pk, "note": "乱倒垃圾"},
        **{"Idempotency-Key": "e-1"},
    )
    assert replay.json() == recorded.json() and PointsEntry.objects.count() == 1
    assert (
        api_as("grid_worker")
        .post("points/entries", {"households": [county.neighbour.pk], "rule": points.rules["LT01"].pk, "note": "x"})
        .status_code
        == 404
    )
    appeal = api_as("villager").post(f"points/entries/{entry['id']}/appeal", {"reason": "不是我家"})
    assert appeal.status_code == 201
    assert api_as("other_villager").post(f"points/entries/{entry['id']}/appeal", {"reason": "x"}).status_code == 404
    decided = api_as("village_secretary").post(
        f"points/appeals/{appeal.json()['id']}/decision", {"uphold": True, "reason": "核实非该户"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "upheld"
    history = api_as("villager").get(f"households/{county.household.pk}/points/entries")
    assert [e["status"] for e in history.json()["items"]] == ["voided", "voided"]


def test_rankings_api(county, points, api_as):
    give(county.household, 30, points.bonus)
    give(county.neighbour, 30, points.bonus)
    give(county.far_household, 50, points.far_bonus)
    village = api_as("village_secretary").get("points/rankings", {"area": county.village.pk, "period": "month"})
    assert village.status_code == 200
    assert [r["household"] for r in village.json()["items"]] == [county.household.pk, county.neighbour.pk]
    whole = api_as("county_admin").get("points/rankings", {"area": county.county.pk, "period": "year"})
    assert [r["earned"] for r in whole.json()["items"]] == [50, 30, 30]
    assert api_as("village_secretary").get("points/rankings", {"area": county.county.pk}).status_code == 404
    grid = api_as("county_admin").get("points/rankings", {"area": county.grid.pk})
    assert grid.status_code == 422


def test_stats_overview_points_section(county, points, api_as):
    give(county.household, 30, points.bonus)
    services.record_entry(household=county.household, rule=points.rules["LT01"], actor=county.grid_worker, note="x")
    body = api_as("county_admin").get("stats/overview").json()["points"]
    assert body["entries"] == 2 and body["points_awarded"] == 30 and body["points_deducted"] == 5
    assert body["honours"] == {"civilized_family": 0, "beautiful_home": 0}
    far = api_as("other_township_officer").get("stats/overview").json()["points"]
    assert far["entries"] == 0


def test_honour_verification_is_public(county, points):
    response = Client().get("/api/v1/points/honours/verify/nope")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Area.objects.exists()
