"""100 concurrent users against gunicorn serving a freshly built demo county.

Grid workers report cases and log visits, command centres accept and dispatch cases,
villagers read their points; every user also calls /healthz now and then, the baseline
the other actions are compared with in the same run. Each user waits 0.5-1.5 s between
actions (a person with a phone, not a tight loop). Errors are any status other than the
one the action expects.

    .venv/bin/python -m bench.bench_load                       # SQLite var/bench-load.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.bench_load --pg-db bench_load
    options: --users 100 --seconds 120 --households 15900 --workers 3 --threads 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlparse, urlunparse

from bench.common import ROOT, percentile

MIX = {"grid_worker": 0.5, "command_centre": 0.1, "villager": 0.4}


# --- the county and the users ---------------------------------------------------------
def _fresh_database(args) -> dict:
    env = dict(os.environ)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parsed = urlparse(url)
        admin = urlunparse(parsed._replace(path="/postgres"))
        for sql in (f'DROP DATABASE IF EXISTS "{args.pg_db}"', f'CREATE DATABASE "{args.pg_db}"'):
            subprocess.run(["psql", admin, "-c", sql], check=True, capture_output=True)  # noqa: S603,S607
        env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{args.pg_db}"))
    else:
        path = ROOT / "var" / "bench-load.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            (path.parent / (path.name + suffix)).unlink(missing_ok=True)
        env.pop("DATABASE_URL", None)
        env["SHANZHI_SQLITE_PATH"] = str(path)
    return env


def build(args, env: dict) -> dict:
    """Migrate, build the demo county, create the load users and their tokens (in this process)."""
    os.environ.update(env)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from shanzhi.accounts.choices import Role
    from shanzhi.accounts.services import assign_role, create_user, issue_token
    from shanzhi.areas.models import Area, Department
    from shanzhi.cases.models import Category
    from shanzhi.demo.steps import build_demo
    from shanzhi.gridwork.models import GridAssignment, GridWorker
    from shanzhi.people.models import Household

    started = time.perf_counter()
    build_demo(args.households, with_accounts=False)
    print(f"demo county: {args.households} households built in {time.perf_counter() - started:.0f} s")
    rng = random.Random(7)
    counts = {role: round(args.users * share) for role, share in MIX.items()}
    counts["villager"] = args.users - counts["grid_worker"] - counts["command_centre"]
    users: dict[str, list[dict]] = defaultdict(list)
    leads = list(GridAssignment.objects.current().filter(is_lead=True).select_related("worker", "grid")
                 .order_by("grid__path")[: counts["grid_worker"]])
    for i, lead in enumerate(leads):
        user = create_user(username=f"load-gw-{i}", password=None, audit_it=False)
        assign_role(user, Role.GRID_WORKER, area=lead.grid, audit_it=False)
        GridWorker.objects.filter(pk=lead.worker_id).update(user=user)
        households = list(Household.objects.filter(grid=lead.grid).values_list("pk", flat=True)[:50])
        users["grid_worker"].append({"token": issue_token(user)[0], "grid": lead.grid_id, "households": households})
    townships = list(Area.objects.filter(level="township").order_by("path"))
    county = Area.objects.get(level="county")
    for i in range(counts["command_centre"]):
        township = townships[i % len(townships)]
        user = create_user(username=f"load-cc-{i}", password=None, audit_it=False)
        assign_role(user, Role.COMMAND_CENTRE, area=township, audit_it=False)
        # County bureaus and the township's own stations serve its cases.
        departments = list(Department.objects.filter(area__in=[county, township]).values_list("pk", flat=True))
        users["command_centre"].append({"token": issue_token(user)[0], "departments": departments})
    homes = list(Household.objects.filter(residents__isnull=False).distinct().values_list("pk", flat=True))
    for i, household in enumerate(rng.sample(homes, counts["villager"])):
        user = create_user(username=f"load-v-{i}", password=None, audit_it=False)
        assign_role(user, Role.VILLAGER, household=Household.objects.get(pk=household), audit_it=False)
        users["villager"].append({"token": issue_token(user)[0], "household": household})
    category = Category.objects.filter(active=True).order_by("pk").values_list("code", flat=True).first()
    from django.db import connections

    connections.close_all()
    return {"users": users, "category": category}


# --- the server -------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args, env: dict, port: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "shanzhi.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "gthread", "--log-level", "warning", "--timeout", "60",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("gunicorn did not come up")


# --- the users ----------------------------------------------------------------------------
class User(threading.Thread):
    def __init__(self, role: str, me: dict, port: int, stop: threading.Event, category: str, seed: int):
        super().__init__(daemon=True)
        self.role, self.me, self.port, self.stop, self.category = role, me, port, stop, category
        self.rng = random.Random(seed)
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.connection = None

    def request(self, action: str, method: str, path: str, body=None, expect=(200,)):
        headers = {"Authorization": f"Bearer {self.me['token']}", "Content-Type": "application/json"}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, OSError) as exc:
                self.connection = None
                if attempt:
                    self.errors.append(f"{action}: {type(exc).__name__} {exc}")
                    return None
        elapsed = (time.perf_counter() - started) * 1000
        self.samples[action].append(elapsed)
        if response.status not in expect:
            self.errors.append(f"{action}: {method} {path} -> {response.status} {payload[:200]!r}")
            return None
        return json.loads(payload) if payload and response.getheader("Content-Type", "").startswith("application/json") else None

    def act(self):
        if self.rng.random() < 0.1:
            self.request("baseline GET /healthz", "GET", "/healthz")
            return
        me, rng = self.me, self.rng
        if self.role == "grid_worker":
            if rng.random() < 0.4:
                self.request("grid worker: report a case", "POST", "/api/v1/cases", {
                    "title": "村道路面破损", "description": "巡查发现村道路面破损约一米,请安排修补。",
                    "category": self.category, "grid": me["grid"],
                }, expect=(201,))
            else:
                self.request("grid worker: log a visit", "POST", "/api/v1/gridwork/visits", {
                    "kind": "household", "purpose": "information", "grid": me["grid"],
                    "household": rng.choice(me["households"]), "notes": "入户走访,家中情况平稳。",
                }, expect=(201,))
        elif self.role == "command_centre":
            if rng.random() < 0.5:
                listing = self.request("command centre: queue", "GET", "/api/v1/cases?status=reported&limit=10")
                if listing and listing.get("items"):
                    case = rng.choice(listing["items"])
                    self.request("command centre: accept", "POST", f"/api/v1/cases/{case['id']}/transitions",
                                 {"action": "accept"}, expect=(200, 409))
            else:
                listing = self.request("command centre: queue", "GET", "/api/v1/cases?status=accepted&limit=10")
                if listing and listing.get("items"):
                    case = rng.choice(listing["items"])
                    self.request("command centre: dispatch", "POST", f"/api/v1/cases/{case['id']}/transitions",
                                 {"action": "dispatch", "department": rng.choice(me["departments"])},
                                 expect=(200, 409))
        elif rng.random() < 0.5:
            self.request("villager: my points", "GET", f"/api/v1/households/{me['household']}/points")
        else:
            self.request("villager: my entries", "GET", f"/api/v1/households/{me['household']}/points/entries")

    def run(self):
        time.sleep(self.rng.random() * 2)  # users arrive over two seconds
        while not self.stop.is_set():
            self.act()
            self.stop.wait(0.5 + self.rng.random())


def figures(samples: list[float]) -> tuple[int, float, float]:
    return len(samples), statistics.median(samples), percentile(samples, 0.95)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--households", type=int, default=15900)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pg-db", default="bench_load", help="with DATABASE_URL set: the database to (re)create")
    args = parser.parse_args()
    env = _fresh_database(args)
    built = build(args, env)
    port = _free_port()
    server = start_gunicorn(args, env, port)
    stop = threading.Event()
    users = [
        User(role, me, port, stop, built["category"], seed=i)
        for i, (role, me) in enumerate((r, m) for r, group in built["users"].items() for m in group)
    ]
    try:
        started = time.perf_counter()
        for user in users:
            user.start()
        time.sleep(args.seconds)
        stop.set()
        for user in users:
            user.join(timeout=90)
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    merged: dict[str, list[float]] = defaultdict(list)
    errors = [e for u in users for e in u.errors]
    for user in users:
        for action, samples in user.samples.items():
            merged[action].extend(samples)
    everything = [s for samples in merged.values() for s in samples]
    baseline = statistics.median(merged["baseline GET /healthz"])
    engine = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"\n## Load: {len(users)} concurrent users for {elapsed:.0f} s, {engine}, gunicorn "
          f"{args.workers} workers x {args.threads} threads, {args.households} households, {os.cpu_count()} cpu")
    print(f"{'action':<36} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p50 / healthz':>14}")
    for action in sorted(merged):
        n, p50, p95 = figures(merged[action])
        print(f"{action:<36} {n:>7} {p50:>8.1f} {p95:>8.1f} {p50 / baseline:>13.1f}x")
    n, p50, p95 = figures(everything)
    print(f"{'overall':<36} {n:>7} {p50:>8.1f} {p95:>8.1f} {p50 / baseline:>13.1f}x")
    print(f"throughput: {n / elapsed:.1f} requests/s; errors: {len(errors)}")
    for error in errors[:20]:
        print("  error:", error)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
