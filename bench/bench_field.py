"""Field app: the phone's snapshot, sending a queued record, replaying it, and the first load.

    .venv/bin/python -m bench.bench_field                 # SQLite (var/bench-field.sqlite3)
    .venv/bin/python -m bench.bench_field --database postgres://postgres@127.0.0.1:5432/bench_field

The county is the demo at full size (15,900 households) with the grid-work step (duties,
care rules, a year of visits) and demo-grid's village's rules adopted from the templates.

Figures (same run, same machine):
  * snapshot: GET /api/v1/gridwork/today as demo-grid (baseline: the worker's day without
    households) · GET /api/v1/field/snapshot (the day plus the grid's households, masked,
    categories and rules), with its size raw and gzipped;
  * sending: POST /api/v1/gridwork/visits (JSON, baseline) · POST /api/v1/field/visits
    (multipart with a 200 KB photo, new key) · the same POST replayed with a key already
    applied (what a retry after a lost answer costs);
  * first load: the gzipped bytes of the JS and CSS /field/ loads.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import uuid

from bench.common import measure, report, setup_django


def _build() -> None:
    from django.db import transaction
    from django.utils import timezone

    from shanzhi.demo.builder import build_county, county_exists
    from shanzhi.demo.steps import DEMO_STEPS, SEED

    if county_exists():
        return
    from shanzhi.cases.defaults import ensure_default_categories

    ensure_default_categories()
    with transaction.atomic():
        build_county()
        from shanzhi.gridwork.demo import build

        build(
            seed=SEED + 1 + DEMO_STEPS.index("shanzhi.gridwork.demo.build"),
            today=timezone.localdate(),
            scale=1.0,
            say=print,
        )


def _adopt_rules(grid_user) -> None:
    from django.utils import timezone

    from shanzhi.areas.models import Area
    from shanzhi.gridwork.services import grids_served, worker_for_user
    from shanzhi.points.defaults import load_template_rules
    from shanzhi.points.models import Rule
    from shanzhi.points.services import adopt_rules

    grid = grids_served(worker_for_user(grid_user), timezone.localdate())[0]
    village = grid.parent
    if not Rule.objects.filter(area=village).exists():
        county = Area.objects.get(level="county")
        adopt_rules(village, load_template_rules(county), actor=None)


def _photo(size: int = 200_000) -> bytes:
    # Noise compresses badly, like a real photo: grow the picture until the JPEG is ~size bytes.
    import random

    from PIL import Image

    rng = random.Random(7)
    side = 400
    while True:
        image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
        if buffer.tell() >= size or side > 1280:
            return buffer.getvalue()
        side += 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL DATABASE_URL (default: SQLite var/bench-field.sqlite3)")
    parser.add_argument("--iterations", type=int, default=40)
    args = parser.parse_args()
    setup_django(args.database, sqlite_name="bench-field.sqlite3")
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["*"]
    settings.MEDIA_ROOT = settings.VAR_DIR / "bench-field-media"
    _build()

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.test import Client

    from shanzhi.accounts.models import User
    from shanzhi.accounts.services import issue_token
    from shanzhi.people.models import Household

    grid_user = User.objects.get(username="demo-grid")
    _adopt_rules(grid_user)
    token, _ = issue_token(grid_user)
    auth = {"Authorization": f"Bearer {token}"}
    api = Client()
    household = Household.objects.for_user(grid_user).order_by("number").first()

    body = api.get("/api/v1/field/snapshot", headers=auth).content
    snapshot = json.loads(body)
    print(
        f"\nsnapshot of demo-grid: {len(snapshot['households'])} households, {len(snapshot['care_due'])} care visits due, "
        f"{len(snapshot['rules'])} rules; {len(body)} bytes, {len(gzip.compress(body, 9))} gzipped"
    )
    report(
        "the phone's snapshot",
        [
            (
                "GET /api/v1/gridwork/today (baseline)",
                measure(lambda i: api.get("/api/v1/gridwork/today", headers=auth), args.iterations),
            ),
            (
                "GET /api/v1/field/snapshot",
                measure(lambda i: api.get("/api/v1/field/snapshot", headers=auth), args.iterations),
            ),
        ],
        baseline="GET /api/v1/gridwork/today (baseline)",
    )

    photo = _photo()
    print(f"\nphoto sent with each field visit: {len(photo)} bytes")
    form = {
        "kind": "household",
        "household": household.pk,
        "household_grid": household.grid_id,
        "purpose": "elderly_care",
        "notes": "bench",
    }

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

    def field_visit(key):
        upload = SimpleUploadedFile("photo-1.jpg", photo, content_type="image/jpeg")
        response = api.post(
            "/api/v1/field/visits", {**form, "photos": upload}, headers={**auth, "Idempotency-Key": key}
        )
        assert response.status_code == 201, response.content
        return response

    applied = uuid.uuid4().hex
    field_visit(applied)  # kept: the replay below finds it
    report(
        "sending a queued record",
        [
            (
                "POST /api/v1/gridwork/visits JSON (baseline)",
                measure(
                    in_rollback(
                        lambda i: api.post(
                            "/api/v1/gridwork/visits",
                            data=json.dumps(
                                {"kind": "household", "purpose": "elderly_care", "household": household.pk}
                            ),
                            content_type="application/json",
                            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                        )
                    ),
                    args.iterations,
                ),
            ),
            (
                "POST /api/v1/field/visits + photo, new key",
                measure(in_rollback(lambda i: field_visit(uuid.uuid4().hex)), args.iterations),
            ),
            ("same POST, key already applied (replay)", measure(lambda i: field_visit(applied), args.iterations)),
        ],
        baseline="POST /api/v1/gridwork/visits JSON (baseline)",
    )

    page = Client()
    page.force_login(grid_user)
    html = page.get("/field/").content.decode()
    total = 0
    print("\n## first load of /field/ (JS + CSS)")
    for url in re.findall(r'<script[^>]*\ssrc="([^"]+)"', html) + re.findall(r'rel="stylesheet" href="([^"]+)"', html):
        response = page.get(url)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        size = len(gzip.compress(raw, 9))
        total += size
        print(f"{url:<48} {len(raw):>8} bytes {size:>8} gzipped")
    print(f"{'total':<48} {'':>8}       {total:>8} gzipped (budget 307200)")


if __name__ == "__main__":
    main()
