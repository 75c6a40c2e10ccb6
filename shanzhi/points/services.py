"""Every write of the points capability. Views, the API, commands and tests call these.

Each function is one transaction: it checks the actor's permission and scope, validates
everything before writing anything, locks the village's ledger head first (see
:mod:`shanzhi.points.ledger`), writes the entry, its events and the balance
projections together, and records an audit row.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import uuid
from collections import defaultdict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core import audit, sql, uploads
from shanzhi.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shanzhi.core.scoping import ensure_in_scope, scope_for
from shanzhi.people.choices import HouseholdStatus
from shanzhi.people.models import Household
from shanzhi.points import ledger
from shanzhi.points.choices import (
    HONOUR_NUMBER_PREFIX,
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
from shanzhi.points.dividends import payouts_for
from shanzhi.points.models import (
    Appeal,
    AwardLine,
    AwardList,
    CampaignEvent,
    DividendPayout,
    DividendPlan,
    EntryEvent,
    EntryState,
    Honour,
    HonourCampaign,
    LedgerHead,
    Nomination,
    PointsEntry,
    Redemption,
    RedemptionLine,
    RewardTier,
    Rule,
    Shop,
    ShopItem,
    StockMovement,
    VillageSettings,
    shop_path_in_scope,
)
from shanzhi.points.periods import period_end, period_start
from shanzhi.points.rankings import eligible_points, ranking_queryset

# Relation fields of new entries, whose objects are set by id and cached beside it.
_RULE = PointsEntry._meta.get_field("rule")
_REVERSES = PointsEntry._meta.get_field("reverses")
_RECORDED_BY = PointsEntry._meta.get_field("recorded_by")

PERM_RECORD = "points.record_entry"
PERM_APPROVE = "points.approve_entry"
PERM_REVERSE = "points.reverse_entry"
PERM_APPEAL = "points.appeal_entry"
PERM_DECIDE_APPEAL = "points.decide_appeal"
PERM_MANAGE_RULES = "points.manage_rules"
PERM_MANAGE_TEMPLATES = "points.manage_rule_templates"
PERM_REDEEM = "points.redeem"
PERM_MANAGE_SHOP = "points.manage_shop"
PERM_ISSUE_AWARDS = "points.issue_awards"
PERM_MANAGE_DIVIDENDS = "points.manage_dividends"
PERM_APPROVE_DIVIDEND = "points.approve_dividend"
PERM_RUN_HONOURS = "points.run_honours"
PERM_NOMINATE = "points.nominate_honour"

DEFAULT_TIERS = [(1, 4, "床垫"), (5, 10, "毛毯")]
MAX_BATCH = 500
BACKDATE_DAYS = 31
HONOUR_NOTICE_DAYS = 5
PHOTO_TYPES = uploads.PHOTOS | {"image/gif"}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# The workflow of an entry: action → (statuses it may start from, status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    EntryAction.APPROVED: (frozenset({EntryStatus.PENDING}), EntryStatus.IN_NOTICE),
    EntryAction.DECLINED: (frozenset({EntryStatus.PENDING}), EntryStatus.VOIDED),
    EntryAction.APPEALED: (frozenset({EntryStatus.IN_NOTICE}), EntryStatus.IN_NOTICE),
    EntryAction.APPEAL_UPHELD: (frozenset({EntryStatus.IN_NOTICE}), EntryStatus.VOIDED),
    EntryAction.APPEAL_REJECTED: (frozenset({EntryStatus.IN_NOTICE}), EntryStatus.IN_NOTICE),
    EntryAction.TOOK_EFFECT: (frozenset({EntryStatus.IN_NOTICE}), EntryStatus.EFFECTIVE),
    EntryAction.REVERSED: (
        frozenset({EntryStatus.PENDING, EntryStatus.IN_NOTICE, EntryStatus.EFFECTIVE}),
        EntryStatus.VOIDED,
    ),
}

CAMPAIGN_TRANSITIONS = {
    CampaignStatus.NOMINATING: CampaignStatus.REVIEWING,
    CampaignStatus.REVIEWING: CampaignStatus.IN_NOTICE,
    CampaignStatus.IN_NOTICE: CampaignStatus.AWARDED,
}


def _require(actor, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise Forbidden()


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _village_of(household: Household) -> int:
    if not household.grid_id:
        raise InvalidInput(fields={"household": _("This household is not in a grid.")})
    return Area.objects.filter(pk=household.grid_id).values_list("parent_id", flat=True).get()


def _clean_text(value, field: str, errors: dict, *, required=False, max_length=300, label=None) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = [label or _("This field is required.")]
    elif len(text) > max_length:
        errors[field] = [_("At most %(n)d characters.") % {"n": max_length}]
    return text


def store_image(upload, folder: str, field: str) -> str:
    """Check an uploaded photo (by its content, then that it decodes) and store it; returns the stored name."""
    from PIL import Image, UnidentifiedImageError

    checked = uploads.check_file(upload, field=field, accept=PHOTO_TYPES, max_bytes=MAX_UPLOAD_BYTES)
    try:
        Image.open(io.BytesIO(checked.content)).verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(fields={field: _("The file is not a readable photo.")}) from None
    today = timezone.localdate()
    return default_storage.save(
        f"{folder}/{today:%Y/%m}/{uuid.uuid4().hex}{checked.extension}", ContentFile(checked.content)
    )


# --- settings and rules -------------------------------------------------------------


def settings_for(village: Area) -> VillageSettings:
    return VillageSettings.objects.filter(village=village).first() or VillageSettings(village=village)


def _check_village(area, errors: dict, field="village") -> None:
    if area is None or area.level != AreaLevel.VILLAGE:
        errors[field] = [_("Please choose a village.")]


@transaction.atomic
def update_village_settings(village: Area, *, actor, notice_days: int, exclude_major_from_awards: bool):
    _require(actor, PERM_MANAGE_RULES)
    ensure_in_scope(village, actor)
    errors: dict = {}
    _check_village(village, errors)
    if not isinstance(notice_days, int) or not 1 <= notice_days <= 30:
        errors["notice_days"] = [_("Between 1 and 30 days.")]
    if errors:
        raise InvalidInput(fields=errors)
    current = settings_for(village)
    before = {"notice_days": current.notice_days, "exclude_major_from_awards": current.exclude_major_from_awards}
    current.notice_days = notice_days
    current.exclude_major_from_awards = bool(exclude_major_from_awards)
    current.save()
    audit.record(
        "points.settings.updated",
        actor=actor,
        obj=village,
        before=before,
        after={"notice_days": notice_days, "exclude_major_from_awards": current.exclude_major_from_awards},
    )
    return current


RULE_FIELDS = [
    "code",
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
]


def _validate_rule(data: dict, errors: dict) -> dict:
    clean = dict(data)
    if "code" in data:
        code = (data["code"] or "").strip()
        if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
            errors["code"] = [_("1 to 40 letters, digits, - or _.")]
        clean["code"] = code
    if "text" in data:
        clean["text"] = _clean_text(data["text"], "text", errors, required=True, max_length=200)
    if "category" in data and data["category"] not in RuleCategory.values:
        errors["category"] = [_("Please choose a category.")]
    if "points" in data:
        points = data["points"]
        if not isinstance(points, int) or points == 0 or abs(points) > 1000:
            errors["points"] = [_("A whole number from -1000 to 1000, not 0.")]
    if "cap_per_period" in data and data["cap_per_period"] is not None:
        if not isinstance(data["cap_per_period"], int) or data["cap_per_period"] < 1:
            errors["cap_per_period"] = [_("A positive whole number, or blank for no cap.")]
    if "cap_period" in data and data["cap_period"] not in PeriodKind.values:
        errors["cap_period"] = [_("Please choose a period.")]
    if "second_approval_above" in data and data["second_approval_above"] is not None:
        if not isinstance(data["second_approval_above"], int) or data["second_approval_above"] < 0:
            errors["second_approval_above"] = [_("A whole number of at least 0, or blank for never.")]
    return clean


@transaction.atomic
def create_rule(area: Area, *, actor, **data) -> Rule:
    """A county template rule (area = the county) or a village's own rule."""
    if area.level == AreaLevel.COUNTY:
        _require(actor, PERM_MANAGE_TEMPLATES)
    else:
        _require(actor, PERM_MANAGE_RULES)
    ensure_in_scope(area, actor)
    errors: dict = {}
    if area.level not in (AreaLevel.COUNTY, AreaLevel.VILLAGE):
        errors["area"] = [_("Rules belong to the county (templates) or to a village.")]
    clean = _validate_rule({k: data.get(k) for k in ("code", "text", "category", "points")} | data, errors)
    if not errors and Rule.objects.filter(area=area, code=clean["code"]).exists():
        errors["code"] = [_("This code is already used.")]
    if errors:
        raise InvalidInput(fields=errors)
    rule = Rule.objects.create(area=area, **{k: v for k, v in clean.items() if k in RULE_FIELDS or k == "template"})
    audit.record("points.rule.created", actor=actor, obj=rule, after=audit.snapshot(rule, RULE_FIELDS + ["area"]))
    return rule


