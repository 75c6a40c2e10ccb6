"""Pages: the secretary's board, topics, the run-the-meeting page, action items, venues,
quorum rules and the public results board with its printable notice.

Views parse and call ``services``; a field error goes back beside its field, a status
conflict becomes a message at the top of the page.
"""

from __future__ import annotations

import datetime as dt

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.areas.models import Area
from shanzhi.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from shanzhi.core.forms import apply_domain_error
from shanzhi.core.idempotency import key_from_request, new_form_token, run_idempotent
from shanzhi.core.params import parse_date
from shanzhi.core.scoping import get_in_scope
from shanzhi.deliberation import services
from shanzhi.deliberation.board import board_topics
from shanzhi.deliberation.choices import (
    ACTION_OPEN_STATUSES,
    MeetingStatus,
    Outcome,
    TopicClass,
    TopicStatus,
    VenueKind,
)
from shanzhi.deliberation.filters import filtered_actions, filtered_meetings, filtered_topics, filtered_venues
from shanzhi.deliberation.forms import (
    AcceptForm,
    ActionForm,
    AttendanceForm,
    DecisionForm,
    DeclineForm,
    EscalateForm,
    MeetingForm,
    MinutesForm,
    NotesForm,
    ProgressForm,
    QuorumForm,
    ResultForm,
    ScheduleForm,
    TopicForm,
    VenueForm,
)
from shanzhi.deliberation.models import ActionItem, Decision, Meeting, Topic, TopicAttachment, Venue
from shanzhi.people.models import Household


def _need(user, *perms: str) -> None:
    if not any(user.has_perm(p) for p in perms):
        raise Forbidden()


def _query(params) -> str:
    query = params.copy()
    query.pop("page", None)
    return query.urlencode()


def _area_param(request) -> Area | None:
    value = request.GET.get("area")
    if not value:
        return None
    return get_in_scope(Area.objects, request.user, pk=value)


# --- the secretary's board -----------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    if not user.has_perm(services.PERM_VIEW):
        if user.has_perm(services.PERM_RAISE):
            return redirect("deliberation:my_topics")
        raise Forbidden()
    area = _area_param(request)
    topics = filtered_topics(user, area=area)
    counts = dict.fromkeys(TopicStatus.values, 0)
    for status in topics.values_list("status", flat=True).order_by():
        counts[status] += 1
    now = timezone.now()
    context = {
        "area": area,
        "villages": list(services.board_villages(user).select_related("parent")[:200]),
        "counts": [(value, label, counts[value]) for value, label in TopicStatus.choices],
        "waiting": topics.filter(status=TopicStatus.RAISED).order_by("raised_at")[:20],
        "to_schedule": topics.filter(status=TopicStatus.ACCEPTED).order_by("raised_at")[:20],
        "coming": filtered_meetings(user, area=area)
        .filter(status__in=[MeetingStatus.PLANNED, MeetingStatus.OPEN], scheduled_at__gte=now - dt.timedelta(days=2))
        .order_by("scheduled_at")[:10],
        "overdue": filtered_actions(user, overdue=True, area=area)[:20],
        "overdue_count": filtered_actions(user, overdue=True, area=area).count(),
        "recent": topics.filter(status=TopicStatus.RESOLVED).order_by("-resolved_at")[:10],
        "can_run": user.has_perm(services.PERM_MEETINGS),
        "can_raise": user.has_perm(services.PERM_RAISE),
        "can_venues": user.has_perm(services.PERM_VENUES),
    }
    return render(request, "deliberation/home.html", context)


# --- topics --------------------------------------------------------------------------------------


