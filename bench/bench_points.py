"""Points benchmarks: ledger posting against raw sqlite3, and rankings at county scale on PostgreSQL.

Posting (SQLite, var/bench-points.sqlite3):
    .venv/bin/python -m bench.bench_points posting [--entries 2000]
  - baseline: raw sqlite3 in WAL mode with the app's own ``synchronous`` (settings.SQLITE_SYNCHRONOUS,
    FULL; SHANZHI_SQLITE_SYNCHRONOUS=NORMAL runs app and baseline with NORMAL), one transaction per
    posting: INSERT a ledger row and UPDATE the household's balance;
  - the service layer as the village secretary: ``record_entry`` one at a time (scope and cap
    checks, hash chain, status row, audit row), ``record_entries`` for an activity's 50
    attendees, the notice sweep that makes entries effective and moves balances, and a shop
    redemption (entry + balance + stock + receipt lines + stock log + audit); the single
    postings run in rounds alternating with the baseline's rounds;
  - for reading the gap: plain sqlite3 writing one posting's own rows into the app's real
    tables and indexes.
  Each prints entries per second and its ratio to the baseline.

Rankings (PostgreSQL):
    .venv/bin/python -m bench.bench_points rankings --pg postgres://postgres@127.0.0.1:5432/bench_points \
        [--households 500000 --entries 20000000] [--reuse]
  generates the county with generate_series (500 villages of 1,000 households, 20,000,000
  entries over twelve months, the per-period totals the services maintain, aggregated in SQL),
  then times village, township and county ranking pages and a household's county rank
  through the same functions the pages and the API call, p50/p95 over random areas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import sys
import time

from bench.common import ROOT, measure, report, setup_django

# --- posting -------------------------------------------------------------------------------

RAW_TABLES = ("points_pointsentry", "points_entrystate", "points_ledgerhead")


def _fresh_raw(name: str, synchronous: str) -> sqlite3.Connection:
    path = ROOT / "var" / name
    for suffix in ("", "-wal", "-shm"):
        (path.parent / (path.name + suffix)).unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    return db


class RawPosting:
    """The baseline: one INSERT of a ledger row and one UPDATE of a balance per transaction."""

    def __init__(self, synchronous: str, name: str = "bench-points-raw.sqlite3"):
        self.db = _fresh_raw(name, synchronous)
        self.db.execute(
            "CREATE TABLE ledger (id INTEGER PRIMARY KEY, household INTEGER NOT NULL, delta INTEGER NOT NULL,"
            " note TEXT NOT NULL, created TEXT NOT NULL)"
        )
        self.db.execute("CREATE TABLE balance (household INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
        self.db.executemany("INSERT INTO balance VALUES (?, 0)", [(h,) for h in range(100)])
        self.done = 0

    def run(self, count: int) -> float:
        """Post ``count`` times; returns the seconds it took."""
        db = self.db
        started = time.perf_counter()
        for i in range(self.done, self.done + count):
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO ledger (household, delta, note, created) VALUES (?, ?, ?, ?)",
                (i % 100, 5, "参加义务劳动", dt.datetime.now(dt.UTC).isoformat()),
            )
            db.execute("UPDATE balance SET balance = balance + ? WHERE household = ?", (5, i % 100))
            db.execute("COMMIT")
        self.done += count
        return time.perf_counter() - started


class RawAppRows:
    """Not the target's baseline: what a posting's own rows cost in plain sqlite3.

    The app's tables and indexes (copied from the bench database's schema; foreign keys
    not enforced), and per transaction the rows ``record_entry`` writes: the chain head
    read, the entry with its SM3 hash, its status row and the chain head update (a posting
    writes no audit-log row, docs/decisions/0007). Shows how much of the gap to the
    two-statement baseline is the database's own work.
    """

    def __init__(self, synchronous: str):
        from django.db import connection

        self.db = _fresh_raw("bench-points-rawapp.sqlite3", synchronous)
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(RAW_TABLES))
            cursor.execute(
                f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL ORDER BY type DESC",  # noqa: S608
                list(RAW_TABLES),
            )
            for (ddl,) in cursor.fetchall():
                self.db.execute(ddl)
        self.db.execute("INSERT INTO points_ledgerhead VALUES (1, 0, ?, 0, ?)", ("0" * 64, "0" * 64))
        self.done = 0

    def run(self, count: int) -> float:
        import hashlib

        db = self.db
        started = time.perf_counter()
        for i in range(self.done, self.done + count):
            now = dt.datetime.now(dt.UTC)
            db.execute("BEGIN IMMEDIATE")
            seq, prev = db.execute(
                "SELECT entry_seq, entry_hash FROM points_ledgerhead WHERE village_id = 1"
            ).fetchone()
            payload = f"1\x1f{seq + 1}\x1f{i % 100}\x1faward\x1f5\x1f参加义务劳动\x1f{now.isoformat()}"
            digest = hashlib.new("sm3", (prev + payload).encode()).hexdigest()
            entry = db.execute(
                "INSERT INTO points_pointsentry (village_id, seq, household_id, kind, rule_id, delta, occurred_on, note,"
                " evidence, major, needs_approval, notice_days, reverses_id, recorded_by_id, created, prev_hash, hash)"
                " VALUES (1, ?, ?, 'award', 1, 5, ?, '参加义务劳动', '', 0, 0, 3, NULL, 1, ?, ?, ?)",
                (seq + 1, i % 100, now.date().isoformat(), now.isoformat(), prev, digest),
            ).lastrowid
            db.execute(
                "INSERT INTO points_entrystate (entry_id, village_id, household_id, status, notice_until,"
                " effective_at, approved_by_id, open_appeal) VALUES (?, 1, ?, 'in_notice', ?, NULL, NULL, 0)",
                (entry, i % 100, now.isoformat()),
            )
            db.execute(
                "UPDATE points_ledgerhead SET entry_seq = ?, entry_hash = ? WHERE village_id = 1", (seq + 1, digest)
            )
            db.execute("COMMIT")
        self.done += count
        return time.perf_counter() - started


def _bench_village():
    """A built county, its biggest village with adopted rules, and a shopkeeping village secretary."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count

    from shanzhi.accounts.choices import Role
    from shanzhi.accounts.models import RoleAssignment
    from shanzhi.areas.models import Area
    from shanzhi.demo.builder import build_county, county_exists
    from shanzhi.people.models import Household
    from shanzhi.points import services
    from shanzhi.points.defaults import load_template_rules

    if county_exists():
        call_command("flush", interactive=False, verbosity=0)
    build_county(1200, with_accounts=False)
    county = Area.objects.get(level="county")
    village = (
        Area.objects.filter(level="village").annotate(n=Count("children__households")).order_by("-n", "pk").first()
    )
    services.adopt_rules(village, load_template_rules(county), actor=None)
    # A capped rule, as the county's award rules are: every posting runs the cap check.
    rule = services.create_rule(
        village,
        actor=None,
        code="BENCH",
        text="参加义务劳动",
        category="voluntary_labour",
        points=5,
        cap_per_period=100_000,
        cap_period="year",
    )
    secretary = get_user_model().objects.create_user(username="bench-secretary", password=None)
    RoleAssignment.objects.create(user=secretary, role=Role.VILLAGE_SECRETARY, area=village)
    secretary = get_user_model().objects.get(pk=secretary.pk)
    grid = village.children.order_by("pk").first()
    Household.objects.bulk_create(
        [Household(number=f"BENCH{n:04d}", grid=grid, address=f"{village.name}{n}号") for n in range(200)]
    )
    households = list(Household.objects.filter(grid__parent=village).select_related("grid"))[:50]
    return village, rule, secretary, households


