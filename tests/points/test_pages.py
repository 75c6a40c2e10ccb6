"""Every points page renders for the persona who uses it; outsiders get 404, roles without the permission 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.core.errors import InvalidInput, NotFound
from shanzhi.points import services
from shanzhi.points.models import AwardList, PeriodPoints, PointsEntry, Redemption
from tests.points.conftest import give


@pytest.fixture
def world(county, points):
    give(county.household, 100, points.bonus)
    shop = services.create_shop(county.village, actor=None, name="永和村积分超市")
    item = services.create_item(shop, actor=None, name="毛巾", points_price=15, stock=5)
    redemption = services.redeem(
        shop=shop, household=county.household, lines=[(item.pk, 1)], actor=county.village_secretary
    )
    entry = services.record_entry(
        household=county.household, rule=points.rules["LT01"], actor=county.grid_worker, note="乱倒垃圾"
    )
    appeal = services.appeal_entry(entry, actor=county.villager, reason="不是我家")
    plan = services.create_dividend(
        county.village,
        actor=county.village_secretary,
        year=timezone.localdate().year,
        title="分红",
        pool_fen=10000,
        method="proportional",
    )
    campaign = services.create_campaign(
        county.township, actor=county.township_officer, kind="civilized_family", year=timezone.localdate().year, quota=3
    )
    last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    PeriodPoints.objects.create(
        household=county.neighbour,
        village=county.village,
        township=county.township,
        county=county.county,
        period_kind="month",
        period_start=last,
        earned=9,
        reached_at=timezone.now(),
    )
    award = services.issue_award_list(
        county.village, period_kind="month", period_start_day=last, actor=county.village_secretary
    )
    return dict(
        shop=shop,
        item=item,
        redemption=redemption,
        entry=entry,
        appeal=appeal,
        plan=plan,
        campaign=campaign,
        award=award,
    )


def pages(county, w):
    v = county.village.pk
    return {
        "/points/": ("village_secretary", None, None),
        "/points/me/": ("villager", "other_village_secretary", None),
        "/points/entries/new/": ("grid_worker", None, "villager"),
        f"/points/entries/{w['entry'].pk}/": ("villager", "other_villager", None),
        f"/points/entries/{w['entry'].pk}/appeal/": ("villager", "other_villager", None),
        "/points/pending/": ("village_secretary", None, "villager"),
        "/points/appeals/": ("village_secretary", None, "villager"),
        f"/points/villages/{v}/": ("villager", "other_villager", None),
        f"/points/villages/{v}/notice/": ("village_secretary", "other_village_secretary", None),
        f"/points/villages/{v}/rules/": ("village_secretary", "other_villager", None),
        "/points/templates/": ("county_admin", None, "villager"),
        f"/points/rules/{w['entry'].rule_id}/edit/": ("village_secretary", "other_village_secretary", "grid_worker"),
        "/points/rankings/": ("villager", None, None),
        f"/points/rankings/?area={county.county.pk}&period=year": ("county_admin", "village_secretary", None),
        f"/points/villages/{v}/awards/": ("village_secretary", "other_villager", None),
        f"/points/awards/{w['award'].pk}/": ("villager", "other_villager", None),
        f"/points/shops/{w['shop'].pk}/": ("villager", "other_villager", None),
        f"/points/shops/{w['shop'].pk}/counter/?household={county.household.number}": (
            "village_secretary",
            "other_village_secretary",
            "grid_worker",
        ),
        f"/points/shops/{w['shop'].pk}/items/new/": ("village_secretary", "other_village_secretary", "grid_worker"),
        f"/points/shops/{w['shop'].pk}/items/{w['item'].pk}/": (
            "village_secretary",
            "other_village_secretary",
            "grid_worker",
        ),
        f"/points/redemptions/{w['redemption'].pk}/": ("village_secretary", "other_villager", None),
        "/points/dividends/": ("village_secretary", None, "villager"),
        f"/points/dividends/{w['plan'].pk}/": ("village_secretary", "other_village_secretary", "villager"),
        "/points/honours/": ("township_officer", None, "villager"),
        f"/points/honours/campaigns/{w['campaign'].pk}/": ("village_secretary", "other_township_officer", "villager"),
    }


def test_every_page_renders_and_refuses_outsiders(county, world, page_as):
    clients = {}

    def client(persona):
        if persona not in clients:
            clients[persona] = page_as(persona)
        return clients[persona]

    for url, (user, outsider, forbidden) in pages(county, world).items():
        response = client(user).get(url)
        assert response.status_code == 200, (url, user, response.status_code)
        html = response.content.decode()
        assert 'lang="zh-CN"' in html
        if outsider:
            assert client(outsider).get(url).status_code == 404, (url, outsider)
        if forbidden:
            assert client(forbidden).get(url).status_code == 403, (url, forbidden)
        assert client("outsider").get(url).status_code in (403, 404), url
    assert page_as(None).get("/points/me/").status_code == 302


def test_notice_print_has_qr_and_entry(county, world, page_as):
    html = page_as("village_secretary").get(f"/points/villages/{county.village.pk}/notice/").content.decode()
    assert "<svg" in html and "乱倒垃圾" in html


def test_record_form_batch_and_errors(county, points, page_as):
    client = page_as("village_secretary")
    bad = client.post(
        "/points/entries/new/",
        {
            "rule": points.rules["LT01"].pk,
            "households": "H0001 H9999",
            "occurred_on": timezone.localdate(),
            "form_token": "t1",
        },
    )
    assert bad.status_code == 200 and "H9999" in bad.content.decode()
    ok = client.post(
        "/points/entries/new/",
        {
            "rule": points.rules["AC01"].pk,
            "households": "H0001 H0002",
            "occurred_on": timezone.localdate(),
            "form_token": "t2",
        },
    )
    assert ok.status_code == 302
    again = client.post(
        "/points/entries/new/",
        {
            "rule": points.rules["AC01"].pk,
            "households": "H0001 H0002",
            "occurred_on": timezone.localdate(),
            "form_token": "t2",
        },
    )
    assert again.status_code == 302
    assert PointsEntry.objects.filter(rule=points.rules["AC01"]).count() == 2


def test_counter_redeems_and_prints_a_receipt(county, world, page_as):
    client = page_as("village_secretary")
    shop, item = world["shop"], world["item"]
    too_many = client.post(
        f"/points/shops/{shop.pk}/counter/",
        {"household": county.household.number, f"qty_{item.pk}": "9", "form_token": "c1"},
    )
    assert too_many.status_code == 200 and 'class="errorlist nonfield"' in too_many.content.decode()
    assert Redemption.objects.count() == 1
    done = client.post(
        f"/points/shops/{shop.pk}/counter/",
        {"household": county.household.number, f"qty_{item.pk}": "2", "form_token": "c2"},
    )
    assert done.status_code == 302
    receipt = client.get(done["Location"])
    assert receipt.status_code == 200 and "毛巾" in receipt.content.decode()
    assert Redemption.objects.count() == 2
    assert AwardList.objects.count() == 1


def test_village_ledger_lists_filters_and_exports_every_entry(county, points, page_as):
    """The ledger page: the village's entries with who recorded them; the filter and its export agree."""
    from shanzhi.dashboard import services as dashboard
    from shanzhi.dashboard.choices import JobStatus
    from tests.dashboard.test_reports import build, sheet_rows

    by_secretary = services.record_entry(
        household=county.household, rule=points.rules["VL01"], actor=county.village_secretary, note="清扫村道"
    )
    by_worker = services.record_entry(
        household=county.household, rule=points.rules["LT01"], actor=county.grid_worker, note="乱倒垃圾"
    )
    services.record_entry(household=county.far_household, rule=points.far_bonus, actor=None, delta=5)  # another village
    url = f"/points/villages/{county.village.pk}/ledger/"
    client = page_as("village_secretary")
    html = client.get(url).content.decode()
    assert "清扫村道" in html and "乱倒垃圾" in html
    assert f'data-entry="{by_secretary.pk}"' in html and f'data-entry="{by_worker.pk}"' in html
    assert html.count("data-entry=") == 2  # the far village's entry is not in this ledger
    assert str(county.grid_worker) in html  # who recorded each entry
    mine = client.get(url, {"recorder": county.grid_worker.pk}).content.decode()
    assert f'data-entry="{by_worker.pk}"' in mine and f'data-entry="{by_secretary.pk}"' not in mine
    kinds = client.get(url, {"kind": "deduction", "household": county.household.number}).content.decode()
    assert f'data-entry="{by_worker.pk}"' in kinds and f'data-entry="{by_secretary.pk}"' not in kinds
    bad = client.get(url, {"since": "2026-02-30", "rule": "999999999"})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "请按“年-月-日”(YYYY-MM-DD)填写日期" in text and "不是本村的村规" in text
    assert text.count("data-entry=") == 2  # bad parts are named and left out
    # Staff only, in scope.
    assert page_as("villager").get(url).status_code == 403
    assert page_as("other_village_secretary").get(url).status_code == 404
    # The export follows the same filter; the village is fixed by the page.
    job = dashboard.request_report(
        actor=county.village_secretary,
        kind="list_export",
        file_format="xlsx",
        params={
            "list": "points_ledger",
            "query": {"village": str(county.village.pk), "recorder": str(county.grid_worker.pk)},
        },
    )
    job = build(job)
    assert job.status == JobStatus.DONE, job.error
    rows = sheet_rows(job)
    assert len(rows) == 2 and rows[1][0] == by_worker.seq and rows[1][7] == by_worker.delta
    assert rows[1][-1] == by_worker.hash and "乱倒垃圾" in rows[1]
    with pytest.raises(NotFound):
        dashboard.request_report(
            actor=county.other_village_secretary,
            kind="list_export",
            file_format="xlsx",
            params={"list": "points_ledger", "query": {"village": str(county.village.pk)}},
        )
    with pytest.raises(InvalidInput) as refused:
        dashboard.request_report(
            actor=county.village_secretary,
            kind="list_export",
            file_format="xlsx",
            params={"list": "points_ledger", "query": {"village": str(county.village.pk), "until": "tomorrow"}},
        )
    assert "until" in refused.value.fields
