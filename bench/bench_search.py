"""Scoped household search: p50/p95 at 15,900 and 500,000 households, against a bare view.

    .venv/bin/python -m bench.bench_search                 # SQLite, 15,900 and 500,000
    .venv/bin/python -m bench.bench_search --sizes 15900   # one size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.bench_search --pg-db bench

Each size gets its own database (var/bench-search-<N>.sqlite3, or a PostgreSQL database
named <pg-db>_<N>), built once with the demo generator and reused on later runs. Requests
go through Django's full stack (middleware, auth, ninja) with the test client, as
demo-township (one township) and demo-county (the whole county).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time

from bench.common import ROOT, measure, report


def _ensure_pg_database(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    exists = subprocess.run(["psql", url, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", url, "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    return f"{base}/{name}"


def run_size(households: int, iterations: int) -> None:
    from django.conf import settings
    from django.test import Client

    from bench.common import setup_django

    pg = os.environ.get("BENCH_PG_URL")
    if pg:
        setup_django(database=pg)
    else:
        setup_django(sqlite_name=f"bench-search-{households}.sqlite3")
    settings.ROOT_URLCONF = "bench.urls"
    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from shanzhi.demo.builder import county_exists
    from shanzhi.demo.steps import build_demo
    from shanzhi.people.models import Household, Resident

    if not county_exists():
        started = time.perf_counter()
        build_demo(households, steps=[])
        print(f"built {households} households in {time.perf_counter() - started:.0f} s")
    from shanzhi.accounts.models import User

    for user in User.objects.filter(username__in=["demo-township", "demo-county"]):
        user.set_password("bench-password")
        user.save()

    rng = random.Random(7)
    township_residents = list(
        Resident.objects.filter(household__grid__parent__parent__name="珍宝岛乡")
        .values_list("name", "name_initials", "id_last4")[:5000]
    )
    county_residents = list(Resident.objects.values_list("name", "name_initials", "id_last4")[:20000])
    numbers = list(Household.objects.values_list("number", flat=True)[:5000])

    def terms(pool):
        out = []
        for _ in range(iterations + 10):
            name, initials, last4 = rng.choice(pool)
            out.append(rng.choice([name, initials, last4, name[:2]]))
        return out

    def client_for(username):
        client = Client()
        response = client.post("/api/v1/auth/token", json.dumps({"username": username, "password": "bench-password"}),
                               content_type="application/json")
        return client, {"Authorization": "Bearer " + response.json()["token"]}

    township_client, township_headers = client_for("demo-township")
    county_client, county_headers = client_for("demo-county")
    bare = Client()
    township_terms, county_terms = terms(township_residents), terms(county_residents)

    def search(client, headers, pool):
        def call(i):
            response = client.get("/api/v1/households", {"q": pool[i % len(pool)], "limit": 20}, headers=headers)
            assert response.status_code == 200, response.content
        return call

    rows = [
        ("bare one-query view (baseline)", measure(
            lambda i: bare.get("/bench/bare", {"number": numbers[i % len(numbers)]}), iterations)),
        ("scoped search as demo-township", measure(search(township_client, township_headers, township_terms),
                                                   iterations)),
        ("scoped search as demo-county", measure(search(county_client, county_headers, county_terms), iterations)),
        ("list page 1 as demo-township (no search)", measure(
            lambda i: township_client.get("/api/v1/households", {"limit": 20}, headers=township_headers), iterations)),
    ]
    report(f"household search at {Household.objects.count():,} households", rows, baseline=rows[0][0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="15900,500000")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--pg-db", default=None, help="with DATABASE_URL set: prefix of the PostgreSQL databases")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_size(args.child, args.iterations)
        return 0
    # One process per size: Django binds to one database per process.
    for size in [int(s) for s in args.sizes.split(",")]:
        env = dict(os.environ)
        if args.pg_db and os.environ.get("DATABASE_URL"):
            env["BENCH_PG_URL"] = _ensure_pg_database(os.environ["DATABASE_URL"], f"{args.pg_db}_{size}")
        subprocess.run([sys.executable, "-m", "bench.bench_search", "--child", str(size), "--iterations",
                        str(args.iterations)], check=True, cwd=ROOT, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
