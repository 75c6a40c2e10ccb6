from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.accounts.choices import Role
from shanzhi.areas.models import Area, Department
from shanzhi.cases import notify as notifications
from shanzhi.cases.choices import CLOCK_STATUSES, CaseSource, CaseStatus, EscalationLevel
from shanzhi.cases.filters import CaseFilter
from shanzhi.cases.forms import CalendarDayForm, Open311KeyForm, ReportForm, StepForm
from shanzhi.cases.models import CalendarDay, Case, CaseAttachment, Category, Notification, Open311Key
from shanzhi.cases.present import list_queryset, timeline
from shanzhi.cases.services import (
    issue_open311_key,
    perform_step,
    remove_calendar_day,
    report_case,
    revoke_open311_key,
    set_calendar_day,
)
from shanzhi.cases.workdays import WorkingCalendar, next_year_warning
from shanzhi.cases.workflow import (
    PERM_FOLLOW_UP,
    PERM_HANDLE,
    PERM_MANAGE,
    PERM_REPORT,
    PERM_SUPERVISE,
    PERM_TRIAGE,
    STEPS,
    steps_for,
)
from shanzhi.core.errors import DomainError, Forbidden, InvalidInput
from shanzhi.core.forms import apply_domain_error
from shanzhi.core.idempotency import key_from_request, new_form_token, run_idempotent
from shanzhi.core.masking import mask_phone, may_view_sensitive
from shanzhi.core.scoping import get_in_scope
from shanzhi.core.validators import is_local_path
from shanzhi.people.models import Household

CASE_PERMISSIONS = (PERM_REPORT, PERM_TRIAGE, PERM_HANDLE, PERM_FOLLOW_UP, PERM_SUPERVISE)
PAGE_SIZE = 20


def _require(user, *permissions) -> None:
    if not any(user.has_perm(p) for p in permissions):
        raise Forbidden()


