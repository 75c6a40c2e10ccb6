from __future__ import annotations

import pytest

from shanzhi.cases import services
from shanzhi.cases.choices import CaseStatus, EventAction
from shanzhi.cases.models import Case, CaseEvent, Notification
from shanzhi.cases.signals import case_closed
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.cases.conftest import new_case
from tests.factories import fresh


def test_full_loop_through_services(cc, media_root):
    closed = []

    def listener(sender, case, **kwargs):
        closed.append(case.number)

    case_closed.connect(listener)
    try:
        case = new_case(cc)
        assert case.number.startswith("HL-")
        assert case.status == CaseStatus.REPORTED
        officer = fresh(cc.township_officer)
        services.accept_case(case, actor=officer)
        services.dispatch_case(case, cc.department, actor=officer, co_departments=[cc.other_department])
        case.refresh_from_db()
        assert case.status == CaseStatus.DISPATCHED and case.deadline == case.check_in_deadline
        handler = fresh(cc.department_handler)
        services.check_in_case(case, actor=handler)
        services.resolve_case(case, result="已回填修复。", actor=handler)
        services.follow_up_case(case, satisfied=True, note="群众满意", actor=officer)
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED and case.closed_at
        actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
        assert actions == [
            EventAction.REPORTED,
            EventAction.ACCEPTED,
            EventAction.DISPATCHED,
            EventAction.CHECKED_IN,
            EventAction.RESOLVED,
            EventAction.CLOSED,
        ]
        assert closed == [case.number]
        assert Notification.objects.filter(recipient=cc.department_handler, kind="dispatched").count() == 1
        assert Notification.objects.filter(recipient=cc.other_department_handler, kind="dispatched").count() == 1
    finally:
        case_closed.disconnect(listener)


def test_forbidden_and_conflict(cc):
    case = new_case(cc)
    with pytest.raises(Forbidden):
        services.dispatch_case(case, cc.department, actor=fresh(cc.grid_worker))
    with pytest.raises(NotFound):
        services.accept_case(case, actor=fresh(cc.other_township_officer))
    with pytest.raises(NotFound):  # not dispatched to the department: not in its scope
        services.check_in_case(case, actor=fresh(cc.department_handler))
    services.accept_case(case, actor=fresh(cc.township_officer))
    with pytest.raises(Conflict):
        services.accept_case(case, actor=fresh(cc.township_officer))
    with pytest.raises(InvalidInput):
        services.reject_case(case, reason="", actor=fresh(cc.township_officer))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED
    assert CaseEvent.objects.filter(case=case, action=EventAction.ACCEPTED).count() == 1
