"""Real concurrent connections: threads, each with its own database connection."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.db.models.signals import post_save
from django.test import Client
from django.utils import timezone

from shanzhi.accounts.choices import Role
from shanzhi.accounts.services import assign_role, create_user
from shanzhi.cases import services
from shanzhi.cases.choices import CaseStatus, EventAction
from shanzhi.cases.models import Case, CaseEvent, Notification
from tests.cases.conftest import add_case_personas, new_case
from tests.conftest import token_for
from tests.factories import PASSWORD, build_small_county, fresh

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def county_tx(transactional_db):
    county = add_case_personas(build_small_county())
    second = create_user(username="township_officer2", password=PASSWORD, display_name="township_officer2")
    assign_role(second, Role.COMMAND_CENTRE, area=county.township)
    county.users["township_officer2"] = second
    return county


def _run_together(functions):
    """Start every function at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)
    errors: list = []

    def runner(index, function):
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


class SlowEvents:
    """Hold the winner's transaction open a moment after it writes its event, so the other waits on it."""

    def __init__(self, seconds=0.4):
        self.seconds = seconds

    def __call__(self, sender, instance, created, **kwargs):
        if created:
            time.sleep(self.seconds)

    def __enter__(self):
        post_save.connect(self, sender=CaseEvent, weak=False)
        return self

    def __exit__(self, *exc):
        post_save.disconnect(self, sender=CaseEvent)


def test_two_officers_accept_at_once_one_wins_the_other_gets_409(county_tx):
    case = new_case(county_tx)
    tokens = [token_for("township_officer"), token_for("township_officer2")]

    def accept(token):
        def call():
            started = time.monotonic()
            response = Client().post(
                f"/api/v1/cases/{case.pk}/transitions",
                data='{"action": "accept", "note": "受理"}',
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.status_code, response.json(), started, time.monotonic()

        return call

    with SlowEvents():
        results = _run_together([accept(t) for t in tokens])
    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 409], [r[1] for r in results]
    loser = next(r for r in results if r[0] == 409)
    assert loser[1]["code"] == "illegal_transition"
    # They really overlapped: each started before the other finished.
    assert max(r[2] for r in results) < min(r[3] for r in results)
    assert CaseEvent.objects.filter(case=case, action=EventAction.ACCEPTED).count() == 1
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED


def test_department_resolves_while_officer_dispatch_races_nothing_doubles(county_tx):
    """Two handlers of one department check in at once through the service layer."""
    case = new_case(county_tx)
    officer = fresh(county_tx.township_officer)
    services.accept_case(case, actor=officer)
    services.dispatch_case(case, county_tx.department, actor=officer)
    second = create_user(username="handler2", password=PASSWORD)
    assign_role(second, Role.DEPARTMENT_HANDLER, department=county_tx.department)
    handlers = [county_tx.department_handler.pk, second.pk]

    def check_in(user_id):
        def call():
            from shanzhi.accounts.models import User
            from shanzhi.core.errors import Conflict

            try:
                services.check_in_case(Case.objects.get(pk=case.pk), actor=User.objects.get(pk=user_id))
                return "ok"
            except Conflict:
                return "conflict"

        return call

    with SlowEvents():
        results = _run_together([check_in(h) for h in handlers])
    assert sorted(results) == ["conflict", "ok"]
    assert CaseEvent.objects.filter(case=case, action=EventAction.CHECKED_IN).count() == 1


def test_two_sweeps_at_once_escalate_each_case_once(county_tx):
    officer = fresh(county_tx.township_officer)
    cases = []
    for i in range(40):
        case = new_case(county_tx, title=f"事件{i}")
        services.accept_case(case, actor=officer)
        services.dispatch_case(case, county_tx.department, actor=officer)
        cases.append(case.pk)
    # All their check-in deadlines passed a while ago (beyond the second level for half of them).
    now = timezone.now()
    Case.objects.filter(pk__in=cases[:20]).update(deadline=now - dt.timedelta(hours=1))
    Case.objects.filter(pk__in=cases[20:]).update(deadline=now - dt.timedelta(hours=72))
    before = Notification.objects.count()

    results = _run_together([lambda: services.sweep(now=now, batch=3), lambda: services.sweep(now=now, batch=3)])
    assert sum(r["overdue"] for r in results) == 40
    assert sum(r["county"] for r in results) == 20
    for pk in cases:
        assert CaseEvent.objects.filter(case_id=pk, action=EventAction.OVERDUE).count() == 1
    assert CaseEvent.objects.filter(case_id__in=cases[20:], action=EventAction.ESCALATED).count() == 20
    assert CaseEvent.objects.filter(case_id__in=cases[:20], action=EventAction.ESCALATED).count() == 0
    assert set(Case.objects.filter(pk__in=cases[:20]).values_list("escalation_level", flat=True)) == {1}
    assert set(Case.objects.filter(pk__in=cases[20:]).values_list("escalation_level", flat=True)) == {2}
    # One message per case, recipient and level: the handler, both command-centre officers, the supervisor
    # (and the county admin at the second level).
    handler_overdue = Notification.objects.filter(recipient=county_tx.department_handler, kind="overdue").count()
    assert handler_overdue == 40
    assert Notification.objects.filter(recipient=county_tx.supervisor, kind="escalated").count() == 20
    assert Notification.objects.filter(recipient=county_tx.county_admin, kind="escalated").count() == 20
    assert Notification.objects.filter(recipient=county_tx.other_supervisor).count() == 0
    assert Notification.objects.count() - before == 40 * 4 + 20 * 5
    # A third sweep finds nothing left to do.
    assert services.sweep(now=now) == {"overdue": 0, "county": 0}