@login_required
def topic_list(request):
    user = request.user
    _need(user, services.PERM_VIEW)
    params = request.GET
    status = params.get("status") if params.get("status") in TopicStatus.values else None
    topic_class = params.get("topic_class") if params.get("topic_class") in TopicClass.values else None
    area = _area_param(request)
    # A bad date (a hand-edited link from the overview) is named on the page and left out of the filter.
    errors: dict = {}
    qs = filtered_topics(
        user,
        status=status,
        topic_class=topic_class,
        area=area,
        q=params.get("q", "")[:50],
        resolved_since=parse_date(params.get("resolved_since"), "resolved_since", errors),
        resolved_until=parse_date(params.get("resolved_until"), "resolved_until", errors),
    )
    page = Paginator(qs, 20).get_page(params.get("page"))
    return render(
        request,
        "deliberation/topic_list.html",
        {
            "page": page,
            "params": params,
            "area": area,
            "statuses": TopicStatus.choices,
            "classes": TopicClass.choices,
            "query": _query(params),
            "errors": errors,
        },
    )


@login_required
def my_topics(request):
    user = request.user
    _need(user, services.PERM_RAISE, services.PERM_VIEW)
    own = [a.household_id for a in user.active_assignments if a.household_id]
    topics = Topic.objects.for_user(user).filter(household_id__in=own).select_related("village", "case")
    return render(
        request,
        "deliberation/my_topics.html",
        {"topics": topics.order_by("-raised_at")[:100], "villages": services.board_villages(user)},
    )


def _household_by_number(number: str, user) -> Household | None:
    number = (number or "").strip()
    if not number:
        return None
    household = Household.objects.for_user(user).filter(number=number).first()
    if household is None:
        raise InvalidInput(fields={"household_number": _("No household with this number in your jurisdiction.")})
    return household


