"""The demo county's year of points at full scale: exact honours, every village active, a clean ledger."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count, Min
from django.utils import timezone

from shanzhi.areas.models import Area
from shanzhi.points.choices import EntryStatus, HonourKind
from shanzhi.points.models import AwardList, EntryState, Honour, PointsEntry, Redemption, ShopItem
from shanzhi.points.verify import verify_ledger


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from shanzhi.demo.steps import build_demo

    with django_db_blocker.unblock():
        build_demo(steps=["shanzhi.points.demo.build"])
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_exactly_35_civilized_families_and_27_model_beautiful_homes_this_year(demo):
    year = timezone.localdate().year
    honoured = dict(
        Honour.objects.filter(awarded_at__year=year, revoked_at__isnull=True)
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    assert honoured == {HonourKind.CIVILIZED_FAMILY: 35, HonourKind.BEAUTIFUL_HOME: 27}
    assert Honour.objects.values("household").distinct().count() == 62


@pytest.mark.django_db
def test_every_village_has_a_year_of_points_and_the_ledger_verifies(demo):
    villages = Area.objects.filter(level="village").count()
    active = PointsEntry.objects.filter(state__status=EntryStatus.EFFECTIVE).values("village").distinct().count()
    assert villages == 97 and active == 97
    first = PointsEntry.objects.aggregate(first=Min("occurred_on"))["first"]
    assert (timezone.localdate() - first).days >= 330
    assert EntryState.objects.filter(status=EntryStatus.IN_NOTICE).exists()
    assert Redemption.objects.count() > 1000
    assert not ShopItem.objects.filter(stock__lt=0).exists()
    assert AwardList.objects.values("village").distinct().count() == 97
    lines = AwardList.objects.order_by("-period_start").first().lines.order_by("rank")
    assert [line.prize for line in lines[:5]] == ["床垫"] * 4 + ["毛毯"]
    villages_checked, entries, problems = verify_ledger()
    assert problems == [] and villages_checked == 97 and entries > 30_000


@pytest.mark.django_db
def test_demo_villager_has_an_entry_in_notice(demo):
    from shanzhi.accounts.models import User

    household_id = User.objects.get(username="demo-villager").role_assignments.get().household_id
    assert EntryState.objects.filter(household_id=household_id, status=EntryStatus.IN_NOTICE).exists()