ROUNDS = 10


def service_posting(count: int, synchronous: str) -> dict:
    """The service layer exactly as the pages and the API call it, as the village secretary.

    ``record_entry`` and redemptions run in rounds alternating with rounds of the raw
    baseline (and of the raw app rows), so that all of them see the same disk: on a
    shared machine the time a flush to disk takes drifts by a factor of ten in minutes.
    """
    from django.core.management import call_command
    from django.utils import timezone

    from shanzhi.points import services

    village, rule, secretary, households = _bench_village()
    raw, app_rows = RawPosting(synchronous), RawAppRows(synchronous)
    figures: dict = {"raw": [0, 0.0], "app_rows": [0, 0.0]}

    def baseline(n: int) -> None:
        figures["raw"][0] += n * 5
        figures["raw"][1] += raw.run(n * 5)
        figures["app_rows"][0] += n
        figures["app_rows"][1] += app_rows.run(n)

    per_round = max(1, count // ROUNDS)
    spent = 0.0
    for r in range(ROUNDS):
        baseline(per_round)
        started = time.perf_counter()
        for i in range(r * per_round, (r + 1) * per_round):
            services.record_entry(
                household=households[i % len(households)], rule=rule, actor=secretary, note="参加义务劳动"
            )
        spent += time.perf_counter() - started
    figures["record_entry"] = ROUNDS * per_round / spent

    batches = max(1, count // len(households))
    started = time.perf_counter()
    for _ in range(batches):
        services.record_entries(rule=rule, households=households, actor=secretary, note="参加夜话乡村")
    figures["record_entries"] = batches * len(households) / (time.perf_counter() - started)

    started = time.perf_counter()
    swept = services.sweep_notices(now=timezone.now() + dt.timedelta(days=4))
    figures["sweep"] = swept / (time.perf_counter() - started)

    shop = services.create_shop(village, actor=secretary, name="积分超市")
    item = services.create_item(shop, actor=secretary, name="肥皂", points_price=1, stock=10**6)
    per_round = max(1, min(count, 1000) // ROUNDS)
    spent = 0.0
    for r in range(ROUNDS):
        baseline(per_round)
        started = time.perf_counter()
        for i in range(r * per_round, (r + 1) * per_round):
            services.redeem(shop=shop, household=households[i % len(households)], lines=[(item.pk, 1)], actor=secretary)
        spent += time.perf_counter() - started
    figures["redeem"] = ROUNDS * per_round / spent
    baseline(per_round)
    call_command("points", "verify", verbosity=0)
    call_command("audit", "verify", verbosity=0)
    figures["raw"] = figures["raw"][0] / figures["raw"][1]
    figures["app_rows"] = figures["app_rows"][0] / figures["app_rows"][1]
    return figures


def run_posting(args) -> None:
    setup_django(sqlite_name="bench-points.sqlite3")
    from django.conf import settings
    from django.db import connection

    app_sync = settings.SQLITE_SYNCHRONOUS
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        levels = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
        if levels[cursor.fetchone()[0]] != app_sync:
            raise SystemExit("the app's SQLite connection does not use settings.SQLITE_SYNCHRONOUS")
    f = service_posting(args.entries, app_sync)
    raw = f["raw"]
    combined = 1 / (1 / f["record_entries"] + 1 / f["sweep"])
    print(f"\n## Points ledger posting vs raw sqlite3 (entries per second; WAL, synchronous={app_sync} as the app)")
    print(f"{'case':<62} {'per s':>10} {'ratio':>8}")
    rows = [
        ("raw sqlite3: INSERT + UPDATE balance per transaction", raw),
        ("service: record_entry, one per transaction", f["record_entry"]),
        ("service: record_entries, 50 attendees per transaction", f["record_entries"]),
        ("service: notice sweep (entries take effect, balances move)", f["sweep"]),
        ("service: batch record + sweep, per entry end to end", combined),
        ("service: redeem at the counter, one per transaction", f["redeem"]),
        ("raw sqlite3: one posting's own rows in the app's tables", f["app_rows"]),
    ]
    for name, rate in rows:
        print(f"{name:<62} {rate:>10.0f} {rate / raw:>8.1%}")


# --- rankings ---------------------------------------------------------------------------------


GENERATE = """
INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
VALUES (NULL, 'county', 'B00', '基准县', '/B00/', 0, '2000-01-01', 0, now(), now());

INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
SELECT (SELECT id FROM areas_area WHERE code = 'B00'), 'township', 'B00T' || t, '乡镇' || t,
       '/B00/B00T' || t || '/', 1, '2000-01-01', t, now(), now()
FROM generate_series(1, %(townships)s) t;

INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
SELECT tw.id, 'village', tw.code || 'V' || v, '村' || tw.sort_order || '-' || v, tw.path || tw.code || 'V' || v || '/',
       2, '2000-01-01', v, now(), now()
FROM areas_area tw, generate_series(1, %(villages_per_township)s) v WHERE tw.level = 'township' AND tw.code LIKE 'B00T%%';

INSERT INTO areas_area (parent_id, level, code, name, path, depth, valid_from, sort_order, created, updated)
SELECT vi.id, 'grid', vi.code || 'G1', vi.name || '第1网格', vi.path || vi.code || 'G1/', 3, '2000-01-01', 0, now(), now()
FROM areas_area vi WHERE vi.level = 'village' AND vi.code LIKE 'B00T%%';

INSERT INTO people_household (number, grid_id, address, phone, status, search_text, created, updated)
SELECT 'BH' || lpad(h::text, 7, '0'), g.id, '', '', 'active', '', now(), now()
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM areas_area WHERE level = 'grid' AND code LIKE 'B00T%%') g,
     generate_series(1, %(per_village)s) k,
     LATERAL (SELECT (g.n - 1) * %(per_village)s + k AS h) x;
"""

ENTRIES = """
INSERT INTO points_pointsentry (village_id, seq, household_id, kind, rule_id, delta, occurred_on, note, evidence,
    major, needs_approval, notice_days, reverses_id, recorded_by_id, created, prev_hash, hash)
SELECT hh.village_id, i, hh.id,
       CASE WHEN i %% 17 = 0 THEN 'deduction' ELSE 'award' END, NULL,
       CASE WHEN i %% 17 = 0 THEN -5 ELSE (i %% 5) + 1 END,
       %(start)s::date + ((i * 7919) %% 365)::int,
       '', '', (i %% 997 = 0), false, 3, NULL, NULL,
       %(start)s::timestamptz + ((i * 7919) %% 365) * INTERVAL '1 day' + (i %% 36000) * INTERVAL '1 second',
       md5(i::text) || md5((i + 1)::text), md5((i + 2)::text) || md5((i + 3)::text)
FROM generate_series(%(first)s::bigint, %(last)s::bigint) i
JOIN bench_households hh ON hh.n = (i * 104729) %% %(households)s;
"""

PERIODS = """
INSERT INTO points_periodpoints (household_id, village_id, township_id, county_id, period_kind, period_start, earned,
    awarded, deducted, major_deductions, reached_at)
SELECT e.household_id, e.village_id, v.parent_id, t.parent_id, k.kind,
       date_trunc(k.kind, e.occurred_on)::date,
       sum(e.delta), sum(greatest(e.delta, 0)), sum(greatest(-e.delta, 0)), count(*) FILTER (WHERE e.major),
       max(e.created) + INTERVAL '3 days'
FROM points_pointsentry e
JOIN areas_area v ON v.id = e.village_id JOIN areas_area t ON t.id = v.parent_id
CROSS JOIN (VALUES ('month'), ('quarter'), ('year')) AS k(kind)
GROUP BY e.household_id, e.village_id, v.parent_id, t.parent_id, k.kind, date_trunc(k.kind, e.occurred_on);
"""


def _drop_secondary(cursor, table: str) -> list[str]:
    """Drop a table's foreign keys, unique constraints and indexes for the bulk load; returns how to restore them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE '%%pkey' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
    ]


def generate(households: int, entries: int) -> None:
    from django.db import connection

    townships = 10
    villages = max(1, households // 1000)
    per_village = households // villages
    start = (dt.date.today() - dt.timedelta(days=364)).isoformat()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        params = {"townships": townships, "villages_per_township": villages // townships, "per_village": per_village}
        for statement in GENERATE.split(";"):
            if statement.strip():
                used = {k: v for k, v in params.items() if f"%({k})s" in statement}
                cursor.execute(statement, used or None)
        print(f"areas and {households} households: {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_households AS SELECT row_number() OVER (ORDER BY h.id) - 1 AS n, h.id, "
            "g.parent_id AS village_id FROM people_household h JOIN areas_area g ON g.id = h.grid_id "
            "WHERE h.number LIKE 'BH%%'"
        )
        cursor.execute("ALTER TABLE bench_households ADD PRIMARY KEY (n)")
        cursor.execute("SELECT count(*) FROM bench_households")
        real_households = cursor.fetchone()[0]
        restore = _drop_secondary(cursor, "points_pointsentry") + _drop_secondary(cursor, "points_periodpoints")
        step = 5_000_000
        for first in range(1, entries + 1, step):
            started = time.perf_counter()
            cursor.execute(
                ENTRIES,
                {"first": first, "last": min(entries, first + step - 1), "start": start, "households": real_households},
            )
            print(
                f"entries {first:>10}–{min(entries, first + step - 1)}: {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        started = time.perf_counter()
        cursor.execute(PERIODS)
        print(f"per-period totals: {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        for statement in restore:
            cursor.execute(statement)
        print(f"indexes and constraints rebuilt: {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute("DROP TABLE bench_households")
        cursor.execute("VACUUM ANALYZE points_periodpoints")
        cursor.execute("VACUUM ANALYZE points_pointsentry")


def run_rankings(args) -> None:
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
    from django.db import connection

    from shanzhi.areas.models import Area
    from shanzhi.points.models import PeriodPoints, PointsEntry
    from shanzhi.points.periods import period_start
    from shanzhi.points.rankings import rank_of, ranking_page

    if not args.reuse:
        generate(args.households, args.entries)
    entries = PointsEntry.objects.count()
    periods = PeriodPoints.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM people_household")
        households = cursor.fetchone()[0]
    print(f"households {households:,}; entries {entries:,}; per-period rows {periods:,}")
    rng = random.Random(7)
    county = Area.objects.get(code="B00")
    townships = list(Area.objects.filter(level="township", parent=county))
    villages = list(Area.objects.filter(level="village", path__startswith=county.path))
    household_ids = list(PeriodPoints.objects.filter(period_kind="year").values_list("household_id", flat=True)[:5000])
    today = dt.date.today()
    month = period_start(today - dt.timedelta(days=40), "month")
    year = period_start(today, "year")
    rows = [
        (
            "village ranking, month, top 50",
            measure(lambda i: ranking_page(rng.choice(villages), "month", month), args.iterations),
        ),
        (
            "village ranking, year, top 50",
            measure(lambda i: ranking_page(rng.choice(villages), "year", year), args.iterations),
        ),
        (
            "village ranking, year, all 1,000 households",
            measure(lambda i: ranking_page(rng.choice(villages), "year", year, limit=1000), args.iterations),
        ),
        (
            "township ranking, month, top 50",
            measure(lambda i: ranking_page(rng.choice(townships), "month", month), args.iterations),
        ),
        ("county ranking, month, top 50", measure(lambda i: ranking_page(county, "month", month), args.iterations)),
        ("county ranking, year, top 50", measure(lambda i: ranking_page(county, "year", year), args.iterations)),
        (
            "county ranking, year, page 100 (offset 4950)",
            measure(lambda i: ranking_page(county, "year", year, offset=4950), args.iterations),
        ),
        (
            "a household's rank in the county, year",
            measure(lambda i: rank_of(rng.choice(household_ids), county, "year", year), args.iterations),
        ),
    ]
    report(f"Points rankings at {households:,} households and {entries:,} entries", rows)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT * FROM points_periodpoints WHERE county_id = %s AND period_kind = 'year' AND period_start = %s "
            "ORDER BY earned DESC, deducted, reached_at, household_id LIMIT 50",
            [county.pk, year],
        )
        print("\n".join(r[0] for r in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="part", required=True)
    posting = sub.add_parser("posting")
    posting.add_argument("--entries", type=int, default=2000)
    rankings = sub.add_parser("rankings")
    rankings.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/bench_points")
    rankings.add_argument("--households", type=int, default=500_000)
    rankings.add_argument("--entries", type=int, default=20_000_000)
    rankings.add_argument("--iterations", type=int, default=200)
    rankings.add_argument("--reuse", action="store_true", help="keep the generated database from an earlier run")
    args = parser.parse_args()
    run_posting(args) if args.part == "posting" else run_rankings(args)


if __name__ == "__main__":
    sys.exit(main())
