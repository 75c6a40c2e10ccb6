"""Grid work: the demo step's time, logging a visit, the care list, the worker's home, a month's evaluation.

    .venv/bin/python -m bench.bench_gridwork               # SQLite (var/bench-gridwork.sqlite3)
    .venv/bin/python -m bench.bench_gridwork --rebuild     # build the county again and time the demo step

The county is the demo at full size (15,900 households, 275 grids, 128 / 275 / 781 grid
workers) with the cases step and the grid-work step (a year of visits and patrols, twelve
closed months).

Figures (same run, same machine):
  * demo step: the seconds ``shanzhi.gridwork.demo.build`` takes at scale 1.0 (with
    --rebuild; its budget is 10 s), against ``build_county`` in the same run;
  * visit: a bare ``Visit.objects.create`` (floor) · ``log_visit`` (scope and grid checks,
    duties, audit) · POST /api/v1/gridwork/visits with an Idempotency-Key;
  * reads: ``Visit.objects.count()`` for a month (floor) · the care list of a township and of
    the county · GET /api/v1/gridwork/today as demo-grid · the worker's home page;
  * evaluation: computing one month for all eleven townships (275 workers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import uuid

from bench.common import measure, report, setup_django


def _build(rebuild: bool) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from shanzhi.demo.builder import build_county, county_exists
    from shanzhi.demo.steps import DEMO_STEPS, SEED

    timings = {}
    if rebuild and county_exists():
        call_command("flush", interactive=False, verbosity=0)
        from shanzhi.cases.defaults import ensure_default_categories

        ensure_default_categories()
    if not county_exists():
        with transaction.atomic():
            started = time.perf_counter()
            build_county()
            timings["build_county"] = time.perf_counter() - started
            from shanzhi.cases.demo import build as cases_build

            cases_build(seed=SEED + 1, today=timezone.localdate(), scale=1.0, say=lambda m: None)
            from shanzhi.gridwork.demo import build

            started = time.perf_counter()
            build(
                seed=SEED + 1 + DEMO_STEPS.index("shanzhi.gridwork.demo.build"),
                today=timezone.localdate(),
                scale=1.0,
                say=print,
            )
            timings["gridwork step"] = time.perf_counter() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="build the county again and time the demo step")
    parser.add_argument("--iterations", type=int, default=50)
    args = parser.parse_args()
    setup_django(sqlite_name="bench-gridwork.sqlite3")
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    timings = _build(args.rebuild)
    if timings:
        print("\n## demo build (seconds)")
        for name, seconds in timings.items():
            print(f"{name:<20} {seconds:>7.1f} s")

    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.accounts.services import issue_token
    from shanzhi.areas.models import Area
    from shanzhi.gridwork import care, evaluation
    from shanzhi.gridwork.choices import VisitKind, VisitPurpose
    from shanzhi.gridwork.models import Visit
    from shanzhi.gridwork.services import current_scheme, log_visit, worker_for_user
    from shanzhi.people.models import Household

    grid_user = User.objects.get(username="demo-grid")
    worker = worker_for_user(grid_user)
    household = Household.objects.filter(grid__name="永和村第1网格").order_by("number").first()
    township = Area.objects.get(level="township", name="珍宝岛乡")
    token, _ = issue_token(grid_user)
    api = Client()
    page = Client()
    page.force_login(grid_user)
    now = timezone.now()

    class Rollback(Exception):
        pass

    def in_rollback(fn):
        def run(i):
            try:
                with transaction.atomic():
                    fn(i)
                    raise Rollback
            except Rollback:
                pass

        return run

    rows = [
        (
            "bare Visit.objects.create (floor)",
            measure(
                in_rollback(
                    lambda i: Visit.objects.create(
                        worker=worker,
                        kind=VisitKind.HOUSEHOLD,
                        purpose=VisitPurpose.ELDERLY_CARE,
                        grid_id=household.grid_id,
                        household=household,
                        visited_at=now,
                        visited_on=now.date(),
                    )
                ),
                args.iterations,
            ),
        ),
        (
            "log_visit (service)",
            measure(
                in_rollback(
                    lambda i: log_visit(
                        actor=grid_user,
                        kind=VisitKind.HOUSEHOLD,
                        purpose=VisitPurpose.ELDERLY_CARE,
                        household=household,
                    )
                ),
                args.iterations,
            ),
        ),
        (
            "POST /api/v1/gridwork/visits (idempotent)",
            measure(
                in_rollback(
                    lambda i: api.post(
                        "/api/v1/gridwork/visits",
                        data=json.dumps({"kind": "household", "purpose": "elderly_care", "household": household.pk}),
                        content_type="application/json",
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                    )
                ),
                args.iterations,
            ),
        ),
    ]
    report("logging a visit", rows, baseline="bare Visit.objects.create (floor)")

    month = evaluation.previous_month(evaluation.month_start(timezone.localdate()))
    county_user = User.objects.get(username="demo-county")
    rows = [
        (
            "count a month's visits (floor)",
            measure(
                lambda i: Visit.objects.filter(visited_on__range=(month, evaluation.month_end(month))).count(),
                args.iterations,
            ),
        ),
        (
            "care list of a township (珍宝岛乡)",
            measure(lambda i: care.overdue_items(Household.objects.in_area(township)), args.iterations),
        ),
        (
            "care list of the county",
            measure(
                lambda i: care.overdue_items(Household.objects.for_user(county_user)), max(5, args.iterations // 5)
            ),
        ),
        (
            "GET /api/v1/gridwork/today (demo-grid)",
            measure(
                lambda i: api.get("/api/v1/gridwork/today", headers={"Authorization": f"Bearer {token}"}),
                args.iterations,
            ),
        ),
        ("GET / (the worker's home page)", measure(lambda i: page.get("/"), args.iterations)),
    ]
    report("reading", rows, baseline="count a month's visits (floor)")

    snapshot = evaluation.scheme_snapshot(current_scheme())
    townships = list(Area.objects.filter(level="township"))
    rows = [
        (
            "count a month's visits (floor)",
            measure(
                lambda i: Visit.objects.filter(visited_on__range=(month, evaluation.month_end(month))).count(), 5, 1
            ),
        ),
        (
            "compute one month, 11 townships, 275 workers",
            measure(lambda i: evaluation.compute(month, townships, snapshot), 5, 1),
        ),
    ]
    report("monthly evaluation", rows, baseline="count a month's visits (floor)")
    print(f"\nmeasured {dt.date.today()}")


if __name__ == "__main__":
    main()
