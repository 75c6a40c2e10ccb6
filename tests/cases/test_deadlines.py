"""Working-day deadlines, holds, the sweep under frozen time, and escalation by reopening."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from shanzhi.cases import services
from shanzhi.cases.choices import CaseStatus, DayKind, DeadlineUnit, EscalationLevel, EventAction
from shanzhi.cases.models import Case, CaseEvent, Category, Notification
from shanzhi.cases.workdays import WorkingCalendar, next_year_warning, statutory_makeup_days
from shanzhi.core.errors import Forbidden
from tests.cases.conftest import new_case
from tests.factories import fresh

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


# --- the calendar itself -------------------------------------------------------------------
def test_holidays_and_makeup_days_of_2026():
    calendar = WorkingCalendar()
    assert not calendar.is_working_day(dt.date(2026, 10, 1))  # National Day
    assert not calendar.is_working_day(dt.date(2026, 10, 7))  # day off moved from a weekend
    assert calendar.is_working_day(dt.date(2026, 10, 10))  # Saturday, make-up working day
    assert calendar.is_working_day(dt.date(2026, 9, 20))  # Sunday, make-up working day
    assert not calendar.is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert dt.date(2026, 10, 10) in statutory_makeup_days(2026)


def test_deadline_across_national_day_and_a_makeup_saturday():
    calendar = WorkingCalendar()
    # Dispatched on Wednesday 30 September: Oct 1–7 are off; Thu 8, Fri 9 and Saturday 10 (make-up) count.
    assert calendar.deadline(at(2026, 9, 30, 10), 3, DeadlineUnit.WORKING_DAYS) == at(2026, 10, 11)
    # Friday 18 September, one working day: Sunday 20 is a make-up working day.
    assert calendar.deadline(at(2026, 9, 18, 16), 1, DeadlineUnit.WORKING_DAYS) == at(2026, 9, 21)
    # Hours are plain clock time, holidays or not.
    assert calendar.deadline(at(2026, 10, 1, 9), 4, DeadlineUnit.HOURS) == at(2026, 10, 1, 13)


def test_county_overrides_take_precedence():
    calendar = WorkingCalendar({dt.date(2026, 10, 8): DayKind.HOLIDAY, dt.date(2026, 10, 11): DayKind.WORKING_DAY})
    # Oct 8 is now off, Sunday Oct 11 is worked: Oct 9, 10, 11.
    assert calendar.deadline(at(2026, 9, 30, 10), 3, DeadlineUnit.WORKING_DAYS) == at(2026, 10, 12)


@pytest.mark.django_db
def test_calendar_rows_are_loaded_and_warning_for_next_year(cc):
    admin = fresh(cc.county_admin)
    assert next_year_warning(dt.date(2026, 11, 29)) == 2027
    assert next_year_warning(dt.date(2025, 6, 1)) is None  # 2026's arrangements are in holidays
    services.set_calendar_day(date=dt.date(2027, 2, 20), kind=DayKind.WORKING_DAY, note="春节调休", actor=admin)
    assert next_year_warning(dt.date(2026, 11, 29)) is None
    assert WorkingCalendar.load().is_working_day(dt.date(2027, 2, 20))
    with pytest.raises(Forbidden):
        services.set_calendar_day(date=dt.date(2027, 2, 21), kind=DayKind.WORKING_DAY, actor=fresh(cc.township_officer))


@pytest.mark.django_db
def test_dispatch_uses_the_category_limits_on_the_calendar(cc):
    with time_machine.travel(at(2026, 9, 30, 10), tick=False):
        case = new_case(cc)
        officer = fresh(cc.township_officer)
        services.accept_case(case, actor=officer)
        services.dispatch_case(case, cc.department, actor=officer)
    case.refresh_from_db()
    # infrastructure: check in within 1 working day, resolve within 10.
    assert case.check_in_deadline == at(2026, 10, 9)
    assert case.resolution_deadline == at(2026, 10, 21)  # Oct 8, 9, 10 (Sat), 12–16, 19, 20
    assert case.deadline == case.check_in_deadline


@pytest.mark.django_db
def test_hold_pauses_the_clock(cc):
    officer, handler = fresh(cc.township_officer), fresh(cc.department_handler)
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):  # Monday
        case = new_case(cc)
        services.accept_case(case, actor=officer)
        services.dispatch_case(case, cc.department, actor=officer)
        services.check_in_case(case, actor=handler)
    case.refresh_from_db()
    assert case.deadline == at(2026, 11, 17)  # 10 working days after Monday 2 November
    with time_machine.travel(at(2026, 11, 4, 9), tick=False):  # Wednesday: 8 working days and 15 h left
        services.put_on_hold(case, reason="等待天气转好施工", actor=handler)
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD and case.deadline is None
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):  # Monday, nearly three weeks later
        services.resume_case(case, actor=handler)
        assert services.sweep() == {"overdue": 0, "county": 0}
    case.refresh_from_db()
    assert case.status == CaseStatus.CHECKED_IN
    # The same 8 working days + 15 hours from Monday 23 November 09:00: Tuesday 3 December midnight.
    assert case.deadline == at(2026, 12, 4)
    assert case.resolution_deadline == case.deadline
    resumed = CaseEvent.objects.get(case=case, action=EventAction.RESUMED)
    assert resumed.data["held_seconds"] == 19 * 24 * 3600


@pytest.mark.django_db
def test_escalation_under_frozen_time(cc):
    officer = fresh(cc.township_officer)
    Category.objects.filter(code="safety_hazard").update(default_department=cc.department)
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):
        case = new_case(cc, category="safety_hazard", title="变压器漏油")
        services.accept_case(case, actor=officer)
        services.dispatch_case(case, cc.department, actor=officer)
        case.refresh_from_db()
        assert case.check_in_deadline == at(2026, 11, 2, 13)  # 4 hours
    out = StringIO()
    with time_machine.travel(at(2026, 11, 2, 12, 59), tick=False):
        call_command("cases_sweep", stdout=out)
    assert Case.objects.get(pk=case.pk).escalation_level == EscalationLevel.NONE
    with time_machine.travel(at(2026, 11, 2, 13, 1), tick=False):
        call_command("cases_sweep", stdout=out)
        call_command("cases_sweep", stdout=out)
    case.refresh_from_db()
    assert case.escalation_level == EscalationLevel.TOWNSHIP
    assert case.overdue_since == at(2026, 11, 2, 13, 1)
    assert CaseEvent.objects.filter(case=case, action=EventAction.OVERDUE).count() == 1
    assert Notification.objects.filter(recipient=cc.supervisor, case=case, kind="overdue").count() == 1
    assert Notification.objects.filter(recipient=cc.department_handler, case=case, kind="overdue").count() == 1
    assert "escalated: overdue=1 county=0" in out.getvalue()
    # The supervisor now sees the case; before escalation they did not.
    assert Case.objects.for_user(fresh(cc.supervisor)).filter(pk=case.pk).exists()
    assert not Case.objects.for_user(fresh(cc.other_supervisor)).filter(pk=case.pk).exists()
    with time_machine.travel(at(2026, 11, 4, 12, 59), tick=False):  # 47 h 58 min late
        call_command("cases_sweep", stdout=out)
    assert Case.objects.get(pk=case.pk).escalation_level == EscalationLevel.TOWNSHIP
    with time_machine.travel(at(2026, 11, 4, 13, 1), tick=False):
        call_command("cases_sweep", stdout=out)
        call_command("cases_sweep", stdout=out)
    case.refresh_from_db()
    assert case.escalation_level == EscalationLevel.COUNTY
    assert CaseEvent.objects.filter(case=case, action=EventAction.ESCALATED).count() == 1
    assert Notification.objects.filter(recipient=cc.county_admin, case=case, kind="escalated").count() == 1
    # Supervision: note and urge reach the department.
    supervisor = fresh(cc.supervisor)
    services.supervise_case(case, note="请住建局今日内到场处置。", actor=supervisor)
    services.urge_case(case, actor=supervisor, note="第一次催办")
    case.refresh_from_db()
    assert case.urge_count == 1
    assert Notification.objects.filter(recipient=cc.department_handler, kind="urged").count() == 1
    assert Notification.objects.filter(recipient=cc.department_handler, kind="supervised").count() == 1
    # A late check-in keeps the escalation and marks the event late.
    with time_machine.travel(at(2026, 11, 4, 14), tick=False):
        services.check_in_case(case, actor=fresh(cc.department_handler))
    assert CaseEvent.objects.get(case=case, action=EventAction.CHECKED_IN).data["late"] is True
    assert Case.objects.get(pk=case.pk).escalation_level == EscalationLevel.COUNTY


@pytest.mark.django_db
def test_reopened_twice_is_escalated(cc):
    officer, handler = fresh(cc.township_officer), fresh(cc.department_handler)
    case = new_case(cc)
    services.accept_case(case, actor=officer)
    services.dispatch_case(case, cc.department, actor=officer)
    for round_ in range(2):
        services.check_in_case(case, actor=handler)
        services.resolve_case(case, result=f"第{round_ + 1}次处理", actor=handler)
        services.follow_up_case(case, satisfied=False, note="路面还是不平", actor=officer)
        case.refresh_from_db()
        assert case.status == CaseStatus.DISPATCHED and case.reopen_count == round_ + 1
    assert case.escalation_level == EscalationLevel.TOWNSHIP
    escalated = CaseEvent.objects.get(case=case, action=EventAction.ESCALATED)
    assert escalated.data["reason"] == "reopened"
    assert Notification.objects.filter(recipient=cc.supervisor, kind="escalated", case=case).count() == 1
    assert Notification.objects.filter(recipient=cc.department_handler, kind="reopened").count() == 2


@pytest.mark.django_db
def test_unsatisfied_follow_up_needs_the_reporters_words(cc):
    from shanzhi.core.errors import InvalidInput

    officer, handler = fresh(cc.township_officer), fresh(cc.department_handler)
    case = new_case(cc)
    services.accept_case(case, actor=officer)
    services.dispatch_case(case, cc.department, actor=officer)
    services.check_in_case(case, actor=handler)
    services.resolve_case(case, result="已修复", actor=handler)
    with pytest.raises(InvalidInput) as error:
        services.follow_up_case(case, satisfied=False, note="", actor=officer)
    assert "note" in error.value.fields
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESOLVED
