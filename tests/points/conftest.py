"""Fixtures of the points suites: the small county with adopted rules and helpers to give points."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from shanzhi.points import services
from shanzhi.points.defaults import load_template_rules
from shanzhi.points.models import Rule


def setup_points(county) -> SimpleNamespace:
    templates = load_template_rules(county.county)
    services.adopt_rules(county.village, templates, actor=None)
    services.adopt_rules(county.far_village, templates, actor=None)
    rules = {r.code: r for r in Rule.objects.filter(area=county.village)}
    # A generous rule for setting up balances in tests (no cap).
    bonus = services.create_rule(
        county.village, actor=None, code="BONUS", text="年度先进(测试)", category="good_deeds", points=1000
    )
    far_bonus = services.create_rule(
        county.far_village, actor=None, code="BONUS", text="年度先进(测试)", category="good_deeds", points=1000
    )
    return SimpleNamespace(rules=rules, bonus=bonus, far_bonus=far_bonus)


def give(household, points: int, rule, *, actor=None, note="测试", occurred_on=None):
    """Record an award and let it take effect (sweep after its notice)."""
    entry = services.record_entry(
        household=household, rule=rule, actor=actor, delta=points, note=note, occurred_on=occurred_on
    )
    services.sweep_notices(now=timezone.now() + dt.timedelta(days=entry.notice_days, seconds=1))
    return entry


@pytest.fixture
def points(county):
    return setup_points(county)
