"""Least privilege, proven: every page route and API operation × every persona (and the
anonymous visitor) × an in-scope and an out-of-scope object, against the expectations
declared in tests/trust/access.py. 0 unexpected successes; a denied write writes nothing;
a route or operation without a declared row fails the suite.

The same pass is the leak scan: every successful GET by a persona without
``people.view_sensitive`` (pages, API responses, xlsx/CSV exports, PDFs) is searched for
the full ID numbers and mobile numbers of the world's people, and so are every log line
written during the run and every audit row.

The world (tests/trust/world.py) is built once for the module; every request runs in a
savepoint that is rolled back, so cases cannot disturb each other.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from tests.trust import leaks, matrix
from tests.trust.world import build_world

CASES, UNDECLARED = matrix.all_cases()
STATE: dict = {}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    media = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("access-media")
    import logging

    collector = leaks.Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    with django_db_blocker.unblock():
        try:
            built = build_world()
            STATE["scan"] = leaks.Scan(known=leaks.personal_numbers())
            STATE["log"] = collector
            yield built
        finally:
            root.removeHandler(collector)
            call_command("flush", interactive=False, verbosity=0)
            settings.MEDIA_ROOT = media


def test_every_route_and_operation_has_a_declared_expectation():
    assert not UNDECLARED, (
        "routes or API operations without a row in tests/trust/access.py "
        "(declare who may reach them; see docs/development.md, Hooks): " + ", ".join(UNDECLARED)
    )


def test_no_declaration_is_stale():
    from tests.trust.access import API, PAGES

    pages = set(matrix.page_routes())
    operations = set(matrix.api_operations())
    stale = [r for r in PAGES if not r.endswith("*") and r not in pages]
    stale += [o for o in API if o not in operations]
    assert not stale, f"rows for routes that no longer exist: {stale}"


def _describe(case, status, response) -> str:
    where = response.get("Location", "") if status in (301, 302) else ""
    return f"{case.id}: got {status} {where}, expected {sorted(case.expected())}"


def _check(world, case, tally: Counter) -> list[str]:
    problems = []
    try:
        status, response, writes = matrix.perform(world, case)
    except Exception as exc:  # a crash is a finding too; keep going to list them all
        return [f"{case.id}: {type(exc).__name__}: {exc}"]
    tally["requests"] += 1
    if case.method == "GET" and 200 <= status < 300 and case.persona not in leaks.PRIVILEGED:
        STATE["scan"].check(case.id, response)
    expected = case.expected()
    if status not in expected:
        problems.append(_describe(case, status, response))
        if 200 <= status < 400 and not case.success_expected and not (status == 302 and _to_login(response)):
            tally["unexpected successes"] += 1
    elif case.persona is None and status == 302 and not _to_login(response) and not (
        case.rule.public or case.rule.anonymous
    ):
        problems.append(f"{case.id}: the anonymous visitor was sent to {response['Location']}, not the login page")
    if not case.success_expected and writes:
        problems.append(f"{case.id}: denied with {status} but wrote to {sorted(set(writes))}")
        tally["denied writes"] += 1
    if case.kind == "api" and status >= 400 and response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        if not {"code", "message", "fields"} <= set(body):
            problems.append(f"{case.id}: error body {body} lacks code/message/fields")
    return problems


def _to_login(response) -> bool:
    location = response.get("Location", "")
    return "/accounts/login/" in location or "/admin/login/" in location


def _run(world, kind: str):
    import time

    tally: Counter = Counter()
    spent: Counter = Counter()
    problems: list[str] = []
    for case in CASES:
        if case.kind == kind:
            started = time.perf_counter()
            problems.extend(_check(world, case, tally))
            spent[case.route] += time.perf_counter() - started
    print("slowest routes:", [(r, round(t, 1)) for r, t in spent.most_common(8)])
    return tally, problems


def test_page_matrix(world, db):
    tally, problems = _run(world, "page")
    print(f"page matrix: {tally['requests']} cases, {tally['unexpected successes']} unexpected successes")
    assert not problems, "\n".join(problems)
    assert not STATE["scan"].leaks, "\n".join(STATE["scan"].leaks)
    assert tally["requests"] > 1000


def test_api_matrix(world, db):
    tally, problems = _run(world, "api")
    print(f"API matrix: {tally['requests']} cases, {tally['unexpected successes']} unexpected successes")
    assert not problems, "\n".join(problems)
    assert not STATE["scan"].leaks, "\n".join(STATE["scan"].leaks)
    assert tally["requests"] > 1000


def test_denied_page_posts_are_refused_and_write_nothing(world, db):
    """Every page a persona may not GET, they may not POST to either (empty form)."""
    problems, count = [], 0
    for case in CASES:
        if case.kind != "page" or case.success_expected or case.rule.public or case.rule.anonymous:
            continue
        # Two kinds of refusal matter for writes: a persona whose role may write here, on an object
        # outside their place; and the personas with no business here at all.
        escalation = case.with_object and case.persona in case.rule.allow
        if not escalation and case.persona not in (None, "outsider"):
            continue
        status, response, writes = matrix.perform(world, case, method="POST")
        count += 1
        # Refused: an error status, or a redirect (to the login page, or back with a message) that wrote nothing.
        if case.persona is None:
            allowed = status in (302, 403, 404, 405) and (status != 302 or _to_login(response))
        else:
            allowed = status in (302, 403, 404, 405)
        if not allowed:
            problems.append(f"POST {case.id}: got {status} {response.get('Location', '')}")
        if writes:
            problems.append(f"POST {case.id}: denied but wrote to {sorted(set(writes))}")
    print(f"denied page POSTs: {count}")
    assert not problems, "\n".join(problems)
    assert count > 300


def test_matrix_would_catch_a_leak(world, db):
    """The check can fail: a persona given an out-of-scope object counts as an unexpected success."""
    case = next(c for c in CASES if c.route == "GET /api/v1/households/{household_id}" and c.persona == "villager"
                and c.place == "far")
    forged = matrix.Case(case.kind, case.route, case.method, "county_admin", case.place, case.rule)
    status, _response, _writes = matrix.perform(world, forged)
    assert status == 200 and status not in case.expected()


EXPORTERS = ["township_officer", "village_secretary"]  # the two export scopes: a township, a village


def test_exports_and_templates_leak_nothing(world, db):
    """Every import kind's export and template, in every format, as each persona allowed to export."""
    from shanzhi.imports.choices import FileFormat, Kind

    scan = leaks.Scan(known=STATE["scan"].known)
    seen = 0
    for persona in EXPORTERS:
        client = world.page(persona)
        api = world.api(persona)
        for kind in Kind.values:
            for fmt in FileFormat.values:
                for where, response in (
                    (f"/imports/exports/{kind}.{fmt}", client.get(f"/imports/exports/{kind}.{fmt}")),
                    (f"/imports/templates/{kind}.{fmt}", client.get(f"/imports/templates/{kind}.{fmt}")),
                    (f"/api/v1/imports/exports/{kind}?format={fmt}",
                     api.get(f"/api/v1/imports/exports/{kind}", {"format": fmt})),
                ):
                    if response.status_code == 200:
                        scan.check(f"{where} as {persona}", response)
                        seen += 1
    STATE["scan"].artefacts["exports and templates"] = seen
    print(f"exports and templates scanned: {seen}")
    assert seen >= 40
    assert not scan.leaks, "\n".join(scan.leaks)


