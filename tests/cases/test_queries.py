"""Query counts stay flat: a list page does not grow with its rows, a report is a fixed number of statements."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cases.conftest import new_case


def test_report_case_query_count(cc):
    new_case(cc)  # warm the sequence row and the caches
    with CaptureQueriesContext(connection) as queries:
        new_case(cc)
    assert len(queries) <= 20


def test_case_list_is_flat(cc, api_as):
    township = api_as("township_officer")
    for _ in range(3):
        new_case(cc)
    township.get("cases")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert township.get("cases").json()["count"] == 3
    for _ in range(12):
        new_case(cc)
    with CaptureQueriesContext(connection) as many:
        assert township.get("cases").json()["count"] == 15
    assert len(many) == len(few)
