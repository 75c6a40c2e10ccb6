"""Points pages: the villager's view, the village board and printable notice, recording and
review of entries, rankings and awards, the shop counter, dividends and honours.

Views parse and check access; every write goes through :mod:`shanzhi.points.services`.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.areas.models import Area
from shanzhi.core.errors import DomainError, Forbidden, NotFound
from shanzhi.core.forms import apply_domain_error
from shanzhi.core.idempotency import FORM_FIELD, new_form_token, run_idempotent
from shanzhi.core.scoping import get_in_scope
from shanzhi.people.models import Household
from shanzhi.points import services
from shanzhi.points.access import mask_name, my_households, visible_village, visible_villages
from shanzhi.points.api import honour_public, household_points, shops_serving
from shanzhi.points.choices import (
    AppealStatus,
    CampaignStatus,
    EntryKind,
    EntryStatus,
    NominationStatus,
    PeriodKind,
    RedemptionStatus,
)
from shanzhi.points.export import workbook_bytes, yuan
from shanzhi.points.filters import LedgerFilter, recorders
from shanzhi.points.forms import (
    AppealForm,
    AwardForm,
    CampaignForm,
    DecisionForm,
    DividendForm,
    EntryForm,
    ItemForm,
    ReasonForm,
    RuleForm,
    SettingsForm,
    StockForm,
    TiersForm,
)
from shanzhi.points.models import (
    Appeal,
    AwardList,
    DividendPlan,
    EntryState,
    Honour,
    HonourCampaign,
    HouseholdPoints,
    Nomination,
    PointsEntry,
    Redemption,
    Rule,
    Shop,
    ShopItem,
    StockMovement,
)
from shanzhi.points.periods import parse_period, period_end, period_label, period_starts, previous_period
from shanzhi.points.qr import qr_svg
from shanzhi.points.rankings import ranking_page, ranking_queryset
from shanzhi.points.signboard import signboard_pdf


def _staff(user):
    if not user.is_staff_member:
        raise Forbidden()


def _perm(user, perm):
    if not user.has_perm(perm):
        raise Forbidden()


def _entries():
    return PointsEntry.objects.select_related("state", "rule", "household__head", "recorded_by", "reverses")


# --- entry points -------------------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    if not user.is_staff_member:
        if not my_households(user):
            raise NotFound()
        return redirect("points:me")
    villages = list(visible_villages(user).select_related("parent").order_by("path")[:200])
    pending = EntryState.objects.for_user(user).filter(status=EntryStatus.PENDING).count()
    appeals = Appeal.objects.for_user(user).filter(status=AppealStatus.OPEN).count()
    return render(
        request,
        "points/index.html",
        {
            "villages": villages,
            "pending": pending,
            "appeals": appeals,
            "can_record": user.has_perm(services.PERM_RECORD),
            "can_templates": user.has_perm(services.PERM_MANAGE_TEMPLATES),
        },
    )


@login_required
def me(request):
    """The villager's view: balance, ranks, entries in notice with the appeal button, history."""
    households = my_households(request.user)
    if not households:
        raise NotFound()
    now = timezone.now()
    cards = []
    for household in households:
        summary = household_points(household)
        in_notice = list(
            _entries()
            .filter(household=household, state__status__in=[EntryStatus.IN_NOTICE, EntryStatus.PENDING])
            .order_by("-created")
        )
        appealed = set(Appeal.objects.filter(entry__in=in_notice).values_list("entry_id", flat=True))
        for entry in in_notice:
            entry.can_appeal = (
                entry.state.status == EntryStatus.IN_NOTICE
                and entry.state.notice_until > now
                and entry.pk not in appealed
            )
        history = Paginator(_entries().filter(household=household).order_by("-created", "-id"), 20).get_page(
            request.GET.get("page")
        )
        appeals = {a.entry_id: a for a in Appeal.objects.filter(household=household)}
        for entry in list(history) + in_notice:
            entry.appeal = appeals.get(entry.pk)
        cards.append(
            {
                "household": household,
                "summary": summary,
                "in_notice": in_notice,
                "history": history,
                "village": household.grid.parent,
                "shops": shops_serving(household.grid.parent),
            }
        )
    return render(request, "points/me.html", {"cards": cards, "page": cards[0]["history"]})


# --- entries ----------------------------------------------------------------------------------


