"""Import benchmark: a county (16,000 households, 45,000 residents) and 500,000 households streamed.

    .venv/bin/python -m bench.bench_import                       # SQLite: both sizes
    .venv/bin/python -m bench.bench_import --sizes 16000         # the county only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.bench_import --pg-db bench_import

Each size runs in its own process on a fresh database (var/bench-import-<N>.sqlite3, or
the PostgreSQL database <pg-db>_<N>, dropped and created). The tree is imported first
(areas file), then the households file (one row per household with its head) and, for
the county, the residents file (the other members). Each file gets a dry run and a
commit through the same services the page, the API and the command use.

The baseline is reading the same file with openpyxl/csv and doing nothing with the
rows; the ratio says what checking and writing cost on top of reading. Peak memory is
the process's peak resident set (getrusage), printed after each stage: the 500,000-row
file is streamed, so the peak stays near the county's. Wall time and the process's CPU
time are both printed, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT

COUNTY_HOUSEHOLDS = 16_000
COUNTY_RESIDENTS = 45_000


def _ensure_pg_database(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    subprocess.run(["psql", url, "-c", f'DROP DATABASE IF EXISTS "{name}"'], check=True, capture_output=True)
    subprocess.run(["psql", url, "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    return f"{base}/{name}"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write(path: Path, header: list[str], rows, file_format: str) -> int:
    count = 0
    if file_format == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
        return count
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("导入数据")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count


def build_files(households: int, workdir: Path, file_format: str):
    """An areas file shaped like the demo county and the people files, deterministic."""
    from shanzhi.demo import names
    from shanzhi.demo.builder import COUNTY_CODE, PersonFactory, _family, _member, _split

    rng = random.Random(20240624)
    today = dt.date(2024, 6, 1)
    people = PersonFactory(rng, today)
    village_total = sum(len(t[2]) for t in names.TOWNSHIPS)
    grid_total = max(village_total, round(households / 58))
    areas, grids = [], []
    villages = []
    for suffix, t_name, village_names in names.TOWNSHIPS:
        code = COUNTY_CODE + suffix
        areas.append(["乡镇", code, t_name, COUNTY_CODE])
        for index, v_name in enumerate(village_names):
            v_code = f"{code}{index + 201:03d}"
            areas.append(["行政村", v_code, v_name, code])
            villages.append((v_code, v_name))
    per_village = _split(grid_total, len(villages), rng, spread=0.3)
    for (v_code, v_name), count in zip(villages, per_village, strict=True):
        for g in range(count):
            areas.append(["网格", f"{v_code}G{g + 1:02d}", f"{v_name}第{g + 1}网格", v_code])
            grids.append(f"{v_code}G{g + 1:02d}")
    areas_path = workdir / "areas.xlsx"
    _write(areas_path, ["级别", "编码", "名称", "上级编码"], iter(areas), "xlsx")

    sizes = _split(households, len(grids), rng, spread=0.2)
    members_left = []

    def household_rows():
        serial = 0
        for grid, size in zip(grids, sizes, strict=True):
            for _ in range(size):
                serial += 1
                if households <= 100_000:
                    family = _family(people, rng, today)
                else:  # only the head is written: no need to make up the rest of the family
                    gender = "male" if rng.random() < 0.8 else "female"
                    family = [
                        _member(people, rng, gender=gender, age=rng.randint(28, 86), relation="head", phone_chance=0.9)
                    ]
                head = family[0]
                number = f"{grid[:12]}{serial:07d}"
                if len(members_left) < COUNTY_RESIDENTS * 2 and households <= 100_000:
                    members_left.extend((number, m) for m in family[1:])
                yield [number, grid, head["name"], head["id_number"], f"某村某街{serial}号", head["phone"], "", "在册"]

    households_path = workdir / f"households.{file_format}"
    _write(
        households_path,
        ["户号", "所属网格", "户主姓名", "户主身份证号", "地址", "联系电话", "标签", "状态"],
        household_rows(),
        file_format,
    )
    residents_path = None
    if households <= 100_000:
        relation_label = {"spouse": "配偶", "son": "子", "daughter": "女", "grandchild": "孙子女", "parent": "父母"}
        wanted = COUNTY_RESIDENTS - households
        rows = [
            [
                number,
                m["name"],
                m["id_number"],
                relation_label.get(m["relation"], "其他"),
                m["phone"],
                "是" if m["party"] else "否",
                "是" if m["away"] else "否",
                "在册",
            ]
            for number, m in members_left[:wanted]
        ]
        residents_path = workdir / f"residents.{file_format}"
        _write(
            residents_path,
            ["户号", "姓名", "身份证号", "与户主关系", "手机号", "是否党员", "是否外出务工", "人员状态"],
            iter(rows),
            file_format,
        )
    return areas_path, households_path, residents_path


def read_only(path: Path) -> float:
    """The baseline: stream every row of the file and do nothing with it."""
    from shanzhi.imports.reading import open_workbook

    started = time.perf_counter()
    with open_workbook(path) as workbook:
        for sheet in workbook.sheets:
            for _row in sheet.rows():
                pass
    return time.perf_counter() - started


def run_size(households: int, file_format: str) -> None:
    from bench.common import engine_label, setup_django

    pg = os.environ.get("BENCH_PG_URL")
    sqlite_name = f"bench-import-{households}.sqlite3"
    if not pg:
        for suffix in ("", "-wal", "-shm"):
            (ROOT / "var" / (sqlite_name + suffix)).unlink(missing_ok=True)
    os.environ["SHANZHI_MEDIA_ROOT"] = str(ROOT / "var" / f"bench-import-media-{households}")
    setup_django(database=pg, sqlite_name=None if pg else sqlite_name)

    from shanzhi.areas.choices import AreaLevel
    from shanzhi.areas.services import create_area
    from shanzhi.demo.builder import COUNTY_CODE, COUNTY_NAME
    from shanzhi.imports import services
    from shanzhi.people.models import Household, Resident

    workdir = ROOT / "var" / f"bench-import-files-{households}"
    areas_path = workdir / "areas.xlsx"
    households_path = workdir / f"households.{file_format}"
    residents_path = workdir / f"residents.{file_format}" if households <= 100_000 else None
    print(f"\n## import of {households:,} households ({file_format})")
    print(
        f"engine: {engine_label()}; python {sys.version.split()[0]}; {os.cpu_count()} cpu; "
        f"households file {households_path.stat().st_size / 1024**2:.1f} MB"
    )
    create_area(level=AreaLevel.COUNTY, code=COUNTY_CODE, name=COUNTY_NAME, audit_it=False)

    steps = []  # (label, wall seconds, cpu seconds)

    def step(label, fn):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        steps.append((label, time.perf_counter() - started, time.process_time() - cpu))
        return result

    def dry_run_and_commit(kind, path, label):
        job = services.upload(kind=kind, source=path, actor=None, original_name=path.name)
        assert job.status == "ready", job.sheets
        report = step(f"{label} dry run", lambda: services.check(job, actor=None))
        assert report.rejected == 0, report.issues[:5]
        report = step(f"{label} commit", lambda: services.commit(job, actor=None))
        assert report.committed, report.summary()
        return report.summary()

    summary = dry_run_and_commit("areas", areas_path, "areas")
    print(f"areas: {summary['created']:,} created (through areas.services.create_area)")
    memory = [("after importing the tree", _peak_rss_mb())]
    step("read the households file only (baseline)", lambda: read_only(households_path))
    memory.append(("after reading the households file", _peak_rss_mb()))
    summary = dry_run_and_commit("households", households_path, f"households ({households:,} rows)")
    memory.append(("after its dry run and commit", _peak_rss_mb()))
    if residents_path is not None:
        step("read the residents file only", lambda: read_only(residents_path))
        dry_run_and_commit("residents", residents_path, f"residents ({COUNTY_RESIDENTS - households:,} rows)")
    baseline = next(wall for label, wall, _cpu in steps if label.startswith("read the households"))
    print(f"{'step':<48} {'wall s':>8} {'cpu s':>8} {'ratio to reading':>17}")
    for label, wall, cpu in steps:
        print(f"{label:<48} {wall:>8.1f} {cpu:>8.1f} {wall / baseline:>16.1f}x")
    people = [
        (w, c)
        for label, w, c in steps
        if label.startswith(("households (", "residents")) and ("dry run" in label or "commit" in label)
    ]
    print(
        f"people dry runs + commits: {sum(w for w, _ in people):.1f} s wall, {sum(c for _, c in people):.1f} s cpu "
        f"for {Household.objects.count():,} households and {Resident.objects.count():,} residents"
    )
    job = services.upload(kind="households", source=households_path, actor=None, original_name=households_path.name)
    report = step("households re-imported unchanged", lambda: services.commit(job, actor=None))
    label, wall, cpu = steps[-1]
    print(
        f"{label}: {wall:.1f} s wall, {cpu:.1f} s cpu; {report.summary()['unchanged']:,} unchanged, "
        f"{report.summary()['created'] + report.summary()['updated']} written"
    )
    print(
        "peak resident memory (getrusage): "
        + "; ".join(f"{what} {mb:.0f} MB" for what, mb in memory + [("at the end", _peak_rss_mb())])
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="16000,500000")
    parser.add_argument("--format", default=None, help="xlsx or csv (default: xlsx for the county, csv for 500,000)")
    parser.add_argument("--pg-db", default=None, help="with DATABASE_URL set: prefix of the PostgreSQL databases")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_size(args.child, args.format or ("xlsx" if args.child <= 100_000 else "csv"))
        return 0
    if args.build:
        # The files are made in a process of their own, so the import's memory is its own.
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
        django.setup()
        workdir = ROOT / "var" / f"bench-import-files-{args.build}"
        workdir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build_files(args.build, workdir, args.format or ("xlsx" if args.build <= 100_000 else "csv"))
        print(f"files for {args.build:,} households written in {time.perf_counter() - started:.0f} s")
        return 0
    for size in [int(s) for s in args.sizes.split(",")]:
        env = dict(os.environ)
        if args.pg_db and os.environ.get("DATABASE_URL"):
            env["BENCH_PG_URL"] = _ensure_pg_database(os.environ["DATABASE_URL"], f"{args.pg_db}_{size}")
        extra = ["--format", args.format] if args.format else []
        build = [sys.executable, "-m", "bench.bench_import", "--build", str(size), *extra]
        subprocess.run(build, check=True, cwd=ROOT)
        child = [sys.executable, "-m", "bench.bench_import", "--child", str(size), *extra]
        subprocess.run(child, check=True, cwd=ROOT, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