def _page(request, qs):
    page = Paginator(list_queryset(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _is_villager(user) -> bool:
    return not user.is_superuser and user.roles == frozenset({Role.VILLAGER})


# --- lists ----------------------------------------------------------------------------
@login_required
def case_list(request):
    user = request.user
    _require(user, *CASE_PERMISSIONS)
    try:
        case_filter = CaseFilter(user, request.GET)
        errors = {}
    except InvalidInput as exc:
        case_filter, errors = CaseFilter(user, {}), exc.fields
    qs = case_filter.apply().order_by("-reported_at", "-id")
    page, query = _page(request, qs)
    context = {
        "page": page,
        "query": query,
        "params": request.GET,
        "errors": errors,
        "title": _("Cases"),
        "filters": True,
        "statuses": CaseStatus.choices,
        "categories": Category.objects.filter(active=True),
        "departments": Department.objects.for_user(user).filter(active=True).order_by("kind", "code"),
        "areas": Area.objects.for_user(user).current().exclude(level="grid").order_by("path")[:300],
        "can_report": user.has_perm(PERM_REPORT),
        "calendar_warning": next_year_warning() if user.has_perm(PERM_MANAGE) else None,
    }
    template = "cases/_results.html" if request.headers.get("HX-Request") else "cases/case_list.html"
    return render(request, template, context)


def _queue(request, *, title, tabs, permission, template="cases/queue.html", extra=None):
    user = request.user
    _require(user, permission)
    base = Case.objects.for_user(user)
    counts = {key: base.filter(q).count() for key, (_label, q) in tabs.items()}
    current = request.GET.get("tab") if request.GET.get("tab") in tabs else next(iter(tabs))
    qs = base.filter(tabs[current][1]).order_by("deadline", "reported_at", "id")
    page, _query = _page(request, qs)
    context = {
        "title": title,
        "tabs": [(key, label, counts[key]) for key, (label, _q) in tabs.items()],
        "current": current,
        "page": page,
        "query": f"tab={current}",
        **(extra or {}),
    }
    return render(request, template, context)


def _overdue_q():
    return Q(status__in=CLOCK_STATUSES, deadline__lt=timezone.now())


@login_required
def command_queue(request):
    tabs = {
        "new": (_("New"), Q(status=CaseStatus.REPORTED)),
        "accepted": (_("To dispatch"), Q(status=CaseStatus.ACCEPTED)),
        "overdue": (_("Overdue"), _overdue_q()),
        "follow_up": (_("Awaiting follow-up"), Q(status=CaseStatus.RESOLVED)),
    }
    return _queue(request, title=_("Command centre queue"), tabs=tabs, permission=PERM_TRIAGE)


@login_required
def department_inbox(request):
    user = request.user
    _require(user, PERM_HANDLE)
    departments = [a.department for a in user.active_assignments if a.role == Role.DEPARTMENT_HANDLER]
    mine = Q(department__in=departments)
    tabs = {
        "to_check_in": (_("To check in"), mine & Q(status=CaseStatus.DISPATCHED)),
        "in_progress": (_("In progress"), mine & Q(status__in=[CaseStatus.CHECKED_IN, CaseStatus.ON_HOLD])),
        "overdue": (_("Overdue"), mine & _overdue_q()),
        "co_handling": (_("Co-handling"), Q(co_departments__in=departments) & ~mine & Q(status__in=CLOCK_STATUSES)),
        "done": (_("Resolved"), mine & Q(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])),
    }
    return _queue(
        request, title=_("Department inbox"), tabs=tabs, permission=PERM_HANDLE, extra={"departments": departments}
    )


@login_required
def follow_up_queue(request):
    tabs = {
        "due": (_("Awaiting follow-up"), Q(status=CaseStatus.RESOLVED)),
        "reopened": (_("Reopened"), Q(reopen_count__gt=0) & ~Q(status__in=[CaseStatus.CLOSED])),
    }
    return _queue(request, title=_("Follow-up queue"), tabs=tabs, permission=PERM_FOLLOW_UP)


@login_required
def supervision_board(request):
    user = request.user
    _require(user, PERM_SUPERVISE)
    escalated = Case.objects.for_user(user).filter(escalation_level__gt=0)
    open_escalated = escalated.exclude(status__in=[CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED])
    tabs = {
        "county": (_("County supervision"), Q(escalation_level=EscalationLevel.COUNTY) & ~Q(status=CaseStatus.CLOSED)),
        "township": (
            _("Township Party organisation"),
            Q(escalation_level=EscalationLevel.TOWNSHIP) & ~Q(status=CaseStatus.CLOSED),
        ),
        "reopened": (_("Reopened repeatedly"), Q(escalation_level__gt=0, reopen_count__gte=2)),
        "closed": (_("Closed after supervision"), Q(escalation_level__gt=0, status=CaseStatus.CLOSED)),
    }
    by_department = (
        open_escalated.exclude(department=None)
        .values("department__name")
        .annotate(n=Count("id"))
        .order_by("-n", "department__name")[:10]
    )
    return _queue(
        request,
        title=_("Supervision board"),
        tabs=tabs,
        permission=PERM_SUPERVISE,
        template="cases/supervision.html",
        extra={"by_department": by_department, "open_count": open_escalated.count()},
    )


# --- report ---------------------------------------------------------------------------
def _households_for(user, grid_id=None, q=""):
    qs = Household.objects.for_user(user).select_related("head", "grid")
    if grid_id:
        qs = qs.filter(grid_id=grid_id)
    if q:
        qs = qs.search(q)
    return qs.order_by("number")[:20]


@login_required
def household_picker(request):
    user = request.user
    _require(user, PERM_REPORT)
    grid = request.GET.get("grid") or None
    households = _households_for(user, grid, request.GET.get("q", "").strip()[:50])
    return render(request, "cases/_household_picker.html", {"households": households})


def _fingerprint(post, files) -> dict:
    digests = [hashlib.sha256(f.read()).hexdigest() for f in files]
    for f in files:
        f.seek(0)
    return {"body": {k: post.getlist(k) for k in sorted(post) if k not in ("csrfmiddlewaretoken",)}, "files": digests}


@login_required
def report(request):
    user = request.user
    _require(user, PERM_REPORT)
    villager = _is_villager(user)
    own_grids = list(Area.objects.for_user(user).current().filter(level="grid").values_list("pk", flat=True)[:2])
    initial = {"grid": own_grids[0] if len(own_grids) == 1 else None, "form_token": new_form_token()}
    form = ReportForm(request.POST or None, request.FILES or None, user=user, villager=villager, initial=initial)
    form_token = request.POST.get("form_token") or initial["form_token"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        files = request.FILES.getlist("photos")

        def run():
            case = report_case(
                actor=user,
                title=data.get("title", ""),
                description=data["description"],
                category=data["category"],
                grid=None if villager else data["grid"],
                household=data.get("household"),
                source=CaseSource.SELF_REPORT if villager else data["source"],
                priority=form.priority,
                location_lat=data.get("location_lat"),
                location_lng=data.get("location_lng"),
                address=data.get("address", ""),
                reporter_name="" if villager else data.get("reporter_name", ""),
                reporter_phone="" if villager else data.get("reporter_phone", ""),
                attachments=files,
            )
            return 201, {"id": case.pk, "number": case.number}

        try:
            _status, body = run_idempotent(
                user=user,
                operation="cases.create",
                key=key_from_request(request),
                payload=_fingerprint(request.POST, files),
                run=run,
            )
        except DomainError as exc:
            if "attachments" in exc.fields:
                exc.fields["photos"] = exc.fields.pop("attachments")
            if "location" in exc.fields:
                exc.fields["address"] = exc.fields.pop("location")
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Case %(number)s reported.") % {"number": body["number"]})
            return redirect("cases:detail", pk=body["id"])
    household = None
    if form.data.get("household"):
        household = Household.objects.for_user(user).filter(pk=form.data.get("household")).first()
    return render(
        request,
        "cases/report.html",
        {"form": form, "form_token": form_token, "villager": villager, "household": household},
    )


# --- detail and steps -----------------------------------------------------------------
def _detail_context(request, case, step_forms=None):
    user = request.user
    steps = steps_for(user, case)
    forms = step_forms or {}
    for step in steps:
        if step.name not in forms:
            initial = {}
            if step.name == "dispatch" and case.category.default_department_id:
                initial = {
                    "department": case.category.default_department_id,
                    "co_departments": list(case.category.default_co_departments.values_list("pk", flat=True)),
                }
            forms[step.name] = StepForm(user=user, step=step.name, initial=initial)
    open_step = next((name for name, f in forms.items() if f.is_bound), None)
    return {
        "case": case,
        "events": timeline(case),
        "steps": [(s, forms[s.name]) for s in steps],
        "open_step": open_step,
        "reporter_phone": case.reporter_phone if may_view_sensitive(user) else mask_phone(case.reporter_phone),
        "co_departments": list(case.co_departments.all()),
        "photos": [a for a in case.attachments.all() if a.is_image],
    }


def _case_for(user, pk):
    return get_in_scope(
        Case.objects.select_related(
            "category", "grid__parent__parent", "department", "household__head", "merged_into", "reporter"
        ),
        user,
        pk=pk,
    )


@login_required
def case_detail(request, pk: int):
    case = _case_for(request.user, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_step(request, pk: int, action: str):
    user = request.user
    case = _case_for(user, pk)
    if action not in STEPS:
        raise InvalidInput(fields={"action": _("Unknown action.")})
    if not user.has_perm(STEPS[action].permission):
        raise Forbidden()
    form = StepForm(request.POST, request.FILES, user=user, step=action)
    status = 200
    if form.is_valid():
        try:
            perform_step(case, action, actor=user, data=form.step_data(), attachments=request.FILES.getlist("photos"))
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            if "attachments" in exc.fields:
                exc.fields["photos"] = exc.fields.pop("attachments")
            apply_domain_error(form, exc)
            status = exc.status
            if status == 409:
                messages.error(request, exc.message)
        else:
            messages.success(request, _("%(step)s: done.") % {"step": STEPS[action].label})
            return redirect("cases:detail", pk=case.pk)
    else:
        status = 422
    case = _case_for(user, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case, {action: form}), status=status)


@login_required
def attachment(request, pk: int):
    item = get_in_scope(CaseAttachment.objects, request.user, pk=pk)
    return FileResponse(item.file.open("rb"), content_type=item.content_type, filename=item.original_name)


# --- notifications --------------------------------------------------------------------
@login_required
def notification_list(request):
    user = request.user
    if request.method == "POST":
        notifications.mark_read(user)
        messages.success(request, _("All notifications marked read."))
        return redirect("cases:notifications")
    qs = Notification.objects.for_user(user).select_related("case")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/notifications.html", {"page": page, "query": ""})


@login_required
def notification_open(request, pk: int):
    item = get_in_scope(Notification.objects, request.user, pk=pk)
    notifications.mark_read(request.user, [item.pk])
    if item.case_id and Case.objects.for_user(request.user).filter(pk=item.case_id).exists():
        return redirect("cases:detail", pk=item.case_id)
    # Checked again here (as notify() checks on writing): rows written before that check existed.
    if item.link and is_local_path(item.link):
        return redirect(item.link)  # the page checks its own access
    return redirect("cases:notifications")


# --- county settings ------------------------------------------------------------------
@login_required
def calendar_settings(request):
    user = request.user
    _require(user, PERM_MANAGE)
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("remove"):
            day = CalendarDay.objects.filter(pk=request.POST["remove"]).first()
            if day is not None:
                remove_calendar_day(day, actor=user)
                messages.success(request, _("Removed."))
            return redirect("cases:calendar")
        if form.is_valid():
            try:
                set_calendar_day(actor=user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("cases:calendar")
    calendar = WorkingCalendar.load()
    today = timezone.localdate()
    upcoming = []
    for year in (today.year, today.year + 1):
        from shanzhi.cases.workdays import statutory_makeup_days

        for day in sorted(statutory_makeup_days(year)):
            if day >= today:
                upcoming.append(day)
    return render(
        request,
        "cases/calendar.html",
        {
            "form": form,
            "days": CalendarDay.objects.order_by("-date")[:200],
            "warning_year": next_year_warning(today, calendar),
            "makeup_days": upcoming[:20],
        },
    )


@login_required
def open311_settings(request):
    user = request.user
    _require(user, PERM_MANAGE)
    form = Open311KeyForm(request.POST or None, user=user)
    issued = None
    if request.method == "POST":
        if request.POST.get("revoke"):
            key = Open311Key.objects.filter(pk=request.POST["revoke"]).first()
            if key is not None:
                revoke_open311_key(key, actor=user)
                messages.success(request, _("Key revoked."))
            return redirect("cases:open311_keys")
        if form.is_valid():
            try:
                issued, _record = issue_open311_key(actor=user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                form = Open311KeyForm(user=user)
    return render(
        request,
        "cases/open311_keys.html",
        {
            "form": form,
            "issued": issued,
            "keys": Open311Key.objects.select_related("default_grid").annotate(n=Count("cases")),
            "endpoint": request.build_absolute_uri("/open311/v2/"),
        },
    )
