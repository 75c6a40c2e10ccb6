"""Cases: creation through the service layer and through HTTP, against a bare insert; the overdue sweep.

    .venv/bin/python -m bench.bench_cases                       # creation on SQLite (var/bench-cases.sqlite3)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.bench_cases --pg-db bench_cases
                                                                # creation and the 1,000,000-case sweep on PostgreSQL

Creation: the same report, three ways, in the same run —
  * a bare ``Case.objects.create`` (one INSERT: the floor),
  * ``report_case`` (scope and input checks, case number, timeline event, audit row, notifications),
  * ``POST /api/v1/cases`` with a bearer token and an Idempotency-Key (the whole stack).
Sweep (PostgreSQL): 1,000,000 cases written with one INSERT … SELECT generate_series, 1 % of
them (10,000) open and past their deadline, the rest closed, waiting or within their deadline;
then one ``sweep()`` claims, escalates and notifies them, timed; then a second sweep that
finds nothing to do.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time

from bench.common import ROOT, measure, report, setup_django

SWEEP_ROWS = 1_000_000


def _ensure_pg_database(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    exists = subprocess.run(
        ["psql", url, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", url, "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    return f"{base}/{name}"


def _county():
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from shanzhi.accounts.models import User
    from shanzhi.cases.defaults import ensure_default_categories
    from shanzhi.demo.builder import COUNTY_CODE, county_exists
    from shanzhi.demo.steps import build_demo

    if not county_exists():
        started = time.perf_counter()
        build_demo(1200, steps=[])
        print(f"built the county in {time.perf_counter() - started:.0f} s")
    ensure_default_categories(county_code=COUNTY_CODE)
    grid_user = User.objects.get(username="demo-grid")
    grid_user.set_password("bench-password")
    grid_user.save()
    return grid_user


def bench_creation(iterations: int) -> None:
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.cases.choices import CaseSource
    from shanzhi.cases.models import Case, Category
    from shanzhi.cases.services import report_case
    from shanzhi.people.models import Household

    settings.ALLOWED_HOSTS = ["*"]
    grid_user = _county()
    grid = grid_user.active_assignments[0].area
    household = Household.objects.filter(grid=grid).first()
    category = Category.objects.get(code="infrastructure")
    run = int(time.time())
    serial = itertools.count()  # measure() reuses i for its warm-up calls; numbers must stay unique

    def bare(_i):
        i = next(serial)
        Case.objects.create(
            number=f"BARE-{run}-{i}",
            title="村道塌陷",
            description="永和村前街路面塌陷约两米。",
            category=category,
            source=CaseSource.GRID_PATROL,
            grid=grid,
            household=household,
            reported_at=timezone.now(),
        )

    def service(_i):
        i = next(serial)
        report_case(
            actor=User.objects.get(pk=grid_user.pk),
            title="村道塌陷",
            description=f"永和村前街路面塌陷约两米。#{run}-{i}",
            category=category,
            grid=grid,
            household=household,
            source=CaseSource.GRID_PATROL,
            location_lat=45.77,
            location_lng=132.97,
        )

    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "demo-grid", "password": "bench-password"}),
        content_type="application/json",
    ).json()["token"]

    def http(_i):
        i = next(serial)
        response = client.post(
            "/api/v1/cases",
            json.dumps(
                {
                    "description": f"永和村前街路面塌陷约两米。http#{run}-{i}",
                    "category": "infrastructure",
                    "grid": grid.pk,
                    "household": household.pk if household else None,
                    "lat": 45.77,
                    "lng": 132.97,
                }
            ),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{run}-{i}"},
        )
        assert response.status_code == 201, response.content

    rows = [
        ("bare Case.objects.create (baseline)", measure(bare, iterations)),
        ("report_case (service layer)", measure(service, iterations)),
        ("POST /api/v1/cases (HTTP, idempotent)", measure(http, iterations)),
    ]
    report("case creation", rows, baseline=rows[0][0])


SWEEP_SQL = """
WITH grids AS (SELECT array_agg(id ORDER BY id) AS ids FROM areas_area WHERE level = 'grid'),
     cats AS (SELECT array_agg(id ORDER BY id) AS ids FROM cases_category)
INSERT INTO cases_case (
    number, title, description, category_id, priority, source, status, reporter_name, reporter_phone,
    grid_id, address, department_id, resolution_unit, check_in_deadline, resolution_deadline, deadline,
    escalation_level, sweep_claim, reopen_count, urge_count, resolution, rejection_reason,
    resolved_on_the_spot, reported_at, dispatched_at, updated_at, closed_at)
