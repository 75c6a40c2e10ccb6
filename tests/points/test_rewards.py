"""Rankings (tie rule), award lists with tiers and the major-deduction exclusion, dividends, honours."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.models import AppendOnlyError
from shanzhi.people.services import create_household
from shanzhi.points import services
from shanzhi.points.choices import CampaignStatus, HonourKind
from shanzhi.points.dividends import largest_remainder, payouts_for
from shanzhi.points.models import AwardList, DividendPayout, Honour, PeriodPoints
from shanzhi.points.periods import period_start
from shanzhi.points.rankings import rank_of, ranking_page
from tests.points.conftest import give

GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "guide" / "img"


def last_month():
    return period_start(period_start(timezone.localdate(), "month") - dt.timedelta(days=1), "month")


def more_households(county, n):
    return [
        create_household(number=f"H9{i:03d}", grid=county.grid if i % 2 else county.grid2, actor=None) for i in range(n)
    ]


def test_tie_rule_orders_by_points_then_fewer_deducted_then_earlier(county, points):
    a, b, c = county.household, county.neighbour, *more_households(county, 1)
    give(a, 20, points.bonus)  # 20, reached first
    give(b, 25, points.bonus)
    services.record_entry(household=b, rule=points.rules["LT01"], actor=county.village_secretary, note="x")
    services.sweep_notices(now=timezone.now() + dt.timedelta(days=4))  # b: 20 with 5 deducted
    give(c, 20, points.bonus)  # 20, reached later than a
    month = period_start(timezone.localdate(), "month")
    order = [r.household_id for r in ranking_page(county.village, "month", month)]
    assert order == [a.pk, c.pk, b.pk]
    assert rank_of(b.pk, county.village, "month", month) == (3, 3)
    assert rank_of(county.far_household.pk, county.village, "month", month) == (None, 3)


def test_award_list_tiers_and_major_exclusion(county, points):
    households = [county.household, county.neighbour, *more_households(county, 11)]
    day = last_month() + dt.timedelta(days=3)
    # Backdated entries are refused by the service; build last month's totals the way the sweep would.
    for index, household in enumerate(households):
        PeriodPoints.objects.create(
            household=household,
            village=county.village,
            township=county.township,
            county=county.county,
            period_kind="month",
            period_start=last_month(),
            earned=100 - index,
            awarded=100 - index,
            major_deductions=1 if index == 0 else 0,
            reached_at=timezone.now(),
        )
    assert day.month == last_month().month
    award = services.issue_award_list(
        county.village, period_kind="month", period_start_day=day, actor=county.village_secretary
    )
    lines = list(award.lines.order_by("rank").values_list("rank", "household_id", "prize"))
    assert len(lines) == 10
    assert lines[0][1] == households[1].pk  # the top household had a major deduction: excluded
    assert [p for _r, _h, p in lines] == ["床垫"] * 4 + ["毛毯"] * 6
    with pytest.raises(Conflict):
        services.issue_award_list(
            county.village, period_kind="month", period_start_day=day, actor=county.village_secretary
        )
    with pytest.raises(Conflict) as not_over:
        services.issue_award_list(
            county.village, period_kind="month", period_start_day=timezone.localdate(), actor=county.village_secretary
        )
    assert not_over.value.code == "period_not_over"
    services.set_reward_tiers(county.village, [(1, 1, "电饭锅")], actor=county.village_secretary)
    with pytest.raises(InvalidInput):
        services.set_reward_tiers(county.village, [(1, 3, "床垫"), (2, 5, "毛毯")], actor=county.village_secretary)
    assert AwardList.objects.count() == 1


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(
    pool=st.integers(0, 10**9),
    weights=st.dictionaries(st.integers(1, 10_000), st.integers(0, 5_000), min_size=1, max_size=60),
)
def test_largest_remainder_sums_exactly_to_the_pool(pool, weights):
    shares = largest_remainder(pool, weights)
    if sum(w for w in weights.values() if w > 0) == 0:
        assert shares == {}
        return
    assert sum(shares.values()) == pool
    total = sum(w for w in weights.values() if w > 0)
    for key, amount in shares.items():
        exact = pool * weights[key] / total
        assert abs(amount - exact) < 1


def test_tiers_method():
    allocation = payouts_for(
        1000, {1: 150, 2: 60, 3: 10, 4: 0}, "tiers", [{"min_points": 100, "shares": 3}, {"min_points": 50, "shares": 2}]
    )
    assert allocation == {1: (3, 600), 2: (2, 400)}


def test_dividend_is_exact_immutable_once_approved_and_exports_safely(county, points, page_as):
    give(county.household, 7, points.bonus)
    give(county.neighbour, 3, points.bonus)
    evil = create_household(number="H0666", grid=county.grid, address='=HYPERLINK("http://x")', actor=None)
    give(evil, 1, points.bonus)
    year = timezone.localdate().year
    plan = services.create_dividend(
        county.village,
        actor=county.village_secretary,
        year=year,
        title="年终分红",
        pool_fen=100_001,
        method="proportional",
    )
    amounts = dict(plan.payouts.values_list("household_id", "amount_fen"))
    assert sum(amounts.values()) == 100_001
    assert amounts == {county.household.pk: 63_637, county.neighbour.pk: 27_273, evil.pk: 9_091}
    with pytest.raises(Conflict):
        services.approve_dividend(plan, actor=county.village_secretary)  # creator cannot approve
    services.approve_dividend(plan, actor=county.township_officer)
    with pytest.raises(Conflict):
        services.recompute_dividend(plan, actor=county.village_secretary)
    with pytest.raises(AppendOnlyError):
        DividendPayout.objects.filter(plan=plan).update(amount_fen=1)
    response = page_as("village_secretary").get(f"/points/dividends/{plan.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == '\'=HYPERLINK("http://x")' for c in cells)
    assert page_as("other_village_secretary").get(f"/points/dividends/{plan.pk}/export.xlsx").status_code == 404


def test_honour_campaign_to_signboard(county, points, page_as, client):
    give(county.household, 60, points.bonus)
    give(county.neighbour, 10, points.bonus)
    year = timezone.localdate().year
    campaign = services.create_campaign(
        county.township,
        actor=county.township_officer,
        kind=HonourKind.CIVILIZED_FAMILY,
        year=year,
        quota=1,
        min_points=30,
    )
    with pytest.raises(InvalidInput) as error:
        services.nominate(campaign, county.neighbour, actor=county.village_secretary)
    assert "30" in error.value.fields["household"][0]
    nomination = services.nominate(campaign, county.household, actor=county.village_secretary, reason="孝老爱亲")
    with pytest.raises(Conflict):
        services.review_nomination(nomination, actor=county.township_officer, approve=True)  # not reviewing yet
    services.advance_campaign(campaign, actor=county.township_officer)
    services.review_nomination(nomination, actor=county.township_officer, approve=True)
    services.advance_campaign(campaign, actor=county.township_officer)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_NOTICE
    with pytest.raises(Conflict):
        services.advance_campaign(campaign, actor=county.township_officer)  # notice not over
    type(campaign).objects.filter(pk=campaign.pk).update(notice_until=timezone.now() - dt.timedelta(minutes=1))
    services.advance_campaign(campaign, actor=county.township_officer)
    honour = Honour.objects.get(campaign=campaign)
    assert honour.number == f"WMJT-{year}-0001"

    response = page_as("village_secretary").get(f"/points/honours/{honour.pk}/signboard.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"/FontFile" in response.content  # the CJK font is embedded
    assert page_as("other_villager").get(f"/points/honours/{honour.pk}/signboard.pdf").status_code == 404
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.fail("pdftoppm is missing: apt-get install poppler-utils")
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    pdf = GUIDE_IMAGES / "points-signboard.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        [pdftoppm, "-r", "60", "-png", "-singlefile", str(pdf), str(GUIDE_IMAGES / "points-signboard")], check=True
    )
    pdf.unlink()
    png = GUIDE_IMAGES / "points-signboard.png"
    from PIL import Image

    image = Image.open(png).convert("RGB")
    assert image.size[0] > image.size[1]  # landscape
    colours = image.getcolors(maxcolors=1_000_000)
    reds = sum(n for n, (r, g, b) in colours if r > 150 and g < 60 and b < 60)
    darks = sum(n for n, (r, g, b) in colours if r < 80 and g < 80 and b < 80)
    assert reds > 1000 and darks > 500  # the red frame, and black text plus the QR code were drawn

    verify = client.get(f"/points/honours/verify/{honour.verify_code}/")
    assert verify.status_code == 200 and "李*君" in verify.content.decode() and "WMJT" in verify.content.decode()
    assert client.get("/points/honours/verify/forged/").status_code == 404
    services.revoke_honour(honour, actor=county.township_officer, reason="弄虚作假")
    assert "revoked" in client.get(f"/api/v1/points/honours/verify/{honour.verify_code}").content.decode()
