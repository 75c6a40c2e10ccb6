"""Schemathesis against /api/v1/openapi.json: every operation, generated input, as the county
administrator (the widest scope, so the most code runs) over the small test county.

Bounded budget: ``MAX_EXAMPLES`` per operation, no deadline. Checks: no 5xx, and every
documented response matches its schema. The request goes through Django's WSGI handler in
this process, so it sees the module's test data.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 3
STATE: dict = {}


def _schema():
    from shanzhi.api import api

    return schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))


schema = _schema()


@pytest.fixture(scope="module")
def fuzz_token(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings as django_settings

    from shanzhi.accounts.services import issue_token
    from tests.factories import build_small_county

    media = django_settings.MEDIA_ROOT
    django_settings.MEDIA_ROOT = tmp_path_factory.mktemp("fuzz-media")
    with django_db_blocker.unblock():
        county = build_small_county()
        key, _token = issue_token(county.county_admin)
        from django.core import signals
        from django.core.wsgi import get_wsgi_application
        from django.db import close_old_connections

        STATE["app"] = get_wsgi_application()
        # As Django's test client does: the real handler would close the test connection after each request.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            yield key
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
            call_command("flush", interactive=False, verbosity=0)
            django_settings.MEDIA_ROOT = media


def test_every_operation_survives_generated_input(fuzz_token, django_db_blocker, db):
    from django.db import transaction
    from hypothesis import given

    failures, examples, operations = [], [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            examples.append(1)
            with transaction.atomic():  # each example in a savepoint, rolled back: examples stay independent
                try:
                    case.call_and_validate(
                        app=STATE["app"],
                        headers={"Authorization": f"Bearer {fuzz_token}", "Idempotency-Key": f"fuzz-{len(examples)}"},
                        checks=[not_a_server_error, response_schema_conformance],
                    )
                finally:
                    transaction.set_rollback(True)

        with django_db_blocker.unblock():
            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure, then report
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    print(f"schemathesis: {operations} operations, {len(examples)} generated requests, {len(failures)} failing")
    assert operations > 100 and len(examples) >= operations
    assert not failures, "\n\n".join(failures)