SELECT
    'BENCH-' || g, '村道塌陷', '路面塌陷约两米', cats.ids[1 + g % array_length(cats.ids, 1)], 'normal',
    'grid_patrol',
    CASE WHEN g % 100 = 0 THEN (CASE WHEN g % 200 = 0 THEN 'dispatched' ELSE 'checked_in' END)
         WHEN g % 100 <= 5 THEN 'checked_in'
         WHEN g % 100 <= 8 THEN 'reported'
         ELSE 'closed' END,
    '网格员', '', grids.ids[1 + g % array_length(grids.ids, 1)], '', {department}, 'working_days',
    NULL, NULL,
    CASE WHEN g % 100 = 0 THEN now() - make_interval(mins => 1 + g % 4320)
         WHEN g % 100 <= 5 THEN now() + interval '1 day' + make_interval(mins => g % 10000)
         ELSE NULL END,
    0, '', 0, 0, '', '', false,
    now() - make_interval(days => g % 365), now() - make_interval(days => g % 365), now(),
    CASE WHEN g % 100 > 8 THEN now() - make_interval(days => g % 300) ELSE NULL END
FROM generate_series(1, {rows}) AS g, grids, cats
"""


RESET_SQL = """
UPDATE cases_case SET escalation_level = 0, escalated_at = NULL, overdue_since = NULL, sweep_claim = '',
    deadline = CASE WHEN substring(number from 7)::int % 100 = 0
                    THEN now() - make_interval(mins => 1 + substring(number from 7)::int % 4320)
                    ELSE now() + interval '1 day' + make_interval(mins => substring(number from 7)::int % 10000) END
WHERE status IN ('dispatched', 'checked_in') OR escalation_level > 0 OR overdue_since IS NOT NULL
"""


def bench_sweep() -> None:
    from django.db import connection

    from shanzhi.accounts.choices import Role
    from shanzhi.accounts.models import RoleAssignment, User
    from shanzhi.areas.models import Area, Department
    from shanzhi.cases.models import Case, CaseEvent, Notification
    from shanzhi.cases.services import sweep

    _county()
    # One supervisor per township, as a county would have.
    for township in Area.objects.filter(level="township"):
        user, created = User.objects.get_or_create(username=f"bench-supervisor-{township.code}")
        if created:
            RoleAssignment.objects.create(user=user, role=Role.SUPERVISOR, area=township)
    department = Department.objects.get(code__endswith="-zjj")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        # Events and notifications from earlier runs go; so do the cases the creation benchmark made.
        cursor.execute("TRUNCATE cases_notification, cases_caseattachment, cases_caseevent")
        cursor.execute(
            "DELETE FROM cases_casecodepartment WHERE case_id IN (SELECT id FROM cases_case WHERE number NOT LIKE 'BENCH-%')"
        )
        cursor.execute("DELETE FROM cases_case WHERE number NOT LIKE 'BENCH-%'")
        cursor.execute("SELECT count(*) FROM cases_case")
        if cursor.fetchone()[0] == SWEEP_ROWS:
            cursor.execute(RESET_SQL)
            how = "reset the 60,000 open rows of the previous run"
        else:
            cursor.execute("TRUNCATE cases_case RESTART IDENTITY CASCADE")
            cursor.execute(SWEEP_SQL.format(department=department.pk, rows=SWEEP_ROWS))
            how = "wrote the rows with one INSERT … SELECT generate_series"
        cursor.execute("ANALYZE cases_case")
        built = time.perf_counter() - started
    total = Case.objects.count()
    overdue = Case.objects.overdue().count()
    print(f"\n## overdue sweep on {connection.vendor} ({total:,} cases, {overdue:,} overdue = {overdue / total:.1%})")
    print(f"{how} in {built:.1f} s")
    started = time.perf_counter()
    counts = sweep()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = sweep()
    second = time.perf_counter() - started
    print(
        f"first sweep:  {first:.2f} s  escalated {counts['overdue']:,} to level 1 and {counts['county']:,} to level 2"
    )
    print(
        f"              wrote {CaseEvent.objects.count():,} timeline events, {Notification.objects.count():,} notifications"
    )
    print(f"second sweep: {second:.2f} s  (nothing left: {again})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--pg-db", default="bench_cases", help="with DATABASE_URL set: the PostgreSQL database to use")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        pg = os.environ.get("BENCH_PG_URL")
        setup_django(database=pg) if pg else setup_django(sqlite_name="bench-cases.sqlite3")
        bench_creation(args.iterations)
        if pg and not args.skip_sweep:
            bench_sweep()
        elif not pg:
            print("\n(the 1,000,000-case sweep runs on PostgreSQL: set DATABASE_URL)")
        return 0
    env = dict(os.environ)
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        env["BENCH_PG_URL"] = _ensure_pg_database(os.environ["DATABASE_URL"], args.pg_db)
    command = [sys.executable, "-m", "bench.bench_cases", "--child", "--iterations", str(args.iterations)]
    if args.skip_sweep:
        command.append("--skip-sweep")
    subprocess.run(command, check=True, cwd=ROOT, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
