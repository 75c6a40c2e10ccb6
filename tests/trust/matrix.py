"""Machinery of the access matrix: every route of the resolver and every operation of the
OpenAPI schema, turned into requests as each persona against the near and far objects of
tests/trust/world.py. The expectations live in tests/trust/access.py.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from tests.trust.access import API, API_PARAM_KINDS, PAGE_PARAM_VALUES, PAGES, Rule
from tests.trust.world import HOME, PERSONA_NAMES, World

# Writes a denied request may still make: session and token bookkeeping, the audit trail.
BOOKKEEPING_TABLES = {"django_session", "accounts_apitoken", "core_auditlog", "accounts_failedlogin"}
WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)
DENIED = {403, 404}
ADMIN_PERSONAS = ["county_admin", "township_officer", "outsider", None]


def page_routes() -> list[str]:
    """Every URL pattern of the resolver except the API (its operations come from OpenAPI)."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return sorted({r for r in walk(get_resolver().url_patterns) if not r.startswith("api/v1/")} | {"api/v1/"})


def api_operations() -> list[str]:
    """``"METHOD /api/v1/path/{param}"`` for every operation in /api/v1/openapi.json."""
    from shanzhi.api import api

    schema = api.get_openapi_schema()
    return sorted(f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops)


def rule_for_page(route: str) -> Rule | None:
    if route in PAGES:
        return PAGES[route]
    # Wildcard rows ("admin/*"): the longest matching prefix wins.
    for prefix in sorted((p for p in PAGES if p.endswith("*")), key=len, reverse=True):
        if route.startswith(prefix[:-1]):
            return PAGES[prefix]
    return None


@dataclass
class Case:
    kind: str  # "page" or "api"
    route: str
    method: str
    persona: str | None
    place: str
    rule: Rule
    with_object: bool = True

    @property
    def id(self) -> str:
        return f"{self.method} {self.route} as {self.persona or 'anonymous'} on {self.place}"

    @property
    def in_scope(self) -> bool:
        if not self.rule.scoped or not self.with_object:
            return True
        home = (self.rule.home or {}).get(self.persona, HOME[self.persona])
        return self.place in home

    def expected(self) -> set[int]:
        rule = self.rule
        ok = set(rule.ok) if isinstance(rule.ok, set | frozenset | tuple) else {rule.ok}
        if rule.public:
            return ok
        if self.persona is None:
            return {rule.anonymous if rule.anonymous else (401 if self.kind == "api" else 302)}
        if self.persona in rule.allow and self.in_scope:
            return ok
        return set(rule.deny or DENIED)

    @property
    def success_expected(self) -> bool:
        return self.rule.public or (self.persona is not None and self.persona in self.rule.allow and self.in_scope)


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}")


def _value(world: World, kind_or_value, place: str):
    if callable(kind_or_value):
        return kind_or_value(world, place)
    if isinstance(kind_or_value, str) and kind_or_value in world.objects:
        return world.obj(kind_or_value, place).pk
    return kind_or_value


def path_for(world: World, case: Case) -> str:
    rule = case.rule
    if case.kind == "page":
        route = case.route
        if rule.path:
            return _value(world, rule.path, case.place)

        def sub(match):
            name = match.group(2)
            spec = rule.params.get(name, PAGE_PARAM_VALUES.get(name))
            assert spec is not None, f"no value for <{name}> in {route}: add params= to its row in access.py"
            return str(_value(world, spec, case.place))

        return "/" + _PARAM.sub(sub, route)
    path = case.route.split(" ", 1)[1]

    def sub_api(match):
        name = match.group(3)
        spec = rule.params.get(name, API_PARAM_KINDS.get(name))
        assert spec is not None, f"no value for {{{name}}} in {case.route}: add params= to its row in access.py"
        return str(_value(world, spec, case.place))

    path = _PARAM.sub(sub_api, path)
    if rule.query:
        path += "?" + _value(world, rule.query, case.place)
    return path


def all_cases() -> tuple[list[Case], list[str]]:
    """(cases, routes without a declared expectation)."""
    cases, undeclared = [], []
    for route in page_routes():
        rule = rule_for_page(route)
        if rule is None:
            undeclared.append(route)
            continue
        places = ("near", "far") if rule.has_object(route) else ("near",)
        # The admin site is one gate (staff or not): a staff, a resident and a stranger suffice there.
        personas = ADMIN_PERSONAS if route.startswith("admin/") else PERSONA_NAMES
        for persona in personas:
            for place in places:
                cases.append(Case("page", route, "GET", persona, place, rule, len(places) == 2))
    for operation in api_operations():
        rule = API.get(operation)
        if rule is None:
            undeclared.append(operation)
            continue
        # The object is in the path, the query, or (creates) named by the body.
        places = ("near", "far") if "{" in operation or rule.query or callable(rule.body) else ("near",)
        for persona in PERSONA_NAMES:
            for place in places:
                cases.append(Case("api", operation, operation.split()[0], persona, place, rule, len(places) == 2))
    return cases, undeclared


@contextmanager
def capture_writes():
    writes: list[str] = []

    def wrapper(execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and match.group(2).lower() not in BOOKKEEPING_TABLES:
            writes.append(match.group(2))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield writes


def perform(world: World, case: Case, *, method: str | None = None, body=None):
    """One request inside a savepoint that is rolled back: (status, response, tables written)."""
    method = method or case.method
    path = path_for(world, case)
    client = world.api(case.persona) if case.kind == "api" else world.page(case.persona)
    with transaction.atomic():
        with capture_writes() as writes:
            if method == "GET":
                response = client.get(path)
            elif case.kind == "api":
                payload = body if body is not None else _value(world, case.rule.body, case.place)
                response = getattr(client, method.lower())(
                    path, data=json.dumps(payload if payload is not None else {}), content_type="application/json"
                )
            else:
                response = client.post(path, data=body or {})
        transaction.set_rollback(True)
    return response.status_code, response, writes
