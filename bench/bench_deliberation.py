"""Deliberation: the results board, the vote, and the overview section, each against a floor.

    .venv/bin/python -m bench.bench_deliberation                 # SQLite (var/bench-deliberation.sqlite3)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.bench_deliberation --pg-db bench_deliberation

The county is the demo at 1,200 households with the deliberation step (102 venues,
about 260 topics); 永和村 then gets ``--topics`` more decided topics with action items
and progress, so its board is as long as a busy village's after a year.

Figures (same run, same machine):
  * board: one SELECT of the village's decided topics (floor) · ``board_document`` (topics,
    decisions, action items, latest progress, in five queries) · GET /api/v1/deliberation/boards/{id}
    · GET /deliberation/board/{id}/ (the villager's page) · the printable notice with its QR code;
  * vote: a bare ``Decision.objects.create`` (floor) · ``record_decision`` (locks, quorum check,
    topic events, audit);
  * overview: ``Topic.objects.count()`` (floor) · the ``deliberation`` section for demo-county.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import time

from bench.common import measure, report, setup_django


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


def _county(extra_topics: int):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from shanzhi.accounts.models import User
    from shanzhi.areas.models import Area
    from shanzhi.deliberation import services
    from shanzhi.deliberation.models import Topic, Venue
    from shanzhi.demo.builder import county_exists
    from shanzhi.demo.steps import build_demo

    if not county_exists():
        started = time.perf_counter()
        build_demo(1200, steps=["shanzhi.deliberation.demo.build"])
        print(f"built the county in {time.perf_counter() - started:.0f} s")
    secretary = User.objects.get(username="demo-village")
    yonghe = Area.objects.get(level="village", name="永和村")
    have = Topic.objects.filter(village=yonghe, title__startswith="压测议题").count()
    if have < extra_topics:
        started = time.perf_counter()
        venue = Venue.objects.filter(village=yonghe, active=True).first()
        from django.utils import timezone

        for batch in range(have // 10, extra_topics // 10):
            topics = []
            for n in range(10):
                topic = services.raise_topic(
                    actor=secretary,
                    title=f"压测议题{batch * 10 + n + 1}",
                    topic_class="livelihood",
                    village=yonghe,
                )
                topics.append(services.accept_topic(topic, actor=secretary))
            meeting = services.create_meeting(
                actor=secretary,
                venue=venue,
                format="courtyard_talk",
                scheduled_at=timezone.now() - dt.timedelta(days=batch + 1),
                host_name="书记",
                minute_taker_name="记录员",
                topics=topics,
            )
            services.open_meeting(meeting, actor=secretary)
            services.record_attendance(meeting, actor=secretary, residents_present=8, households_represented=6)
            for topic in topics:
                decision = services.record_decision(
                    meeting, topic, actor=secretary, votes_for=5, votes_against=1, votes_abstain=0, outcome="adopted"
                )
                item = services.add_action_item(
                    decision,
                    actor=secretary,
                    title="落实",
                    owner_name="村主任",
                    deadline=timezone.localdate() + dt.timedelta(days=30),
                )
                services.record_progress(item, actor=secretary, note="进行中", status="in_progress")
            services.close_meeting(meeting, actor=secretary)
        print(f"added {extra_topics - have} decided topics to 永和村 in {time.perf_counter() - started:.0f} s")
    for username in ("demo-village", "demo-villager", "demo-county"):
        user = User.objects.get(username=username)
        user.set_password("bench-password")
        user.save()
    return yonghe


def bench_board(iterations: int, village) -> list:
    from django.conf import settings
    from django.test import Client

    from shanzhi.deliberation.board import board_document
    from shanzhi.deliberation.choices import PUBLIC_STATUSES
    from shanzhi.deliberation.models import Topic

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    assert client.login(username="demo-villager", password="bench-password")
    token = (
        Client()
        .post(
            "/api/v1/auth/token",
            {"username": "demo-villager", "password": "bench-password"},
            content_type="application/json",
        )
        .json()["token"]
    )
    shown = len(board_document(village)["topics"])
    rows = [
        (
            "floor: SELECT the village's decided topics",
            measure(lambda i: list(Topic.objects.filter(village=village, status__in=PUBLIC_STATUSES)), iterations),
        ),
        (f"board_document ({shown} topics)", measure(lambda i: board_document(village), iterations)),
        (
            "GET /api/v1/deliberation/boards/{id}",
            measure(
                lambda i: client.get(
                    f"/api/v1/deliberation/boards/{village.pk}", headers={"Authorization": f"Bearer {token}"}
                ),
                iterations,
            ),
        ),
        (
            "GET /deliberation/board/{id}/ (page)",
            measure(lambda i: client.get(f"/deliberation/board/{village.pk}/"), iterations),
        ),
        (
            "GET /deliberation/board/{id}/print/ (QR)",
            measure(lambda i: client.get(f"/deliberation/board/{village.pk}/print/"), iterations),
        ),
    ]
    report("Results board of 永和村", rows, baseline="floor: SELECT the village's decided topics")
    return rows


def bench_vote(iterations: int, village) -> list:
    from django.db import transaction
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.deliberation import services
    from shanzhi.deliberation.models import Decision, Venue

    secretary = User.objects.get(username="demo-village")
    venue = Venue.objects.filter(village=village, active=True).first()
    total = iterations + 5
    topics = [
        services.accept_topic(
            services.raise_topic(actor=secretary, title=f"表决压测{i}", topic_class="development", village=village),
            actor=secretary,
        )
        for i in range(total * 2)
    ]
    meeting = services.create_meeting(
        actor=secretary,
        venue=venue,
        format="representatives",
        scheduled_at=timezone.now(),
        host_name="书记",
        minute_taker_name="记录员",
        topics=topics,
    )
    services.open_meeting(meeting, actor=secretary)
    services.record_attendance(meeting, actor=secretary, residents_present=9, households_represented=7)
    bare_topics, service_topics = iter(topics[:total]), iter(topics[total:])

    def bare(i):
        with transaction.atomic():
            Decision.objects.create(
                meeting=meeting,
                topic=next(bare_topics),
                votes_for=5,
                votes_against=1,
                votes_abstain=1,
                outcome="adopted",
                residents_present=9,
                households_represented=7,
                quorum_basis="households",
                quorum_numerator=1,
                quorum_denominator=2,
            )

    def service(i):
        services.record_decision(
            meeting,
            next(service_topics),
            actor=secretary,
            votes_for=5,
            votes_against=1,
            votes_abstain=1,
            outcome="adopted",
        )

    rows = [
        ("floor: Decision.objects.create", measure(bare, iterations, warmup=5)),
        ("record_decision (quorum check, events, audit)", measure(service, iterations, warmup=5)),
    ]
    report("Recording a show of hands", rows, baseline="floor: Decision.objects.create")
    services.close_meeting(meeting, actor=secretary)
    return rows


def bench_overview(iterations: int) -> list:
    from django.utils import timezone

    from shanzhi.accounts.models import User
    from shanzhi.deliberation.models import Topic
    from shanzhi.deliberation.stats import deliberation_section

    county = User.objects.get(username="demo-county")
    today = timezone.localdate()
    since = today - dt.timedelta(days=182)
    rows = [
        ("floor: Topic.objects.count()", measure(lambda i: Topic.objects.count(), iterations)),
        (
            "deliberation section (demo-county)",
            measure(lambda i: deliberation_section(User.objects.get(pk=county.pk), since, today), iterations),
        ),
    ]
    report("Overview section", rows, baseline="floor: Topic.objects.count()")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--topics", type=int, default=100, help="extra decided topics on 永和村's board")
    parser.add_argument("--pg-db", default="", help="PostgreSQL database name (with DATABASE_URL)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if url and args.pg_db:
        setup_django(database=_ensure_pg_database(url, args.pg_db))
    else:
        setup_django(sqlite_name="bench-deliberation.sqlite3")
    village = _county(args.topics)
    bench_board(args.iterations, village)
    bench_vote(args.iterations, village)
    bench_overview(args.iterations)


if __name__ == "__main__":
    main()
