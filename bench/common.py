"""Shared pieces of the benchmarks: a database per size, timing, and the report format.

Every benchmark prints its figures and the ratio to a baseline measured in the same
run on the same machine, so the numbers mean something on any hardware.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database: str | None = None, sqlite_name: str | None = None) -> None:
    """Point Django at a benchmark database (never the demo's) and initialise it.

    ``database`` is a DATABASE_URL (PostgreSQL); otherwise a SQLite file var/<sqlite_name>.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    if database:
        os.environ["DATABASE_URL"] = database
    elif sqlite_name:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SHANZHI_SQLITE_PATH"] = str(ROOT / "var" / sqlite_name)
    (ROOT / "var").mkdir(exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(fn: Callable[[int], object], iterations: int, warmup: int = 5) -> dict:
    """Call ``fn(i)`` ``iterations`` times; latency figures in milliseconds."""
    for i in range(warmup):
        fn(i)
    samples = []
    for i in range(iterations):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "n": iterations,
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "mean": statistics.fmean(samples),
    }


def engine_label() -> str:
    from django.db import connection

    return f"{connection.vendor} {'.'.join(map(str, connection.Database.sqlite_version_info)) if connection.vendor == 'sqlite' else connection.pg_version}"


def report(title: str, rows: list[tuple[str, dict]], baseline: str | None = None) -> None:
    print(f"\n## {title}")
    print(f"engine: {engine_label()}; python {sys.version.split()[0]}; {os.cpu_count()} cpu")
    base = dict(rows).get(baseline) if baseline else None
    print(f"{'case':<48} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'ratio p50':>10}")
    for name, figures in rows:
        ratio = f"{figures['p50'] / base['p50']:.1f}x" if base else ""
        print(f"{name:<48} {figures['n']:>6} {figures['p50']:>9.2f} {figures['p95']:>9.2f} {ratio:>10}")