@login_required
def entry_new(request):
    user = request.user
    _perm(user, services.PERM_RECORD)
    initial = {}
    if request.GET.get("household"):
        household = get_in_scope(Household.objects, user, pk=request.GET["household"])
        initial["households"] = household.number
    form = EntryForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    token = request.POST.get(FORM_FIELD) or new_form_token()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            status, body = run_idempotent(
                user=user,
                operation="points.entries.page",
                key=token,
                payload={k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"},
                run=lambda: (
                    201,
                    {
                        "ids": [
                            e.pk
                            for e in services.record_entries(
                                rule=data["rule"],
                                households=data["households"],
                                actor=user,
                                occurred_on=data["occurred_on"],
                                delta=data["delta"],
                                note=data["note"],
                                evidence=data["evidence"],
                            )
                        ]
                    },
                ),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(n)d entries recorded and put in public notice.") % {"n": len(body["ids"])})
            if len(body["ids"]) == 1:
                return redirect("points:entry_detail", pk=body["ids"][0])
            return redirect("points:board", pk=data["rule"].area_id)
    return render(request, "points/entry_form.html", {"form": form, "form_token": token})


def _entry_for(user, pk) -> PointsEntry:
    return get_in_scope(_entries(), user, pk=pk)


@login_required
def entry_detail(request, pk: int):
    user = request.user
    entry = _entry_for(user, pk)
    appeal = Appeal.objects.filter(entry=entry).select_related("decided_by").first()
    state = entry.state
    is_own = entry.household_id in user.scope.household_ids
    can_appeal = (
        is_own
        and user.has_perm(services.PERM_APPEAL)
        and state.status == EntryStatus.IN_NOTICE
        and state.notice_until > timezone.now()
        and appeal is None
    )
    staff = user.is_staff_member
    return render(
        request,
        "points/entry_detail.html",
        {
            "entry": entry,
            "state": state,
            "events": entry.events.select_related("actor").order_by("seq"),
            "appeal": appeal,
            "reversal": PointsEntry.objects.filter(reverses=entry).select_related("state").first(),
            "can_appeal": can_appeal,
            "appeal_form": AppealForm() if can_appeal else None,
            "can_approve": staff
            and state.status == EntryStatus.PENDING
            and user.has_perm(services.PERM_APPROVE)
            and entry.recorded_by_id != user.pk,
            "can_reverse": staff
            and state.status in (EntryStatus.IN_NOTICE, EntryStatus.EFFECTIVE)
            and entry.kind in ("award", "deduction")
            and not state.open_appeal
            and user.has_perm(services.PERM_REVERSE),
            "can_decide": staff
            and appeal is not None
            and appeal.status == AppealStatus.OPEN
            and user.has_perm(services.PERM_DECIDE_APPEAL),
            "decision_form": DecisionForm(),
            "reason_form": ReasonForm(),
        },
    )


def _post_action(request, pk, action):
    user = request.user
    entry = _entry_for(user, pk)
    try:
        action(user, entry)
    except DomainError as exc:
        messages.error(request, "; ".join([exc.message, *sum(exc.fields.values(), [])]))
    return redirect("points:entry_detail", pk=entry.pk)


@login_required
@require_POST
def entry_approve(request, pk: int):
    def act(user, entry):
        services.approve_entry(entry, actor=user)
        messages.success(request, _("Approved: the entry is now in public notice."))

    return _post_action(request, pk, act)


@login_required
@require_POST
def entry_decline(request, pk: int):
    def act(user, entry):
        services.decline_entry(entry, actor=user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Declined: the entry has been voided by a reversing entry."))

    return _post_action(request, pk, act)


@login_required
@require_POST
def entry_reverse(request, pk: int):
    def act(user, entry):
        services.reverse_entry(entry, actor=user, reason=request.POST.get("reason", ""))
        messages.success(request, _("The entry has been voided by a reversing entry."))

    return _post_action(request, pk, act)


@login_required
def entry_appeal(request, pk: int):
    user = request.user
    entry = _entry_for(user, pk)
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_entry(
                entry, actor=user, reason=form.cleaned_data["reason"], evidence=form.cleaned_data["evidence"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your appeal has been submitted. The village will decide and tell you why."))
            return redirect("points:entry_detail", pk=entry.pk)
    return render(request, "points/appeal_form.html", {"entry": entry, "form": form})


@login_required
def appeal_list(request):
    user = request.user
    _staff(user)
    status = request.GET.get("status", AppealStatus.OPEN)
    qs = Appeal.objects.for_user(user).select_related("entry__rule", "household__head", "entry__state")
    if status in AppealStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-created"), 30).get_page(request.GET.get("page"))
    return render(
        request, "points/appeal_list.html", {"page": page, "status": status, "statuses": AppealStatus.choices}
    )


@login_required
@require_POST
def appeal_decide(request, pk: int):
    user = request.user
    appeal = get_in_scope(Appeal.objects, user, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_appeal(
                appeal,
                actor=user,
                uphold=form.cleaned_data["decision"] == "uphold",
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, "; ".join([exc.message, *sum(exc.fields.values(), [])]))
        else:
            messages.success(request, _("The appeal has been decided."))
    else:
        messages.error(request, _("Please choose a decision and give the reason."))
    return redirect("points:entry_detail", pk=appeal.entry_id)


@login_required
def pending_list(request):
    user = request.user
    _staff(user)
    qs = (
        _entries()
        .filter(state__status=EntryStatus.PENDING)
        .filter(pk__in=EntryState.objects.for_user(user).filter(status=EntryStatus.PENDING).values("entry_id"))
    )
    return render(request, "points/pending_list.html", {"entries": qs.order_by("created")[:200]})


# --- the village board -------------------------------------------------------------------------


def _board_context(request, village):
    today = timezone.localdate()
    in_notice = list(
        _entries()
        .filter(village=village, state__status=EntryStatus.IN_NOTICE)
        .order_by("state__notice_until", "seq")[:300]
    )
    for entry in in_notice:
        entry.head_shown = entry.household.head_name
    month = period_starts(today)[PeriodKind.MONTH]
    board_url = request.build_absolute_uri(reverse("points:board", args=[village.pk]))
    return {
        "village": village,
        "in_notice": in_notice,
        "ranking": ranking_page(village, PeriodKind.MONTH, month, limit=10),
        "month_label": period_label(month, PeriodKind.MONTH),
        "awards": AwardList.objects.filter(village=village).order_by("-period_start")[:6],
        "notice_days": services.settings_for(village).notice_days,
        "board_url": board_url,
        "today": today,
        "shops": shops_serving(village),
    }


@login_required
def board(request, pk: int):
    village = visible_village(request.user, pk)
    return render(request, "points/board.html", _board_context(request, village))


@login_required
def ledger(request, pk: int):
    """The village's whole ledger for its staff: every entry, filtered, newest first; exportable."""
    _staff(request.user)
    village = visible_village(request.user, pk)
    ledger_filter = LedgerFilter(village, request.GET)
    page = Paginator(ledger_filter.apply(_entries()), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "points/ledger.html",
        {
            "village": village,
            "page": page,
            "params": request.GET,
            "query": query.urlencode(),
            "errors": ledger_filter.errors,
            "rules": Rule.objects.filter(area=village).order_by("code"),
            "kinds": EntryKind.choices,
            "statuses": EntryStatus.choices,
            "recorders": recorders(village),
            "village_query": f"village={village.pk}",  # the export's fixed part
        },
    )


@login_required
def notice_print(request, pk: int):
    village = visible_village(request.user, pk)
    context = _board_context(request, village)
    context["qr"] = qr_svg(context["board_url"], scale=3)
    return render(request, "points/notice_print.html", context)


# --- rules and settings ---------------------------------------------------------------------------


@login_required
def rules(request, pk: int):
    user = request.user
    village = visible_village(user, pk)
    can_manage = user.has_perm(services.PERM_MANAGE_RULES) and Area.objects.for_user(user).filter(pk=pk).exists()
    current = services.settings_for(village)
    settings_form = SettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial={"notice_days": current.notice_days, "exclude_major_from_awards": current.exclude_major_from_awards},
    )
    tiers_form = TiersForm(
        request.POST if request.POST.get("form") == "tiers" else None,
        initial={"tiers": "\n".join(f"{a}-{b} {p}" for a, b, p in services.tiers_for(village))},
    )
    templates = (
        Rule.objects.templates().filter(active=True).exclude(code__in=Rule.objects.filter(area=village).values("code"))
    )
    if request.method == "POST":
        if not can_manage:
            raise Forbidden()
        try:
            which = request.POST.get("form")
            if which == "settings" and settings_form.is_valid():
                services.update_village_settings(village, actor=user, **settings_form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("points:rules", pk=pk)
            if which == "tiers" and tiers_form.is_valid():
                services.set_reward_tiers(village, tiers_form.cleaned_data["tiers"], actor=user)
                messages.success(request, _("Saved."))
                return redirect("points:rules", pk=pk)
            if which == "adopt":
                chosen = templates.filter(pk__in=request.POST.getlist("templates"))
                adopted = services.adopt_rules(village, chosen, actor=user)
                messages.success(request, _("%(n)d rules adopted.") % {"n": len(adopted)})
                return redirect("points:rules", pk=pk)
        except DomainError as exc:
            apply_domain_error(tiers_form if which == "tiers" else settings_form, exc)
    return render(
        request,
        "points/rules.html",
        {
            "village": village,
            "rules": Rule.objects.filter(area=village).order_by("sort_order", "code"),
            "templates": templates if can_manage else [],
            "can_manage": can_manage,
            "settings_form": settings_form,
            "tiers_form": tiers_form,
        },
    )


@login_required
def rule_edit(request, pk: int):
    user = request.user
    rule = get_in_scope(Rule.objects.select_related("area"), user, pk=pk)
    _perm(user, services.PERM_MANAGE_TEMPLATES if rule.area.level == "county" else services.PERM_MANAGE_RULES)
    initial = {f: getattr(rule, f) for f in services.RULE_FIELDS}
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_rule(rule, actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            if rule.area.level == "village":
                return redirect("points:rules", pk=rule.area_id)
            return redirect("points:templates")
    return render(request, "points/rule_form.html", {"form": form, "rule": rule})


@login_required
def rule_new(request, pk: int):
    """A new rule of a village (pk = village) or a county template (pk = county)."""
    user = request.user
    area = get_in_scope(Area.objects, user, pk=pk)
    _perm(user, services.PERM_MANAGE_TEMPLATES if area.level == "county" else services.PERM_MANAGE_RULES)
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_rule(area, actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("points:rules", pk=area.pk) if area.level == "village" else redirect("points:templates")
    return render(request, "points/rule_form.html", {"form": form, "rule": None, "area": area})


@login_required
def templates(request):
    user = request.user
    _staff(user)
    county = Area.objects.filter(level="county").order_by("pk").first()
    can_manage = user.has_perm(services.PERM_MANAGE_TEMPLATES)
    if request.method == "POST":
        if not can_manage:
            raise Forbidden()
        from shanzhi.points.defaults import load_template_rules

        created = load_template_rules(county, actor=user)
        messages.success(request, _("%(n)d rules adopted.") % {"n": len(created)})
        return redirect("points:templates")
    return render(
        request,
        "points/templates.html",
        {"rules": Rule.objects.templates().order_by("sort_order", "code"), "can_manage": can_manage, "county": county},
    )


# --- rankings and awards -----------------------------------------------------------------------------


@login_required
def rankings(request):
    user = request.user
    params = request.GET
    area = None
    if params.get("area"):
        area = get_in_scope(Area.objects, user, pk=params["area"]) if user.is_staff_member else None
        if area is None:
            area = visible_village(user, params["area"])
    else:
        mine = my_households(user)
        if mine:
            area = mine[0].grid.parent
        else:
            area = (
                Area.objects.for_user(user)
                .filter(level__in=["county", "township", "village"])
                .order_by("depth")
                .first()
            )
    if area is None or area.level not in ("county", "township", "village"):
        raise NotFound()
    try:
        kind, start = parse_period(params.get("period"), params.get("start"), timezone.localdate())
    except ValueError:
        kind, start = parse_period(None, None, timezone.localdate())
    page = Paginator(ranking_queryset(area, kind, start).select_related("household__head", "village"), 50)
    rows = page.get_page(params.get("page"))
    for index, row in enumerate(rows, start=rows.start_index()):
        row.rank = index
        row.head_shown = (
            row.household.head_name
            if user.is_staff_member or area.level == "village"
            else mask_name(row.household.head_name)
        )
    query = params.copy()
    query.pop("page", None)
    choices = []
    if user.is_staff_member:
        choices = list(
            Area.objects.for_user(user).filter(level__in=["county", "township", "village"]).order_by("path")[:300]
        )
    return render(
        request,
        "points/rankings.html",
        {
            "area": area,
            "kind": kind,
            "start": start,
            "label": period_label(start, kind),
            "page": rows,
            "query": query.urlencode(),
            "kinds": PeriodKind.choices,
            "areas": choices,
            "previous": previous_period(start, kind),
            "next": period_end(start, kind) + dt.timedelta(days=1),
        },
    )


@login_required
def awards(request, pk: int):
    user = request.user
    village = visible_village(user, pk)
    can_issue = user.has_perm(services.PERM_ISSUE_AWARDS) and Area.objects.for_user(user).filter(pk=pk).exists()
    last_month = previous_period(period_starts(timezone.localdate())[PeriodKind.MONTH], PeriodKind.MONTH)
    form = AwardForm(request.POST or None, initial={"period_kind": PeriodKind.MONTH, "period_start": last_month})
    if request.method == "POST":
        if not can_issue:
            raise Forbidden()
        if form.is_valid():
            try:
                award = services.issue_award_list(
                    village,
                    period_kind=form.cleaned_data["period_kind"],
                    period_start_day=form.cleaned_data["period_start"],
                    actor=user,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The award list has been issued."))
                return redirect("points:award_detail", pk=award.pk)
    return render(
        request,
        "points/awards.html",
        {
            "village": village,
            "lists": AwardList.objects.filter(village=village).order_by("-period_start", "period_kind"),
            "form": form if can_issue else None,
            "tiers": services.tiers_for(village),
        },
    )


@login_required
def award_detail(request, pk: int):
    award = AwardList.objects.select_related("village__parent", "created_by").filter(pk=pk).first()
    if award is None:
        raise NotFound()
    visible_village(request.user, award.village_id)
    return render(
        request,
        "points/award_print.html",
        {
            "award": award,
            "lines": award.lines.select_related("household__head", "household__grid"),
            "label": period_label(award.period_start, award.period_kind),
        },
    )


# --- the shop --------------------------------------------------------------------------------------


def _shop_for(user, pk) -> Shop:
    shop = Shop.objects.select_related("area").filter(pk=pk).first()
    if shop is None or not Shop.objects.for_user(user).filter(pk=pk).exists():
        raise NotFound()
    return shop


@login_required
def shop(request, pk: int):
    user = request.user
    shop = _shop_for(user, pk)
    items = shop.items.order_by("points_price", "name")
    can_manage = user.has_perm(services.PERM_MANAGE_SHOP) and user.is_staff_member
    if not can_manage:
        items = items.filter(active=True)
    return render(
        request,
        "points/shop.html",
        {
            "shop": shop,
            "items": items,
            "can_manage": can_manage,
            "can_redeem": user.has_perm(services.PERM_REDEEM) and user.is_staff_member,
            "my_points": [(h, HouseholdPoints.objects.filter(household=h).first()) for h in my_households(user)],
        },
    )


@login_required
def shop_counter(request, pk: int):
    """Record a redemption at the counter: household number and quantities → receipt."""
    user = request.user
    _perm(user, services.PERM_REDEEM)
    _staff(user)
    shop = _shop_for(user, pk)
    items = list(shop.items.filter(active=True).order_by("points_price", "name"))
    token = request.POST.get(FORM_FIELD) or new_form_token()
    errors: dict = {}
    household = None
    number = (request.POST.get("household") or request.GET.get("household") or "").strip()
    if number:
        household = Household.objects.for_user(user).select_related("grid", "head").filter(number=number).first()
        if household is None:
            errors["household"] = [_("Not found in your jurisdiction: %(list)s") % {"list": number}]
    balance = HouseholdPoints.objects.filter(household=household).first() if household else None
    if request.method == "POST" and not errors:
        lines = []
        for item in items:
            raw = request.POST.get(f"qty_{item.pk}", "").strip()
            if raw:
                if not raw.isdigit():
                    errors[f"qty_{item.pk}"] = [_("A quantity from 1 to 999.")]
                elif int(raw):
                    lines.append((item.pk, int(raw)))
        if household is None:
            errors["household"] = [_("Please enter the household number.")]
        if not errors:
            try:
                _status, body = run_idempotent(
                    user=user,
                    operation="points.redemption.page",
                    key=token,
                    payload={"household": household.pk, "lines": lines, "shop": shop.pk},
                    run=lambda: (
                        201,
                        {"id": services.redeem(shop=shop, household=household, lines=lines, actor=user).pk},
                    ),
                )
            except DomainError as exc:
                errors.update(exc.fields or {"__all__": [exc.message]})
                if exc.fields:
                    errors.setdefault("__all__", [exc.message])
            else:
                messages.success(request, _("Redeemed. Print the receipt for the household."))
                return redirect("points:receipt", pk=body["id"])
    for item in items:
        item.errors = errors.get(f"qty_{item.pk}", [])
    return render(
        request,
        "points/counter.html",
        {
            "general_errors": errors.get("__all__", []),
            "household_errors": errors.get("household", []),
            "items_errors": errors.get("items", []),
            "shop": shop,
            "items": items,
            "household": household,
            "number": number,
            "balance": balance,
            "errors": errors,
            "posted": request.POST,
            "form_token": token,
        },
    )


@login_required
def receipt(request, pk: int):
    user = request.user
    redemption = get_in_scope(
        Redemption.objects.select_related("shop", "household__head", "recorded_by", "entry"), user, pk=pk
    )
    can_cancel = (
        user.has_perm(services.PERM_REDEEM)
        and user.is_staff_member
        and redemption.status == RedemptionStatus.COMPLETED
        and timezone.localtime(redemption.created).date() == timezone.localdate()
    )
    if request.method == "POST":
        if not can_cancel:
            raise Forbidden()
        try:
            services.cancel_redemption(redemption, actor=user, reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, "; ".join([exc.message, *sum(exc.fields.values(), [])]))
        else:
            messages.success(request, _("Cancelled: points and stock have been restored."))
        return redirect("points:receipt", pk=pk)
    return render(
        request,
        "points/receipt.html",
        {
            "redemption": redemption,
            "lines": redemption.lines.select_related("item"),
            "balance": HouseholdPoints.objects.filter(household=redemption.household).first(),
            "can_cancel": can_cancel,
            "reason_form": ReasonForm(),
        },
    )


@login_required
def item_form(request, pk: int, item_id: int | None = None):
    user = request.user
    _perm(user, services.PERM_MANAGE_SHOP)
    shop = _shop_for(user, pk)
    item = get_in_scope(ShopItem.objects, user, pk=item_id, shop=shop) if item_id else None
    initial = {"name": item.name, "points_price": item.points_price, "active": item.active} if item else {}
    form = ItemForm(request.POST or None, request.FILES or None, initial=initial)
    if item:
        form.fields["stock"].required = False
        form.fields["stock"].disabled = True
        form.fields["stock"].initial = item.stock
        form.fields["stock"].help_text = _("Change stock with a restock or a stock count adjustment below.")
    stock_form = StockForm(request.POST if request.POST.get("form") == "stock" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "stock" and item:
                if stock_form.is_valid():
                    services.adjust_stock(item, actor=user, **stock_form.cleaned_data)
                    messages.success(request, _("Saved."))
                    return redirect("points:item_edit", pk=shop.pk, item_id=item.pk)
            elif form.is_valid():
                data = form.cleaned_data
                if item:
                    services.update_item(
                        item,
                        actor=user,
                        name=data["name"],
                        points_price=data["points_price"],
                        active=data["active"],
                        photo=data["photo"],
                    )
                else:
                    services.create_item(
                        shop,
                        actor=user,
                        name=data["name"],
                        points_price=data["points_price"],
                        stock=data["stock"] or 0,
                        photo=data["photo"],
                        active=data["active"],
                    )
                messages.success(request, _("Saved."))
                return redirect("points:shop", pk=shop.pk)
        except DomainError as exc:
            apply_domain_error(stock_form if request.POST.get("form") == "stock" else form, exc)
    movements = StockMovement.objects.filter(item=item).select_related("actor")[:50] if item else []
    return render(
        request,
        "points/item_form.html",
        {"shop": shop, "item": item, "form": form, "stock_form": stock_form, "movements": movements},
    )


@login_required
def shop_new(request, pk: int):
    user = request.user
    _perm(user, services.PERM_MANAGE_SHOP)
    area = get_in_scope(Area.objects, user, pk=pk)
    try:
        shop = services.create_shop(area, actor=user, name=f"{area.name}积分超市")
    except DomainError as exc:
        messages.error(request, "; ".join([exc.message, *sum(exc.fields.values(), [])]))
        return redirect("points:index")
    return redirect("points:shop", pk=shop.pk)


# --- dividends -----------------------------------------------------------------------------------


@login_required
def dividends(request):
    user = request.user
    _staff(user)
    plans = DividendPlan.objects.for_user(user).select_related("village").order_by("-year", "-created")
    villages = list(Area.objects.for_user(user).filter(level="village").order_by("path")[:300])
    village = None
    if request.GET.get("village") or request.POST.get("village"):
        village = get_in_scope(Area.objects, user, pk=request.GET.get("village") or request.POST.get("village"))
    can_manage = user.has_perm(services.PERM_MANAGE_DIVIDENDS)
    form = DividendForm(
        request.POST if request.method == "POST" else None,
        initial={"year": timezone.localdate().year - 1, "method": "proportional", "title": _("Year-end dividend")},
    )
    if request.method == "POST":
        if not can_manage:
            raise Forbidden()
        if village is None:
            form.add_error(None, _("Please choose a village."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.create_dividend(
                    village,
                    actor=user,
                    year=data["year"],
                    title=data["title"],
                    pool_fen=int(data["pool_yuan"] * 100),
                    method=data["method"],
                    tiers=data["tiers"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("points:dividend_detail", pk=plan.pk)
    return render(
        request,
        "points/dividends.html",
        {"plans": plans[:100], "form": form if can_manage else None, "villages": villages, "village": village},
    )


@login_required
def dividend_detail(request, pk: int):
    user = request.user
    _staff(user)
    plan = get_in_scope(DividendPlan.objects.select_related("village", "created_by", "approved_by"), user, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "approve":
                services.approve_dividend(plan, actor=user)
                messages.success(request, _("Approved. The payout list can no longer change."))
            elif request.POST.get("action") == "recompute":
                services.recompute_dividend(plan, actor=user)
                messages.success(request, _("Recomputed from the current points."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("points:dividend_detail", pk=pk)
    payouts = plan.payouts.select_related("household__head").order_by("-amount_fen", "household_id")
    total = payouts.aggregate(total=Sum("amount_fen"))["total"] or 0
    return render(
        request,
        "points/dividend_detail.html",
        {
            "plan": plan,
            "payouts": payouts,
            "total": total,
            "pool": yuan(plan.pool_fen),
            "can_approve": not plan.is_approved
            and user.has_perm(services.PERM_APPROVE_DIVIDEND)
            and plan.created_by_id != user.pk,
            "can_recompute": not plan.is_approved and user.has_perm(services.PERM_MANAGE_DIVIDENDS),
        },
    )


@login_required
def dividend_export(request, pk: int):
    user = request.user
    _staff(user)
    plan = get_in_scope(DividendPlan.objects.select_related("village"), user, pk=pk)
    rows = []
    for index, p in enumerate(
        plan.payouts.select_related("household__head", "household__grid").order_by("-amount_fen", "household_id"), 1
    ):
        rows.append(
            [
                index,
                p.household.number,
                p.household.head_name,
                p.household.grid.name,
                p.household.address,
                p.points,
                p.shares,
                yuan(p.amount_fen),
            ]
        )
    total = plan.payouts.aggregate(total=Sum("amount_fen"))["total"] or 0
    rows.append(["", "", _("Total"), "", "", "", "", yuan(total)])
    content = workbook_bytes(
        str(plan.title),
        [
            _("No."),
            _("Household number"),
            _("Head of household"),
            _("Grid"),
            _("Address"),
            _("Points"),
            _("Shares"),
            _("Amount (yuan)"),
        ],
        rows,
        money_columns=[7],
    )
    from shanzhi.core import audit

    audit.record("points.dividend.exported", actor=user, obj=plan, rows=len(rows) - 1)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="dividend-{plan.pk}.xlsx"'
    return response


# --- honours ----------------------------------------------------------------------------------------


@login_required
def honours(request):
    user = request.user
    _staff(user)
    campaigns = HonourCampaign.objects.for_user(user).select_related("area").order_by("-year", "kind")
    can_run = user.has_perm(services.PERM_RUN_HONOURS)
    areas = list(Area.objects.for_user(user).filter(level__in=["county", "township"]).order_by("path")[:50])
    form = CampaignForm(request.POST or None, initial={"year": timezone.localdate().year, "quota": 10})
    if request.method == "POST":
        if not can_run:
            raise Forbidden()
        area = get_in_scope(Area.objects, user, pk=request.POST.get("area") or 0)
        if form.is_valid():
            try:
                campaign = services.create_campaign(area, actor=user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("points:campaign", pk=campaign.pk)
    return render(
        request,
        "points/honours.html",
        {"campaigns": campaigns, "form": form if can_run else None, "areas": areas},
    )


@login_required
def campaign(request, pk: int):
    user = request.user
    _staff(user)
    campaign = get_in_scope(HonourCampaign.objects.select_related("area"), user, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "nominate":
                household = get_in_scope(Household.objects, user, number=request.POST.get("household", "").strip())
                services.nominate(campaign, household, actor=user, reason=request.POST.get("reason", ""))
                messages.success(request, _("Nominated."))
            elif action in ("approve", "reject"):
                nomination = get_in_scope(
                    Nomination.objects, user, pk=request.POST.get("nomination"), campaign=campaign
                )
                services.review_nomination(
                    nomination, actor=user, approve=action == "approve", note=request.POST.get("note", "")
                )
            elif action == "advance":
                services.advance_campaign(campaign, actor=user)
                messages.success(request, _("Saved."))
        except DomainError as exc:
            messages.error(request, "; ".join([exc.message, *sum(exc.fields.values(), [])]))
        return redirect("points:campaign", pk=pk)
    nominations = (
        Nomination.objects.for_user(user)
        .filter(campaign=campaign)
        .select_related("household__head", "household__grid__parent")
    )
    # Households of the user's villages that qualify and are not nominated yet (top 30 by points).
    candidates = []
    if campaign.status == CampaignStatus.NOMINATING and user.has_perm(services.PERM_NOMINATE):
        from shanzhi.points.rankings import eligible_points

        mine = Household.objects.for_user(user).filter(grid__path__startswith=campaign.area.path)
        points = eligible_points(
            None,
            campaign.assess_from,
            campaign.assess_to,
            household_ids=None,
            require_no_major=campaign.require_no_major_deduction,
        )
        taken = set(campaign.nominations.values_list("household_id", flat=True))
        ranked = sorted(
            ((p, h) for h, (p, _m) in points.items() if p >= campaign.min_points and h not in taken), reverse=True
        )
        ids = [h for _p, h in ranked]
        allowed = set(mine.filter(pk__in=ids[:2000]).values_list("pk", flat=True))
        top = [(p, h) for p, h in ranked if h in allowed][:30]
        by_id = Household.objects.select_related("head", "grid__parent").in_bulk([h for _p, h in top])
        candidates = [(by_id[h], p) for p, h in top]
    return render(
        request,
        "points/campaign.html",
        {
            "campaign": campaign,
            "nominations": nominations,
            "approved": nominations.filter(status=NominationStatus.APPROVED).count(),
            "honours": Honour.objects.filter(campaign=campaign).select_related(
                "household__head", "household__grid__parent"
            ),
            "candidates": candidates,
            "can_run": user.has_perm(services.PERM_RUN_HONOURS),
            "can_nominate": user.has_perm(services.PERM_NOMINATE) and campaign.status == CampaignStatus.NOMINATING,
            "next_status": services.CAMPAIGN_TRANSITIONS.get(campaign.status),
            "statuses": dict(CampaignStatus.choices),
        },
    )


def _verify_url(request, honour) -> str:
    return request.build_absolute_uri(reverse("points:honour_verify", args=[honour.verify_code]))


@login_required
def signboard(request, pk: int):
    user = request.user
    honour = get_in_scope(
        Honour.objects.select_related("household__head", "household__grid__parent__parent", "campaign__area"),
        user,
        pk=pk,
    )
    village = honour.household.grid.parent
    content = signboard_pdf(
        title=str(honour.get_kind_display()),
        number=honour.number,
        year=honour.year,
        head_name=honour.household.head_name,
        place=f"{village.parent.name}{village.name}",
        issuer=_("Awarded by %(area)s") % {"area": honour.campaign.area.name},
        verify_url=_verify_url(request, honour),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="signboard-{honour.number}.pdf"'
    return response


def honour_verify(request, code: str):
    """Public: what a phone shows after scanning the signboard's QR code."""
    honour = (
        Honour.objects.select_related("household__head", "household__grid__parent__parent")
        .filter(verify_code=code[:40])
        .first()
    )
    return render(
        request,
        "points/honour_verify.html",
        {"honour": honour_public(honour) if honour else None},
        status=200 if honour else 404,
    )
