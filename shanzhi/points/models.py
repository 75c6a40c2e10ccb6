"""Points: village rules, the append-only household ledger and everything fed by it.

The ledger (:class:`PointsEntry`) is the truth. Each row is written once, hash-chained
per village with SM3 and never changed or deleted (the model refuses; on PostgreSQL a
trigger refuses too). What changes over time, an entry's status in the notice and
appeal workflow, lives in :class:`EntryState`, a projection re-derivable from the
append-only :class:`EntryEvent` rows, which are chained the same way. Balances
(:class:`HouseholdPoints`) and per-period totals (:class:`PeriodPoints`, which also
serves the rankings) are projections kept in the same transaction as the entries;
``shanzhi points verify`` re-derives all of them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.models import Area
from shanzhi.core.models import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet, RowidOneToOneField
from shanzhi.core.scoping import NOTHING, ScopedQuerySet, subtree_q
from shanzhi.people.models import Household
from shanzhi.points.choices import (
    AppealStatus,
    CampaignStatus,
    DividendMethod,
    DividendStatus,
    EntryAction,
    EntryKind,
    EntryStatus,
    HonourKind,
    NominationStatus,
    PeriodKind,
    RedemptionStatus,
    RuleCategory,
    StockReason,
)

GENESIS_HASH = "0" * 64


def _village_q(scope, field: str = "village", household_field: str | None = "household") -> Q:
    q = subtree_q(f"{field}__path", scope.area_paths) if scope.area_paths else NOTHING
    if household_field and scope.household_ids:
        q |= Q(**{f"{household_field}_id__in": scope.household_ids})
    return q


class VillageScopedQuerySet(ScopedQuerySet):
    """Rows that belong to a village: staff see their subtree, villagers their own household's rows."""

    village_field = "village"
    household_field: str | None = "household"

    def scope_q(self, scope):
        return _village_q(scope, self.village_field, self.household_field)


class VillageOnlyQuerySet(VillageScopedQuerySet):
    household_field = None


