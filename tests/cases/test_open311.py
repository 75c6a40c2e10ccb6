"""Open311 GeoReport v2 with an off-the-shelf client over real HTTP.

The ``georeport`` package (PyPI) is the maintained Python 3 GeoReport v2 client; it
lists services and reads requests but cannot create them, so the POST is a plain
form-encoded ``requests`` call exactly as the standard describes it (the older
``open311`` and ``three`` clients that could post are Python 2 only).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from shanzhi.cases.choices import CaseSource, CaseStatus
from shanzhi.cases.models import Case, CaseEvent
from shanzhi.cases.services import issue_open311_key
from tests.cases.conftest import add_case_personas
from tests.factories import build_small_county, fresh

DEMO_KEY = "shanzhi-demo-open311"


@pytest.fixture
def served(transactional_db, live_server):
    county = add_case_personas(build_small_county())
    county.grid.centroid_lat, county.grid.centroid_lng = 45.70, 132.90
    county.grid.boundary = {
        "type": "Polygon",
        "coordinates": [[[132.89, 45.69], [132.91, 45.69], [132.91, 45.71], [132.89, 45.71], [132.89, 45.69]]],
    }
    county.grid.save()
    issue_open311_key(name="12345热线", default_grid=county.far_grid, actor=None, key=DEMO_KEY)
    return county, live_server.url + "/open311/v2"


def test_client_lists_services_posts_a_request_and_reads_its_status(served):
    county, root = served
    client = GeoReport(root, api_key=DEMO_KEY)
    services = client.get_service_list()
    codes = {s["service_code"]: s for s in services}
    assert "infrastructure" in codes and codes["infrastructure"]["service_name"] == "基础设施"
    assert codes["infrastructure"]["metadata"] is False
    assert client.get_service_definition("infrastructure") == {"service_code": "infrastructure", "attributes": []}

    posted = requests.post(
        root + "/requests.json",
        data={
            "api_key": DEMO_KEY,
            "service_code": "infrastructure",
            "lat": "45.7001",
            "long": "132.9004",
            "description": "桥头护栏被撞断，夜间危险。",
            "first_name": "桂君",
            "last_name": "李",
            "phone": "13812345678",
            "email": "li@example.cn",
        },
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    [receipt] = posted.json()
    number = receipt["service_request_id"]
    assert number.startswith("HL-") and "报到" in receipt["service_notice"]
    case = Case.objects.get(number=number)
    assert case.grid == county.grid  # the point lies in the grid's boundary
    assert case.source == CaseSource.OPEN311 and case.reporter_name == "李桂君"
    assert CaseEvent.objects.get(case=case).actor_label == "Open311: 12345热线"

    read = client.get_service_request(number)
    assert read["status"] == "open" and read["status_notes"] == "已上报"
    assert read["service_code"] == "infrastructure" and read["lat"] == pytest.approx(45.7001)
    assert read["agency_responsible"] == "珍宝岛乡网格协调指挥中心"
    assert read["requested_datetime"].endswith("+08:00")
    assert "phone" not in read and "李" not in str(read)

    # The county handles it; the client reads it back closed with the result.
    from shanzhi.cases import services as case_services

    officer, handler = fresh(county.township_officer), fresh(county.department_handler)
    case_services.accept_case(case, actor=officer)
    case_services.dispatch_case(case, county.department, actor=officer)
    case_services.check_in_case(case, actor=handler)
    case_services.resolve_case(case, result="已更换护栏。", actor=handler)
    case_services.follow_up_case(case, satisfied=True, note="满意", actor=officer)
    closed = client.get_service_request(number)
    assert closed["status"] == "closed" and closed["status_notes"] == "已更换护栏。"
    assert closed["agency_responsible"] == "住建局" and closed["expected_datetime"]
    listed = client.get_service_requests(status="closed", service_code="infrastructure")
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get_service_requests(status="open") == []
    assert [r["service_request_id"] for r in client.get_service_requests(service_request_id=number)] == [number]


def test_xml_and_address_routing_and_idempotency(served):
    county, root = served
    form = {
        "api_key": DEMO_KEY,
        "service_code": "sanitation",
        "address_string": "阿北村第1网格 村口垃圾点",
        "description": "垃圾三天没人清运。",
    }
    first = requests.post(root + "/requests.xml", data=form, headers={"Idempotency-Key": "hotline-778"}, timeout=30)
    again = requests.post(root + "/requests.xml", data=form, headers={"Idempotency-Key": "hotline-778"}, timeout=30)
    assert first.status_code == 201 and first.text == again.text
    number = ET.fromstring(first.content).find("request/service_request_id").text
    assert Case.objects.filter(source=CaseSource.OPEN311).count() == 1
    assert Case.objects.get(number=number).grid == county.far_grid
    services = ET.fromstring(requests.get(root + "/services.xml", timeout=30).content)
    assert services.tag == "services" and services.find("service/service_code").text == "infrastructure"


@pytest.mark.parametrize(
    "form,status,text",
    [
        ({"api_key": "wrong", "service_code": "other", "lat": "45", "long": "132", "description": "x"}, 403, "api_key"),
        (
            {"api_key": DEMO_KEY, "service_code": "nope", "lat": "45", "long": "132", "description": "x"},
            400,
            "service_code",
        ),
        ({"api_key": DEMO_KEY, "service_code": "other", "description": "x"}, 400, "lat"),
        ({"api_key": DEMO_KEY, "service_code": "other", "lat": "north", "long": "132", "description": "x"}, 400, "lat"),
        ({"api_key": DEMO_KEY, "service_code": "other", "lat": "45", "long": "132"}, 400, "description"),
        (
            {"api_key": DEMO_KEY, "service_code": "other", "lat": "95", "long": "132", "description": "x"},
            400,
            "location",
        ),
    ],
)
def test_bad_posts_are_refused_in_the_standard_error_format(served, form, status, text):
    _county, root = served
    response = requests.post(root + "/requests.json", data=form, timeout=30)
    assert response.status_code == status, response.text
    [error] = response.json()
    assert error["code"] == status and text in error["description"]
    assert Case.objects.count() == 0


def test_reads_are_limited(served):
    county, root = served
    # A case reported by staff is not visible through Open311.
    from tests.cases.conftest import new_case

    staff_case = new_case(county)
    assert requests.get(f"{root}/requests/{staff_case.number}.json", timeout=30).status_code == 404
    assert (
        requests.get(
            root + "/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", timeout=30
        ).status_code
        == 400
    )
    assert requests.get(root + "/requests.json?status=pending", timeout=30).status_code == 400
    assert requests.get(root + "/requests.json?start_date=yesterday", timeout=30).status_code == 400
    assert requests.get(root + "/services.csv", timeout=30).status_code == 404
    revoked = requests.post(root + "/requests.json", data={"api_key": "o311_missing"}, timeout=30)
    assert revoked.status_code == 403
    assert Case.objects.exclude(status=CaseStatus.REPORTED).count() == 0
