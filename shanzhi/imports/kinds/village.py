"""What belongs to a village: deliberation venues, points rules (村规民约) and points-shop goods.

All three are small per village and are written through their own apps' services
(``deliberation.services``, ``points.services``) row by row, each row in a savepoint,
so the apps' own checks, audit rows and stock ledger apply unchanged.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.errors import DomainError
from shanzhi.deliberation.choices import VenueKind
from shanzhi.deliberation.models import Venue
from shanzhi.deliberation.services import create_venue, update_venue
from shanzhi.imports import cells
from shanzhi.imports.choices import Outcome
from shanzhi.imports.kinds.base import REQUIRED_ALWAYS, REQUIRED_TO_CREATE, FieldSpec, Kind, Row, outcome_for
from shanzhi.people.models import Household
from shanzhi.points.choices import PeriodKind, RuleCategory, StockReason
from shanzhi.points.models import Rule, Shop, ShopItem
from shanzhi.points.services import (
    PERM_MANAGE_TEMPLATES,
    adjust_stock,
    create_item,
    create_rule,
    create_shop,
    update_item,
    update_rule,
)

venue_kind = cells.ChoiceParser(
    VenueKind,
    {
        "小院": VenueKind.COURTYARD,
        "庭院": VenueKind.COURTYARD,
        "院落": VenueKind.COURTYARD,
        "长廊": VenueKind.CORRIDOR,
        "广场": VenueKind.SQUARE,
        "凉亭": VenueKind.SQUARE,
        "议事广场": VenueKind.SQUARE,
        "议事亭": VenueKind.SQUARE,
        "党员院落": VenueKind.FARMYARD,
        "其他": VenueKind.OTHER,
    },
)
rule_category = cells.ChoiceParser(RuleCategory, {"卫生": RuleCategory.HYGIENE, "好人好事": RuleCategory.GOOD_DEEDS})
period_kind = cells.ChoiceParser(
    PeriodKind,
    {
        "月": PeriodKind.MONTH,
        "每月": PeriodKind.MONTH,
        "季": PeriodKind.QUARTER,
        "每季度": PeriodKind.QUARTER,
        "年": PeriodKind.YEAR,
        "每年": PeriodKind.YEAR,
    },
)


def _active(value) -> bool:
    return cells.parse_bool(value, extra_true={"启用", "在用", "上架", "在售"}, extra_false={"停用", "下架", "停售"})


def _nonzero(value) -> int:
    points = cells.parse_int(value, minimum=-1000, maximum=1000)
    if points == 0:
        raise cells.CellError(_("A whole number from -1000 to 1000, not 0."), "number_range")
    return points


def _service_error(row: Row, exc: DomainError) -> None:
    detail = "; ".join(m for messages in exc.fields.values() for m in messages) or exc.message
    row.error(None, detail, exc.code)


class _VillageKind(Kind):
    """Rows that belong to a village named in the row, or by the sheet."""

    chunk_size = None
    sheet_area_levels = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
    area_field = "village"
    area_levels = (AreaLevel.VILLAGE,)

    def row_area(self, row: Row):
        if self.area_field in row.raw:
            return self.resolve_area(row, self.area_field, self.area_levels)
        if row.area is not None and row.area.level in self.area_levels:
            return row.area
        return None


# --- venues ------------------------------------------------------------------------------------


class VenuesKind(_VillageKind):
    name = "venues"
    permissions = ("deliberation.manage_venues",)
    fields = (
        FieldSpec(
            "village",
            "所属村",
            ("行政村", "村", "村名", "所在村"),
            help=gettext_lazy("The village; blank: the area of the sheet."),
            example="永和村",
        ),
        FieldSpec(
            "name",
            "场所名称",
            ("名称", "议事场所", "场所", "议事场所名称"),
            parse=lambda v: cells.parse_text(v, max_length=100),
            required=REQUIRED_ALWAYS,
            help=gettext_lazy("Unique within its village: with the village, the key a re-import updates by."),
            example="李家议事小院",
        ),
        FieldSpec(
            "kind",
            "类别",
            ("场所类别", "类型", "场所类型"),
            parse=venue_kind,
            required=REQUIRED_TO_CREATE,
            example="议事小院",
        ),
        FieldSpec(
            "host_household",
            "提供户户号",
            ("户号", "提供场地户号", "所在户户号"),
            parse=cells.parse_code,
            help=gettext_lazy("For a courtyard: the number of the household that hosts it."),
            example="2303812030010001",
        ),
        FieldSpec(
            "location",
            "地点",
            ("位置", "地址", "所在位置"),
            parse=lambda v: cells.parse_text(v, max_length=200),
            example="永和村前街1号",
        ),
        FieldSpec("latitude", "纬度", ("lat",), parse=lambda v: cells.parse_float(v, minimum=-90, maximum=90)),
        FieldSpec("longitude", "经度", ("lng", "lon"), parse=lambda v: cells.parse_float(v, minimum=-180, maximum=180)),
        FieldSpec(
            "capacity",
            "可容纳人数",
            ("容纳人数", "人数", "可容纳"),
            parse=lambda v: cells.parse_int(v, minimum=1, maximum=100_000),
            example=20,
        ),
        FieldSpec("active", "是否启用", ("启用", "状态"), parse=_active, example="是"),
    )
    instructions = (
        gettext_lazy(
            "One row per venue. The village and the name are the key: importing them again updates the venue."
        ),
    )

    def keys(self, row: Row):
        area = row.plan.get("village")
        return [("name", "场所名称", f"{area.id}:{row.values['name']}")] if area and row.has("name") else []

    def check(self, rows: list[Row]) -> None:
        numbers = {row.values["host_household"] for row in rows if row.has("host_household")}
        households = {h.number: h for h in Household.objects.filter(number__in=numbers).select_related("grid")}
        for row in rows:
            village = self.row_area(row)
            if village is None and not row.errors:
                row.error(
                    "village" if "village" in row.sheet.columns_by_field else None,
                    _("Say which village it is in."),
                    "required",
                )
            if row.errors:
                continue
            row.plan["village"] = village
            current = Venue.objects.filter(village_id=village.id, name=row.values.get("name")).first()
            self.require(row, current is None)
            wanted = {
                k: row.values[k]
                for k in ("kind", "location", "latitude", "longitude", "capacity", "active")
                if k in row.values
            }
            if row.has("host_household"):
                host = households.get(row.values["host_household"])
                if host is None or host.grid.parent_id != village.id or not self.ctx.in_scope(host.grid.path):
                    row.error(
                        "host_household",
                        _("Household %(number)s is not registered in %(village)s.")
                        % {"number": row.values["host_household"], "village": village.name},
                        "unknown_household",
                    )
                else:
                    wanted["host_household"] = host
            if row.errors:
                continue
            if current is not None:
                changes = {
                    k: v
                    for k, v in wanted.items()
                    if (getattr(current, k + "_id") if k == "host_household" else getattr(current, k))
                    != (v.pk if k == "host_household" else v)
                }
            else:
                changes = wanted
            row.plan.update(current=current, changes=changes)
            row.outcome = outcome_for(current is None, changes)

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            changes = dict(row.plan["changes"])
            try:
                with transaction.atomic():
                    if row.outcome == Outcome.CREATED:
                        create_venue(
                            actor=self.ctx.actor,
                            name=row.values["name"],
                            village=Area.objects.get(pk=row.plan["village"].id),
                            **changes,
                        )
                    else:
                        update_venue(row.plan["current"], actor=self.ctx.actor, **changes)
            except DomainError as exc:
                _service_error(row, exc)

    def export(self, user, *, masked: bool):
        areas = self.ctx.areas
        queryset = Venue.objects.for_user(user) if user is not None else Venue.objects.all()
        for venue in queryset.select_related("host_household").order_by("village__path", "name"):
            yield {
                "village": areas.label(areas.get(venue.village_id)),
                "name": venue.name,
                "kind": venue_kind.label(venue.kind),
                "host_household": venue.host_household.number if venue.host_household_id else "",
                "location": venue.location,
                "latitude": venue.latitude,
                "longitude": venue.longitude,
                "capacity": venue.capacity,
                "active": "是" if venue.active else "否",
            }


# --- points rules --------------------------------------------------------------------------------


RULE_VALUE_FIELDS = (
    "text",
    "category",
    "points",
    "cap_per_period",
    "cap_period",
    "evidence_required",
    "second_approval_above",
    "major",
    "active",
    "sort_order",
)


class RulesKind(_VillageKind):
    name = "rules"
    permissions = ("points.manage_rules",)
    area_field = "area"
    area_levels = (AreaLevel.VILLAGE, AreaLevel.COUNTY)  # the county: its template rules, named explicitly
    fields = (
        FieldSpec(
            "area",
            "所属村",
            ("行政村", "村", "村名", "适用范围", "所属区域"),
            help=gettext_lazy(
                "The village whose compact it is, or the county for a county template; blank: the area of the sheet."
            ),
            example="永和村",
        ),
        FieldSpec(
            "code",
            "编码",
            ("条目编码", "编号", "规则编码", "条目编号"),
            parse=cells.parse_code,
            required=REQUIRED_ALWAYS,
            help=gettext_lazy("Unique within the village: with the village, the key a re-import updates by."),
            example="WS-01",
        ),
        FieldSpec(
            "text",
            "条目内容",
            ("村规民约条目", "内容", "规则内容", "条款", "积分事项", "事项"),
            parse=lambda v: cells.parse_text(v, max_length=200),
            required=REQUIRED_TO_CREATE,
            example="房前屋后干净整洁",
        ),
        FieldSpec(
            "category",
            "类别",
            ("积分类别", "分类", "类型"),
            parse=rule_category,
            required=REQUIRED_TO_CREATE,
            example="环境卫生与庭院整洁",
        ),
        FieldSpec(
            "points",
            "分值",
            ("积分", "加减分", "分数", "积分值"),
            parse=_nonzero,
            required=REQUIRED_TO_CREATE,
            help=gettext_lazy("Positive awards, negative deducts: a whole number from -1000 to 1000, not 0."),
            example=5,
        ),
        FieldSpec(
            "cap_per_period",
            "每期上限",
            ("上限", "封顶分值", "每期封顶"),
            parse=lambda v: cells.parse_int(v, minimum=1),
            help=gettext_lazy("The most points one household may get from it in one period; blank for no cap."),
            example=20,
        ),
        FieldSpec("cap_period", "上限周期", ("周期", "封顶周期"), parse=period_kind, example="月份"),
        FieldSpec(
            "evidence_required",
            "需要照片",
            ("是否需要照片", "需要佐证", "需佐证"),
            parse=cells.parse_bool,
            example="否",
        ),
        FieldSpec(
            "second_approval_above",
            "超过多少分需复核",
            ("二次审批分值", "复核分值"),
            parse=lambda v: cells.parse_int(v, minimum=0),
            example="",
        ),
        FieldSpec("major", "重大扣分", ("是否重大扣分",), parse=cells.parse_bool, example="否"),
        FieldSpec("active", "是否启用", ("启用", "状态"), parse=_active, example="是"),
        FieldSpec("sort_order", "排序", ("顺序",), parse=lambda v: cells.parse_int(v, minimum=0), example=1),
    )
    instructions = (
        gettext_lazy(
            "One row per line of the compact. The village and the code are the key: importing them again updates the line."
        ),
        gettext_lazy("Entries already recorded keep their points when a rule changes."),
    )

    def keys(self, row: Row):
        area = row.plan.get("area")
        return [("code", "编码", f"{area.id}:{row.values['code']}")] if area and row.has("code") else []

    def check(self, rows: list[Row]) -> None:
        may_template = self.ctx.actor is None or self.ctx.actor.has_perm(PERM_MANAGE_TEMPLATES)
        for row in rows:
            area = self.row_area(row)
            if area is None and not row.errors:
                row.error(
                    "area" if "area" in row.sheet.columns_by_field else None,
                    _("Say which village it is in."),
                    "required",
                )
            if row.errors:
                continue
            if area.level == AreaLevel.COUNTY and not may_template:
                row.error("area", _("Only the county may change the county's template rules."), "out_of_scope")
                continue
            row.plan["area"] = area
            current = Rule.objects.filter(area_id=area.id, code=row.values["code"]).first()
            self.require(row, current is None)
            if row.errors:
                continue
            wanted = {k: row.values[k] for k in RULE_VALUE_FIELDS if k in row.values}
            changes = {k: v for k, v in wanted.items() if getattr(current, k) != v} if current else wanted
            row.plan.update(current=current, changes=changes)
            row.outcome = outcome_for(current is None, changes)

    def write(self, rows: list[Row]) -> None:
        for row in rows:
            try:
                with transaction.atomic():
                    if row.outcome == Outcome.CREATED:
                        create_rule(
                            Area.objects.get(pk=row.plan["area"].id),
                            actor=self.ctx.actor,
                            code=row.values["code"],
                            **row.plan["changes"],
                        )
                    else:
                        update_rule(row.plan["current"], actor=self.ctx.actor, **row.plan["changes"])
            except DomainError as exc:
                _service_error(row, exc)

    def export(self, user, *, masked: bool):
        areas = self.ctx.areas
        queryset = Rule.objects.for_user(user) if user is not None else Rule.objects.all()
        if user is not None and not user.has_perm(PERM_MANAGE_TEMPLATES):
            queryset = queryset.exclude(area__level=AreaLevel.COUNTY)
        for rule in queryset.order_by("area__path", "sort_order", "code"):
            yield {
                "area": areas.label(areas.get(rule.area_id)),
                "code": rule.code,
                "text": rule.text,
                "category": rule_category.label(rule.category),
                "points": rule.points,
                "cap_per_period": rule.cap_per_period,
                "cap_period": period_kind.label(rule.cap_period),
                "evidence_required": "是" if rule.evidence_required else "否",
                "second_approval_above": rule.second_approval_above,
                "major": "是" if rule.major else "否",
                "active": "是" if rule.active else "否",
                "sort_order": rule.sort_order,
            }


# --- points shop goods -------------------------------------------------------------------------


class GoodsKind(_VillageKind):
    name = "goods"
    permissions = ("points.manage_shop",)
    area_field = "shop"
    area_levels = (AreaLevel.VILLAGE, AreaLevel.TOWNSHIP)
    fields = (
        FieldSpec(
            "shop",
            "积分超市所在村",
            ("所属村", "行政村", "村", "积分超市", "超市所在地", "所属乡镇"),
            help=gettext_lazy("The village (or township) that runs the shop; blank: the area of the sheet."),
            example="永和村",
        ),
        FieldSpec(
            "name",
            "商品名称",
            ("名称", "商品", "物品名称", "兑换物品"),
            parse=lambda v: cells.parse_text(v, max_length=60),
            required=REQUIRED_ALWAYS,
            help=gettext_lazy("Unique within the shop: with the shop, the key a re-import updates by."),
            example="洗衣粉",
        ),
        FieldSpec(
            "points_price",
            "兑换积分",
            ("所需积分", "积分价格", "积分", "单价(积分)", "兑换分值"),
            parse=lambda v: cells.parse_int(v, minimum=1, maximum=100_000),
            required=REQUIRED_TO_CREATE,
            example=10,
        ),
        FieldSpec(
            "stock",
            "库存",
            ("库存数量", "数量", "现有库存"),
            parse=lambda v: cells.parse_int(v, minimum=0, maximum=1_000_000),
            help=gettext_lazy("A different stock than recorded is booked as a stock count adjustment."),
            example=50,
        ),
        FieldSpec("active", "是否上架", ("上架", "在售", "状态", "是否在售"), parse=_active, example="是"),
    )
    instructions = (
        gettext_lazy("One row per item. The shop and the name are the key: importing them again updates the item."),
        gettext_lazy("A village without a shop gets one, named after the village."),
    )

    def keys(self, row: Row):
        area = row.plan.get("shop_area")
        return [("name", "商品名称", f"{area.id}:{row.values['name']}")] if area and row.has("name") else []

    def check(self, rows: list[Row]) -> None:
        shops = {shop.area_id: shop for shop in Shop.objects.all()}
        for row in rows:
            area = self.row_area(row)
            if area is None and not row.errors:
                row.error(
                    "shop" if "shop" in row.sheet.columns_by_field else None,
                    _("Say which village runs the shop."),
                    "required",
                )
            if row.errors:
                continue
            shop = shops.get(area.id)
            row.plan.update(shop_area=area, shop=shop)
            current = ShopItem.objects.filter(shop=shop, name=row.values["name"]).first() if shop else None
            self.require(row, current is None)
            if row.errors:
                continue
            wanted = {k: row.values[k] for k in ("points_price", "stock", "active") if k in row.values}
            changes = {k: v for k, v in wanted.items() if getattr(current, k) != v} if current else wanted
            row.plan.update(current=current, changes=changes)
            row.outcome = outcome_for(current is None, changes)

    def write(self, rows: list[Row]) -> None:
        opened: dict[int, Shop] = {}
        for row in rows:
            changes = dict(row.plan["changes"])
            try:
                with transaction.atomic():
                    area = row.plan["shop_area"]
                    shop = row.plan["shop"] or opened.get(area.id) or Shop.objects.filter(area_id=area.id).first()
                    if shop is None:
                        shop = create_shop(
                            Area.objects.get(pk=area.id),
                            actor=self.ctx.actor,
                            name=f"{area.name}积分超市",  # the shop's name is data, in the county's language
                        )
                        opened[area.id] = shop
                    if row.outcome == Outcome.CREATED:
                        create_item(shop, actor=self.ctx.actor, name=row.values["name"], **changes)
                    else:
                        item = row.plan["current"]
                        stock = changes.pop("stock", None)
                        if changes:
                            item = update_item(item, actor=self.ctx.actor, **changes)
                        if stock is not None:
                            adjust_stock(
                                item,
                                actor=self.ctx.actor,
                                delta=stock - item.stock,
                                reason=StockReason.ADJUSTMENT,
                                note=_("Stock count from import"),
                            )
            except DomainError as exc:
                _service_error(row, exc)

    def export(self, user, *, masked: bool):
        areas = self.ctx.areas
        queryset = ShopItem.objects.for_user(user) if user is not None else ShopItem.objects.all()
        for item in queryset.select_related("shop").order_by("shop__area__path", "name"):
            yield {
                "shop": areas.label(areas.get(item.shop.area_id)),
                "name": item.name,
                "points_price": item.points_price,
                "stock": item.stock,
                "active": "是" if item.active else "否",
            }