@transaction.atomic
def adopt_rules(village: Area, templates, *, actor) -> list[Rule]:
    """Copy county template rules into a village; the village may then adjust them."""
    _require(actor, PERM_MANAGE_RULES)
    ensure_in_scope(village, actor)
    errors: dict = {}
    _check_village(village, errors)
    templates = list(templates)
    if any(t.area.level != AreaLevel.COUNTY for t in templates):
        errors["templates"] = [_("Only county template rules can be adopted.")]
    if errors:
        raise InvalidInput(fields=errors)
    taken = set(Rule.objects.filter(area=village).values_list("code", flat=True))
    adopted = []
    for template in templates:
        if template.code in taken:
            continue
        adopted.append(
            Rule(
                area=village,
                template=template,
                **{f: getattr(template, f) for f in RULE_FIELDS},
            )
        )
    Rule.objects.bulk_create(adopted)
    audit.record(
        "points.rule.adopted",
        actor=actor,
        obj=village,
        after={"codes": [r.code for r in adopted]},
    )
    return adopted


@transaction.atomic
def update_rule(rule: Rule, *, actor, **changes) -> Rule:
    """Adjust a rule. Entries already recorded keep their own points."""
    rule = Rule.objects.select_for_update().select_related("area").get(pk=rule.pk)
    _require(actor, PERM_MANAGE_TEMPLATES if rule.area.level == AreaLevel.COUNTY else PERM_MANAGE_RULES)
    ensure_in_scope(rule.area, actor)
    errors: dict = {}
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        errors.update({k: [_("Unknown field.")] for k in unknown})
    clean = _validate_rule(changes, errors)
    if "code" in clean and Rule.objects.filter(area=rule.area, code=clean["code"]).exclude(pk=rule.pk).exists():
        errors["code"] = [_("This code is already used.")]
    if errors:
        raise InvalidInput(fields=errors)
    before = audit.snapshot(rule, RULE_FIELDS)
    for key, value in clean.items():
        setattr(rule, key, value)
    rule.save()
    old, new = audit.changed(before, audit.snapshot(rule, RULE_FIELDS))
    if new:
        audit.record("points.rule.updated", actor=actor, obj=rule, before=old, after=new)
    return rule


# --- recording entries -----------------------------------------------------------------


def _state_values(entry: PointsEntry, status: str, notice_until, effective_at) -> dict:
    return {
        "entry_id": entry.pk,
        "village_id": entry.village_id,
        "household_id": entry.household_id,
        "status": status,
        "notice_until": notice_until,
        "effective_at": effective_at,
    }


def _state_for(entry: PointsEntry, status: str, *, notice_until=None, effective_at=None) -> EntryState:
    return sql.build(EntryState, **_state_values(entry, status, notice_until, effective_at))


def _insert_state(entry: PointsEntry, status: str, *, notice_until=None, effective_at=None) -> None:
    """The status row of a new entry, inserted as it is (no instance needed)."""
    sql.insert(EntryState, **_state_values(entry, status, notice_until, effective_at))


