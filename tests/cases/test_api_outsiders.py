"""Every cases endpoint against people who must not use it: other scopes get 404, roles without the permission 403."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shanzhi.cases.models import CaseAttachment
from tests.cases.conftest import new_case, png_bytes

pytestmark = pytest.mark.usefixtures("cc", "media_root")


@pytest.fixture
def case(cc):
    return new_case(cc, attachments=[SimpleUploadedFile("p.png", png_bytes())])


ENDPOINTS = [
    ("get", "cases/{id}"),
    ("post", "cases/{id}/transitions"),
    ("post", "cases/{id}/attachments"),
    ("get", "case-attachments/{attachment}"),
]
# persona -> expected status on someone else's case
OUTSIDERS = {
    "other_township_officer": 404,
    "other_village_secretary": 404,
    "other_villager": 404,
    "department_handler": 404,  # not dispatched to their department
    "supervisor": 404,  # not escalated
    "outsider": 404,
}


@pytest.mark.parametrize("persona,expected", OUTSIDERS.items())
@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_outsiders(api_as, case, persona, expected, method, path):
    attachment = CaseAttachment.objects.get(case=case)
    url = path.format(id=case.pk, attachment=attachment.pk)
    client = api_as(persona)
    response = client.get(url) if method == "get" else client.post(url, {"action": "accept"})
    assert response.status_code == expected, (persona, url, response.content[:200])
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("method,path", [*ENDPOINTS, ("get", "cases"), ("post", "cases"), ("get", "notifications")])
def test_anonymous(api_as, case, method, path):
    attachment = CaseAttachment.objects.get(case=case)
    url = path.format(id=case.pk, attachment=attachment.pk)
    client = api_as(None)
    response = client.get(url) if method == "get" else client.post(url, {})
    assert response.status_code == 401


def test_roles_without_the_permission(api_as, case):
    assert api_as("outsider").get("cases").status_code == 403
    assert api_as("outsider").post("cases", {"description": "x", "category": "other"}).status_code == 403
    # In scope, but the role may not take the step: 403.
    for persona, action in [("grid_worker", "accept"), ("village_secretary", "dispatch"), ("county_admin", "check_in")]:
        response = api_as(persona).post(f"cases/{case.pk}/transitions", {"action": action})
        assert response.status_code == 403, (persona, action, response.content)
    assert api_as("villager").post(f"cases/{case.pk}/transitions", {"action": "accept"}).status_code == 404
