"""Writes to households and residents. Views and the API parse; these decide and write.

Every function re-checks the actor's scope inside its transaction (a village cadre
cannot move a household into another village by editing a form field), validates
everything before writing anything, and audits with before/after values. ID numbers
never enter the audit log in full.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core import audit, crypto
from shanzhi.core.errors import Forbidden, InvalidInput
from shanzhi.core.masking import PERMISSION_VIEW_SENSITIVE, mask_id_number
from shanzhi.core.scoping import ensure_in_scope
from shanzhi.core.validators import id_number_birth_date, id_number_gender, validate_id_number, validate_phone
from shanzhi.people.choices import Relation
from shanzhi.people.models import Household, HouseholdTag, Resident
from shanzhi.people.search import build_search_text, initials

HOUSEHOLD_AUDIT_FIELDS = ["number", "grid", "address", "head", "phone", "status", "tags"]
RESIDENT_AUDIT_FIELDS = ["household", "name", "relation", "phone", "is_party_member", "is_away_for_work", "status"]


def _require(actor, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise Forbidden()


def _clean_phone(value, field: str, errors: dict) -> str:
    try:
        return validate_phone(value)
    except ValidationError as exc:
        errors[field] = exc.messages
        return ""


def _check_grid(grid, actor, errors: dict) -> None:
    if grid is None:
        errors["grid"] = [_("Please select a grid.")]
    elif grid.level != AreaLevel.GRID:
        errors["grid"] = [
            _("Households can only belong to a grid. Please select a grid, not a %(level)s.")
            % {"level": grid.get_level_display()}
        ]
    elif actor is not None and not Area.objects.for_user(actor).filter(pk=grid.pk).exists():
        errors["grid"] = [_("This grid is outside your jurisdiction.")]


def _resolve_tags(tags) -> list[HouseholdTag]:
    if not tags:
        return []
    resolved = []
    for tag in tags:
        if isinstance(tag, HouseholdTag):
            resolved.append(tag)
            continue
        found = HouseholdTag.objects.filter(code=tag).first() or HouseholdTag.objects.filter(name=tag).first()
        if found is None:
            raise InvalidInput(fields={"tags": _("Unknown tag: %(tag)s") % {"tag": tag}})
        resolved.append(found)
    return resolved


def refresh_search_text(household: Household) -> None:
    members = [
        (r.name, r.name_initials, r.id_last4, r.phone)
        for r in Resident.objects.filter(household=household).order_by("id")
    ]
    household.search_text = build_search_text(household.number, household.phone, members)
    Household.objects.filter(pk=household.pk).update(search_text=household.search_text)


@transaction.atomic
def create_household(*, number: str, grid: Area, actor, address: str = "", phone: str = "", tags=()) -> Household:
    _require(actor, "people.add_household")
    errors: dict = {}
    number = (number or "").strip()
    if not number:
        errors["number"] = [_("Please enter the household number.")]
    elif Household.objects.filter(number=number).exists():
        errors["number"] = [_("Household number %(number)s already exists.") % {"number": number}]
    _check_grid(grid, actor, errors)
    phone = _clean_phone(phone, "phone", errors)
    if errors:
        raise InvalidInput(fields=errors)
    tag_objects = _resolve_tags(tags)
    household = Household(number=number, grid=grid, address=(address or "").strip(), phone=phone)
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError:
        raise InvalidInput(
            fields={"number": _("Household number %(number)s already exists.") % {"number": number}}
        ) from None
    household.tags.set(tag_objects)
    refresh_search_text(household)
    audit.record(
        "people.household.created", actor=actor, obj=household, after=audit.snapshot(household, HOUSEHOLD_AUDIT_FIELDS)
    )
    return household


@transaction.atomic
def update_household(household: Household, *, actor, **changes) -> Household:
    _require(actor, "people.change_household")
    household = Household.objects.select_for_update().get(pk=household.pk)
    ensure_in_scope(household, actor)
    before = audit.snapshot(household, HOUSEHOLD_AUDIT_FIELDS)
    errors: dict = {}
    if "number" in changes:
        number = (changes["number"] or "").strip()
        if not number:
            errors["number"] = [_("Please enter the household number.")]
        elif Household.objects.filter(number=number).exclude(pk=household.pk).exists():
            errors["number"] = [_("Household number %(number)s already exists.") % {"number": number}]
        household.number = number
    if "grid" in changes:
        _check_grid(changes["grid"], actor, errors)
        household.grid = changes["grid"]
    if "phone" in changes:
        household.phone = _clean_phone(changes["phone"], "phone", errors)
    if "address" in changes:
        household.address = (changes["address"] or "").strip()
    if "status" in changes:
        household.status = changes["status"]
    if "head" in changes:
        head = changes["head"]
        if head is not None and head.household_id != household.pk:
            errors["head"] = [_("The head of household must be a member of this household.")]
        household.head = head
    if errors:
        raise InvalidInput(fields=errors)
    household.save()
    if "tags" in changes:
        household.tags.set(_resolve_tags(changes["tags"]))
    refresh_search_text(household)
    old, new = audit.changed(before, audit.snapshot(household, HOUSEHOLD_AUDIT_FIELDS))
    if new:
        audit.record("people.household.updated", actor=actor, obj=household, before=old, after=new)
    return household


def _seal_id(id_number: str, errors: dict, *, exclude_pk=None) -> dict:
    try:
        number = validate_id_number(id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
        return {}
    digest = crypto.lookup_hash(number)
    # Every key's hash: during a key rotation some rows still carry a retired key's.
    clash = Resident.objects.filter(id_number_hash__in=crypto.lookup_hashes(number))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        errors["id_number"] = [_("This ID number is already registered to another resident.")]
        return {}
    return {
        "id_number_sealed": crypto.encrypt(number),
        "id_number_hash": digest,
        "id_last4": number[-4:],
        "id_prefix6": number[:6],
        "gender": id_number_gender(number),
        "birth_date": id_number_birth_date(number),
    }


@transaction.atomic
def add_resident(
    household: Household,
    *,
    name: str,
    id_number: str,
    actor,
    relation: str = Relation.OTHER,
    phone: str = "",
    is_party_member: bool = False,
    is_away_for_work: bool = False,
    make_head: bool = False,
) -> Resident:
    _require(actor, "people.add_resident")
    household = Household.objects.select_for_update().get(pk=household.pk)
    ensure_in_scope(household, actor)
    errors: dict = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Please enter a name.")]
    if relation not in Relation.values:
        errors["relation"] = [_("Please select the relationship to the head of household.")]
    sealed = _seal_id(id_number, errors)
    phone = _clean_phone(phone, "phone", errors)
    if errors:
        raise InvalidInput(fields=errors)
    resident = Resident(
        household=household,
        name=name,
        name_initials=initials(name),
        relation=relation,
        phone=phone,
        is_party_member=is_party_member,
        is_away_for_work=is_away_for_work,
        **sealed,
    )
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:
        raise InvalidInput(
            fields={"id_number": _("This ID number is already registered to another resident.")}
        ) from None
    if make_head or relation == Relation.HEAD or household.head_id is None:
        household.head = resident
        household.save(update_fields=["head", "updated"])
    refresh_search_text(household)
    audit.record(
        "people.resident.created",
        actor=actor,
        obj=resident,
        after={
            **audit.snapshot(resident, RESIDENT_AUDIT_FIELDS),
            "id_number": mask_id_number(sealed["id_prefix6"] + "0" * 8 + sealed["id_last4"]),
        },
    )
    return resident


@transaction.atomic
def update_resident(resident: Resident, *, actor, **changes) -> Resident:
    _require(actor, "people.change_resident")
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    ensure_in_scope(resident, actor)
    before = {**audit.snapshot(resident, RESIDENT_AUDIT_FIELDS), "id_number": resident.masked_id_number}
    errors: dict = {}
    if "name" in changes:
        resident.name = (changes["name"] or "").strip()
        if not resident.name:
            errors["name"] = [_("Please enter a name.")]
        resident.name_initials = initials(resident.name)
    if "id_number" in changes:
        for key, value in _seal_id(changes["id_number"], errors, exclude_pk=resident.pk).items():
            setattr(resident, key, value)
    if "phone" in changes:
        resident.phone = _clean_phone(changes["phone"], "phone", errors)
    if "relation" in changes:
        if changes["relation"] not in Relation.values:
            errors["relation"] = [_("Please select the relationship to the head of household.")]
        resident.relation = changes["relation"]
    if "household" in changes and changes["household"].pk != resident.household_id:
        ensure_in_scope(changes["household"], actor)
        resident.household = changes["household"]
    for flag in ("is_party_member", "is_away_for_work", "status"):
        if flag in changes:
            setattr(resident, flag, changes[flag])
    if errors:
        raise InvalidInput(fields=errors)
    resident.save()
    refresh_search_text(resident.household)
    after = {**audit.snapshot(resident, RESIDENT_AUDIT_FIELDS), "id_number": resident.masked_id_number}
    old, new = audit.changed(before, after)
    if new:
        audit.record("people.resident.updated", actor=actor, obj=resident, before=old, after=new)
    return resident


def reveal_resident(resident: Resident, *, actor, purpose: str = "") -> dict:
    """The full ID number and phone, for a role holding ``people.view_sensitive``; always audited."""
    if not actor.has_perm(PERMISSION_VIEW_SENSITIVE):
        raise Forbidden()
    ensure_in_scope(resident, actor)
    audit.record("people.resident.revealed", actor=actor, obj=resident, purpose=purpose[:200])
    return {"id_number": resident.id_number, "phone": resident.phone}


def reveal_household(household: Household, *, actor, purpose: str = "") -> dict:
    if not actor.has_perm(PERMISSION_VIEW_SENSITIVE):
        raise Forbidden()
    ensure_in_scope(household, actor)
    residents = list(household.residents.order_by("id"))
    audit.record(
        "people.household.revealed",
        actor=actor,
        obj=household,
        purpose=purpose[:200],
        residents=[r.pk for r in residents],
    )
    return {
        "phone": household.phone,
        "residents": {r.pk: {"id_number": r.id_number, "phone": r.phone} for r in residents},
    }