@transaction.atomic
def record_entries(
    *,
    rule: Rule,
    households,
    actor,
    occurred_on: dt.date | None = None,
    delta: int | None = None,
    note: str = "",
    evidence=None,
) -> list[PointsEntry]:
    """Award or deduct points by a village rule, for one household or many (an activity's attendees).

    Entries start in public notice (or awaiting a second approver for a big deduction).
    The entries themselves are the posting's record; it writes no audit-log row (ADR 0007).
    """
    _require(actor, PERM_RECORD)
    errors: dict = {}
    households = list(households)
    today = timezone.localdate()
    occurred_on = occurred_on or today
    if not households:
        errors["households"] = [_("Please choose at least one household.")]
    elif len(households) > MAX_BATCH:
        errors["households"] = [_("At most %(n)d households at once.") % {"n": MAX_BATCH}]
    elif len({h.pk for h in households}) != len(households):
        errors["households"] = [_("A household is listed twice.")]
    if rule is None or not rule.active or rule.area.level != AreaLevel.VILLAGE:
        errors["rule"] = [_("Please choose an active rule of the village.")]
    if occurred_on > today:
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    elif occurred_on < today - dt.timedelta(days=BACKDATE_DAYS):
        errors["occurred_on"] = [_("At most %(n)d days back.") % {"n": BACKDATE_DAYS}]
    note = _clean_text(note, "note", errors)
    if rule is not None and "rule" not in errors:
        if delta is None:
            delta = rule.points
        elif (
            not isinstance(delta, int)
            or delta == 0
            or (delta > 0) != (rule.points > 0)
            or abs(delta) > abs(rule.points)
        ):
            errors["delta"] = [
                _("Points must have the rule's sign and be at most %(n)d in size.") % {"n": abs(rule.points)}
            ]
        if rule.evidence_required and not evidence:
            errors["evidence"] = [_("This rule requires an evidence photo.")]
        if rule.is_deduction and not note:
            errors["note"] = [_("Please describe what happened for a deduction.")]
        outside = [h.number for h in households if h.status != HouseholdStatus.ACTIVE]
        if outside:
            errors["households"] = [_("Not a registered household: %(list)s") % {"list": ", ".join(outside)}]
    if errors:
        raise InvalidInput(fields=errors)
    village_id = rule.area_id
    ids = [h.pk for h in households]
    _check_households(ids, village_id, actor)
    head = ledger.lock_head(village_id)
    if rule.cap_per_period:
        start = period_start(occurred_on, rule.cap_period)
        used = ledger.rule_points_used(rule.pk, ids, start, period_end(start, rule.cap_period))
        over = [h.number for h in households if abs(used.get(h.pk, 0) + delta) > rule.cap_per_period]
        if over:
            raise InvalidInput(
                fields={
                    "households": [
                        _("Over the cap of %(cap)d points per %(period)s for this rule: %(list)s")
                        % {
                            "cap": rule.cap_per_period,
                            "period": PeriodKind(rule.cap_period).label,
                            "list": ", ".join(over),
                        }
                    ]
                }
            )
    evidence_name = store_image(evidence, "points/evidence", "evidence") if evidence else ""
    notice_days = head.notice_days
    now = timezone.now()
    needs_approval = (
        rule.is_deduction and rule.second_approval_above is not None and -delta > rule.second_approval_above
    )
    kind = EntryKind.DEDUCTION if delta < 0 else EntryKind.AWARD
    recorder = _user(actor)
    entries = [
        sql.build(
            PointsEntry,
            household_id=household_id,
            kind=kind,
            rule_id=rule.pk,
            delta=delta,
            occurred_on=occurred_on,
            note=note,
            evidence=evidence_name,
            major=rule.major and delta < 0,
            needs_approval=needs_approval,
            notice_days=notice_days,
            recorded_by_id=recorder.pk if recorder else None,
            created=now,
        )
        for household_id in ids
    ]
    for entry in entries:  # the objects at hand, as keyword construction would have cached them
        _RULE.set_cached_value(entry, rule)
        _RECORDED_BY.set_cached_value(entry, recorder)
    ledger.append_entries(head, entries)
    status, until = (
        (EntryStatus.PENDING, None) if needs_approval else (EntryStatus.IN_NOTICE, now + dt.timedelta(days=notice_days))
    )
    if len(entries) == 1:
        _insert_state(entries[0], status, notice_until=until)
    else:
        EntryState.objects.bulk_create([_state_for(e, status, notice_until=until) for e in entries])
    ledger.apply_effects(village_id, [ledger.effect_on_record(e) for e in entries])
    ledger.save_head(head)
    # No audit-log row: the entry is the record of the posting (who, when, what, why,
    # append-only and in the village's SM3 chain); see docs/decisions/0007.
    return entries


def _check_households(ids: list[int], village_id: int, actor) -> None:
    """Re-check in the transaction that the households are in the village and, for staff, in scope.

    One read of each household's grid; the scope test is the households' own rule
    (``HouseholdQuerySet.scope_q``: a grid under one of the scope's areas, or one of its
    households) applied to that row, so a posting costs one statement here.
    """
    found = ledger.household_grids(ids)
    if len(found) != len(ids) or any(found[h][0] != village_id for h in ids):
        raise InvalidInput(fields={"households": [_("Every household must belong to the rule's village.")]})
    if actor is not None:
        scope = scope_for(actor)
        if not all(_household_in_scope(scope, h, found[h][1]) for h in ids):
            raise NotFound()


def _household_in_scope(scope, household_id: int, grid_path: str) -> bool:
    """``HouseholdQuerySet.scope_q`` for one household whose grid path is known."""
    return scope.everything or scope.covers_path(grid_path) or household_id in scope.household_ids


def record_entry(*, household: Household, rule: Rule, actor, **kwargs) -> PointsEntry:
    return record_entries(rule=rule, households=[household], actor=actor, **kwargs)[0]


def _locked_state(entry: PointsEntry) -> EntryState:
    return EntryState.objects.select_for_update().select_related("entry").get(entry_id=entry.pk)


def _transition(head, state: EntryState, action: str, *, actor, note: str = "", at=None) -> EntryEvent:
    allowed, target = TRANSITIONS[action]
    if state.status not in allowed:
        raise Conflict(
            _("This entry is %(status)s; it cannot be %(action)s.")
            % {"status": EntryStatus(state.status).label, "action": EntryAction(action).label},
            code="invalid_transition",
        )
    event = EntryEvent(
        entry_id=state.entry_id,
        action=action,
        from_status=state.status,
        to_status=target,
        actor=_user(actor),
        note=note[:300],
        created=at or timezone.now(),
    )
    ledger.append_events(head, [event])
    state.status = target
    return event


def _void(head, state: EntryState, action: str, *, actor, reason: str, now) -> PointsEntry:
    """Void an entry by appending its reversal; the reversal counts only if the entry had taken effect."""
    original = state.entry
    if original.kind == EntryKind.REVERSAL:
        raise Conflict(_("A reversal cannot be reversed; record a new entry instead."), code="invalid_transition")
    took_effect = state.effective_at is not None
    _transition(head, state, action, actor=actor, note=reason, at=now)
    state.save(update_fields=["status", "open_appeal"])
    recorder = _user(actor)
    reversal = sql.build(
        PointsEntry,
        household_id=original.household_id,
        kind=EntryKind.REVERSAL,
        rule_id=original.rule_id,
        delta=-original.delta,
        occurred_on=original.occurred_on,
        note=reason[:300],
        major=original.major,
        reverses_id=original.pk,
        recorded_by_id=recorder.pk if recorder else None,
        created=now,
    )
    _REVERSES.set_cached_value(reversal, original)
    ledger.append_entries(head, [reversal])
    if took_effect:
        _insert_state(reversal, EntryStatus.EFFECTIVE, effective_at=now)
        effect = ledger.effect_on_take_effect(reversal, original.kind, now)
    else:
        _insert_state(reversal, EntryStatus.VOIDED)
        effect = ledger.effect_on_void_before_effect(original)
    ledger.apply_effects(original.village_id, [effect])
    return reversal


def _take_effect(head, states: list[EntryState], *, now, actor=None) -> None:
    effects = []
    events = []
    for state in states:
        allowed, target = TRANSITIONS[EntryAction.TOOK_EFFECT]
        if state.status not in allowed:
            continue
        events.append(
            EntryEvent(
                entry_id=state.entry_id,
                action=EntryAction.TOOK_EFFECT,
                from_status=state.status,
                to_status=target,
                actor=_user(actor),
                created=now,
            )
        )
        state.status = target
        state.effective_at = now
        effects.append(ledger.effect_on_take_effect(state.entry, state.entry.kind, now))
    if not events:
        return
    ledger.append_events(head, events)
    EntryState.objects.filter(entry_id__in=[e.entry_id for e in events], status=EntryStatus.IN_NOTICE).update(
        status=EntryStatus.EFFECTIVE, effective_at=now
    )
    ledger.apply_effects(head.village_id, effects)


