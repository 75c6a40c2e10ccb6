"""The points API: balances, entries, appeals, rankings, the shop, honour verification."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from shanzhi.areas.models import Area
from shanzhi.core.api_schemas import ERRORS
from shanzhi.core.errors import Forbidden, InvalidInput, NotFound
from shanzhi.core.idempotency import key_from_request, run_idempotent
from shanzhi.core.scoping import get_in_scope
from shanzhi.people.models import Household
from shanzhi.points import services
from shanzhi.points.access import mask_name, visible_village
from shanzhi.points.choices import EntryStatus, PeriodKind
from shanzhi.points.models import (
    Appeal,
    Honour,
    HouseholdPoints,
    PeriodPoints,
    PointsEntry,
    Redemption,
    Rule,
    Shop,
    ShopItem,
)
from shanzhi.points.periods import parse_period, period_starts
from shanzhi.points.rankings import rank_of, ranking_page

router = Router(tags=["points"])


class RankOut(Schema):
    period_kind: PeriodKind
    period_start: dt.date
    earned: int
    rank: int | None
    ranked: int


class HouseholdPointsOut(Schema):
    household: int
    balance: int
    spendable: int
    held: int
    earned_lifetime: int
    village_ranks: list[RankOut]


class EntryOut(Schema):
    id: int
    seq: int
    household: int
    kind: str
    rule: int | None
    rule_text: str
    delta: int
    occurred_on: dt.date
    note: str
    status: EntryStatus
    notice_until: dt.datetime | None
    effective_at: dt.datetime | None
    open_appeal: bool
    reverses: int | None
    created: dt.datetime
    hash: str


class EntryPage(Schema):
    items: list[EntryOut]
    count: int


class EntryIn(Schema):
    households: list[int] = Field(..., min_length=1, max_length=services.MAX_BATCH)
    rule: int
    delta: int | None = None
    occurred_on: dt.date | None = None
    note: str = Field("", max_length=300)


class EntryReasonIn(Schema):
    reason: str = Field(..., max_length=500)


class AppealDecisionIn(Schema):
    uphold: bool
    reason: str = Field(..., max_length=500)


class AppealOut(Schema):
    id: int
    entry: int
    household: int
    reason: str
    status: str
    decision_reason: str
    decided_at: dt.datetime | None


class RuleOut(Schema):
    id: int
    area: int
    code: str
    text: str
    category: str
    points: int
    cap_per_period: int | None
    cap_period: str
    evidence_required: bool
    second_approval_above: int | None
    major: bool
    active: bool


class RankingQuery(Schema):
    area: int
    period: PeriodKind = PeriodKind.MONTH
    start: dt.date | None = Field(None, description="any day of the period (default: today)")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class RankingRow(Schema):
    rank: int
    household: int
    household_number: str
    head_name: str
    village: str
    earned: int
    deducted: int
    major_deductions: int


class RankingOut(Schema):
    area: int
    period_kind: PeriodKind
    period_start: dt.date
    tie_rule: str
    items: list[RankingRow]
    count: int


class ItemOut(Schema):
    id: int
    shop: int
    shop_name: str
    name: str
    points_price: int
    stock: int
    active: bool
    photo_url: str


class ItemPage(Schema):
    items: list[ItemOut]
    count: int


class ItemIn(Schema):
    village: int
    name: str = Field(..., max_length=60)
    points_price: int
    stock: int = 0


class RedemptionLineIn(Schema):
    item: int
    quantity: int = Field(..., ge=1, le=999)


class RedemptionIn(Schema):
    household: int
    items: list[RedemptionLineIn] = Field(..., min_length=1, max_length=50)


class RedemptionLineOut(Schema):
    item: int
    name: str
    quantity: int
    points: int


class RedemptionOut(Schema):
    id: int
    receipt_number: str
    household: int
    shop: int
    points: int
    balance_after: int
    spendable_after: int
    status: str
    items: list[RedemptionLineOut]


class HonourVerifyOut(Schema):
    valid: bool
    number: str
    kind: str
    kind_label: str
    year: int
    village: str
    head_name: str
    revoked: bool


# --- households' points -----------------------------------------------------------------


def household_points(household: Household) -> dict:
    row = HouseholdPoints.objects.filter(household=household).first()
    village = household.grid.parent
    today = timezone.localdate()
    ranks = []
    for kind, start in period_starts(today).items():
        rank, ranked = rank_of(household.pk, village, kind, start)
        earned = (
            PeriodPoints.objects.filter(household=household, period_kind=kind, period_start=start)
            .values_list("earned", flat=True)
            .first()
        )
        ranks.append(
            {
                "period_kind": kind,
                "label": str(PeriodKind(kind).label),
                "period_start": start,
                "earned": earned or 0,
                "rank": rank,
                "ranked": ranked,
            }
        )
    return {
        "household": household.pk,
        "balance": row.balance if row else 0,
        "spendable": row.spendable if row else 0,
        "held": row.held if row else 0,
        "earned_lifetime": row.earned_lifetime if row else 0,
        "village_ranks": ranks,
    }


def entry_out(e: PointsEntry) -> dict:
    state = e.state
    return {
        "id": e.pk,
        "seq": e.seq,
        "household": e.household_id,
        "kind": e.kind,
        "rule": e.rule_id,
        "rule_text": e.rule.text if e.rule_id else "",
        "delta": e.delta,
        "occurred_on": e.occurred_on,
        "note": e.note,
        "status": state.status,
        "notice_until": state.notice_until,
        "effective_at": state.effective_at,
        "open_appeal": state.open_appeal,
        "reverses": e.reverses_id,
        "created": e.created,
        "hash": e.hash,
    }


@router.get(
    "/households/{household_id}/points",
    response={200: HouseholdPointsOut, **ERRORS},
    summary="A household's points: balance, spendable, held deductions, lifetime earned, village ranks",
)
def get_household_points(request, household_id: int):
    household = get_in_scope(Household.objects.select_related("grid__parent"), request.auth, pk=household_id)
    return household_points(household)


@router.get(
    "/households/{household_id}/points/entries",
    response={200: EntryPage, **ERRORS},
    summary="A household's ledger, newest first",
)
def get_household_entries(
    request, household_id: int, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10_000_000)
):
    household = get_in_scope(Household.objects, request.auth, pk=household_id)
    qs = PointsEntry.objects.filter(household=household).select_related("state", "rule").order_by("-created", "-id")
    return {"items": [entry_out(e) for e in qs[offset : offset + limit]], "count": qs.count()}


@router.get("/points/rules", response={200: list[RuleOut], **ERRORS}, summary="A village's active rules")
def get_rules(request, village: int):
    area = visible_village(request.auth, village)
    rules = Rule.objects.filter(area=area, active=True).order_by("sort_order", "code")
    return [
        {
            **{f: getattr(r, f) for f in services.RULE_FIELDS if f != "sort_order"},
            "id": r.pk,
            "area": r.area_id,
        }
        for r in rules
    ]


@router.post(
    "/points/entries",
    response={201: list[EntryOut], **ERRORS},
    summary="Award or deduct points by a village rule (one household or an activity's attendees); "
    "accepts an Idempotency-Key",
)
def post_entries(request, payload: EntryIn):
    user = request.auth
    rule = get_in_scope(Rule.objects.select_related("area"), user, pk=payload.rule)
    households = list(Household.objects.for_user(user).filter(pk__in=payload.households))
    if len(households) != len(set(payload.households)):
        raise NotFound()

    def run():
        entries = services.record_entries(
            rule=rule,
            households=households,
            actor=user,
            occurred_on=payload.occurred_on,
            delta=payload.delta,
            note=payload.note,
        )
        rows = PointsEntry.objects.filter(pk__in=[e.pk for e in entries]).select_related("state", "rule")
        return 201, [entry_out(e) for e in rows.order_by("seq")]

    return Status(
        *run_idempotent(
            user=user, operation="points.entries", key=key_from_request(request), payload=payload.dict(), run=run
        )
    )


def _entry(request, entry_id: int) -> PointsEntry:
    return get_in_scope(PointsEntry.objects.select_related("state"), request.auth, pk=entry_id)


def _entry_response(entry_id: int) -> dict:
    return entry_out(PointsEntry.objects.select_related("state", "rule").get(pk=entry_id))


@router.post("/points/entries/{entry_id}/approve", response={200: EntryOut, **ERRORS}, summary="Second approval")
def post_approve(request, entry_id: int):
    services.approve_entry(_entry(request, entry_id), actor=request.auth)
    return _entry_response(entry_id)


@router.post(
    "/points/entries/{entry_id}/decline", response={200: EntryOut, **ERRORS}, summary="Second approver declines"
)
def post_decline(request, entry_id: int, payload: EntryReasonIn):
    services.decline_entry(_entry(request, entry_id), actor=request.auth, reason=payload.reason)
    return _entry_response(entry_id)


@router.post(
    "/points/entries/{entry_id}/reverse",
    response={200: EntryOut, **ERRORS},
    summary="Void an entry by a reversing entry, with a reason",
)
def post_reverse(request, entry_id: int, payload: EntryReasonIn):
    services.reverse_entry(_entry(request, entry_id), actor=request.auth, reason=payload.reason)
    return _entry_response(entry_id)


def appeal_out(a: Appeal) -> dict:
    return {
        "id": a.pk,
        "entry": a.entry_id,
        "household": a.household_id,
        "reason": a.reason,
        "status": a.status,
        "decision_reason": a.decision_reason,
        "decided_at": a.decided_at,
    }


@router.post(
    "/points/entries/{entry_id}/appeal",
    response={201: AppealOut, **ERRORS},
    summary="The household appeals an entry in public notice",
)
def post_appeal(request, entry_id: int, payload: EntryReasonIn):
    appeal = services.appeal_entry(_entry(request, entry_id), actor=request.auth, reason=payload.reason)
    return Status(201, appeal_out(appeal))


@router.post(
    "/points/appeals/{appeal_id}/decision",
    response={200: AppealOut, **ERRORS},
    summary="Uphold (void the entry) or reject an appeal, with a reason",
)
def post_decision(request, appeal_id: int, payload: AppealDecisionIn):
    appeal = get_in_scope(Appeal.objects, request.auth, pk=appeal_id)
    appeal = services.decide_appeal(appeal, actor=request.auth, uphold=payload.uphold, reason=payload.reason)
    return appeal_out(appeal)


@router.get(
    "/points/rankings",
    response={200: RankingOut, **ERRORS},
    summary="Households of a village, township or county by points earned in a month, quarter or year",
)
def get_rankings(request, params: Query[RankingQuery]):
    area = get_in_scope(Area.objects, request.auth, pk=params.area)
    if area.level not in ("village", "township", "county"):
        raise InvalidInput(fields={"area": _("Rankings are by village, township or county.")}, code="invalid_area")
    kind, start = parse_period(params.period, params.start, timezone.localdate())
    rows = ranking_page(area, kind, start, limit=params.limit, offset=params.offset)
    from shanzhi.points.rankings import ranking_queryset

    return {
        "area": area.pk,
        "period_kind": kind,
        "period_start": start,
        "tie_rule": TIE_RULE,
        "count": ranking_queryset(area, kind, start).count(),
        "items": [
            {
                "rank": r.rank,
                "household": r.household_id,
                "household_number": r.household.number,
                "head_name": r.household.head_name,
                "village": r.village.name,
                "earned": r.earned,
                "deducted": r.deducted,
                "major_deductions": r.major_deductions,
            }
            for r in rows
        ],
    }


TIE_RULE = (
    "more points earned in the period first; then fewer points deducted in the period; "
    "then the household that reached its total earlier; then the earlier registered household"
)


# --- the shop -------------------------------------------------------------------------------


def item_out(item: ShopItem) -> dict:
    return {
        "id": item.pk,
        "shop": item.shop_id,
        "shop_name": item.shop.name,
        "name": item.name,
        "points_price": item.points_price,
        "stock": item.stock,
        "active": item.active,
        "photo_url": item.photo.url if item.photo else "",
    }


def shops_serving(village: Area):
    return Shop.objects.filter(area_id__in=[village.pk, village.parent_id])


@router.get(
    "/shop/items",
    response={200: ItemPage, **ERRORS},
    summary="Goods of the points shop(s) serving a village (its own and its township's shared shop)",
)
def get_items(request, village: int, include_inactive: bool = False):
    area = visible_village(request.auth, village)
    items = (
        ShopItem.objects.filter(shop__in=shops_serving(area)).select_related("shop").order_by("points_price", "name")
    )
    if not include_inactive:
        items = items.filter(active=True, shop__active=True)
    rows = [item_out(i) for i in items]
    return {"items": rows, "count": len(rows)}


@router.post("/shop/items", response={201: ItemOut, **ERRORS}, summary="Put goods on the village's points shop")
def post_item(request, payload: ItemIn):
    user = request.auth
    if not user.has_perm(services.PERM_MANAGE_SHOP):
        raise Forbidden()
    village = get_in_scope(Area.objects, user, pk=payload.village)
    if village.level != "village":
        raise InvalidInput(fields={"village": _("Please choose a village.")})
    shop = Shop.objects.filter(area=village).first() or services.create_shop(
        village, actor=user, name=f"{village.name}积分超市"
    )
    item = services.create_item(
        shop, actor=user, name=payload.name, points_price=payload.points_price, stock=payload.stock
    )
    return Status(201, item_out(item))


def redemption_out(redemption: Redemption) -> dict:
    balance = HouseholdPoints.objects.get(household_id=redemption.household_id)
    return {
        "id": redemption.pk,
        "receipt_number": redemption.receipt_number,
        "household": redemption.household_id,
        "shop": redemption.shop_id,
        "points": redemption.points,
        "balance_after": balance.balance,
        "spendable_after": balance.spendable,
        "status": redemption.status,
        "items": [
            {"item": line.item_id, "name": line.item.name, "quantity": line.quantity, "points": line.points}
            for line in redemption.lines.select_related("item")
        ],
    }


@router.post(
    "/shop/redemptions",
    response={201: RedemptionOut, **ERRORS},
    summary="Redeem goods for a household at the counter; accepts an Idempotency-Key. "
    "409 insufficient_points / out_of_stock",
)
def post_redemption(request, payload: RedemptionIn):
    user = request.auth
    household = get_in_scope(Household.objects.select_related("grid"), user, pk=payload.household)
    item_ids = {line.item for line in payload.items}
    shops = set(ShopItem.objects.filter(pk__in=item_ids).values_list("shop_id", flat=True))
    if len(shops) != 1:
        raise InvalidInput(fields={"items": [_("Goods must exist and come from one shop.")]}, code="invalid_items")
    shop = get_in_scope(Shop.objects.select_related("area"), user, pk=shops.pop())

    def run():
        redemption = services.redeem(
            shop=shop, household=household, lines=[(line.item, line.quantity) for line in payload.items], actor=user
        )
        return 201, redemption_out(redemption)

    return Status(
        *run_idempotent(
            user=user, operation="points.redemption", key=key_from_request(request), payload=payload.dict(), run=run
        )
    )


@router.post(
    "/shop/redemptions/{redemption_id}/cancel",
    response={200: RedemptionOut, **ERRORS},
    summary="Same-day cancellation: points and stock come back by reversal",
)
def post_cancel(request, redemption_id: int, payload: EntryReasonIn):
    redemption = get_in_scope(Redemption.objects, request.auth, pk=redemption_id)
    return redemption_out(services.cancel_redemption(redemption, actor=request.auth, reason=payload.reason))


@router.get(
    "/points/honours/verify/{code}",
    auth=None,
    response={200: HonourVerifyOut, **ERRORS},
    summary="Public check of a signboard's QR code",
)
def verify_honour(request, code: str):
    honour = (
        Honour.objects.select_related("household__head", "household__grid__parent__parent")
        .filter(verify_code=code[:40])
        .first()
    )
    if honour is None:
        raise NotFound()
    return honour_public(honour)


def honour_public(honour: Honour) -> dict:
    village = honour.household.grid.parent
    return {
        "valid": honour.revoked_at is None,
        "number": honour.number,
        "kind": honour.kind,
        "kind_label": str(honour.get_kind_display()),
        "year": honour.year,
        "village": f"{village.parent.name}{village.name}",
        "head_name": mask_name(honour.household.head_name),
        "revoked": honour.revoked_at is not None,
    }