def test_log_lines_and_audit_rows_leak_nothing(world, db):
    """Runs after the matrix in this module: everything logged so far, and the audit trail."""
    import json

    from shanzhi.core.models import AuditLog

    scan = STATE["scan"]
    lines = STATE["log"].lines
    leaked = [line[:200] for line in lines if leaks.find_leaks(line, scan.known)]
    rows = 0
    for row in AuditLog.objects.all().values("action", "object_repr", "before", "after", "extra").iterator():
        rows += 1
        text = json.dumps(row, ensure_ascii=False, default=str)
        leaked += [f"audit {row['action']}: {v}" for v in leaks.find_leaks(text, scan.known)]
    scan.artefacts["log lines"] = len(lines)
    scan.artefacts["audit rows"] = rows
    print("leak scan artefacts:", scan.artefacts)
    assert rows > 20
    assert not leaked, "\n".join(leaked[:50])


def test_leak_scan_can_fail(world, db):
    """The county administrator's audited reveal shows full values: the scan must see them."""
    household = world.obj("household", "near")
    response = world.page("county_admin").get(f"/households/{household.pk}/?reveal=1")
    assert response.status_code == 200
    found = leaks.find_leaks(response.content.decode(), STATE["scan"].known)
    assert any(leaks.ID_NUMBER.fullmatch(v) for v in found) and any(leaks.MOBILE.fullmatch(v) for v in found)