@transaction.atomic
def approve_entry(entry: PointsEntry, *, actor) -> EntryState:
    """A second approver lets a big deduction go into public notice."""
    _require(actor, PERM_APPROVE)
    ensure_in_scope(entry, actor)
    head = ledger.lock_head(entry.village_id)
    state = _locked_state(entry)
    if actor is not None and state.entry.recorded_by_id == actor.pk:
        raise Conflict(_("The second approver must be someone other than the recorder."), code="same_approver")
    now = timezone.now()
    _transition(head, state, EntryAction.APPROVED, actor=actor, at=now)
    state.approved_by = _user(actor)
    state.notice_until = now + dt.timedelta(days=state.entry.notice_days)
    state.save(update_fields=["status", "approved_by", "notice_until"])
    ledger.save_head(head)
    audit.record("points.entry.approved", actor=actor, obj=state.entry)
    return state


@transaction.atomic
def reverse_entry(entry: PointsEntry, *, actor, reason: str, action: str = EntryAction.REVERSED) -> PointsEntry:
    """Void an entry with a reason: a second approver declining, or a correction by the secretary."""
    _require(actor, PERM_APPROVE if action == EntryAction.DECLINED else PERM_REVERSE)
    ensure_in_scope(entry, actor)
    errors: dict = {}
    reason = _clean_text(reason, "reason", errors, required=True, label=_("Please give the reason."))
    if errors:
        raise InvalidInput(fields=errors)
    head = ledger.lock_head(entry.village_id)
    state = _locked_state(entry)
    if state.entry.kind == EntryKind.REDEMPTION:
        raise Conflict(_("Cancel a redemption at the shop counter instead."), code="invalid_transition")
    if state.open_appeal:
        raise Conflict(_("Decide the open appeal first."), code="appeal_open")
    reversal = _void(head, state, action, actor=actor, reason=reason, now=timezone.now())
    ledger.save_head(head)
    audit.record(f"points.entry.{action}", actor=actor, obj=state.entry, reason=reason, reversal=reversal.pk)
    return reversal


def decline_entry(entry: PointsEntry, *, actor, reason: str) -> PointsEntry:
    return reverse_entry(entry, actor=actor, reason=reason, action=EntryAction.DECLINED)


@transaction.atomic
def appeal_entry(entry: PointsEntry, *, actor, reason: str, evidence=None) -> Appeal:
    """The household contests an entry while it is in public notice."""
    _require(actor, PERM_APPEAL)
    if actor is not None and entry.household_id not in actor.scope.household_ids:
        raise NotFound()
    errors: dict = {}
    reason = _clean_text(reason, "reason", errors, required=True, max_length=500, label=_("Please give the reason."))
    if errors:
        raise InvalidInput(fields=errors)
    head = ledger.lock_head(entry.village_id)
    state = _locked_state(entry)
    now = timezone.now()
    if state.status != EntryStatus.IN_NOTICE or state.notice_until is None or state.notice_until <= now:
        raise Conflict(_("Only an entry in public notice can be appealed."), code="not_in_notice")
    if Appeal.objects.filter(entry=entry).exists():
        raise Conflict(_("This entry has already been appealed."), code="already_appealed")
    evidence_name = store_image(evidence, "points/appeals", "evidence") if evidence else ""
    _transition(head, state, EntryAction.APPEALED, actor=actor, note=reason, at=now)
    state.open_appeal = True
    state.save(update_fields=["status", "open_appeal"])
    ledger.save_head(head)
    appeal = Appeal.objects.create(
        entry=entry,
        village_id=entry.village_id,
        household_id=entry.household_id,
        reason=reason,
        evidence=evidence_name,
        submitted_by=_user(actor),
    )
    audit.record("points.appeal.submitted", actor=actor, obj=appeal, after={"entry": entry.pk, "reason": reason})
    return appeal


@transaction.atomic
def decide_appeal(appeal: Appeal, *, actor, uphold: bool, reason: str) -> Appeal:
    """Uphold (the entry is voided by reversal) or reject (the entry stands) with a reason."""
    _require(actor, PERM_DECIDE_APPEAL)
    ensure_in_scope(appeal, actor)
    errors: dict = {}
    reason = _clean_text(reason, "reason", errors, required=True, max_length=500, label=_("Please give the reason."))
    if errors:
        raise InvalidInput(fields=errors)
    head = ledger.lock_head(appeal.village_id)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.OPEN:
        raise Conflict(_("This appeal has already been decided."), code="already_decided")
    state = _locked_state(appeal.entry)
    now = timezone.now()
    state.open_appeal = False
    if uphold:
        _void(head, state, EntryAction.APPEAL_UPHELD, actor=actor, reason=reason, now=now)
    else:
        _transition(head, state, EntryAction.APPEAL_REJECTED, actor=actor, note=reason, at=now)
        state.save(update_fields=["status", "open_appeal"])
        if state.notice_until <= now:
            _take_effect(head, [state], now=now)
    ledger.save_head(head)
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    appeal.decided_by = _user(actor)
    appeal.decided_at = now
    appeal.decision_reason = reason
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record("points.appeal.decided", actor=actor, obj=appeal, after={"status": appeal.status, "reason": reason})
    return appeal


def sweep_notices(*, now: dt.datetime | None = None) -> int:
    """Entries whose notice is over (and not under appeal) take effect; one transaction per village."""
    now = now or timezone.now()
    # One probe of the (village, status, notice_until) index per village with a ledger.
    due = EntryState.objects.filter(
        village_id=OuterRef("village_id"), status=EntryStatus.IN_NOTICE, open_appeal=False, notice_until__lte=now
    )
    villages = LedgerHead.objects.filter(Exists(due)).order_by("village_id").values_list("village_id", flat=True)
    return sum(_sweep_village(village_id, now) for village_id in list(villages))


@transaction.atomic
def _sweep_village(village_id: int, now: dt.datetime) -> int:
    head = ledger.lock_head(village_id)
    states = list(
        EntryState.objects.select_for_update()
        .select_related("entry")
        .filter(village_id=village_id, status=EntryStatus.IN_NOTICE, open_appeal=False, notice_until__lte=now)
        .order_by("entry_id")
    )
    if not states:
        return 0
    _take_effect(head, states, now=now)
    ledger.save_head(head)
    audit.record(
        "points.entry.swept",
        object_type="areas.area",
        object_id=str(village_id),
        object_repr=str(village_id),
        after={"entries": len(states)},
    )
    return len(states)


# --- rewards ------------------------------------------------------------------------------


def tiers_for(village: Area) -> list[tuple[int, int, str]]:
    tiers = [(t.rank_from, t.rank_to, t.prize) for t in RewardTier.objects.filter(village=village)]
    return tiers or list(DEFAULT_TIERS)


