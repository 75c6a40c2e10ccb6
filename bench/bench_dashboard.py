"""Dashboard benchmarks: the county overview at demo scale and at 500,000 households.

Demo scale (SQLite by default, var/bench-dashboard.sqlite3; --pg URL for PostgreSQL):
    .venv/bin/python -m bench.bench_dashboard demo [--reuse] [--iterations 30]
  builds the demo county (15,900 households, every capability's demo step) once, then
  times, warm, as the demo county admin: the whole /dashboard/ page through Django's test
  client (middleware, session, template), the overview document alone, the big screen's
  JSON and the grid map's GeoJSON, all live; then the worker's refresh of the county and
  township snapshots and the page served from them; and counts the page's queries.

County scale (PostgreSQL):
    .venv/bin/python -m bench.bench_dashboard county --pg postgres://postgres@127.0.0.1:5432/bench_dashboard \
        [--households 500000] [--reuse] [--iterations 20]
  generates with generate_series a county of 10 townships, 500 villages and 8,500 grids:
  the households, two residents each, grid workers, 12 months of cases (10,000 a month,
  with their dispatch, check-in, resolution and follow-up times and events), points
  entries (250,000 a month), visits (100,000 a month), topics and venues, and care-rule
  tags on 5 % of households; then times the live overview of the county, a township
  and a village, the worker's refresh of the county and township snapshots, and the
  whole page served from them.

The baseline, measured in the same run, is the cheapest query any overview must make:
``SELECT count(*)`` of the active households of the area.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bench.common import measure, report, setup_django


def _client(username: str, password: str):
    from django.test import Client

    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    if response.status_code != 302:
        raise SystemExit(f"could not log in as {username}")
    return client


def _baseline(area):
    from shanzhi.people.models import Household

    return lambda i: Household.objects.filter(status="active").in_area(area).count()


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def run_demo(args) -> None:
    setup_django(database=args.pg, sqlite_name=None if args.pg else "bench-dashboard.sqlite3")
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()  # lets the test client render pages and count queries
    from shanzhi.accounts.models import User
    from shanzhi.areas.models import Area
    from shanzhi.dashboard.figures import overview_page
    from shanzhi.demo.builder import DEMO_PASSWORD, county_exists
    from shanzhi.demo.steps import build_demo

    if not (args.reuse and county_exists()):
        if county_exists():
            raise SystemExit("the benchmark database already holds a county: pass --reuse or delete it")
        started = time.perf_counter()
        build_demo()
        print(f"demo county built in {time.perf_counter() - started:.0f} s", flush=True)
    county = Area.objects.get(level="county")
    user = User.objects.get(username="demo-county")
    client = _client("demo-county", DEMO_PASSWORD)
    month = timezone.localdate().replace(day=1)
    n = args.iterations
    rows = [
        ("baseline: count the county's active households", measure(_baseline(county), n)),
        ("overview document (all sections), county", measure(lambda i: overview_page(user, month), n)),
        ("GET /dashboard/ (whole page), county", measure(lambda i: client.get("/dashboard/"), n)),
        ("GET /dashboard/screen/data.json, county", measure(lambda i: client.get("/dashboard/screen/data.json"), n)),
        (
            "GET /dashboard/map/grids.geojson, 275 grids",
            measure(lambda i: client.get("/dashboard/map/grids.geojson"), n),
        ),
    ]
    from shanzhi.dashboard.models import OverviewSnapshot
    from shanzhi.dashboard.snapshots import refresh

    live_queries = _queries(client, "/dashboard/")
    started = time.perf_counter()
    written = refresh()
    refresh_seconds = time.perf_counter() - started
    rows += [
        ("GET /dashboard/ (whole page, worker's snapshot)", measure(lambda i: client.get("/dashboard/"), n)),
        (
            "GET /dashboard/screen/data.json (snapshot)",
            measure(lambda i: client.get("/dashboard/screen/data.json"), n),
        ),
    ]
    snapshot_queries = _queries(client, "/dashboard/")
    OverviewSnapshot.objects.all().delete()
    households = overview_page(user, month)["households"]
    report(f"Dashboard at demo scale ({households:,} households)", rows, baseline=rows[0][0])
    print(f"queries for GET /dashboard/: {live_queries} live, {snapshot_queries} from the snapshot")
    print(f"worker refresh of {written} snapshots (county + townships): {refresh_seconds:.1f} s")


# --- county scale (PostgreSQL) ------------------------------------------------------------------

GENERATE = [
    # the tree: 10 townships × 50 villages × 17 grids
    """INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
       VALUES (NULL, 'county', 'D00', '基准县', '/D00/', 0, '2000-01-01', 0, now(), now())""",
    """INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
       SELECT (SELECT id FROM areas_area WHERE code = 'D00'), 'township', 'D00T' || t, '乡镇' || t,
              '/D00/D00T' || t || '/', 1, '2000-01-01', t, now(), now() FROM generate_series(1, 10) t""",
    """INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
       SELECT tw.id, 'village', tw.code || 'V' || v, '村' || tw.sort_order || '-' || v,
              tw.path || tw.code || 'V' || v || '/', 2, '2000-01-01', v, now(), now()
       FROM areas_area tw, generate_series(1, 50) v WHERE tw.level = 'township' AND tw.code LIKE 'D00T%%'""",
    """INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
       SELECT vi.id, 'grid', vi.code || 'G' || g, vi.name || '第' || g || '网格', vi.path || vi.code || 'G' || g || '/',
              3, '2000-01-01', g, now(), now()
       FROM areas_area vi, generate_series(1, 17) g WHERE vi.level = 'village' AND vi.code LIKE 'D00T%%'""",
    """CREATE UNLOGGED TABLE bench_grids AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, parent_id
       FROM areas_area WHERE level = 'grid' AND code LIKE 'D00T%%'""",
    """INSERT INTO people_household (number, grid_id, address, phone, status, search_text, created, updated)
       SELECT 'DH' || lpad(h::text, 7, '0'), g.id, '', '138' || lpad(h::text, 8, '0'), 'active', '', now(), now()
       FROM generate_series(0, %(households)s - 1) h JOIN bench_grids g ON g.n = h %% 8500""",
    """CREATE UNLOGGED TABLE bench_households AS SELECT row_number() OVER (ORDER BY h.id) - 1 AS n, h.id,
       h.grid_id, g.parent_id AS village_id FROM people_household h JOIN areas_area g ON g.id = h.grid_id
       WHERE h.number LIKE 'DH%%'""",
    "ALTER TABLE bench_households ADD PRIMARY KEY (n)",
    """INSERT INTO people_resident (household_id, name, name_initials, id_number_sealed, id_number_hash, id_last4,
           id_prefix6, gender, birth_date, relation, phone, is_party_member, is_away_for_work, status, created, updated)
       SELECT hh.id, '居民' || r, '', 'sealed', md5('bench' || hh.n || '-' || r), lpad((hh.n %% 10000)::text, 4, '0'),
              '230381', CASE WHEN r = 1 THEN 'male' ELSE 'female' END, DATE '1960-01-01' + (hh.n %% 15000)::int,
              CASE WHEN r = 1 THEN 'head' ELSE 'spouse' END, '', false, false, 'active', now(), now()
       FROM bench_households hh, generate_series(1, 2) r""",
    """INSERT INTO people_household_tags (household_id, householdtag_id)
       SELECT hh.id, (SELECT id FROM people_householdtag ORDER BY sort_order LIMIT 1)
       FROM bench_households hh WHERE hh.n %% 20 = 0""",
    """INSERT INTO gridwork_gridworker (name, kind, phone, home_area_id, start_date, created)
       SELECT '网格员' || g.n || '-' || k, CASE WHEN k = 1 THEN 'full_time' ELSE 'part_time' END, '',
              g.parent_id, DATE '2020-01-01', now()
       FROM bench_grids g, generate_series(1, 3) k""",
    # 12 months of cases: every status, deadlines, dispatch/check-in/resolution times
    """INSERT INTO cases_case (number, title, description, category_id, priority, source, status, reporter_name,
           reporter_phone, grid_id, address, resolution_unit, escalation_level, sweep_claim, reopen_count, urge_count,
           resolution, rejection_reason, resolved_on_the_spot, reported_at, updated_at, department_id, dispatched_at,
           checked_in_at, resolved_at, closed_at, deadline, check_in_deadline, resolution_deadline, satisfied,
           overdue_since)
       SELECT 'DC' || lpad(i::text, 8, '0'), '事件' || i, '', c.id, 'normal', 'grid_patrol',
              (ARRAY['closed','closed','closed','closed','resolved','checked_in','dispatched','reported'])[1 + i %% 8],
              '', '', hh.grid_id, '', 'working_days', 0, '', (i %% 23 = 0)::int, 0, '', '', (i %% 5 = 0),
              t.at, t.at, d.id, t.at + INTERVAL '2 hours',
              CASE WHEN i %% 8 < 6 THEN t.at + INTERVAL '1 day' END,
              CASE WHEN i %% 8 < 5 THEN t.at + INTERVAL '3 days' END,
              CASE WHEN i %% 8 < 4 THEN t.at + INTERVAL '4 days' END,
              t.at + INTERVAL '5 days', t.at + INTERVAL '1 day 2 hours', t.at + INTERVAL '5 days',
              CASE WHEN i %% 8 < 4 THEN i %% 9 <> 0 END,
              CASE WHEN i %% 13 = 0 THEN t.at + INTERVAL '5 days' END
       FROM generate_series(1, %(cases)s) i
       JOIN bench_households hh ON hh.n = (i * 7919) %% %(households)s
       CROSS JOIN LATERAL (SELECT now() - ((i %% 365) * INTERVAL '1 day') - (i %% 600) * INTERVAL '1 minute' AS at) t
       CROSS JOIN LATERAL (SELECT id FROM cases_category ORDER BY id OFFSET (i %% 8) LIMIT 1) c
       CROSS JOIN LATERAL (SELECT id FROM areas_department ORDER BY id OFFSET (i %% 3) LIMIT 1) d""",
    """INSERT INTO cases_caseevent (case_id, action, actor_label, created, from_status, to_status, note, data)
       SELECT id, CASE WHEN satisfied THEN 'closed' ELSE 'reopened' END, '', closed_at, 'resolved',
              CASE WHEN satisfied THEN 'closed' ELSE 'dispatched' END, '', '{}'::jsonb
       FROM cases_case WHERE number LIKE 'DC%%' AND closed_at IS NOT NULL""",
    # points entries (award or deduction) with their state rows
    """INSERT INTO points_pointsentry (village_id, seq, household_id, kind, delta, occurred_on, note, evidence, major,
           needs_approval, notice_days, created, prev_hash, hash)
       SELECT hh.village_id, i, hh.id, CASE WHEN i %% 17 = 0 THEN 'deduction' ELSE 'award' END,
              CASE WHEN i %% 17 = 0 THEN -5 ELSE (i %% 5) + 1 END, (now() - (i %% 365) * INTERVAL '1 day')::date,
              '', '', false, false, 3, now() - (i %% 365) * INTERVAL '1 day', md5(i::text), md5((i + 1)::text)
       FROM generate_series(1::bigint, %(entries)s) i JOIN bench_households hh ON hh.n = (i * 104729) %% %(households)s""",
    """INSERT INTO points_entrystate (entry_id, village_id, household_id, status, open_appeal)
       SELECT id, village_id, household_id, 'effective', false FROM points_pointsentry""",
    """INSERT INTO gridwork_visit (worker_id, kind, purpose, grid_id, household_id, visited_at, visited_on, notes,
           created)
       SELECT w.id, 'household', 'elderly_care', hh.grid_id, hh.id, t.at, t.at::date, '', t.at
       FROM generate_series(1::bigint, %(visits)s) i
       JOIN bench_households hh ON hh.n = (i * 15485863) %% %(households)s
       CROSS JOIN LATERAL (SELECT now() - (i %% 365) * INTERVAL '1 day' AS at) t
       JOIN LATERAL (SELECT id FROM gridwork_gridworker ORDER BY id LIMIT 1) w ON true""",
    """INSERT INTO deliberation_venue (kind, name, village_id, location, photo, active, created, updated)
       SELECT CASE WHEN v.id %% 3 = 0 THEN 'corridor' ELSE 'courtyard' END, v.name || '议事小院', v.id, '', '', true,
              now(), now() FROM areas_area v WHERE v.level = 'village' AND v.code LIKE 'D00T%%'""",
    """INSERT INTO deliberation_topic (title, description, topic_class, village_id, raiser_name, raised_via, raised_at,
           status, decline_reason, result, updated, resolved_at)
       SELECT '议题' || i, '', (ARRAY['development','livelihood','hard_problem'])[1 + i %% 3], v.id, '', 'cadre',
              now() - (i %% 365) * INTERVAL '1 day', CASE WHEN i %% 2 = 0 THEN 'resolved' ELSE 'raised' END, '', '',
              now(), CASE WHEN i %% 2 = 0 THEN now() - (i %% 365) * INTERVAL '1 day' + INTERVAL '7 days' END
       FROM generate_series(1, 20000) i
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM areas_area
             WHERE level = 'village' AND code LIKE 'D00T%%') v ON v.n = i %% 500""",
    "DROP TABLE bench_households",
    "DROP TABLE bench_grids",
]


def generate_county(households: int) -> None:
    from django.db import connection

    params = {"households": households, "cases": 120_000, "entries": 3_000_000, "visits": 1_200_000}
    with connection.cursor() as cursor:
        for statement in GENERATE:
            started = time.perf_counter()
            used = {k: v for k, v in params.items() if f"%({k})s" in statement}
            cursor.execute(statement, used)
            head = " ".join(statement.split()[:3])
            print(f"{head[:60]:<60} {time.perf_counter() - started:6.1f} s", flush=True)
        cursor.execute("VACUUM ANALYZE")


def _ensure_user():
    from shanzhi.accounts.choices import Role
    from shanzhi.accounts.models import User
    from shanzhi.accounts.services import assign_role, create_user
    from shanzhi.areas.models import Area

    user = User.objects.filter(username="bench-county").first()
    if user is None:
        user = create_user(username="bench-county", password="bench-dashboard-1", display_name="bench")
        assign_role(user, Role.COUNTY_ADMIN, area=Area.objects.get(code="D00"), audit_it=False)
    return User.objects.get(pk=user.pk)


def run_county(args) -> None:
    import psycopg

    base, _, name = args.pg.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not args.reuse:
            admin.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    setup_django(database=args.pg)
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    from shanzhi.areas.models import Area
    from shanzhi.dashboard.figures import overview_page
    from shanzhi.demo.builder import build_county

    if not Area.objects.filter(code="D00").exists():
        started = time.perf_counter()
        build_county(300, with_accounts=False)  # departments, categories, tags and care rules the app expects
        generate_county(args.households)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    user = _ensure_user()
    client = _client("bench-county", "bench-dashboard-1")
    county = Area.objects.get(code="D00")
    rng = random.Random(3)
    townships = list(Area.objects.filter(level="township", parent=county))
    villages = list(Area.objects.filter(level="village", path__startswith=county.path)[:500])
    month = timezone.localdate().replace(day=1)
    n = args.iterations
    from shanzhi.dashboard.models import OverviewSnapshot
    from shanzhi.dashboard.snapshots import refresh

    OverviewSnapshot.objects.all().delete()
    live = [
        ("baseline: count the county's active households", measure(_baseline(county), n, warmup=2)),
        ("live overview document, county", measure(lambda i: overview_page(user, month, county), 5, warmup=1)),
        (
            "live overview document, a township",
            measure(lambda i: overview_page(user, month, rng.choice(townships)), 5, warmup=1),
        ),
        (
            "live overview document, a village",
            measure(lambda i: overview_page(user, month, rng.choice(villages)), n, warmup=2),
        ),
        (
            "GET /dashboard/?area=<a village> (whole page, live)",
            measure(lambda i: client.get(f"/dashboard/?area={rng.choice(villages).pk}"), n, warmup=2),
        ),
    ]
    started = time.perf_counter()
    written = refresh(areas=[county, *townships])
    refresh_seconds = time.perf_counter() - started
    served = [
        (
            "GET /dashboard/?area=<county> (whole page, snapshot)",
            measure(lambda i: client.get(f"/dashboard/?area={county.pk}"), n, warmup=2),
        ),
        (
            "GET /dashboard/?area=<a township> (snapshot)",
            measure(lambda i: client.get(f"/dashboard/?area={rng.choice(townships).pk}"), n, warmup=2),
        ),
        (
            "GET /dashboard/screen/data.json?area=<county>",
            measure(lambda i: client.get(f"/dashboard/screen/data.json?area={county.pk}"), n, warmup=2),
        ),
    ]
    doc = overview_page(user, month, county)
    report(
        f"Dashboard overview at {doc['households']:,} households, {doc['cases']['reported']:,} cases this month",
        live + served,
        baseline=live[0][0],
    )
    print(f"worker refresh of {written} snapshots (county + {len(townships)} townships): {refresh_seconds:.1f} s")
    print(f"queries for the county page from its snapshot: {_queries(client, f'/dashboard/?area={county.pk}')}")
    OverviewSnapshot.objects.all().delete()
    print(f"queries for the county page computed live: {_queries(client, f'/dashboard/?area={county.pk}')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="part", required=True)
    demo = sub.add_parser("demo")
    demo.add_argument("--pg", default=None, help="a DATABASE_URL (default: SQLite var/bench-dashboard.sqlite3)")
    demo.add_argument("--iterations", type=int, default=30)
    demo.add_argument("--reuse", action="store_true", help="keep the demo county built by an earlier run")
    county = sub.add_parser("county")
    county.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/bench_dashboard")
    county.add_argument("--households", type=int, default=500_000)
    county.add_argument("--iterations", type=int, default=20)
    county.add_argument("--reuse", action="store_true", help="keep the generated database from an earlier run")
    args = parser.parse_args()
    run_demo(args) if args.part == "demo" else run_county(args)


if __name__ == "__main__":
    sys.exit(main())