class VillageSettings(models.Model):
    """A village's points settings: how long entries stay in public notice, who is excluded from awards."""

    village = models.OneToOneField(
        Area, verbose_name=_("Village"), primary_key=True, on_delete=models.PROTECT, related_name="points_settings"
    )
    notice_days = models.PositiveSmallIntegerField(
        _("Public notice days"), default=3, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    exclude_major_from_awards = models.BooleanField(
        _("Exclude households with a major deduction in the period from awards"), default=True
    )
    updated = models.DateTimeField(auto_now=True)

    objects = VillageOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Village points settings")
        verbose_name_plural = _("Village points settings")

    def __str__(self):
        return str(self.village)


class RuleQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        # Staff see the county's templates, the rules of their subtree and of the village
        # above them (a grid worker records by their village's rules); villagers their village's.
        paths = list(scope.area_paths)
        if scope.household_ids:
            grid_paths = Household.objects.filter(pk__in=scope.household_ids).values_list("grid__path", flat=True)
            paths += _ancestor_paths(grid_paths, 3)
        if not paths:
            return NOTHING
        return (
            subtree_q("area__path", paths)
            | Q(area__path__in=_ancestor_paths(paths, 3))
            | Q(area__level="county", area__path__in=_ancestor_paths(paths, 1))
        )

    def active(self):
        return self.filter(active=True)

    def templates(self):
        return self.filter(area__level="county")


class Rule(models.Model):
    """One line of the village compact: a county template, or a village's adopted (and adjusted) copy."""

    area = models.ForeignKey(
        Area,
        verbose_name=_("Area"),
        on_delete=models.PROTECT,
        related_name="points_rules",
        help_text=_("The county (a template) or the village that adopted the rule."),
    )
    template = models.ForeignKey(
        "self",
        verbose_name=_("Template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adoptions",
    )
    code = models.CharField(_("Code"), max_length=40)
    text = models.CharField(_("Rule text"), max_length=200)
    category = models.CharField(_("Category"), max_length=24, choices=RuleCategory.choices)
    points = models.IntegerField(
        _("Points"), help_text=_("Positive awards points, negative deducts; the most one entry may give.")
    )
    cap_per_period = models.PositiveIntegerField(
        _("Cap per household per period"),
        null=True,
        blank=True,
        help_text=_("The most points one household may get from this rule in one period; blank for no cap."),
    )
    cap_period = models.CharField(_("Cap period"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.MONTH)
    evidence_required = models.BooleanField(_("Evidence photo required"), default=False)
    second_approval_above = models.PositiveIntegerField(
        _("Second approver needed above"),
        null=True,
        blank=True,
        help_text=_("A deduction of more points than this needs a second approver; blank for never."),
    )
    major = models.BooleanField(
        _("Major deduction"),
        default=False,
        help_text=_("Households with a major deduction in a period may be excluded from awards and honours."),
    )
    active = models.BooleanField(_("Active"), default=True)
    sort_order = models.PositiveIntegerField(_("Order"), default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("Village rule")
        verbose_name_plural = _("Village rules")
        ordering = ["area", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["area", "code"], name="points_rule_unique_code"),
            models.CheckConstraint(condition=~Q(points=0), name="points_rule_points_nonzero"),
        ]

    def __str__(self):
        return f"{self.code} {self.text}"

    @property
    def is_deduction(self) -> bool:
        return self.points < 0


class LedgerHead(models.Model):
    """The tip of a village's two hash chains; locking it serialises the village's ledger writes."""

    village = models.OneToOneField(Area, primary_key=True, on_delete=models.PROTECT, related_name="+")
    entry_seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    event_seq = models.PositiveBigIntegerField(default=0)
    event_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    objects = VillageOnlyQuerySet.as_manager()

    def __str__(self):
        return f"{self.village_id}#{self.entry_seq}"


class PointsEntryQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return _village_q(scope)


class PointsEntry(AppendOnlyModel):
    """One ledger line. Never updated or deleted: a correction is a reversing entry."""

    # Every index is a page written by every posting, so columns get an index of their own
    # only where no other index leads with them: village by the chain position (village,
    # seq), household by (household, created), rule by (rule, household, occurred_on).
    village = models.ForeignKey(
        Area, verbose_name=_("Village"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    seq = models.PositiveBigIntegerField(_("Number"))
    household = models.ForeignKey(
        Household,
        verbose_name=_("Household"),
        on_delete=models.PROTECT,
        related_name="points_entries",
        db_index=False,
    )
    kind = models.CharField(_("Kind"), max_length=12, choices=EntryKind.choices)
    rule = models.ForeignKey(
        Rule,
        verbose_name=_("Village rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
    )
    delta = models.IntegerField(_("Points"))
    occurred_on = models.DateField(_("Date"))
    note = models.CharField(_("Reason"), max_length=300, blank=True)
    evidence = models.FileField(_("Evidence photo"), upload_to="points/evidence/%Y/%m/", blank=True, max_length=200)
    major = models.BooleanField(_("Major deduction"), default=False)
    needs_approval = models.BooleanField(_("Needs second approver"), default=False)
    notice_days = models.PositiveSmallIntegerField(_("Public notice days"), default=0)
    # At most one reversal per entry (points_entry_reversed_once); a partial index, so that
    # the entries that reverse nothing (nearly all) write no page of it.
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("Reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    # Not indexed: no page lists entries by recorder, and accounts are deactivated, never
    # deleted (the admin refuses deletes), so the PROTECT check never needs to look.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created = models.DateTimeField(_("Recorded at"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Points entry")
        verbose_name_plural = _("Points entries")
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "seq"], name="points_entry_chain_position"),
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="points_entry_reversed_once"
            ),
        ]
        indexes = [
            models.Index(fields=["household", "created"]),
            # A rule's entries (the cap check: one rule, some households, a period).
            models.Index(fields=["rule", "household", "occurred_on"], name="points_entry_rule_household"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.delta:+d}"

    @property
    def original_kind(self) -> str:
        """For a reversal, the kind of the entry it reverses."""
        return self.reverses.kind if self.kind == EntryKind.REVERSAL and self.reverses_id else self.kind


class EntryStateQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q(scope)


class EntryState(models.Model):
    """Where an entry stands in the workflow: a projection of its events, kept for fast lists."""

    entry = RowidOneToOneField(PointsEntry, primary_key=True, on_delete=models.PROTECT, related_name="state")
    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_index=False)  # (village, status)
    # A copy of the entry's household, for lists by village and status; not indexed (a page
    # written per posting) and not looked at on deleting a household: the entry's own
    # household is PROTECTed, and a state exists only beside its entry.
    household = models.ForeignKey(Household, on_delete=models.DO_NOTHING, related_name="+", db_index=False)
    status = models.CharField(_("Status"), max_length=12, choices=EntryStatus.choices)
    notice_until = models.DateTimeField(_("In notice until"), null=True, blank=True)
    effective_at = models.DateTimeField(_("Took effect at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # partial index below: most entries need no second approver
    )
    open_appeal = models.BooleanField(_("Appeal awaiting decision"), default=False)

    objects = EntryStateQuerySet.as_manager()

    class Meta:
        verbose_name = _("Entry status")
        verbose_name_plural = _("Entry status")
        indexes = [
            # A village's entries by status (the board, the sweep: in notice until ...).
            models.Index(fields=["village", "status", "notice_until"], name="points_state_village_status"),
            # Entries awaiting a second approver anywhere in a scope; few rows, rarely written.
            models.Index(fields=["status"], condition=Q(status="pending"), name="points_state_pending"),
            models.Index(
                fields=["approved_by"], condition=Q(approved_by__isnull=False), name="points_state_approved_by"
            ),
        ]

    def __str__(self):
        return f"{self.entry_id} {self.status}"


class EntryEventQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return _village_q(scope, household_field="entry__household")


class EntryEvent(AppendOnlyModel):
    """One transition of an entry (approval, appeal, decision, taking effect, reversal), chained per village."""

    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("Action"), max_length=16, choices=EntryAction.choices)
    from_status = models.CharField(_("From"), max_length=12, choices=EntryStatus.choices)
    to_status = models.CharField(_("To"), max_length=12, choices=EntryStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Operator"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.CharField(_("Note"), max_length=300, blank=True)
    created = models.DateTimeField(_("Time"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = EntryEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("Entry event")
        verbose_name_plural = _("Entry events")
        ordering = ["created", "id"]
        constraints = [models.UniqueConstraint(fields=["village", "seq"], name="points_event_chain_position")]

    def __str__(self):
        return f"{self.entry_id} {self.action}"


class Appeal(models.Model):
    """A household contests an entry during its notice; the secretary upholds or rejects it."""

    entry = models.OneToOneField(PointsEntry, verbose_name=_("Points entry"), on_delete=models.PROTECT)
    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("Household"), on_delete=models.PROTECT)
    reason = models.CharField(_("Reason for appeal"), max_length=500)
    evidence = models.FileField(_("Evidence photo"), upload_to="points/appeals/%Y/%m/", blank=True, max_length=200)
    status = models.CharField(_("Status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("Submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("Reason for decision"), max_length=500, blank=True)

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Appeal")
        verbose_name_plural = _("Appeals")
        ordering = ["-created"]
        indexes = [models.Index(fields=["village", "status"])]

    def __str__(self):
        return f"{self.entry_id} {self.status}"


class HouseholdPoints(models.Model):
    """A household's balances, kept in the same transaction as every entry that moves them.

    ``balance`` is the sum of the entries that took effect; ``held`` the deductions still
    in notice; ``spendable`` what the shop may take, ``max(0, balance - held)``;
    ``earned_lifetime`` the net points from village rules (awards less deductions),
    which shop spending never lowers.
    """

    household = models.OneToOneField(Household, primary_key=True, on_delete=models.PROTECT, related_name="points")
    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    balance = models.IntegerField(_("Balance"), default=0)
    held = models.PositiveIntegerField(_("Deductions in notice"), default=0)
    spendable = models.PositiveIntegerField(_("Spendable"), default=0)
    earned_lifetime = models.IntegerField(_("Earned in total"), default=0)
    updated = models.DateTimeField(auto_now=True)

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Household points")
        verbose_name_plural = _("Household points")

    def __str__(self):
        return f"{self.household_id}: {self.balance}"


class PeriodPoints(models.Model):
    """Net points a household earned in one month, quarter or year: the rankings read this table."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    earned = models.IntegerField(default=0)
    awarded = models.PositiveIntegerField(default=0)
    deducted = models.PositiveIntegerField(default=0)
    major_deductions = models.PositiveIntegerField(default=0)
    reached_at = models.DateTimeField()

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Points per period")
        verbose_name_plural = _("Points per period")
        constraints = [
            models.UniqueConstraint(fields=["household", "period_kind", "period_start"], name="points_period_unique")
        ]
        # The tie rule is the index order: more points, fewer deducted, reached earlier, household id.
        indexes = [
            models.Index(
                fields=["village", "period_kind", "period_start", "-earned", "deducted", "reached_at", "household"],
                name="points_rank_village",
            ),
            models.Index(
                fields=["township", "period_kind", "period_start", "-earned", "deducted", "reached_at", "household"],
                name="points_rank_township",
            ),
            models.Index(
                fields=["county", "period_kind", "period_start", "-earned", "deducted", "reached_at", "household"],
                name="points_rank_county",
            ),
        ]

    def __str__(self):
        return f"{self.household_id} {self.period_kind} {self.period_start}: {self.earned}"


class RewardTier(models.Model):
    """Prizes by rank in a village: by default ranks 1–4 get a mattress, 5–10 a blanket."""

    village = models.ForeignKey(Area, verbose_name=_("Village"), on_delete=models.PROTECT, related_name="+")
    rank_from = models.PositiveIntegerField(_("From rank"), validators=[MinValueValidator(1)])
    rank_to = models.PositiveIntegerField(_("To rank"), validators=[MinValueValidator(1)])
    prize = models.CharField(_("Prize"), max_length=60)

    objects = VillageOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Reward tier")
        verbose_name_plural = _("Reward tiers")
        ordering = ["village", "rank_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rank_to__gte=models.F("rank_from")), name="points_tier_range"),
        ]

    def __str__(self):
        return f"{self.rank_from}-{self.rank_to} {self.prize}"


class AwardList(models.Model):
    """The issued award list of a village for one period: a snapshot, never recomputed."""

    village = models.ForeignKey(Area, verbose_name=_("Village"), on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(_("Period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("Period start"))
    exclude_major = models.BooleanField(_("Households with a major deduction excluded"), default=True)
    created = models.DateTimeField(_("Issued at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Issued by"), null=True, blank=True, on_delete=models.PROTECT
    )

    objects = VillageOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Award list")
        verbose_name_plural = _("Award lists")
        ordering = ["-period_start", "village"]
        constraints = [
            models.UniqueConstraint(fields=["village", "period_kind", "period_start"], name="points_award_list_once")
        ]

    def __str__(self):
        return f"{self.village} {self.period_kind} {self.period_start}"


class AwardLine(models.Model):
    award_list = models.ForeignKey(AwardList, on_delete=models.CASCADE, related_name="lines")
    rank = models.PositiveIntegerField(_("Rank"))
    household = models.ForeignKey(Household, verbose_name=_("Household"), on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField(_("Points"))
    prize = models.CharField(_("Prize"), max_length=60)

    class Meta:
        ordering = ["award_list", "rank"]

    def __str__(self):
        return f"{self.rank} {self.prize}"


# --- the points shop ---------------------------------------------------------------


def _ancestor_paths(paths, depth: int) -> list[str]:
    """The paths of the ancestors at ``depth`` parts (2 = township, 3 = village) of ``paths``."""
    out = set()
    for path in paths:
        parts = path.strip("/").split("/")
        if len(parts) >= depth:
            out.add("/" + "/".join(parts[:depth]) + "/")
    return sorted(out)


def _shop_paths(scope) -> list[str]:
    paths = list(scope.area_paths)
    if scope.household_ids:
        grid_paths = Household.objects.filter(pk__in=scope.household_ids).values_list("grid__path", flat=True)
        paths += _ancestor_paths(grid_paths, 3)
    return paths


def shop_area_q(scope, field: str = "area") -> Q:
    """Shops a scope may use: those in its subtree, and its township's shared shop."""
    paths = _shop_paths(scope)
    if not paths:
        return NOTHING
    return subtree_q(f"{field}__path", paths) | Q(**{f"{field}__path__in": _ancestor_paths(paths, 2)})


def shop_path_in_scope(scope, path: str) -> bool:
    """:func:`shop_area_q` for one shop whose area path is known."""
    if scope.everything:
        return True
    paths = _shop_paths(scope)
    return any(path.startswith(p) for p in paths) or path in _ancestor_paths(paths, 2)


class ShopQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return shop_area_q(scope)


class Shop(models.Model):
    """A points shop: one per village, or one a township runs for all its villages."""

    area = models.OneToOneField(
        Area, verbose_name=_("Village or township"), on_delete=models.PROTECT, related_name="points_shop"
    )
    name = models.CharField(_("Name"), max_length=60)
    active = models.BooleanField(_("Open"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ShopQuerySet.as_manager()

    class Meta:
        verbose_name = _("Points shop")
        verbose_name_plural = _("Points shops")
        ordering = ["area__path"]

    def __str__(self):
        return self.name


class ShopItemQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return shop_area_q(scope, "shop__area")


class ShopItem(models.Model):
    shop = models.ForeignKey(Shop, verbose_name=_("Points shop"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("Goods name"), max_length=60)
    photo = models.ImageField(_("Photo"), upload_to="points/shop/", blank=True, max_length=200)
    points_price = models.PositiveIntegerField(_("Points price"), validators=[MinValueValidator(1)])
    stock = models.IntegerField(_("Stock"), default=0)
    active = models.BooleanField(_("On sale"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ShopItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("Goods")
        verbose_name_plural = _("Goods")
        ordering = ["shop", "points_price", "name"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="points_item_unique_name"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="points_item_stock_not_negative"),
            models.CheckConstraint(condition=Q(points_price__gte=1), name="points_item_price_positive"),
        ]

    def __str__(self):
        return self.name


class StockMovementQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return shop_area_q(scope, "item__shop__area")


class StockMovement(AppendOnlyModel):
    """Every change of an item's stock, with the stock after it."""

    item = models.ForeignKey(ShopItem, verbose_name=_("Goods"), on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField(_("Quantity"))
    stock_after = models.IntegerField(_("Stock after"))
    reason = models.CharField(_("Reason"), max_length=14, choices=StockReason.choices)
    redemption = models.ForeignKey(
        "Redemption", verbose_name=_("Redemption"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.CharField(_("Note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Operator"), null=True, blank=True, on_delete=models.PROTECT
    )
    created = models.DateTimeField(_("Time"), auto_now_add=True)

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("Stock movement")
        verbose_name_plural = _("Stock movements")
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.item_id} {self.delta:+d}"


class Redemption(models.Model):
    """One purchase at the shop counter and its negative ledger entry."""

    # No index of their own: (shop, created) and (household, created) below lead with them.
    shop = models.ForeignKey(
        Shop, verbose_name=_("Points shop"), on_delete=models.PROTECT, related_name="redemptions", db_index=False
    )
    household = models.ForeignKey(
        Household, verbose_name=_("Household"), on_delete=models.PROTECT, related_name="redemptions", db_index=False
    )
    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(_("Points"))
    status = models.CharField(
        _("Status"), max_length=10, choices=RedemptionStatus.choices, default=RedemptionStatus.COMPLETED
    )
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="redemption")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Operator"), null=True, blank=True, on_delete=models.PROTECT
    )
    created = models.DateTimeField(_("Time"))
    cancelled_at = models.DateTimeField(_("Cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(_("Reason for cancellation"), max_length=200, blank=True)

    objects = VillageScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Redemption")
        verbose_name_plural = _("Redemptions")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["shop", "created"]), models.Index(fields=["household", "created"])]

    def __str__(self):
        return f"{self.receipt_number}"

    @property
    def receipt_number(self) -> str:
        return f"DH{self.created:%Y%m%d}-{self.pk:06d}" if self.pk else ""


class RedemptionLine(models.Model):
    redemption = models.ForeignKey(Redemption, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(ShopItem, verbose_name=_("Goods"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("Quantity"))
    points_price = models.PositiveIntegerField(_("Points price"))
    points = models.PositiveIntegerField(_("Points"))

    class Meta:
        ordering = ["redemption", "id"]

    def __str__(self):
        return f"{self.item_id} × {self.quantity}"


# --- dividends ---------------------------------------------------------------------


class DividendPlan(models.Model):
    """A money pool a village shares by points, exact to the fen; immutable once approved."""

    village = models.ForeignKey(Area, verbose_name=_("Village"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("Year"))
    title = models.CharField(_("Title"), max_length=100)
    pool_fen = models.PositiveBigIntegerField(_("Pool (fen)"))
    method = models.CharField(_("Method"), max_length=14, choices=DividendMethod.choices)
    tiers = models.JSONField(_("Tiers"), default=list, blank=True)
    status = models.CharField(_("Status"), max_length=10, choices=DividendStatus.choices, default=DividendStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("Approved at"), null=True, blank=True)

    objects = VillageOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Dividend")
        verbose_name_plural = _("Dividends")
        ordering = ["-year", "-created"]

    def __str__(self):
        return self.title

    @property
    def is_approved(self) -> bool:
        return self.status == DividendStatus.APPROVED


class DividendPayoutQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q(scope, field="plan__village")

    def delete(self):
        if self.filter(plan__status=DividendStatus.APPROVED).exists():
            raise AppendOnlyError("payouts of an approved dividend are immutable")
        return super().delete()

    def update(self, **kwargs):
        if self.filter(plan__status=DividendStatus.APPROVED).exists():
            raise AppendOnlyError("payouts of an approved dividend are immutable")
        return super().update(**kwargs)


class DividendPayout(models.Model):
    plan = models.ForeignKey(DividendPlan, on_delete=models.PROTECT, related_name="payouts")
    household = models.ForeignKey(Household, verbose_name=_("Household"), on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField(_("Points"))
    shares = models.PositiveIntegerField(_("Shares"))
    amount_fen = models.PositiveBigIntegerField(_("Amount (fen)"))

    objects = DividendPayoutQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-amount_fen", "household"]
        constraints = [models.UniqueConstraint(fields=["plan", "household"], name="points_payout_once")]

    def __str__(self):
        return f"{self.household_id} {self.amount_fen}"

    def save(self, *args, **kwargs):
        if DividendPlan.objects.filter(pk=self.plan_id, status=DividendStatus.APPROVED).exists():
            raise AppendOnlyError("payouts of an approved dividend are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("payouts are removed only by recomputing a draft dividend")


# --- honours -----------------------------------------------------------------------


class HonourCampaignQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        if not scope.area_paths:
            return NOTHING
        # Staff below the campaign's area take part in it (nominate their households).
        ancestors = set()
        for path in scope.area_paths:
            parts = path.strip("/").split("/")
            ancestors.update("/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1))
        return subtree_q("area__path", scope.area_paths) | Q(area__path__in=sorted(ancestors))


class HonourCampaign(models.Model):
    """A yearly campaign for civilized families or model beautiful homes."""

    area = models.ForeignKey(Area, verbose_name=_("Area"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("Honour"), max_length=20, choices=HonourKind.choices)
    year = models.PositiveSmallIntegerField(_("Year"))
    assess_from = models.DateField(_("Points counted from"))
    assess_to = models.DateField(_("Points counted to"))
    min_points = models.IntegerField(_("Minimum points"), default=0)
    require_no_major_deduction = models.BooleanField(_("No major deduction in the period"), default=True)
    quota = models.PositiveIntegerField(_("Number of honours"), validators=[MinValueValidator(1)])
    status = models.CharField(
        _("Status"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.NOMINATING
    )
    notice_until = models.DateTimeField(_("In notice until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = HonourCampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("Honour campaign")
        verbose_name_plural = _("Honour campaigns")
        ordering = ["-year", "kind", "area__path"]
        constraints = [
            models.UniqueConstraint(fields=["area", "kind", "year"], name="points_campaign_once"),
            models.CheckConstraint(condition=Q(assess_to__gte=models.F("assess_from")), name="points_campaign_window"),
        ]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()} · {self.area}"


class CampaignEventQuerySet(AppendOnlyQuerySet):
    def scope_q(self, scope):
        return Q(campaign__in=HonourCampaign.objects.filter(HonourCampaign.objects.scope_q(scope)))


class CampaignEvent(AppendOnlyModel):
    campaign = models.ForeignKey(HonourCampaign, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=12, choices=CampaignStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    note = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = CampaignEventQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.campaign_id} {self.to_status}"


class NominationQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q(scope, field="household__grid")


class Nomination(models.Model):
    campaign = models.ForeignKey(HonourCampaign, on_delete=models.PROTECT, related_name="nominations")
    household = models.ForeignKey(Household, verbose_name=_("Household"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("Reason for nomination"), max_length=300, blank=True)
    points = models.IntegerField(_("Points in the period"))
    status = models.CharField(
        _("Status"), max_length=10, choices=NominationStatus.choices, default=NominationStatus.NOMINATED
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("Review note"), max_length=300, blank=True)

    objects = NominationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Nomination")
        verbose_name_plural = _("Nominations")
        ordering = ["campaign", "-points", "household"]
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="points_nomination_once")]

    def __str__(self):
        return f"{self.campaign_id} {self.household_id}"


class HonourQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        return _village_q(scope, field="household__grid")


class Honour(models.Model):
    """An awarded honour with its numbered signboard; the QR code on the board verifies it online."""

    campaign = models.ForeignKey(HonourCampaign, on_delete=models.PROTECT, related_name="honours")
    household = models.ForeignKey(Household, verbose_name=_("Household"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("Honour"), max_length=20, choices=HonourKind.choices)
    year = models.PositiveSmallIntegerField(_("Year"))
    number = models.CharField(_("Signboard number"), max_length=30, unique=True)
    verify_code = models.CharField(max_length=32, unique=True)
    awarded_at = models.DateTimeField(_("Awarded at"))
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("Revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("Reason for revoking"), max_length=300, blank=True)

    objects = HonourQuerySet.as_manager()

    class Meta:
        verbose_name = _("Honour")
        verbose_name_plural = _("Honours")
        ordering = ["-year", "number"]
        constraints = [models.UniqueConstraint(fields=["kind", "year", "household"], name="points_honour_once")]

    def __str__(self):
        return self.number