@transaction.atomic
def set_reward_tiers(village: Area, tiers: list[tuple[int, int, str]], *, actor) -> list[RewardTier]:
    _require(actor, PERM_ISSUE_AWARDS)
    ensure_in_scope(village, actor)
    errors: dict = {}
    _check_village(village, errors)
    previous_end = 0
    for index, (rank_from, rank_to, prize) in enumerate(sorted(tiers)):
        if not (isinstance(rank_from, int) and isinstance(rank_to, int)) or rank_from < 1 or rank_to < rank_from:
            errors[f"tiers.{index}"] = [_("Ranks must run from a lower to a higher number, starting at 1.")]
        elif rank_from <= previous_end:
            errors[f"tiers.{index}"] = [_("Tiers must not overlap.")]
        elif not (prize or "").strip() or len(prize) > 60:
            errors[f"tiers.{index}"] = [_("Please name the prize (at most 60 characters).")]
        else:
            previous_end = rank_to
    if errors:
        raise InvalidInput(fields=errors)
    before = tiers_for(village)
    RewardTier.objects.filter(village=village).delete()
    rows = RewardTier.objects.bulk_create(
        [RewardTier(village=village, rank_from=a, rank_to=b, prize=p.strip()) for a, b, p in sorted(tiers)]
    )
    audit.record("points.tiers.updated", actor=actor, obj=village, before={"tiers": before}, after={"tiers": tiers})
    return rows


@transaction.atomic
def issue_award_list(village: Area, *, period_kind: str, period_start_day: dt.date, actor) -> AwardList:
    """Fix the prizes of a finished period: ranks by the tie rule, tiers of the village."""
    _require(actor, PERM_ISSUE_AWARDS)
    ensure_in_scope(village, actor)
    errors: dict = {}
    _check_village(village, errors)
    if period_kind not in PeriodKind.values:
        errors["period_kind"] = [_("Please choose a period.")]
    if errors:
        raise InvalidInput(fields=errors)
    start = period_start(period_start_day, period_kind)
    end = period_end(start, period_kind)
    if end >= timezone.localdate():
        raise Conflict(_("The period is not over yet."), code="period_not_over")
    waiting = EntryState.objects.filter(
        village=village,
        status__in=[EntryStatus.PENDING, EntryStatus.IN_NOTICE],
        entry__kind__in=ledger.RULE_KINDS,
        entry__occurred_on__gte=start,
        entry__occurred_on__lte=end,
    ).count()
    if waiting:
        raise Conflict(
            _("%(n)d entries of the period are still awaiting approval or in notice.") % {"n": waiting},
            code="entries_in_notice",
        )
    if AwardList.objects.filter(village=village, period_kind=period_kind, period_start=start).exists():
        raise Conflict(_("The award list of this period has already been issued."), code="already_issued")
    exclude_major = settings_for(village).exclude_major_from_awards
    award = AwardList.objects.create(
        village=village,
        period_kind=period_kind,
        period_start=start,
        exclude_major=exclude_major,
        created_by=_user(actor),
    )
    AwardLine.objects.bulk_create(award_lines(award, village, tiers_for(village)))
    audit.record("points.awards.issued", actor=actor, obj=award, after={"lines": award.lines.count()})
    return award


def award_lines(award: AwardList, village: Area, tiers) -> list[AwardLine]:
    last = max((b for _a, b, _p in tiers), default=0)
    qs = ranking_queryset(village, award.period_kind, award.period_start).filter(earned__gt=0)
    if award.exclude_major:
        qs = qs.filter(major_deductions=0)
    lines = []
    for rank, row in enumerate(qs[:last], start=1):
        prize = next((p for a, b, p in tiers if a <= rank <= b), None)
        if prize:
            lines.append(
                AwardLine(award_list=award, rank=rank, household_id=row.household_id, points=row.earned, prize=prize)
            )
    return lines


# --- the points shop ---------------------------------------------------------------------------


@transaction.atomic
def create_shop(area: Area, *, actor, name: str) -> Shop:
    _require(actor, PERM_MANAGE_SHOP)
    ensure_in_scope(area, actor)
    errors: dict = {}
    if area.level not in (AreaLevel.VILLAGE, AreaLevel.TOWNSHIP):
        errors["area"] = [_("A points shop belongs to a village or a township.")]
    name = _clean_text(name, "name", errors, required=True, max_length=60)
    if not errors and Shop.objects.filter(area=area).exists():
        errors["area"] = [_("This area already has a points shop.")]
    if errors:
        raise InvalidInput(fields=errors)
    shop = Shop.objects.create(area=area, name=name)
    audit.record("points.shop.created", actor=actor, obj=shop, after={"area": area.pk, "name": name})
    return shop


def _check_item_fields(data: dict, errors: dict) -> None:
    if "name" in data:
        data["name"] = _clean_text(data["name"], "name", errors, required=True, max_length=60)
    if "points_price" in data:
        price = data["points_price"]
        if not isinstance(price, int) or isinstance(price, bool) or not 1 <= price <= 100_000:
            errors["points_price"] = [_("A whole number from 1 to 100000.")]
    if "stock" in data:
        stock = data["stock"]
        if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= 1_000_000:
            errors["stock"] = [_("A whole number from 0 to 1000000.")]


@transaction.atomic
def create_item(
    shop: Shop, *, actor, name: str, points_price: int, stock: int = 0, photo=None, active: bool = True
) -> ShopItem:
    _require(actor, PERM_MANAGE_SHOP)
    ensure_in_scope(shop, actor)
    errors: dict = {}
    data = {"name": name, "points_price": points_price, "stock": stock}
    _check_item_fields(data, errors)
    if "name" not in errors and ShopItem.objects.filter(shop=shop, name=data["name"]).exists():
        errors["name"] = [_("The shop already has goods of this name.")]
    if errors:
        raise InvalidInput(fields=errors)
    photo_name = store_image(photo, "points/shop", "photo") if photo else ""
    item = ShopItem.objects.create(
        shop=shop, name=data["name"], points_price=points_price, stock=stock, photo=photo_name, active=active
    )
    if stock:
        StockMovement.objects.create(
            item=item, delta=stock, stock_after=stock, reason=StockReason.INITIAL, actor=_user(actor)
        )
    audit.record(
        "points.item.created",
        actor=actor,
        obj=item,
        after=audit.snapshot(item, ["shop", "name", "points_price", "stock"]),
    )
    return item


@transaction.atomic
def update_item(item: ShopItem, *, actor, photo=None, **changes) -> ShopItem:
    """Name, price, on sale or photo. Stock changes only through restock/adjust (logged)."""
    _require(actor, PERM_MANAGE_SHOP)
    item = ShopItem.objects.select_for_update().get(pk=item.pk)
    ensure_in_scope(item, actor)
    errors: dict = {}
    unknown = set(changes) - {"name", "points_price", "active"}
    errors.update({k: [_("Unknown field.")] for k in unknown})
    _check_item_fields(changes, errors)
    if "name" in changes and ShopItem.objects.filter(shop=item.shop, name=changes["name"]).exclude(pk=item.pk).exists():
        errors["name"] = [_("The shop already has goods of this name.")]
    if errors:
        raise InvalidInput(fields=errors)
    fields = ["name", "points_price", "active", "photo"]
    before = audit.snapshot(item, fields)
    for key, value in changes.items():
        setattr(item, key, value)
    if photo:
        item.photo = store_image(photo, "points/shop", "photo")
    item.save()
    old, new = audit.changed(before, audit.snapshot(item, fields))
    if new:
        audit.record("points.item.updated", actor=actor, obj=item, before=old, after=new)
    return item


