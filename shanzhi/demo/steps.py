"""The demo county is built in steps: the foundation first, then each capability.

Each capability adds ``shanzhi.<app>.demo.build`` here: a function taking keyword
arguments ``seed`` (int), ``today`` (date), ``scale`` (float: households / 15,900)
and ``say`` (a callable for progress lines), that reads what it needs from the
database and writes its own rows. Steps run in this order inside one transaction.
"""

from __future__ import annotations

import random
import time

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from shanzhi.demo.builder import DEFAULT_HOUSEHOLDS, SEED, build_county

DEMO_STEPS: list[str] = [
    "shanzhi.cases.demo.build",
    "shanzhi.deliberation.demo.build",
    "shanzhi.gridwork.demo.build",  # after cases: links grid-patrol cases to the visits that raised them
    "shanzhi.points.demo.build",
    "shanzhi.dashboard.demo.build",  # last, so the other steps keep their seeds: grid polygons for the map
]


@transaction.atomic
def build_demo(households: int = DEFAULT_HOUSEHOLDS, *, with_accounts: bool = True, say=None, steps=None):
    say = say or (lambda message: None)
    result = build_county(households, with_accounts=with_accounts, verbose=say)
    today = timezone.localdate()
    for index, dotted in enumerate(DEMO_STEPS if steps is None else steps):
        started = time.perf_counter()
        import_string(dotted)(seed=SEED + index + 1, today=today, scale=households / DEFAULT_HOUSEHOLDS, say=say)
        say(f"{dotted}: {time.perf_counter() - started:.1f} s")
    return result


def seeded(seed: int) -> random.Random:
    return random.Random(seed)
