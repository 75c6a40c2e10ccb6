import pytest
from django.db import connection

from shanzhi.core import audit
from shanzhi.core.models import AppendOnlyError, AuditLog
from shanzhi.people.services import update_household


def test_audit_rows_cannot_be_changed_or_deleted(county):
    entry = audit.record("test.something", actor=county.county_admin)
    entry.action = "test.changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=entry.pk).delete()
    assert AuditLog.objects.get(pk=entry.pk).action == "test.something"


def test_updates_are_audited_with_before_and_after(county):
    update_household(county.household, actor=county.grid_worker, address="永和村新址8号", phone="13900009999")
    entry = AuditLog.objects.get(action="people.household.updated")
    assert entry.before == {"address": "永和村前街1号", "phone": "13812345678"}
    assert entry.after == {"address": "永和村新址8号", "phone": "13900009999"}
    assert entry.actor == county.grid_worker


def test_writes_recheck_scope_inside_the_service(county):
    from shanzhi.core.errors import InvalidInput, NotFound

    # A village cadre cannot move a household into another township's grid ...
    with pytest.raises(InvalidInput) as info:
        update_household(county.household, actor=county.village_secretary, grid=county.far_grid)
    assert "grid" in info.value.fields
    # ... nor touch a household outside their village at all.
    with pytest.raises(NotFound):
        update_household(county.far_household, actor=county.village_secretary, address="x")
    county.household.refresh_from_db()
    assert county.household.grid == county.grid


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite settings")
def test_sqlite_runs_in_wal_with_immediate_transactions_and_a_busy_timeout(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.transaction_mode == "IMMEDIATE"


def test_subtree_lookup_is_one_query(county, django_assert_num_queries):
    from shanzhi.areas.models import Area

    with django_assert_num_queries(1):
        names = list(Area.objects.subtree(county.township).values_list("name", flat=True))
    assert set(names) == {"珍宝岛乡", "永和村", "珍宝村", "永和村第1网格", "永和村第2网格", "珍宝村第1网格"}


def test_retired_grid_keeps_its_history(county):
    import datetime as dt

    from shanzhi.areas.models import Area
    from shanzhi.areas.services import retire_area

    retire_area(county.grid2, on=dt.date(2026, 1, 1), actor=county.county_admin)
    assert county.grid2 not in Area.objects.current(dt.date(2026, 6, 1))
    assert county.grid2 in Area.objects.current(dt.date(2025, 6, 1))
    assert county.neighbour.grid_id == county.grid2.pk


def test_an_expired_form_gets_a_plain_page_and_the_api_a_code(county):
    """CSRF_FAILURE_VIEW: Chinese words and the page offered again; JSON with a code for the API."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = browser.post("/accounts/login/?next=/field/", {"username": "grid_worker", "password": "x"})
    assert page.status_code == 403
    html = page.content.decode()
    assert "表单已过期" in html and 'href="/accounts/login/?next=/field/"' in html
    browser.force_login(county.village_secretary)
    api = browser.post("/api/v1/shop/items", {}, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "csrf_failed"
    assert "安全令牌" in api.json()["message"]


def test_audit_list_names_a_bad_date(county):
    from django.test import Client

    client = Client()
    client.force_login(county.county_admin)
    response = client.get("/audit/", {"since": "2026-02-31"})
    assert response.status_code == 200
    assert "请按“年-月-日”(YYYY-MM-DD)填写日期" in response.content.decode()