@transaction.atomic
def adjust_stock(item: ShopItem, *, actor, delta: int, reason: str = StockReason.RESTOCK, note: str = "") -> ShopItem:
    _require(actor, PERM_MANAGE_SHOP)
    ensure_in_scope(item, actor)
    errors: dict = {}
    note = _clean_text(note, "note", errors, max_length=200)
    if reason not in (StockReason.RESTOCK, StockReason.ADJUSTMENT):
        errors["reason"] = [_("Please choose restock or stock count adjustment.")]
    if not isinstance(delta, int) or delta == 0 or abs(delta) > 1_000_000:
        errors["delta"] = [_("A whole number other than 0.")]
    elif reason == StockReason.RESTOCK and delta < 0:
        errors["delta"] = [_("A restock adds goods; use an adjustment to reduce stock.")]
    if errors:
        raise InvalidInput(fields=errors)
    item = ShopItem.objects.select_for_update().get(pk=item.pk)
    if item.stock + delta < 0:
        raise InvalidInput(fields={"delta": [_("Stock cannot go below 0 (now %(n)d).") % {"n": item.stock}]})
    ShopItem.objects.filter(pk=item.pk).update(stock=F("stock") + delta)
    item.refresh_from_db(fields=["stock"])
    StockMovement.objects.create(
        item=item, delta=delta, stock_after=item.stock, reason=reason, note=note, actor=_user(actor)
    )
    audit.record(
        "points.item.stock", actor=actor, obj=item, after={"delta": delta, "stock": item.stock, "reason": reason}
    )
    return item


def _clean_lines(lines, errors: dict) -> dict[int, int]:
    merged: dict[int, int] = defaultdict(int)
    if not lines:
        errors["items"] = [_("Please choose at least one item.")]
        return {}
    if len(lines) > 50:
        errors["items"] = [_("At most 50 lines in one redemption.")]
        return {}
    for index, (item_id, quantity) in enumerate(lines):
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            errors[f"items.{index}.item"] = [_("Unknown goods.")]
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 999:
            errors[f"items.{index}.quantity"] = [_("A quantity from 1 to 999.")]
        else:
            merged[item_id] += quantity
    return dict(merged)


@transaction.atomic
def redeem(*, shop: Shop, household: Household, lines, actor) -> Redemption:
    """Household and items → one redemption and its negative ledger entry, atomically.

    Never overdraws (the balance row is locked and checked after the village head
    lock) and never oversells (items are locked in id order, checked, and decremented
    by a conditional UPDATE; a CHECK constraint is the last guard).
    """
    _require(actor, PERM_REDEEM)
    errors: dict = {}
    wanted = _clean_lines(list(lines), errors)
    if errors:
        raise InvalidInput(fields=errors)
    shop_path, shop_active = ledger.shop_area(shop.pk)
    if actor is not None and not shop_path_in_scope(scope_for(actor), shop_path):
        raise NotFound()
    if not shop_active:
        raise Conflict(_("This points shop is closed."), code="shop_closed")
    found = ledger.household_grids([household.pk]).get(household.pk)
    if found is None:
        raise NotFound()
    village_id, grid_path = found
    if actor is not None and not _household_in_scope(scope_for(actor), household.pk, grid_path):
        raise NotFound()
    if not grid_path.startswith(shop_path) or household.status != HouseholdStatus.ACTIVE:
        raise InvalidInput(fields={"household": [_("This household cannot redeem at this shop.")]})
    head = ledger.lock_head(village_id)
    # Locks in the village's order: head, the household's balance, then the items by id.
    spendable = ledger.locked_spendable(household.pk)
    locked = ledger.locked_items(shop.pk, list(wanted))
    unknown = [i for i in wanted if i not in {item.pk for item in locked if item.active}]
    if unknown:
        raise InvalidInput(fields={"items": [_("Goods not on sale at this shop: %(ids)s") % {"ids": unknown}]})
    total = sum(item.points_price * wanted[item.pk] for item in locked)
    if spendable < total:
        raise Conflict(
            _("Not enough points: %(need)d needed, %(have)d spendable.") % {"need": total, "have": spendable},
            code="insufficient_points",
            fields={"household": [_("Not enough points")]},
        )
    short = [i.name for i in locked if i.stock < wanted[i.pk]]
    if short:
        raise Conflict(
            _("Out of stock: %(names)s") % {"names": "、".join(short)},
            code="out_of_stock",
            fields={"items": [_("Out of stock: %(names)s") % {"names": "、".join(short)}]},
        )
    for item in locked:
        if not ledger.take_stock(item.pk, wanted[item.pk]):
            raise Conflict(_("Out of stock: %(names)s") % {"names": item.name}, code="out_of_stock")
    now = timezone.now()
    recorder = _user(actor)
    summary = "、".join(f"{i.name}×{wanted[i.pk]}" for i in locked)
    entry = sql.build(
        PointsEntry,
        household_id=household.pk,
        kind=EntryKind.REDEMPTION,
        delta=-total,
        occurred_on=timezone.localdate(),
        note=(_("Redeemed: %(items)s") % {"items": summary})[:300],
        recorded_by_id=recorder.pk if recorder else None,
        created=now,
    )
    ledger.append_entries(head, [entry])
    _insert_state(entry, EntryStatus.EFFECTIVE, effective_at=now)
    ledger.apply_effects(village_id, [ledger.effect_on_take_effect(entry, EntryKind.REDEMPTION, now)])
    ledger.save_head(head)
    redemption = ledger.insert_row(
        Redemption(
            shop=shop,
            household=household,
            village_id=village_id,
            points=total,
            entry=entry,
            recorded_by=recorder,
            created=now,
        )
    )
    for item in locked:
        ledger.insert_row(
            RedemptionLine(
                redemption=redemption,
                item=item,
                quantity=wanted[item.pk],
                points_price=item.points_price,
                points=item.points_price * wanted[item.pk],
            )
        )
        ledger.insert_row(
            StockMovement(
                item=item,
                delta=-wanted[item.pk],
                stock_after=item.stock - wanted[item.pk],
                reason=StockReason.REDEMPTION,
                redemption=redemption,
                actor=recorder,
            )
        )
    audit.record(
        "points.redemption.created",
        actor=actor,
        obj=redemption,
        after={"household": household.pk, "points": total, "items": wanted, "entry": entry.pk},
    )
    return redemption


