"""Real concurrent connections (one per thread) against the shop: no overdraw, no oversell, one redemption per key."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from shanzhi.points import services
from shanzhi.points.models import HouseholdPoints, PointsEntry, Redemption, ShopItem, StockMovement
from tests.conftest import ApiClient, token_for
from tests.points.conftest import give

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def run_in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.fixture
def counter(county, points):
    give(county.household, 100, points.bonus)
    shop = services.create_shop(county.village, actor=None, name="永和村积分超市")
    item = services.create_item(shop, actor=None, name="肥皂", points_price=10, stock=30)
    token = token_for("village_secretary")
    connection.close()
    return item, token


def test_fifty_concurrent_redemptions_never_overdraw(county, counter):
    item, token = counter
    body = {"household": county.household.pk, "items": [{"item": item.pk, "quantity": 1}]}

    def redeem(index):
        response = ApiClient(token).post("shop/redemptions", body, **{"Idempotency-Key": f"till-{index}"})
        return response.status_code, response.json()

    results = run_in_threads(50, redeem)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    created = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status == 409]
    assert len(created) == 10, results
    assert len(refused) == 40 and {b["code"] for b in refused} == {"insufficient_points"}
    assert sorted(b["balance_after"] for b in created) == list(range(0, 100, 10))
    balance = HouseholdPoints.objects.get(household=county.household)
    assert (balance.balance, balance.spendable, balance.held) == (0, 0, 0)
    assert sum(PointsEntry.objects.filter(household=county.household).values_list("delta", flat=True)) == 0
    assert Redemption.objects.count() == 10
    assert ShopItem.objects.get(pk=item.pk).stock == 20
    assert all(m >= 0 for m in StockMovement.objects.filter(item=item).values_list("stock_after", flat=True))
    from django.core.management import call_command

    call_command("points", "verify")


def test_scarce_stock_is_never_oversold(county, points):
    give(county.household, 500, points.bonus)
    give(county.neighbour, 500, points.bonus)
    shop = services.create_shop(county.village, actor=None, name="永和村积分超市")
    item = services.create_item(shop, actor=None, name="电饭锅", points_price=30, stock=7)
    households = [county.household, county.neighbour]
    connection.close()

    def redeem(index):
        try:
            services.redeem(
                shop=shop, household=households[index % 2], lines=[(item.pk, 1)], actor=county.village_secretary
            )
            return "ok"
        except services.Conflict as exc:
            return exc.code

    results = run_in_threads(20, redeem)
    assert results.count("ok") == 7 and results.count("out_of_stock") == 13, results
    assert ShopItem.objects.get(pk=item.pk).stock == 0
    assert [m.stock_after for m in StockMovement.objects.filter(item=item, reason="redemption").order_by("id")] == list(
        range(6, -1, -1)
    )


def test_twenty_concurrent_retries_with_one_key(county, counter):
    item, token = counter
    body = {"household": county.household.pk, "items": [{"item": item.pk, "quantity": 3}]}

    def retry(index):
        response = ApiClient(token).post("shop/redemptions", body, **{"Idempotency-Key": "one-key"})
        return response.status_code, response.json()

    results = run_in_threads(20, retry)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert {status for status, _ in results} == {201}
    assert len({str(sorted(b.items())) for _, b in results}) == 1
    assert Redemption.objects.count() == 1
    assert HouseholdPoints.objects.get(household=county.household).balance == 70
    assert ShopItem.objects.get(pk=item.pk).stock == 27
