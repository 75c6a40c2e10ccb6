"""Grid workers: "1+N" enforced, transfers kept as history, rosters with counts by kind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanzhi.accounts.choices import Role
from shanzhi.accounts.models import RoleAssignment
from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.models import AuditLog
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.models import GridAssignment, GridWorker
from shanzhi.gridwork.services import (
    assign_worker_to_grid,
    create_grid_worker,
    end_grid_worker_service,
    transfer_worker,
)
from tests.factories import fresh

pytestmark = pytest.mark.django_db


def test_a_second_full_time_lead_is_refused_and_nothing_is_saved(gw):
    officer = fresh(gw.township_officer)
    newcomer = create_grid_worker(name="孙立新", kind=WorkerKind.FULL_TIME, home_area=gw.village, actor=officer)
    before = (GridAssignment.objects.count(), AuditLog.objects.filter(action="gridwork.assignment.created").count())
    with pytest.raises(Conflict) as error:
        assign_worker_to_grid(newcomer, gw.grid, lead=True, actor=officer)
    assert error.value.code == "grid_has_lead"
    assert "永和村第1网格" in error.value.message and "只能有一名" in error.value.message
    assert error.value.fields == {"is_lead": ["该网格已有专职网格长。"]}
    assert (
        GridAssignment.objects.count(),
        AuditLog.objects.filter(action="gridwork.assignment.created").count(),
    ) == before
    # As a member (the "N") the same worker is welcome.
    assign_worker_to_grid(newcomer, gw.grid, lead=False, actor=officer)
    assert GridAssignment.objects.current().filter(grid=gw.grid, is_lead=True).count() == 1


def test_second_lead_through_the_api_is_409_with_fields(gw, api_as):
    api = api_as("township_officer")
    created = api.post("gridwork/workers", {"name": "孙立新", "kind": "full_time", "home_area": gw.village.pk})
    assert created.status_code == 201, created.content
    worker_id = created.json()["id"]
    response = api.post(f"gridwork/workers/{worker_id}/assignments", {"grid": gw.grid.pk, "is_lead": True})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "grid_has_lead" and "is_lead" in body["fields"]
    assert not GridAssignment.objects.filter(worker_id=worker_id).exists()


def test_part_time_worker_cannot_lead(gw):
    part = gw.workers["刘恒军"]
    with pytest.raises(InvalidInput) as error:
        assign_worker_to_grid(part, gw.grid2, lead=True, actor=None)
    assert "is_lead" in error.value.fields


def test_transfer_keeps_the_history_and_moves_the_login_scope(gw):
    officer = fresh(gw.township_officer)
    lead = gw.workers["侯晓春"]
    # Free grid2's lead seat first: 王秀兰 moves to 珍宝村第1网格 as a member.
    day = timezone.localdate() - dt.timedelta(days=3)
    transfer_worker(
        gw.workers["王秀兰"], from_grid=gw.grid2, to_grid=gw.other_grid, on_date=day, lead=False, actor=officer
    )
    transfer_worker(lead, from_grid=gw.grid, to_grid=gw.grid2, on_date=day, actor=officer, note="工作需要")
    history = list(GridAssignment.objects.filter(worker=lead).order_by("start_date"))
    assert [(a.grid_id, a.is_lead, a.end_date) for a in history] == [(gw.grid.pk, True, day), (gw.grid2.pk, True, None)]
    roles = RoleAssignment.objects.filter(user=gw.grid_worker, role=Role.GRID_WORKER)
    assert set(roles.filter(active=True).values_list("area_id", flat=True)) == {gw.grid2.pk}
    assert roles.filter(active=False, area=gw.grid).exists()
    assert AuditLog.objects.filter(action="gridwork.worker.transferred", object_id=str(lead.pk)).exists()


def test_transfer_into_a_grid_with_a_lead_is_refused_whole(gw):
    officer = fresh(gw.township_officer)
    lead = gw.workers["侯晓春"]
    day = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(Conflict):
        transfer_worker(lead, from_grid=gw.grid, to_grid=gw.grid2, on_date=day, actor=officer)
    current = GridAssignment.objects.get(worker=lead, end_date__isnull=True)
    assert current.grid_id == gw.grid.pk  # the old assignment did not end


def test_leaving_ends_every_assignment(gw):
    officer = fresh(gw.township_officer)
    part = gw.workers["刘恒军"]
    end_grid_worker_service(part, end_date=timezone.localdate(), actor=officer)
    part.refresh_from_db()
    assert part.end_date == timezone.localdate()
    assert not GridAssignment.objects.current().filter(worker=part).exists()


def test_roster_counts_by_kind_per_township_and_village(gw, api_as, page_as):
    api = api_as("county_admin")
    county = api.get("gridwork/roster").json()
    assert county["counts"] == {"specialist": 0, "full_time": 4, "part_time": 1}
    by_name = {row["name"]: row for row in county["children"]}
    assert by_name["珍宝岛乡"]["full_time"] == 3 and by_name["珍宝岛乡"]["part_time"] == 1
    assert by_name["阿北乡"]["full_time"] == 1
    township = api.get("gridwork/roster", {"area": gw.township.pk}).json()
    villages = {row["name"]: row for row in township["children"]}
    assert villages["永和村"]["full_time"] == 2 and villages["永和村"]["part_time"] == 1
    assert villages["珍宝村"]["full_time"] == 1
    page = page_as("township_officer").get("/gridwork/", {"area": gw.village.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-kind="full_time">2<' in html and 'data-kind="part_time">1<' in html
    assert "侯晓春" in html and "何晓宇" not in html


def test_worker_detail_shows_transfer_history_and_masks_the_phone(gw, page_as):
    lead = gw.workers["侯晓春"]
    response = page_as("village_secretary").get(f"/gridwork/workers/{lead.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "136****3333" in html and "13600003333" not in html
    assert "永和村第1网格" in html


def test_worker_form_shows_field_errors(gw, page_as):
    client = page_as("township_officer")
    response = client.post(
        "/gridwork/workers/new/",
        {"name": "", "kind": "full_time", "phone": "123", "home_area": gw.village.pk, "start_date": "2024-01-01"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html
    assert GridWorker.objects.count() == 5