@transaction.atomic
def cancel_redemption(redemption: Redemption, *, actor, reason: str) -> Redemption:
    """Same-day cancellation: a reversing entry restores the points, the stock comes back."""
    _require(actor, PERM_REDEEM)
    ensure_in_scope(redemption, actor)
    errors: dict = {}
    reason = _clean_text(reason, "reason", errors, required=True, max_length=200, label=_("Please give the reason."))
    if errors:
        raise InvalidInput(fields=errors)
    head = ledger.lock_head(redemption.village_id)
    redemption = Redemption.objects.select_for_update().get(pk=redemption.pk)
    if redemption.status != RedemptionStatus.COMPLETED:
        raise Conflict(_("This redemption has already been cancelled."), code="already_cancelled")
    if timezone.localtime(redemption.created).date() != timezone.localdate():
        raise Conflict(_("A redemption can only be cancelled on the same day."), code="not_same_day")
    now = timezone.now()
    state = _locked_state(redemption.entry)
    _void(head, state, EntryAction.REVERSED, actor=actor, reason=reason, now=now)
    ledger.save_head(head)
    lines = list(redemption.lines.order_by("item_id"))
    movements = []
    for line in lines:
        ShopItem.objects.filter(pk=line.item_id).update(stock=F("stock") + line.quantity)
        stock = ShopItem.objects.filter(pk=line.item_id).values_list("stock", flat=True).get()
        movements.append(
            StockMovement(
                item_id=line.item_id,
                delta=line.quantity,
                stock_after=stock,
                reason=StockReason.CANCELLATION,
                redemption=redemption,
                actor=_user(actor),
            )
        )
    StockMovement.objects.bulk_create(movements)
    redemption.status = RedemptionStatus.CANCELLED
    redemption.cancelled_at = now
    redemption.cancelled_by = _user(actor)
    redemption.cancel_reason = reason
    redemption.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    audit.record("points.redemption.cancelled", actor=actor, obj=redemption, reason=reason)
    return redemption


# --- dividends ---------------------------------------------------------------------------------


def _clean_tiers(tiers, errors: dict) -> list[dict]:
    clean = []
    for index, tier in enumerate(tiers or []):
        try:
            min_points, shares = int(tier["min_points"]), int(tier["shares"])
        except (KeyError, TypeError, ValueError):
            errors[f"tiers.{index}"] = [_("Each tier needs minimum points and shares.")]
            continue
        if min_points < 1 or not 1 <= shares <= 100:
            errors[f"tiers.{index}"] = [_("Minimum points at least 1; shares from 1 to 100.")]
        clean.append({"min_points": min_points, "shares": shares})
    if len({t["min_points"] for t in clean}) != len(clean):
        errors["tiers"] = [_("Two tiers have the same minimum points.")]
    return sorted(clean, key=lambda t: -t["min_points"])


def _compute_payouts(plan: DividendPlan) -> list[DividendPayout]:
    points = eligible_points(plan.village, dt.date(plan.year, 1, 1), dt.date(plan.year, 12, 31), require_no_major=False)
    allocation = payouts_for(plan.pool_fen, {h: p for h, (p, _major) in points.items()}, plan.method, plan.tiers)
    return [
        DividendPayout(plan=plan, household_id=h, points=points[h][0], shares=shares, amount_fen=amount)
        for h, (shares, amount) in sorted(allocation.items())
    ]


@transaction.atomic
def create_dividend(
    village: Area, *, actor, year: int, title: str, pool_fen: int, method: str, tiers=None
) -> DividendPlan:
    _require(actor, PERM_MANAGE_DIVIDENDS)
    ensure_in_scope(village, actor)
    errors: dict = {}
    _check_village(village, errors)
    title = _clean_text(title, "title", errors, required=True, max_length=100)
    today = timezone.localdate()
    if not isinstance(year, int) or not 2000 <= year <= today.year:
        errors["year"] = [_("A year up to this year.")]
    if not isinstance(pool_fen, int) or not 1 <= pool_fen <= 10**12:
        errors["pool_fen"] = [_("The pool must be more than 0.")]
    if method not in DividendMethod.values:
        errors["method"] = [_("Please choose a method.")]
    clean_tiers = _clean_tiers(tiers, errors) if method == DividendMethod.TIERS else []
    if method == DividendMethod.TIERS and not clean_tiers and "tiers" not in errors:
        errors["tiers"] = [_("Please give at least one tier.")]
    if errors:
        raise InvalidInput(fields=errors)
    plan = DividendPlan.objects.create(
        village=village,
        year=year,
        title=title,
        pool_fen=pool_fen,
        method=method,
        tiers=clean_tiers,
        created_by=_user(actor),
    )
    payouts = _compute_payouts(plan)
    if not payouts:
        raise InvalidInput(fields={"year": [_("No household earned points in this year.")]})
    DividendPayout.objects.bulk_create(payouts)
    audit.record(
        "points.dividend.created",
        actor=actor,
        obj=plan,
        after={"pool_fen": pool_fen, "method": method, "households": len(payouts)},
    )
    return plan


@transaction.atomic
def recompute_dividend(plan: DividendPlan, *, actor) -> DividendPlan:
    _require(actor, PERM_MANAGE_DIVIDENDS)
    ensure_in_scope(plan, actor)
    plan = DividendPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_approved:
        raise Conflict(_("An approved dividend cannot be changed."), code="dividend_approved")
    plan.payouts.all().delete()
    DividendPayout.objects.bulk_create(_compute_payouts(plan))
    audit.record("points.dividend.recomputed", actor=actor, obj=plan)
    return plan


@transaction.atomic
def approve_dividend(plan: DividendPlan, *, actor) -> DividendPlan:
    _require(actor, PERM_APPROVE_DIVIDEND)
    ensure_in_scope(plan, actor)
    plan = DividendPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_approved:
        raise Conflict(_("This dividend has already been approved."), code="dividend_approved")
    if actor is not None and plan.created_by_id == actor.pk:
        raise Conflict(_("The approver must be someone other than the creator."), code="same_approver")
    total = plan.payouts.aggregate(total=Sum("amount_fen"))["total"] or 0
    if total != plan.pool_fen:
        raise Conflict(_("The payouts do not add up to the pool; recompute first."), code="payouts_mismatch")
    plan.status = DividendStatus.APPROVED
    plan.approved_by = _user(actor)
    plan.approved_at = timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record("points.dividend.approved", actor=actor, obj=plan, after={"pool_fen": plan.pool_fen})
    return plan


# --- honours -----------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(
    area: Area,
    *,
    actor,
    kind: str,
    year: int,
    quota: int,
    min_points: int = 0,
    require_no_major_deduction: bool = True,
    assess_from: dt.date | None = None,
    assess_to: dt.date | None = None,
) -> HonourCampaign:
    _require(actor, PERM_RUN_HONOURS)
    ensure_in_scope(area, actor)
    errors: dict = {}
    if area.level not in (AreaLevel.COUNTY, AreaLevel.TOWNSHIP):
        errors["area"] = [_("A campaign is run by the county or a township.")]
    if kind not in HonourKind.values:
        errors["kind"] = [_("Please choose an honour.")]
    if not isinstance(year, int) or not 2000 <= year <= timezone.localdate().year + 1:
        errors["year"] = [_("Please give a valid year.")]
    if not isinstance(quota, int) or not 1 <= quota <= 10_000:
        errors["quota"] = [_("From 1 to 10000.")]
    if not isinstance(min_points, int):
        errors["min_points"] = [_("A whole number.")]
    if not errors:
        assess_from = assess_from or dt.date(year, 1, 1)
        assess_to = assess_to or dt.date(year, 12, 31)
        if assess_to < assess_from:
            errors["assess_to"] = [_("The end cannot be before the start.")]
        elif HonourCampaign.objects.filter(area=area, kind=kind, year=year).exists():
            errors["kind"] = [_("This campaign already exists for the year.")]
    if errors:
        raise InvalidInput(fields=errors)
    campaign = HonourCampaign.objects.create(
        area=area,
        kind=kind,
        year=year,
        quota=quota,
        min_points=min_points,
        require_no_major_deduction=require_no_major_deduction,
        assess_from=assess_from,
        assess_to=assess_to,
        created_by=_user(actor),
    )
    audit.record("points.campaign.created", actor=actor, obj=campaign)
    return campaign