@login_required
def topic_create(request):
    user = request.user
    _need(user, services.PERM_RAISE)
    form = TopicForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = _household_by_number(data.get("household_number", ""), user) if form.staff else None

            def run():
                topic = services.raise_topic(
                    actor=user,
                    title=data["title"],
                    topic_class=data["topic_class"],
                    description=data["description"],
                    village=data.get("village"),
                    household=household,
                    raiser_name=data.get("raiser_name", ""),
                    attachments=data["attachments"],
                )
                return 201, {"topic": topic.pk}

            payload = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)}
            _status, body = run_idempotent(
                user=user,
                operation="deliberation.topic.raise.page",
                key=key_from_request(request),
                payload=payload,
                run=run,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your topic has been submitted. The village will reply here."))
            return redirect("deliberation:topic_detail", pk=body["topic"])
    return render(request, "deliberation/topic_form.html", {"form": form, "form_token": new_form_token()})


def _topic_for(user, pk) -> Topic:
    _need(user, services.PERM_VIEW, services.PERM_RAISE)
    return get_in_scope(Topic.objects.select_related("village__parent", "household", "case", "raised_by"), user, pk=pk)


@login_required
def topic_detail(request, pk: int):
    user = request.user
    topic = _topic_for(user, pk)
    return _render_topic(request, topic)


def _render_topic(request, topic, **forms):
    user = request.user
    manage = user.has_perm(services.PERM_MANAGE_TOPICS)
    decisions = list(topic.decisions.select_related("meeting__venue").order_by("decided_at", "id"))
    latest_adopted = next((d for d in reversed(decisions) if d.outcome == Outcome.ADOPTED), None)
    context = {
        "topic": topic,
        "events": topic.events.select_related("actor").order_by("created", "id"),
        "attachments": topic.attachments.all(),
        "decisions": decisions,
        "actions": topic.action_items.select_related("case").order_by("deadline", "id"),
        "manage": manage,
        "staff": user.is_staff_member,
        "accept_form": forms.get("accept_form") or AcceptForm(),
        "decline_form": forms.get("decline_form") or DeclineForm(),
        "result_form": forms.get("result_form") or ResultForm(),
        "schedule_form": forms.get("schedule_form") or ScheduleForm(topic=topic, user=user),
        "action_form": forms.get("action_form") or ActionForm(),
        "latest_adopted": latest_adopted,
        "can_run": user.has_perm(services.PERM_MEETINGS),
        "can_track": user.has_perm(services.PERM_ACTIONS),
        "open_actions": topic.action_items.filter(status__in=ACTION_OPEN_STATUSES).exists(),
    }
    status = 422 if any(f.errors for f in forms.values() if f is not None) else 200
    return render(request, "deliberation/topic_detail.html", context, status=status)


@login_required
@require_POST
def topic_action(request, pk: int, action: str):
    """accept / decline / resolve / schedule / add-action on a topic page."""
    user = request.user
    needs = {
        "accept": services.PERM_MANAGE_TOPICS,
        "decline": services.PERM_MANAGE_TOPICS,
        "resolve": services.PERM_MANAGE_TOPICS,
        "schedule": services.PERM_MEETINGS,
        "add-action": services.PERM_ACTIONS,
    }
    if action not in needs:
        raise NotFound()
    _need(user, needs[action])
    topic = _topic_for(user, pk)
    form = None
    try:
        if action == "accept":
            form = AcceptForm(request.POST)
            form.is_valid()
            services.accept_topic(topic, actor=user, note=form.cleaned_data.get("note", ""))
            messages.success(request, _("Accepted for deliberation."))
        elif action == "decline":
            form = DeclineForm(request.POST)
            form.is_valid()
            services.decline_topic(topic, actor=user, reason=form.cleaned_data.get("reason", ""))
            messages.success(request, _("Declined; the villager sees the reason."))
        elif action == "resolve":
            form = ResultForm(request.POST)
            form.is_valid()
            services.resolve_topic(topic, actor=user, result=form.cleaned_data.get("result", ""))
            messages.success(request, _("The result is published on the results board."))
        elif action == "schedule":
            form = ScheduleForm(request.POST, topic=topic, user=user)
            if not form.is_valid():
                return _render_topic(request, topic, schedule_form=form)
            services.add_to_agenda(form.cleaned_data["meeting"], topic, actor=user)
            messages.success(request, _("The topic is on the meeting's agenda."))
        elif action == "add-action":
            form = ActionForm(request.POST)
            decision = topic.decisions.filter(outcome=Outcome.ADOPTED).order_by("-decided_at").first()
            if decision is None:
                raise Conflict(_("Only an adopted decision has action items."))
            if not form.is_valid():
                return _render_topic(request, topic, action_form=form)
            services.add_action_item(decision, actor=user, **form.cleaned_data)
            messages.success(request, _("Action item added."))
        else:
            raise NotFound()
    except InvalidInput as exc:
        apply_domain_error(form, exc)
        key = {
            "accept": "accept_form",
            "decline": "decline_form",
            "resolve": "result_form",
            "schedule": "schedule_form",
            "add-action": "action_form",
        }[action]
        return _render_topic(request, Topic.objects.get(pk=topic.pk), **{key: form})
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("deliberation:topic_detail", pk=topic.pk)


# --- meetings -------------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    user = request.user
    _need(user, services.PERM_VIEW)
    params = request.GET
    status = params.get("status") if params.get("status") in MeetingStatus.values else None
    area = _area_param(request)
    page = Paginator(filtered_meetings(user, status=status, area=area), 20).get_page(params.get("page"))
    return render(
        request,
        "deliberation/meeting_list.html",
        {
            "page": page,
            "params": params,
            "area": area,
            "statuses": MeetingStatus.choices,
            "query": _query(params),
            "can_run": user.has_perm(services.PERM_MEETINGS),
        },
    )


@login_required
def meeting_create(request):
    user = request.user
    _need(user, services.PERM_MEETINGS)
    initial = {}
    if request.GET.get("topic"):
        initial["topics"] = [request.GET["topic"]]
    if user.display_name:
        initial["host_name"] = user.display_name
    form = MeetingForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.create_meeting(
                actor=user,
                venue=data["venue"],
                format=data["format"],
                scheduled_at=data["scheduled_at"],
                host_name=data["host_name"],
                minute_taker_name=data["minute_taker_name"],
                title=data["title"],
                topics=list(data["topics"]),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Meeting planned."))
            return redirect("deliberation:meeting_run", pk=meeting.pk)
    status = 422 if form.errors else 200
    return render(request, "deliberation/meeting_form.html", {"form": form}, status=status)


def _meeting_for(user, pk, perm=services.PERM_VIEW) -> Meeting:
    _need(user, perm)
    return get_in_scope(Meeting.objects.select_related("village__parent", "venue"), user, pk=pk)


RUN_ACTIONS = {"open", "close", "cancel", "attendance", "minutes", "agenda", "unschedule", "notes", "decide", "act"}


@login_required
def meeting_run(request, pk: int):
    """The run-the-meeting page: made for the secretary's phone, one card per step."""
    user = request.user
    if request.method == "POST":
        _need(user, services.PERM_MEETINGS)
    meeting = _meeting_for(user, pk)
    bound: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in RUN_ACTIONS:
            raise NotFound()
        try:
            done = _run_action(request, meeting, action, bound)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect(reverse("deliberation:meeting_run", args=[meeting.pk]))
        if done:
            messages.success(request, done)
            anchor = request.POST.get("anchor", "")
            return redirect(reverse("deliberation:meeting_run", args=[meeting.pk]) + (f"#{anchor}" if anchor else ""))
        meeting = _meeting_for(user, pk)
    return _render_run(request, meeting, bound)


def _topic_on_agenda(meeting, request) -> Topic:
    topic_id = request.POST.get("topic")
    item = meeting.agenda.select_related("topic").filter(topic_id=topic_id).first() if topic_id else None
    if item is None:
        raise NotFound()
    return item.topic


def _run_action(request, meeting, action, bound) -> str | None:
    """Carry out one step; return the success message, or None with the bound form in ``bound``."""
    user = request.user
    if action == "open":
        services.open_meeting(meeting, actor=user)
        return _("The meeting is in session.")
    if action == "close":
        try:
            services.close_meeting(meeting, actor=user)
        except InvalidInput as exc:
            form = AttendanceForm()
            apply_domain_error(form, exc)
            bound["attendance"] = form
            return None
        return _("The meeting is closed. The minutes are kept as version 1.")
    if action == "cancel":
        try:
            services.cancel_meeting(meeting, actor=user, reason=request.POST.get("reason", ""))
        except InvalidInput as exc:
            raise Conflict(exc.fields.get("reason", [exc.message])[0]) from None
        return _("The meeting is cancelled; its topics wait to be scheduled again.")
    if action == "attendance":
        form = AttendanceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.record_attendance(
                    meeting,
                    actor=user,
                    residents_present=form.cleaned_data["residents_present"],
                    households_represented=form.cleaned_data["households_represented"],
                    sign_in_sheet=form.cleaned_data["sign_in_sheet"],
                )
                return _("Attendance recorded.")
            except InvalidInput as exc:
                apply_domain_error(form, exc)
        bound["attendance"] = form
        return None
    if action == "minutes":
        form = MinutesForm(request.POST)
        if form.is_valid():
            try:
                services.save_minutes(
                    meeting, actor=user, text=form.cleaned_data["minutes"], note=form.cleaned_data["note"]
                )
                return _("Minutes saved.")
            except InvalidInput as exc:
                apply_domain_error(form, exc)
        bound["minutes"] = form
        return None
    if action == "agenda":
        topic = Topic.objects.for_user(user).filter(pk=request.POST.get("topic") or 0).first()
        if topic is None:
            raise Conflict(_("Choose a topic to put on the agenda."))
        try:
            services.add_to_agenda(meeting, topic, actor=user)
        except InvalidInput as exc:
            raise Conflict(next(iter(exc.fields.values()))[0]) from None
        return _("The topic is on the agenda.")
    topic = _topic_on_agenda(meeting, request)
    if action == "unschedule":
        services.remove_from_agenda(meeting, topic, actor=user)
        return _("The topic was taken off the agenda.")
    if action == "notes":
        form = NotesForm(request.POST, prefix=f"t{topic.pk}")
        form.is_valid()
        try:
            services.save_topic_notes(meeting, topic, actor=user, notes=form.cleaned_data.get("notes", ""))
            return _("Notes saved.")
        except InvalidInput as exc:
            apply_domain_error(form, exc)
        bound[("notes", topic.pk)] = form
        return None
    if action == "decide":
        form = DecisionForm(request.POST, prefix=f"t{topic.pk}")
        if form.is_valid():
            try:
                services.record_decision(meeting, topic, actor=user, **form.cleaned_data)
                return _("The vote is recorded.")
            except InvalidInput as exc:
                apply_domain_error(form, exc)
        bound[("decide", topic.pk)] = form
        return None
    if action == "act":
        decision = Decision.objects.filter(meeting=meeting, topic=topic).first()
        if decision is None:
            raise Conflict(_("Record the vote first."))
        form = ActionForm(request.POST, prefix=f"t{topic.pk}")
        if form.is_valid():
            try:
                services.add_action_item(decision, actor=user, **form.cleaned_data)
                return _("Action item added.")
            except InvalidInput as exc:
                apply_domain_error(form, exc)
        bound[("act", topic.pk)] = form
        return None
    raise NotFound()


def _render_run(request, meeting, bound):
    user = request.user
    decisions = {d.topic_id: d for d in meeting.decisions.prefetch_related("action_items")}
    agenda = []
    for item in meeting.agenda.select_related("topic").order_by("order", "id"):
        decision = decisions.get(item.topic_id)
        agenda.append(
            {
                "item": item,
                "topic": item.topic,
                "decision": decision,
                "actions": list(decision.action_items.all()) if decision else [],
                "notes_form": bound.get(("notes", item.topic_id))
                or NotesForm(initial={"notes": item.notes}, prefix=f"t{item.topic_id}"),
                "decide_form": bound.get(("decide", item.topic_id)) or DecisionForm(prefix=f"t{item.topic_id}"),
                "act_form": bound.get(("act", item.topic_id)) or ActionForm(prefix=f"t{item.topic_id}"),
            }
        )
    rule = services.quorum_rule_for(meeting.village)
    base = meeting.households_represented if rule.basis == "households" else meeting.residents_present
    context = {
        "meeting": meeting,
        "agenda": agenda,
        "attendance_form": bound.get("attendance")
        or AttendanceForm(
            initial={
                "residents_present": meeting.residents_present,
                "households_represented": meeting.households_represented,
            }
        ),
        "minutes_form": bound.get("minutes") or MinutesForm(initial={"minutes": meeting.minutes}),
        "rule": rule,
        "rule_text": services.describe_rule(rule),
        "needed": rule.needed(base) if base else None,
        "schedulable": Topic.objects.for_user(user)
        .filter(village=meeting.village, status=TopicStatus.ACCEPTED)
        .order_by("raised_at")[:50],
        "can_run": user.has_perm(services.PERM_MEETINGS),
        "editable": meeting.status in (MeetingStatus.PLANNED, MeetingStatus.OPEN),
        "versions": meeting.minutes_versions.count(),
        "has_decisions": bool(decisions),
    }
    status = 422 if any(getattr(f, "errors", None) for f in bound.values()) else 200
    return render(request, "deliberation/meeting_run.html", context, status=status)


@login_required
def minutes_versions(request, pk: int):
    meeting = _meeting_for(request.user, pk)
    versions = meeting.minutes_versions.select_related("saved_by").order_by("-version")
    return render(request, "deliberation/minutes_versions.html", {"meeting": meeting, "versions": versions})


# --- action items ------------------------------------------------------------------------------------


@login_required
def action_list(request):
    user = request.user
    _need(user, services.PERM_VIEW)
    params = request.GET
    overdue = params.get("overdue") == "1"
    status = params.get("status") if params.get("status") in ("open", "in_progress", "done", "escalated") else None
    area = _area_param(request)
    page = Paginator(filtered_actions(user, status=status, overdue=overdue, area=area), 30).get_page(params.get("page"))
    return render(
        request,
        "deliberation/action_list.html",
        {"page": page, "params": params, "overdue": overdue, "area": area, "query": _query(params)},
    )


@login_required
def action_detail(request, pk: int):
    user = request.user
    _need(user, services.PERM_ACTIONS if request.method == "POST" else services.PERM_VIEW)
    item = get_in_scope(ActionItem.objects.select_related("topic__village", "decision__meeting", "case"), user, pk=pk)
    progress_form = ProgressForm()
    escalate_form = EscalateForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        form = None
        try:
            if action == "progress":
                form = progress_form = ProgressForm(request.POST)
                form.is_valid()
                services.record_progress(
                    item, actor=user, note=form.cleaned_data.get("note", ""), status=form.cleaned_data.get("status", "")
                )
                messages.success(request, _("Progress recorded."))
            elif action == "escalate":
                form = escalate_form = EscalateForm(request.POST)
                if not form.is_valid():
                    raise InvalidInput(fields={})
                case = services.escalate_action_item(
                    item,
                    actor=user,
                    category=form.cleaned_data["category"],
                    priority=form.cleaned_data["priority"],
                    description=form.cleaned_data["description"],
                )
                messages.success(request, _("Escalated as case %(number)s.") % {"number": case.number})
            else:
                raise NotFound()
            return redirect("deliberation:action_detail", pk=item.pk)
        except InvalidInput as exc:
            if exc.fields:
                apply_domain_error(form, exc)
            status = 422
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("deliberation:action_detail", pk=item.pk)
    return render(
        request,
        "deliberation/action_detail.html",
        {
            "item": item,
            "progress": item.progress.select_related("actor").order_by("created", "id"),
            "progress_form": progress_form,
            "escalate_form": escalate_form,
            "can_track": user.has_perm(services.PERM_ACTIONS),
            "open": item.status in ACTION_OPEN_STATUSES,
        },
        status=status,
    )


# --- venues ----------------------------------------------------------------------------------------------


@login_required
def venue_list(request):
    user = request.user
    _need(user, services.PERM_VIEW)
    params = request.GET
    kind = params.get("kind") if params.get("kind") in VenueKind.values else None
    area = _area_param(request)
    qs = filtered_venues(user, kind=kind, active=None if params.get("all") else True, area=area)
    page = Paginator(qs, 30).get_page(params.get("page"))
    return render(
        request,
        "deliberation/venue_list.html",
        {
            "page": page,
            "params": params,
            "kinds": VenueKind.choices,
            "area": area,
            "query": _query(params),
            "can_edit": user.has_perm(services.PERM_VENUES),
        },
    )


@login_required
def venue_form(request, pk: int | None = None):
    user = request.user
    _need(user, services.PERM_VENUES)
    venue = get_in_scope(Venue.objects.select_related("host_household"), user, pk=pk) if pk else None
    initial = {"active": True}
    if venue is not None:
        initial = {
            "kind": venue.kind,
            "name": venue.name,
            "village": venue.village_id,
            "host_household_number": venue.host_household.number if venue.host_household_id else "",
            "location": venue.location,
            "capacity": venue.capacity,
            "latitude": venue.latitude,
            "longitude": venue.longitude,
            "active": venue.active,
        }
    form = VenueForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            number = data.pop("host_household_number")
            host = None
            if number:
                host = Household.objects.for_user(user).filter(number=number.strip()).first()
                if host is None:
                    raise InvalidInput(
                        fields={"host_household_number": _("No household with this number in your jurisdiction.")}
                    )
            photo = data.pop("photo")
            if venue is None:
                venue = services.create_venue(actor=user, host_household=host, photo=photo, **data)
            else:
                services.update_venue(venue, actor=user, host_household=host, photo=photo, **data)
        except DomainError as exc:
            if "host_household" in exc.fields:
                exc.fields["host_household_number"] = exc.fields.pop("host_household")
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Venue saved."))
            return redirect("deliberation:venue_list")
    status = 422 if form.errors else 200
    return render(request, "deliberation/venue_form.html", {"form": form, "venue": venue}, status=status)


# --- quorum rule -------------------------------------------------------------------------------------


@login_required
def quorum_rule(request, village_id: int):
    user = request.user
    _need(user, services.PERM_QUORUM if request.method == "POST" else services.PERM_VIEW)
    village = get_in_scope(Area.objects, user, pk=village_id)
    if village.level != "village":
        raise NotFound()
    rule = services.quorum_rule_for(village)
    form = QuorumForm(
        request.POST or None,
        initial={"basis": rule.basis, "numerator": rule.numerator, "denominator": rule.denominator},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = services.set_quorum_rule(village, actor=user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Quorum rule saved."))
                return redirect("deliberation:quorum_rule", village_id=village.pk)
    return render(
        request,
        "deliberation/quorum_rule.html",
        {
            "village": village,
            "rule": rule,
            "rule_text": services.describe_rule(rule),
            "form": form,
            "can_edit": user.has_perm(services.PERM_QUORUM),
        },
        status=422 if form.errors else 200,
    )


# --- the public results board ------------------------------------------------------------------------


@login_required
def board_index(request):
    villages = list(services.board_villages(request.user).select_related("parent")[:500])
    if not villages:
        raise NotFound()
    if len(villages) == 1:
        return redirect("deliberation:board", village_id=villages[0].pk)
    return render(request, "deliberation/board_index.html", {"villages": villages})


def _board_context(request, village_id):
    village = services.board_village(request.user, village_id)
    topics = board_topics(village)
    counts = {
        "in_progress": sum(1 for t in topics if t.status in (TopicStatus.IN_PROGRESS, TopicStatus.ESCALATED)),
        "decided": sum(1 for t in topics if t.status == TopicStatus.DECIDED),
        "resolved": sum(1 for t in topics if t.status == TopicStatus.RESOLVED),
    }
    url = request.build_absolute_uri(reverse("deliberation:board", args=[village.pk]))
    return {"village": village, "topics": topics, "counts": counts, "board_url": url, "today": timezone.localdate()}


@login_required
def board(request, village_id: int):
    return render(request, "deliberation/board.html", _board_context(request, village_id))


@login_required
def board_print(request, village_id: int):
    context = _board_context(request, village_id)
    context["qr_svg"] = segno.make(context["board_url"], error="m").svg_inline(scale=4, border=2)
    return render(request, "deliberation/board_print.html", context)


# --- files --------------------------------------------------------------------------------------------


@login_required
def serve_file(request, kind: str, pk: int):
    """Photos and attachments, read under the same scope as their record."""
    user = request.user
    if kind == "venue":
        _need(user, services.PERM_VIEW)
        field = get_in_scope(Venue.objects, user, pk=pk).photo
    elif kind == "sign-in":
        field = _meeting_for(user, pk).sign_in_sheet
    elif kind == "attachment":
        _need(user, services.PERM_VIEW, services.PERM_RAISE)
        attachment = TopicAttachment.objects.filter(pk=pk).first()
        if attachment is None:
            raise NotFound()
        _topic_for(user, attachment.topic_id)
        field = attachment.file
    else:
        raise NotFound()
    if not field:
        raise NotFound()
    try:
        return FileResponse(field.open("rb"))
    except FileNotFoundError:
        raise NotFound() from None
