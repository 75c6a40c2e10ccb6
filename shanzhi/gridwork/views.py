"""Pages of grid work. Views parse and check; the services in services.py and evaluation.py write."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from shanzhi.core.forms import apply_domain_error
from shanzhi.core.idempotency import FORM_FIELD, key_from_request, new_form_token, run_idempotent
from shanzhi.core.scoping import get_in_scope
from shanzhi.gridwork import care, evaluation, services
from shanzhi.gridwork.certificate import certificate_pdf
from shanzhi.gridwork.choices import (
    DutyCategory,
    DutyFrequency,
    EvaluationStatus,
    VisitKind,
    VisitPurpose,
    WorkerKind,
)
from shanzhi.gridwork.forms import (
    AssignForm,
    CaseFromVisitForm,
    DutyForm,
    LeaveForm,
    SchemeForm,
    TransferForm,
    VisitForm,
    WorkerForm,
)
from shanzhi.gridwork.models import (
    CareRule,
    Duty,
    EvaluationMonth,
    GridAssignment,
    GridWorker,
    ManualScore,
    Visit,
    VisitPhoto,
    WorkerEvaluation,
)
from shanzhi.gridwork.presenters import explain, roster_breakdown, workers_in_area
from shanzhi.people.models import Household, HouseholdTag


def _staff(user) -> None:
    if not user.is_staff_member:
        raise Forbidden()


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise Forbidden()


def _area_param(request):
    value = request.GET.get("area")
    return get_in_scope(Area.objects, request.user, pk=value) if value else None


def _month_param(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        year, month = value.split("-")[:2]
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return None


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def case_url(case_id) -> str | None:
    for name in ("cases:case_detail", "cases:detail"):
        try:
            return reverse(name, args=[case_id])
        except NoReverseMatch:
            continue
    return None


def case_report_url() -> str | None:
    for name in ("cases:case_report", "cases:report", "cases:case_create", "cases:create"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


# --- workers -----------------------------------------------------------------------------


@login_required
def roster(request):
    user = request.user
    _staff(user)
    area = _area_param(request)
    status = request.GET.get("status", "active")
    kind = request.GET.get("kind") or ""
    workers = workers_in_area(user, area)
    if status == "active":
        workers = workers.filter(end_date__isnull=True)
    elif status == "left":
        workers = workers.filter(end_date__isnull=False)
    counts = {k: 0 for k in WorkerKind.values}
    for row in workers.values("kind").annotate(n=Count("id")):
        counts[row["kind"]] = row["n"]
    breakdown = roster_breakdown(user, area, workers) if (area is None or area.level != AreaLevel.GRID) else []
    if kind in WorkerKind.values:
        workers = workers.filter(kind=kind)
    current = GridAssignment.objects.current().select_related("grid").order_by("grid__path")
    page = Paginator(
        workers.select_related("home_area").prefetch_related(Prefetch("assignments", queryset=current, to_attr="now")),
        25,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "gridwork/roster.html",
        {
            "area": area,
            "page": page,
            "counts": counts,
            "total": sum(counts.values()),
            "kinds": WorkerKind.choices,
            "breakdown": breakdown,
            "params": request.GET,
            "query": _query(request),
            "can_manage": user.has_perm("gridwork.manage_workers"),
        },
    )


@login_required
def worker_detail(request, pk: int):
    user = request.user
    _staff(user)
    worker = get_in_scope(GridWorker.objects.select_related("home_area", "user"), user, pk=pk)
    today = timezone.localdate()
    history = list(worker.assignments.select_related("grid__parent").order_by("-start_date", "-pk"))
    visits = Visit.objects.for_user(user).filter(worker=worker).select_related("household__head", "grid")[:20]
    results = (
        WorkerEvaluation.objects.for_user(user)
        .filter(worker=worker)
        .select_related("evaluation__township")
        .order_by("-evaluation__month")[:12]
    )
    month_visits = Visit.objects.filter(worker=worker, visited_on__range=(today.replace(day=1), today)).count()
    return render(
        request,
        "gridwork/worker_detail.html",
        {
            "worker": worker,
            "history": history,
            "current": [a for a in history if a.end_date is None],
            "visits": visits,
            "results": results,
            "month_visits": month_visits,
            "can_manage": user.has_perm("gridwork.manage_workers") and worker.end_date is None,
        },
    )


@login_required
def worker_create(request):
    user = request.user
    _need(user, "gridwork.manage_workers")
    form = WorkerForm(
        request.POST or None,
        user=user,
        initial={"start_date": timezone.localdate(), "home_area": request.GET.get("area"), "kind": "full_time"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worker = services.create_grid_worker(actor=user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Grid worker %(name)s added.") % {"name": worker.name})
            return redirect("gridwork:worker_assign", pk=worker.pk)
    return render(
        request, "gridwork/form.html", {"form": form, "title": _("Add grid worker"), "back": "gridwork:roster"}
    )


@login_required
def worker_edit(request, pk: int):
    user = request.user
    _need(user, "gridwork.manage_workers")
    worker = get_in_scope(GridWorker.objects, user, pk=pk)
    initial = {"name": worker.name, "kind": worker.kind, "phone": worker.phone, "home_area": worker.home_area_id}
    form = WorkerForm(request.POST or None, user=user, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_grid_worker(worker, actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("gridwork:worker_detail", pk=worker.pk)
    return render(request, "gridwork/form.html", {"form": form, "title": _("Edit grid worker"), "worker": worker})


@login_required
def worker_assign(request, pk: int):
    user = request.user
    _need(user, "gridwork.manage_workers")
    worker = get_in_scope(GridWorker.objects, user, pk=pk)
    form = AssignForm(request.POST or None, user=user, initial={"start_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assign_worker_to_grid(
                worker, data["grid"], lead=data["is_lead"], start_date=data["start_date"], note=data["note"], actor=user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s now serves %(grid)s.") % {"name": worker.name, "grid": data["grid"]})
            return redirect("gridwork:worker_detail", pk=worker.pk)
    return render(request, "gridwork/form.html", {"form": form, "title": _("Assign to a grid"), "worker": worker})


@login_required
def worker_transfer(request, pk: int):
    user = request.user
    _need(user, "gridwork.manage_workers")
    worker = get_in_scope(GridWorker.objects, user, pk=pk)
    current = [a.grid for a in GridAssignment.objects.current().filter(worker=worker).select_related("grid")]
    form = TransferForm(
        request.POST or None,
        user=user,
        current_grids=current,
        initial={"on_date": timezone.localdate(), "from_grid": current[0].pk if current else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.transfer_worker(
                worker,
                from_grid=data["from_grid"],
                to_grid=data["to_grid"],
                on_date=data["on_date"],
                lead=data["is_lead"],
                note=data["note"],
                actor=user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Transfer recorded."))
            return redirect("gridwork:worker_detail", pk=worker.pk)
    return render(
        request, "gridwork/form.html", {"form": form, "title": _("Transfer to another grid"), "worker": worker}
    )


@login_required
def worker_leave(request, pk: int):
    user = request.user
    _need(user, "gridwork.manage_workers")
    worker = get_in_scope(GridWorker.objects, user, pk=pk)
    form = LeaveForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.end_grid_worker_service(worker, actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Recorded: %(name)s has left.") % {"name": worker.name})
            return redirect("gridwork:worker_detail", pk=worker.pk)
    return render(request, "gridwork/form.html", {"form": form, "title": _("Leave the service"), "worker": worker})


# --- duties ----------------------------------------------------------------------------------


@login_required
def duty_list(request):
    user = request.user
    _staff(user)
    duties = Duty.objects.for_user(user)
    params = request.GET
    if params.get("category") in DutyCategory.values:
        duties = duties.filter(category=params["category"])
    if params.get("frequency") in DutyFrequency.values:
        duties = duties.filter(frequency=params["frequency"])
    if params.get("kind") in WorkerKind.values:
        duties = duties.for_kind(params["kind"])
    if params.get("status") != "all":
        duties = duties.filter(active=True)
    by_category = dict(Duty.objects.active().values_list("category").annotate(n=Count("id")))
    return render(
        request,
        "gridwork/duty_list.html",
        {
            "duties": duties.order_by("number"),
            "active_count": Duty.objects.active().count(),
            "by_category": [(label, by_category.get(value, 0)) for value, label in DutyCategory.choices],
            "categories": DutyCategory.choices,
            "frequencies": DutyFrequency.choices,
            "kinds": WorkerKind.choices,
            "params": params,
            "can_edit": user.has_perm("gridwork.change_duty"),
        },
    )


def _duty_form_view(request, duty=None):
    user = request.user
    _need(user, "gridwork.change_duty")
    initial = {"number": (Duty.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1}
    if duty is not None:
        initial = {name: getattr(duty, name) for name in services.DUTY_AUDIT_FIELDS}
    form = DutyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if duty is None:
                saved = services.create_duty(actor=user, **form.cleaned_data)
            else:
                saved = services.update_duty(duty, actor=user, **form.cleaned_data)
        except DomainError as exc:
            if "kinds" in exc.fields:
                form.add_error("for_full_time", exc.fields.pop("kinds")[0])
            apply_domain_error(form, exc) if exc.fields else None
        else:
            messages.success(request, _("Duty %(n)s saved.") % {"n": saved.number})
            return redirect("gridwork:duty_list")
    title = _("Edit duty") if duty else _("Add duty")
    return render(request, "gridwork/form.html", {"form": form, "title": title, "back": "gridwork:duty_list"})


@login_required
def duty_create(request):
    return _duty_form_view(request)


@login_required
def duty_edit(request, pk: int):
    _need(request.user, "gridwork.change_duty")
    return _duty_form_view(request, get_in_scope(Duty.objects, request.user, pk=pk))


# --- visits ----------------------------------------------------------------------------------


@login_required
def visit_list(request):
    user = request.user
    _staff(user)
    params = request.GET
    visits = Visit.objects.for_user(user)
    area = _area_param(request)
    if area is not None:
        visits = visits.in_area(area)
    if params.get("worker"):
        visits = visits.filter(worker=get_in_scope(GridWorker.objects, user, pk=params["worker"]))
    if params.get("household"):
        visits = visits.filter(household=get_in_scope(Household.objects, user, pk=params["household"]))
    if params.get("kind") in VisitKind.values:
        visits = visits.filter(kind=params["kind"])
    if params.get("purpose") in VisitPurpose.values:
        visits = visits.filter(purpose=params["purpose"])
    month = _month_param(params.get("month"))
    if month:
        visits = visits.filter(visited_on__range=(month, evaluation.month_end(month)))
    if params.get("mine") == "1":
        worker = services.worker_for_user(user)
        visits = visits.filter(worker=worker) if worker else visits.none()
    page = Paginator(
        visits.select_related("worker", "household__head", "grid").order_by("-visited_at", "-pk"), 20
    ).get_page(params.get("page"))
    return render(
        request,
        "gridwork/visit_list.html",
        {
            "page": page,
            "area": area,
            "params": params,
            "query": _query(request),
            "kinds": VisitKind.choices,
            "purposes": VisitPurpose.choices,
            "can_log": services.worker_for_user(user) is not None,
        },
    )


def _visit_worker(request):
    user = request.user
    _need(user, "gridwork.add_visit")
    value = request.GET.get("worker") or request.POST.get("worker")
    if value and user.has_perm("gridwork.manage_workers"):
        return get_in_scope(GridWorker.objects, user, pk=value)
    worker = services.worker_for_user(user)
    if worker is None:
        raise Forbidden(_("Only a grid worker can log a visit; your account is not linked to a grid worker."))
    return worker


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


@login_required
def visit_create(request):
    user = request.user
    worker = _visit_worker(request)
    today = timezone.localdate()
    grids = services.grids_served(worker, today)
    params = request.GET
    initial = {
        "kind": params.get("kind") if params.get("kind") in VisitKind.values else VisitKind.HOUSEHOLD,
        "household": params.get("household"),
        "purpose": params.get("purpose") if params.get("purpose") in VisitPurpose.values else None,
        "duties": params.getlist("duty"),
        "grid": grids[0].pk if len(grids) == 1 else None,
        "report_case": params.get("report_case") == "1",
    }
    if initial["kind"] == VisitKind.PATROL and not initial["purpose"]:
        initial["purpose"] = VisitPurpose.ROUTINE_PATROL
    form = VisitForm(
        request.POST or None, request.FILES or None, user=user, worker=worker, grids=grids, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = None
        if data["report_case"]:
            case = {
                "title": data["case_title"],
                "category": data["case_category"],
                "description": data["notes"] or data["case_title"],
            }
        photos = data["photos"]
        payload = {
            key: request.POST.getlist(key)
            for key in sorted(request.POST)
            if key not in ("csrfmiddlewaretoken", FORM_FIELD)
        }
        payload["photos"] = [(p.name, p.size) for p in photos]

        def run():
            visit = services.log_visit(
                actor=user,
                worker=worker,
                kind=data["kind"],
                purpose=data["purpose"],
                household=data["household"],
                grid=data["grid"],
                visited_at=data["visited_at"],
                notes=data["notes"],
                location_lat=data["location_lat"],
                location_lng=data["location_lng"],
                duties=list(data["duties"]),
                photos=photos,
                case=case,
            )
            return 201, {"id": visit.pk, "case": visit.case_id}

        try:
            _status, body = run_idempotent(
                user=user, operation="gridwork.visit.create", key=key_from_request(request), payload=payload, run=run
            )
        except DomainError as exc:
            if "case.title" in exc.fields:
                exc.fields["case_title"] = exc.fields.pop("case.title")
            if "case.category" in exc.fields:
                exc.fields["case_category"] = exc.fields.pop("case.category")
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Visit logged."))
            if body.get("case"):
                messages.success(request, _("A case has been reported from this visit."))
            return redirect(_safe_next(request) or reverse("gridwork:visit_detail", args=[body["id"]]))
    return render(
        request,
        "gridwork/visit_form.html",
        {
            "form": form,
            "worker": worker,
            "grids": grids,
            "form_token": request.POST.get(FORM_FIELD) or new_form_token(),
            "next": _safe_next(request) or "",
        },
    )


@login_required
def visit_detail(request, pk: int):
    user = request.user
    _staff(user)
    visit = get_in_scope(
        Visit.objects.select_related("worker", "household__head", "grid__parent", "created_by", "case"), user, pk=pk
    )
    return render(
        request,
        "gridwork/visit_detail.html",
        {
            "visit": visit,
            "duties": visit.duties.order_by("number"),
            "photos": visit.photos.all(),
            "case_url": case_url(visit.case_id) if visit.case_id else None,
            "can_raise": not visit.case_id
            and user.has_perm("gridwork.add_visit")
            and user.has_perm("cases.report_case"),
        },
    )


@login_required
def visit_case(request, pk: int):
    user = request.user
    _need(user, "gridwork.add_visit")
    visit = get_in_scope(Visit.objects.select_related("household__head", "grid"), user, pk=pk)
    form = CaseFromVisitForm(request.POST or None, initial={"description": visit.notes, "priority": "normal"})
    if request.method == "POST" and form.is_valid():
        try:
            services.raise_case_from_visit(visit, actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("A case has been reported from this visit."))
            return redirect("gridwork:visit_detail", pk=visit.pk)
    return render(
        request, "gridwork/form.html", {"form": form, "title": _("Report a case from this visit"), "visit": visit}
    )


@login_required
def visit_photo(request, pk: int):
    _staff(request.user)
    photo = get_in_scope(VisitPhoto.objects, request.user, pk=pk)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the care list ---------------------------------------------------------------------------


@login_required
def care_list(request):
    user = request.user
    _staff(user)
    area = _area_param(request)
    today = timezone.localdate()
    households = Household.objects.for_user(user)
    if area is not None:
        households = households.in_area(area)
    items = care.overdue_items(households, today=today)
    worker = services.worker_for_user(user)
    served = {g.pk for g in services.grids_served(worker, today)} if worker else set()
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    care.attach(list(page.object_list))
    for item in page:
        item.overdue_days = item.days_overdue(today)
        item.can_visit = item.household.grid_id in served
    return render(
        request,
        "gridwork/care_list.html",
        {
            "area": area,
            "page": page,
            "count": len(items),
            "rules": CareRule.objects.active().select_related("tag"),
            "today": today,
            "query": _query(request),
        },
    )


@login_required
def care_rules(request):
    user = request.user
    _staff(user)
    can_edit = user.has_perm("gridwork.change_carerule")
    tags = list(HouseholdTag.objects.filter(active=True).select_related("care_rule").order_by("sort_order"))
    for tag in tags:
        tag.rule = getattr(tag, "care_rule", None) if hasattr(tag, "care_rule") else None
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not can_edit:
            raise Forbidden()
        for tag in tags:
            raw = (request.POST.get(f"interval_{tag.pk}") or "").strip()
            rule = tag.rule
            if not raw:
                if rule is not None and rule.active:
                    services.set_care_rule(tag, interval_days=rule.interval_days, active=False, actor=user)
                continue
            try:
                interval = int(raw)
            except ValueError:
                errors[tag.pk] = _("Enter a number of days from 1 to 366.")
                continue
            if rule is None or rule.interval_days != interval or not rule.active:
                try:
                    services.set_care_rule(tag, interval_days=interval, active=True, actor=user)
                except DomainError as exc:
                    errors[tag.pk] = next(iter(exc.fields.values()))[0] if exc.fields else exc.message
        if not errors:
            messages.success(request, _("Care visit rules saved."))
            return redirect("gridwork:care_rules")
    for tag in tags:
        tag.error = errors.get(tag.pk)
        tag.value = (
            request.POST.get(f"interval_{tag.pk}")
            if request.method == "POST"
            else (tag.rule.interval_days if tag.rule and tag.rule.active else "")
        )
    return render(request, "gridwork/care_rules.html", {"tags": tags, "can_edit": can_edit})


# --- the monthly evaluation ---------------------------------------------------------------------


@login_required
def evaluation_list(request):
    user = request.user
    _staff(user)
    months = EvaluationMonth.objects.for_user(user).select_related("township")
    township = None
    if request.GET.get("township"):
        township = get_in_scope(Area.objects, user, pk=request.GET["township"])
        months = months.filter(township=township)
    page = Paginator(months.order_by("-month", "township__path"), 30).get_page(request.GET.get("page"))
    red = defaultdict(list)
    for result in WorkerEvaluation.objects.filter(evaluation__in=list(page), is_red_flag=True).select_related("worker"):
        red[result.evaluation_id].append(result.worker.name)
    for month in page:
        month.red_flag_names = red.get(month.pk, [])
    townships = Area.objects.for_user(user).current().filter(level=AreaLevel.TOWNSHIP).order_by("path")
    return render(
        request,
        "gridwork/evaluation_list.html",
        {
            "page": page,
            "township": township,
            "townships": townships,
            "query": _query(request),
            "can_run": user.has_perm("gridwork.run_evaluation") and townships.exists(),
            "this_month": timezone.localdate().strftime("%Y-%m"),
        },
    )


def _run_townships(user, township_id=None):
    townships = Area.objects.for_user(user).current().filter(level=AreaLevel.TOWNSHIP).order_by("path")
    if township_id:
        townships = townships.filter(pk=township_id)
    townships = list(townships)
    if not townships:
        raise NotFound()
    return townships


@login_required
@require_POST
def evaluation_run(request):
    user = request.user
    _need(user, "gridwork.run_evaluation")
    month = _month_param(request.POST.get("month"))
    if month is None:
        messages.error(request, _("Please choose a month."))
        return redirect("gridwork:evaluation_list")
    townships = _run_townships(user, request.POST.get("township"))
    try:
        done = evaluation.run_month(month, townships=townships, close=request.POST.get("close") == "1", actor=user)
    except DomainError as exc:
        messages.error(request, next(iter(exc.fields.values()))[0] if exc.fields else exc.message)
        return redirect("gridwork:evaluation_list")
    messages.success(request, _("Computed %(n)d monthly evaluations.") % {"n": len(done)})
    if len(done) == 1:
        return redirect("gridwork:evaluation_detail", pk=done[0].pk)
    return redirect("gridwork:evaluation_list")


@login_required
def evaluation_detail(request, pk: int):
    user = request.user
    _staff(user)
    month = get_in_scope(EvaluationMonth.objects.select_related("township", "closed_by"), user, pk=pk)
    results = list(
        WorkerEvaluation.objects.for_user(user)
        .filter(evaluation=month)
        .select_related("worker")
        .order_by("rank", "worker_id")
    )
    covers_township = Area.objects.for_user(user).filter(pk=month.township_id).exists()
    can_score = user.has_perm("gridwork.score_evaluation") and covers_township and not month.is_closed
    manual = {
        s.worker_id: s for s in ManualScore.objects.filter(month=month.month, worker__in=[r.worker for r in results])
    }
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not can_score:
            raise Forbidden()
        for result in results:
            raw = (request.POST.get(f"manual_{result.worker_id}") or "").strip()
            note = (request.POST.get(f"note_{result.worker_id}") or "").strip()
            existing = manual.get(result.worker_id)
            if not raw or (existing and str(existing.percent) == raw and existing.note == note):
                continue
            try:
                services.set_manual_score(
                    result.worker, month=month.month, percent=int(raw), note=note, actor=user, township=month.township
                )
            except ValueError:
                errors[result.worker_id] = _("Enter a score from 0 to 100.")
            except DomainError as exc:
                errors[result.worker_id] = next(iter(exc.fields.values()))[0] if exc.fields else exc.message
        if not errors:
            evaluation.run_month(month.month, townships=[month.township], actor=user)
            messages.success(request, _("Township assessment saved and scores recomputed."))
            return redirect("gridwork:evaluation_detail", pk=month.pk)
    for result in results:
        result.rows = explain(result)
        score = manual.get(result.worker_id)
        result.manual_value = (
            request.POST.get(f"manual_{result.worker_id}") if errors else (score.percent if score else "")
        )
        result.manual_note = score.note if score else ""
        result.error = errors.get(result.worker_id)
    return render(
        request,
        "gridwork/evaluation_detail.html",
        {
            "month": month,
            "results": results,
            "can_score": can_score,
            "can_close": user.has_perm("gridwork.run_evaluation")
            and covers_township
            and not month.is_closed
            and evaluation.month_end(month.month) < timezone.localdate(),
            "can_compute": user.has_perm("gridwork.run_evaluation") and covers_township and not month.is_closed,
        },
    )


@login_required
@require_POST
def evaluation_close(request, pk: int):
    user = request.user
    _need(user, "gridwork.run_evaluation")
    month = get_in_scope(EvaluationMonth.objects.select_related("township"), user, pk=pk)
    if not Area.objects.for_user(user).filter(pk=month.township_id).exists():
        raise NotFound()
    try:
        evaluation.close_month(month, actor=user)
    except DomainError as exc:
        messages.error(request, next(iter(exc.fields.values()))[0] if exc.fields else exc.message)
    else:
        messages.success(request, _("The month is closed; the red-flag grid workers are published."))
    return redirect("gridwork:evaluation_detail", pk=month.pk)


@login_required
@require_POST
def evaluation_compute(request, pk: int):
    user = request.user
    _need(user, "gridwork.run_evaluation")
    month = get_in_scope(EvaluationMonth.objects.select_related("township"), user, pk=pk)
    if not Area.objects.for_user(user).filter(pk=month.township_id).exists():
        raise NotFound()
    if month.is_closed:
        messages.error(request, _("The evaluation of this month is closed and can no longer be changed."))
    else:
        evaluation.run_month(month.month, townships=[month.township], actor=user)
        messages.success(request, _("Scores recomputed."))
    return redirect("gridwork:evaluation_detail", pk=month.pk)


def _visible_result(user, pk: int) -> WorkerEvaluation:
    rows = WorkerEvaluation.objects.select_related("worker", "evaluation__township")
    result = rows.for_user(user).filter(pk=pk).first() or rows.published(user).filter(pk=pk).first()
    if result is None:
        raise NotFound()
    return result


@login_required
def result_detail(request, pk: int, result_pk: int):
    user = request.user
    _staff(user)
    result = _visible_result(user, result_pk)
    if result.evaluation_id != pk:
        raise NotFound()
    return render(
        request,
        "gridwork/result_detail.html",
        {"result": result, "month": result.evaluation, "rows": explain(result)},
    )


@login_required
def red_flags(request):
    user = request.user
    _staff(user)
    rows = (
        WorkerEvaluation.objects.published(user)
        .select_related("worker", "evaluation__township")
        .order_by("-evaluation__month", "evaluation__township__path", "rank")
    )
    month = _month_param(request.GET.get("month"))
    if month:
        rows = rows.filter(evaluation__month=month)
    grouped: dict[dt.date, list] = defaultdict(list)
    for row in rows[:400]:
        grouped[row.evaluation.month].append(row)
    return render(request, "gridwork/red_flags.html", {"grouped": sorted(grouped.items(), reverse=True)})


@login_required
def certificate(request, pk: int):
    user = request.user
    _staff(user)
    result = WorkerEvaluation.objects.published(user).select_related("worker", "evaluation__township").filter(pk=pk)
    result = result.first()
    if result is None:
        raise NotFound()
    response = HttpResponse(certificate_pdf(result), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="red-flag-{result.certificate_number or result.pk}.pdf"'
    return response


@login_required
def scheme(request):
    user = request.user
    _staff(user)
    current = services.current_scheme()
    can_edit = user.has_perm("gridwork.change_evaluationscheme")
    form = SchemeForm(request.POST or None, instance=current)
    if request.method == "POST":
        if not can_edit:
            raise Forbidden()
        if form.is_valid():
            try:
                services.update_evaluation_scheme(actor=user, **form.cleaned_data)
            except InvalidInput as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Evaluation scheme saved. It applies to months not yet closed."))
                return redirect("gridwork:scheme")
        # Nothing was saved: show the stored scheme's figures beside the form.
        current.refresh_from_db()
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    weights = [
        current.weight_duty_completion,
        current.weight_care_on_time,
        current.weight_cases_reported,
        current.weight_resolved_on_the_spot,
        current.weight_timeliness,
        current.weight_satisfaction,
        current.weight_manual,
    ]
    return render(
        request,
        "gridwork/scheme.html",
        {"form": form, "can_edit": can_edit, "weights_total": sum(weights), "statuses": EvaluationStatus},
    )