def eligibility(campaign: HonourCampaign, household_ids) -> dict[int, tuple[int, bool, str]]:
    """household → (points in the window, eligible, why not)."""
    points = eligible_points(None, campaign.assess_from, campaign.assess_to, household_ids=list(household_ids))
    out = {}
    for household_id in household_ids:
        earned, major = points.get(household_id, (0, 0))
        if earned < campaign.min_points:
            out[household_id] = (
                earned,
                False,
                _("%(p)d points, %(min)d needed") % {"p": earned, "min": campaign.min_points},
            )
        elif campaign.require_no_major_deduction and major:
            out[household_id] = (earned, False, _("a major deduction in the period"))
        else:
            out[household_id] = (earned, True, "")
    return out


@transaction.atomic
def nominate(campaign: HonourCampaign, household: Household, *, actor, reason: str = "") -> Nomination:
    _require(actor, PERM_NOMINATE)
    ensure_in_scope(campaign, actor)
    ensure_in_scope(household, actor)
    errors: dict = {}
    reason = _clean_text(reason, "reason", errors)
    campaign = HonourCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.NOMINATING:
        raise Conflict(_("Nominations are closed."), code="nominations_closed")
    if not household.grid.path.startswith(campaign.area.path):
        errors["household"] = [_("The household is outside the campaign's area.")]
    elif Nomination.objects.filter(campaign=campaign, household=household).exists():
        errors["household"] = [_("This household has already been nominated.")]
    else:
        points, ok, why = eligibility(campaign, [household.pk])[household.pk]
        if not ok:
            errors["household"] = [_("Not eligible: %(why)s.") % {"why": why}]
    if errors:
        raise InvalidInput(fields=errors)
    nomination = Nomination.objects.create(
        campaign=campaign, household=household, reason=reason, points=points, nominated_by=_user(actor)
    )
    audit.record("points.nomination.created", actor=actor, obj=nomination, after={"points": points})
    return nomination


@transaction.atomic
def review_nomination(nomination: Nomination, *, actor, approve: bool, note: str = "") -> Nomination:
    _require(actor, PERM_RUN_HONOURS)
    ensure_in_scope(nomination.campaign, actor)
    errors: dict = {}
    note = _clean_text(note, "note", errors, required=not approve, label=_("Please give the reason."))
    if errors:
        raise InvalidInput(fields=errors)
    campaign = HonourCampaign.objects.select_for_update().get(pk=nomination.campaign_id)
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if approve and campaign.status != CampaignStatus.REVIEWING:
        raise Conflict(_("Nominations are approved during review."), code="not_reviewing")
    if not approve and campaign.status not in (CampaignStatus.REVIEWING, CampaignStatus.IN_NOTICE):
        raise Conflict(_("Nominations are rejected during review or public notice."), code="not_reviewing")
    if approve:
        approved = campaign.nominations.filter(status=NominationStatus.APPROVED).exclude(pk=nomination.pk).count()
        if approved >= campaign.quota:
            raise Conflict(_("The quota of %(n)d is already filled.") % {"n": campaign.quota}, code="quota_full")
    nomination.status = NominationStatus.APPROVED if approve else NominationStatus.REJECTED
    nomination.reviewed_by = _user(actor)
    nomination.reviewed_at = timezone.now()
    nomination.review_note = note
    nomination.save()
    audit.record("points.nomination.reviewed", actor=actor, obj=nomination, after={"status": nomination.status})
    return nomination


@transaction.atomic
def advance_campaign(campaign: HonourCampaign, *, actor, note: str = "") -> HonourCampaign:
    """Nominating → reviewing → public notice → awarded (numbered honours with signboards)."""
    _require(actor, PERM_RUN_HONOURS)
    ensure_in_scope(campaign, actor)
    campaign = HonourCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in CAMPAIGN_TRANSITIONS:
        raise Conflict(_("The campaign is finished."), code="invalid_transition")
    target = CAMPAIGN_TRANSITIONS[campaign.status]
    now = timezone.now()
    approved = list(campaign.nominations.filter(status=NominationStatus.APPROVED).order_by("-points", "household_id"))
    if target == CampaignStatus.IN_NOTICE:
        if not approved:
            raise Conflict(_("Approve at least one nomination first."), code="nothing_approved")
        campaign.notice_until = now + dt.timedelta(days=HONOUR_NOTICE_DAYS)
    if target == CampaignStatus.AWARDED:
        if campaign.notice_until and campaign.notice_until > now:
            raise Conflict(_("The public notice is not over yet."), code="notice_not_over")
        _award(campaign, approved, actor=actor, now=now)
    CampaignEvent.objects.create(
        campaign=campaign, from_status=campaign.status, to_status=target, actor=_user(actor), note=note[:300]
    )
    campaign.status = target
    campaign.save(update_fields=["status", "notice_until"])
    audit.record("points.campaign.advanced", actor=actor, obj=campaign, after={"status": target})
    return campaign


def next_honour_number(kind: str, year: int) -> int:
    prefix = f"{HONOUR_NUMBER_PREFIX[kind]}-{year}-"
    numbers = Honour.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    return max((int(n.rsplit("-", 1)[1]) for n in numbers), default=0) + 1


def _award(campaign: HonourCampaign, approved: list[Nomination], *, actor, now) -> list[Honour]:
    number = next_honour_number(campaign.kind, campaign.year)
    honours = []
    for offset, nomination in enumerate(approved):
        honours.append(
            Honour(
                campaign=campaign,
                household_id=nomination.household_id,
                kind=campaign.kind,
                year=campaign.year,
                number=f"{HONOUR_NUMBER_PREFIX[campaign.kind]}-{campaign.year}-{number + offset:04d}",
                verify_code=secrets.token_urlsafe(12),
                awarded_at=now,
                awarded_by=_user(actor),
            )
        )
    try:
        with transaction.atomic():
            Honour.objects.bulk_create(honours)
    except IntegrityError:
        raise Conflict(_("A household already holds this honour for the year."), code="already_honoured") from None
    return honours


@transaction.atomic
def revoke_honour(honour: Honour, *, actor, reason: str) -> Honour:
    _require(actor, PERM_RUN_HONOURS)
    ensure_in_scope(honour.campaign, actor)
    errors: dict = {}
    reason = _clean_text(reason, "reason", errors, required=True, label=_("Please give the reason."))
    if errors:
        raise InvalidInput(fields=errors)
    honour = Honour.objects.select_for_update().get(pk=honour.pk)
    if honour.revoked_at:
        raise Conflict(_("This honour has already been revoked."), code="already_revoked")
    honour.revoked_at = timezone.now()
    honour.revoked_reason = reason
    honour.save(update_fields=["revoked_at", "revoked_reason"])
    audit.record("points.honour.revoked", actor=actor, obj=honour, reason=reason)
    return honour
