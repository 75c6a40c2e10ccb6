"""The demo county as a newcomer meets it: figures, logins and scopes (built once for the module)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from shanzhi.demo.builder import DEMO_ACCOUNTS, DEMO_PASSWORD

ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9X](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from shanzhi.demo.steps import build_demo

    with django_db_blocker.unblock():
        build_demo()
        yield
        call_command("flush", interactive=False, verbosity=0)


def token(username):
    response = Client().post("/api/v1/auth/token", json.dumps({"username": username, "password": DEMO_PASSWORD}),
                             content_type="application/json")
    assert response.status_code == 200, username
    return {"Authorization": f"Bearer {response.json()['token']}"}


def api(username, path, **params):
    return Client().get(path, params, headers=token(username))


def page_client(username):
    client = Client()
    assert client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD}).status_code == 302
    return client


def test_every_demo_login_works(demo, db):
    for username, *_ in DEMO_ACCOUNTS:
        assert api(username, "/api/v1/auth/me").status_code == 200


def test_county_overview_has_the_source_figures(demo, db):
    body = api("demo-county", "/api/v1/stats/overview").json()
    assert body["areas"]["townships"] == 11
    assert body["areas"]["grids"] == 275
    assert body["households"] == 15_900
    assert body["grid_workers"] == {"specialist": 128, "full_time": 275, "part_time": 781}
    assert 40_000 < body["residents"] < 50_000


def test_one_full_time_lead_per_grid(demo, db):
    from shanzhi.areas.models import Area
    from shanzhi.gridwork.models import GridAssignment

    grids = Area.objects.filter(level="grid").count()
    leads = GridAssignment.objects.current().filter(is_lead=True)
    assert leads.count() == grids == 275
    assert leads.values("grid").distinct().count() == 275
    assert set(leads.values_list("worker__kind", flat=True)) == {"full_time"}


def test_named_places_exist(demo, db):
    from shanzhi.areas.models import Area

    pairs = {(a.name, a.parent.name) for a in Area.objects.filter(level="village").select_related("parent")}
    for village, township in [("永和村", "珍宝岛乡"), ("阿北村", "阿北乡"), ("幸福村", "伟光乡"), ("联义村", "宝东镇")]:
        assert (village, township) in pairs
    townships = set(Area.objects.filter(level="township").values_list("name", flat=True))
    assert townships == {"虎林镇", "东方红镇", "迎春镇", "虎头镇", "杨岗镇", "东诚镇", "宝东镇", "新乐乡", "伟光乡",
                         "珍宝岛乡", "阿北乡"}


def test_township_officer_cannot_see_another_township(demo, db):
    from shanzhi.people.models import Household

    abei = Household.objects.filter(grid__parent__parent__name="阿北乡").first()
    mine = Household.objects.filter(grid__parent__parent__name="珍宝岛乡").first()
    assert api("demo-township", f"/api/v1/households/{abei.pk}").status_code == 404
    assert api("demo-township", f"/api/v1/households/{mine.pk}").status_code == 200
    client = page_client("demo-township")
    assert client.get(f"/households/{abei.pk}/").status_code == 404
    assert client.get(f"/households/{mine.pk}/").status_code == 200
    assert api("demo-township2", f"/api/v1/households/{abei.pk}").status_code == 200


def test_villager_sees_only_their_household(demo, db):
    body = api("demo-villager", "/api/v1/households", limit=200).json()
    assert body["count"] == 1
    assert body["items"][0]["head_name"] == "李桂君"
    other = api("demo-county", "/api/v1/households", limit=5).json()["items"]
    for item in other:
        if item["head_name"] != "李桂君":
            assert api("demo-villager", f"/api/v1/households/{item['id']}").status_code == 404


def test_grid_worker_scope_is_their_grid(demo, db):
    body = api("demo-grid", "/api/v1/households", limit=200).json()
    assert body["count"] > 30
    assert {item["grid_name"] for item in body["items"]} == {"永和村第1网格"}


@pytest.mark.parametrize("username", ["demo-township", "demo-village", "demo-grid", "demo-villager", "demo-dept"])
def test_no_full_id_or_mobile_reaches_roles_without_view_sensitive(demo, db, username):
    """Leak scan over the foundation's pages and API responses for each non-privileged persona."""
    client = page_client(username)
    headers = token(username)
    households = Client().get("/api/v1/households", {"limit": 20}, headers=headers).json()["items"]
    urls = ["/", "/areas/", "/households/", "/households/?q=lgj"]
    api_urls = ["/api/v1/households?limit=50", "/api/v1/areas", "/api/v1/stats/overview", "/api/v1/auth/me"]
    for household in households[:5]:
        urls.append(f"/households/{household['id']}/")
        api_urls.append(f"/api/v1/households/{household['id']}")
        detail = Client().get(f"/api/v1/households/{household['id']}", headers=headers).json()
        api_urls.extend(f"/api/v1/residents/{r['id']}" for r in detail["residents"])
    scanned = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 200:
            text = response.content.decode()
            assert not ID_NUMBER.search(text), (url, ID_NUMBER.search(text).group())
            assert not MOBILE.search(text), (url, MOBILE.search(text).group())
            scanned += 1
    for url in api_urls:
        response = Client().get(url, headers=headers)
        text = response.content.decode()
        assert not ID_NUMBER.search(text), (url, ID_NUMBER.search(text).group())
        assert not MOBILE.search(text), (url, MOBILE.search(text).group())
        scanned += 1
    assert scanned >= 6


def test_leak_scan_patterns_do_find_unmasked_data(demo, db):
    """The scan above would catch a leak: the revealed page for a county admin trips both patterns."""
    from shanzhi.people.models import Household

    household = Household.objects.filter(residents__phone__startswith="1").exclude(phone="").first()
    html = page_client("demo-county").get(f"/households/{household.pk}/?reveal=1").content.decode()
    assert ID_NUMBER.search(html) and MOBILE.search(html)
