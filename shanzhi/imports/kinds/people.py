"""Households (with their head) and residents: the bulk path for tens of thousands of rows.

It writes what ``people.services`` writes, in bulk: ID numbers sealed with SM4 and
found by their keyed hash, the household search index rebuilt from the members, and
an audit row for every record created or changed (before/after of the changed
fields, ID numbers masked). Scope is checked per row: the household's current grid and
its new grid must both lie in the importer's part of the county.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.areas.choices import AreaLevel
from shanzhi.core import crypto
from shanzhi.core.masking import mask_id_number, mask_phone
from shanzhi.core.validators import id_number_birth_date, id_number_gender
from shanzhi.imports import cells
from shanzhi.imports.bulk import insert_rows, update_rows
from shanzhi.imports.choices import Outcome
from shanzhi.imports.kinds.base import REQUIRED_ALWAYS, REQUIRED_TO_CREATE, FieldSpec, Kind, Row, outcome_for
from shanzhi.people.choices import Gender, HouseholdStatus, Relation, ResidentStatus
from shanzhi.people.models import Household, HouseholdTag, Resident
from shanzhi.people.search import build_search_text
from shanzhi.people.search import initials as pinyin_initials

_initials_cache: dict[str, str] = {}


def initials(name: str) -> str:
    """``people.search.initials``, remembered: the same names recur in every village."""
    found = _initials_cache.get(name)
    if found is None:
        if len(_initials_cache) > 20_000:  # common names recur; the rest need not stay
            _initials_cache.clear()
        found = _initials_cache[name] = pinyin_initials(name)
    return found


household_status = cells.ChoiceParser(
    HouseholdStatus,
    {"正常": HouseholdStatus.ACTIVE, "在册": HouseholdStatus.ACTIVE, "迁出": HouseholdStatus.MOVED_OUT},
)
resident_status = cells.ChoiceParser(
    ResidentStatus,
    {
        "正常": ResidentStatus.ACTIVE,
        "在册": ResidentStatus.ACTIVE,
        "迁出": ResidentStatus.MOVED_OUT,
        "死亡": ResidentStatus.DECEASED,
        "去世": ResidentStatus.DECEASED,
        "已故": ResidentStatus.DECEASED,
        "注销": ResidentStatus.DECEASED,
    },
)
relation = cells.ChoiceParser(
    Relation,
    {
        "本人": Relation.HEAD,
        "户主本人": Relation.HEAD,
        "妻": Relation.SPOUSE,
        "妻子": Relation.SPOUSE,
        "夫": Relation.SPOUSE,
        "丈夫": Relation.SPOUSE,
        "子": Relation.SON,
        "儿子": Relation.SON,
        "长子": Relation.SON,
        "次子": Relation.SON,
        "三子": Relation.SON,
        "独生子": Relation.SON,
        "女儿": Relation.DAUGHTER,
        "长女": Relation.DAUGHTER,
        "次女": Relation.DAUGHTER,
        "三女": Relation.DAUGHTER,
        "独生女": Relation.DAUGHTER,
        "儿媳": Relation.DAUGHTER_IN_LAW,
        "孙子": Relation.GRANDCHILD,
        "孙女": Relation.GRANDCHILD,
        "外孙": Relation.GRANDCHILD,
        "外孙女": Relation.GRANDCHILD,
        "父亲": Relation.PARENT,
        "母亲": Relation.PARENT,
        "父": Relation.PARENT,
        "母": Relation.PARENT,
        "兄": Relation.SIBLING,
        "弟": Relation.SIBLING,
        "姐": Relation.SIBLING,
        "妹": Relation.SIBLING,
        "兄弟": Relation.SIBLING,
        "姐妹": Relation.SIBLING,
        "其它": Relation.OTHER,
    },
)
gender = cells.ChoiceParser(Gender, {"男性": Gender.MALE, "女性": Gender.FEMALE})


def party_member(value) -> bool:
    return cells.parse_bool(
        value, extra_true={"党员", "中共党员", "预备党员", "中共预备党员"}, extra_false={"群众", "团员", "共青团员"}
    )


def away_for_work(value) -> bool:
    return cells.parse_bool(value, extra_true={"外出", "外出务工", "务工"}, extra_false={"在家", "在村", "在本地"})


def birth_check(value):
    """A date, or (year, month) for a 出生年月 column written ``1980.01``."""
    raw = cells.text(value).replace(" ", "")
    import re

    match = re.fullmatch(r"(\d{4})[-./年](\d{1,2})月?", raw)
    if match:
        return int(match.group(1)), int(match.group(2))
    return cells.parse_date(value)


def sealed_id(number: str, *, digest: str | None = None) -> dict:
    """The stored form of an ID number, exactly as ``people.services`` seals it."""
    return {
        "id_number_sealed": crypto.encrypt(number),
        "id_number_hash": digest or crypto.lookup_hash(number),
        "id_last4": number[-4:],
        "id_prefix6": number[:6],
        "gender": id_number_gender(number),
        "birth_date": id_number_birth_date(number),
    }


def masked_of(prefix6: str, last4: str) -> str:
    return mask_id_number(prefix6 + "0" * 8 + last4)


def _tags_label(names: list[str]) -> str:
    return "、".join(names)


def residents_by_hash(rows: list[Row], plain: list[str], fields) -> dict[str, dict]:
    """Existing residents whose ID number is among the rows' (``row.plan["hash"]``), by current hash.

    During a key rotation a resident may still carry a retired key's hash; it is found
    too and filed under the current one.
    """
    aliases = crypto.retired_hash_aliases(plain)
    wanted = [row.plan["hash"] for row in rows if "hash" in row.plan] + list(aliases)
    found = {}
    for resident in Resident.objects.filter(id_number_hash__in=wanted).values(*fields):
        found[aliases.get(resident["id_number_hash"], resident["id_number_hash"])] = resident
    return found


class _PeopleKind(Kind):
    permissions = ("people.add_household", "people.change_household", "people.add_resident", "people.change_resident")
    sheet_area_levels = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE, AreaLevel.GRID)

    @staticmethod
    def insert_residents(residents: list[dict], now) -> None:
        """Insert new residents and note each one's id (found again by the unique ID-number hash)."""
        if not residents:
            return
        insert_rows(Resident, residents, {"created": now, "updated": now})
        ids = dict(
            Resident.objects.filter(id_number_hash__in=[r["id_number_hash"] for r in residents]).values_list(
                "id_number_hash", "id"
            )
        )
        for resident in residents:
            resident["id"] = ids[resident["id_number_hash"]]

    def audit_resident_created(self, row: Row, resident: dict) -> None:
        self.ctx.audit.add(
            "people.resident.created",
            object_type="people.resident",
            object_id=resident["id"],
            object_repr=resident["name"],
            after={
                "household": resident["household_id"],
                "name": resident["name"],
                "relation": resident["relation"],
                "phone": resident["phone"],
                "is_party_member": resident["is_party_member"],
                "is_away_for_work": resident["is_away_for_work"],
                "status": resident["status"],
                "id_number": masked_of(resident["id_prefix6"], resident["id_last4"]),
            },
            row=row.number,
            sheet=row.sheet.name,
        )

    def refresh_search_text(self, household_ids) -> dict[int, str]:
        """The search index of each household from its members now in the database."""
        members = defaultdict(list)
        for household_id, name, name_initials, last4, phone in (
            Resident.objects.filter(household_id__in=household_ids)
            .order_by("id")
            .values_list("household_id", "name", "name_initials", "id_last4", "phone")
        ):
            members[household_id].append((name, name_initials, last4, phone))
        texts = {}
        for pk, number, phone in Household.objects.filter(pk__in=household_ids).values_list("id", "number", "phone"):
            texts[pk] = build_search_text(number, phone, members.get(pk, []))
        return texts


# --- households --------------------------------------------------------------------------------


class HouseholdsKind(_PeopleKind):
    name = "households"
    fields = (
        FieldSpec(
            "number",
            "户号",
            ("户编号", "户籍编号", "家庭户号", "户口编号", "家庭编号", "户主编号", "户代码"),
            parse=lambda v: cells.parse_code(v, max_length=40),
            required=REQUIRED_ALWAYS,
            help=gettext_lazy("The household number, unique in the county: the key a re-import updates by."),
            example="2303812030010001",
        ),
        FieldSpec(
            "grid",
            "所属网格",
            ("网格", "网格名称", "网格编码", "所在网格", "网格号", "网格编号", "所属网格名称"),
            required=REQUIRED_TO_CREATE,
            help=gettext_lazy(
                "The grid: its code, its name, or village and grid name (永和村/第1网格). Required for a new household."
            ),
            example="永和村第1网格",
        ),
        FieldSpec(
            "head_name",
            "户主姓名",
            ("户主", "姓名", "户主名字", "户主名称"),
            parse=cells.parse_name,
            help=gettext_lazy("The head of household's name; with the ID number it registers the head."),
            example="李桂君",
        ),
        FieldSpec(
            "head_id_number",
            "户主身份证号",
            (
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "身份证",
                "户主身份证号码",
                "证件号码",
                "身份证件号码",
                "户主身份证",
            ),
            parse=cells.parse_id_number,
            help=gettext_lazy("18 characters; format the column as Text so Excel keeps every digit."),
            example="230381194603121119",
        ),
        FieldSpec(
            "address",
            "地址",
            ("家庭住址", "住址", "家庭地址", "现住址", "居住地址", "详细地址", "门牌地址", "现居住地址"),
            parse=lambda v: cells.parse_text(v, max_length=200),
            example="永和村前街1号",
        ),
        FieldSpec(
            "phone",
            "联系电话",
            ("手机号", "电话", "手机", "手机号码", "联系方式", "户主电话", "电话号码", "户主手机号", "联系手机"),
            parse=cells.parse_phone,
            help=gettext_lazy("A mobile (11 digits) or a landline with its area code (0467-5822345)."),
            example="13812345678",
        ),
        FieldSpec(
            "tags",
            "标签",
            ("户标签", "人群类别", "特殊人群", "户类别", "户类型", "重点人群"),
            parse=cells.split_list,
            help=gettext_lazy("Tags from the county's list, separated by 、 (for example 独居老人、低保户)."),
            example="独居老人",
        ),
        FieldSpec(
            "status",
            "状态",
            ("户状态", "户籍状态"),
            parse=household_status,
            help=gettext_lazy("在册 or 已迁出; blank means 在册 for a new household."),
            example="在册",
        ),
        FieldSpec("township", "乡镇", ("所属乡镇", "乡镇名称", "镇", "乡", "乡(镇)"), exported=False),
        FieldSpec("village", "行政村", ("所属村", "村", "村名", "村名称", "所在村", "村屯", "村委会"), exported=False),
    )
    ignored = ("人口数", "家庭人口", "人数", "家庭人口数", "性别", "年龄", "民族", "出生日期", "与户主关系")
    instructions = (
        gettext_lazy(
            "One row per household. The household number is the key: importing the same number again updates that household."
        ),
        gettext_lazy("Blank cells never erase what is registered; write a value to change it."),
        gettext_lazy("The head's name and ID number register the head when the household has none."),
    )

    def prepare(self):
        self.tags_by_key = {}
        for tag in HouseholdTag.objects.all():
            self.tags_by_key[cells.text(tag.code).lower()] = tag
            self.tags_by_key[cells.text(tag.name).lower()] = tag
        self.tag_names = {tag.pk: tag.name for tag in HouseholdTag.objects.all()}

    def keys(self, row: Row):
        found = []
        if row.has("number"):
            found.append(("number", "户号", row.values["number"]))
        head_id = row.get("head_id_number")
        if isinstance(head_id, str):
            found.append(("head_id_number", "户主身份证号", head_id))
        return found

    def check(self, rows: list[Row]) -> None:
        numbers = {row.values["number"] for row in rows if row.has("number")}
        existing = {
            h["number"]: h
            for h in Household.objects.filter(number__in=numbers).values(
                "id", "number", "grid_id", "grid__path", "address", "phone", "status", "head_id"
            )
        }
        ids = [h["id"] for h in existing.values()]
        tags_of = defaultdict(set)
        for household_id, tag_id in Household.tags.through.objects.filter(household_id__in=ids).values_list(
            "household_id", "householdtag_id"
        ):
            tags_of[household_id].add(tag_id)
        heads = {
            r["id"]: r
            for r in Resident.objects.filter(pk__in=[h["head_id"] for h in existing.values() if h["head_id"]]).values(
                "id", "name", "id_prefix6", "id_last4", "household_id"
            )
        }
        plain = []
        for row in rows:
            head_id = row.get("head_id_number")
            if isinstance(head_id, str):
                row.plan["hash"] = crypto.lookup_hash(head_id)
                plain.append(head_id)
        by_hash = residents_by_hash(
            rows, plain, ("id", "id_number_hash", "household_id", "household__number", "household__grid__path", "name")
        )
        for row in rows:
            self._check_row(row, existing, tags_of, heads, by_hash)

    def _check_row(self, row: Row, existing, tags_of, heads, by_hash) -> None:
        household = existing.get(row.get("number"))
        creating = household is None and row.has("number")
        if household is not None and not self.ctx.in_scope(household["grid__path"]):
            row.error(
                "number",
                _("Household number %(number)s belongs to a household outside your jurisdiction.")
                % {"number": row.values["number"]},
                "out_of_scope",
            )
            return
        self.require(row, creating)
        township = self.resolve_area(row, "township", AreaLevel.TOWNSHIP) if "township" in row.raw else None
        village = (
            self.resolve_area(row, "village", AreaLevel.VILLAGE, within=township or row.area)
            if "village" in row.raw
            else None
        )
        grid = None
        if "grid" in row.raw:
            grid = self.resolve_area(row, "grid", AreaLevel.GRID, within=village or township or row.area)
            if grid is not None and (village or township) and not grid.within(village or township):
                row.error(
                    "grid",
                    _("Grid %(grid)s is not in %(area)s.") % {"grid": grid.name, "area": (village or township).name},
                    "outside_sheet_area",
                )
                grid = None
        elif creating and row.area is not None and row.area.level == AreaLevel.GRID:
            grid = row.area
        tag_ids = None
        if row.has("tags"):
            tag_ids = set()
            for word in row.values["tags"]:
                tag = self.tags_by_key.get(word.lower())
                if tag is None:
                    row.error(
                        "tags",
                        _("Unknown tag: %(tag)s. Tags in use: %(known)s.")
                        % {"tag": word, "known": "、".join(sorted(set(self.tag_names.values())))},
                        "unknown_tag",
                    )
                    tag_ids = None
                    break
                tag_ids.add(tag.pk)
        if row.get("status") == HouseholdStatus.MERGED:
            row.error("status", _("Merging households is done on the household page, not by import."), "status")
        current = household or {}
        wanted = {}
        if grid is not None:
            wanted["grid_id"] = grid.id
        for name in ("address", "status"):
            if row.has(name):
                wanted[name] = row.values[name]
        phone = row.get("phone")
        if isinstance(phone, cells.Masked):
            if not current or mask_phone(current.get("phone")) != phone.text:
                row.error(
                    "phone", _("The phone number is masked and does not match the registered one."), "masked_value"
                )
        elif phone:
            wanted["phone"] = phone
        changes = self.changes(current, wanted) if household else wanted
        tags_change = None
        if tag_ids is not None and (creating or tag_ids != tags_of.get(current.get("id"), set())):
            tags_change = tag_ids
        head_plan = self._check_head(row, household, heads, by_hash)
        if row.errors:
            return
        row.plan.update(
            household=household,
            changes=changes,
            tags=tags_change,
            old_tags=tags_of.get(current.get("id"), set()),
            **head_plan,
        )
        row.outcome = outcome_for(
            creating, changes or tags_change or head_plan.get("head_create") or head_plan.get("head_rename")
        )

    def _check_head(self, row: Row, household, heads, by_hash) -> dict:
        name = row.get("head_name")
        id_number = row.get("head_id_number")
        head = heads.get(household["head_id"]) if household and household["head_id"] else None
        if id_number is None:
            if "head_id_number" in row.raw:
                return {}  # refused; the cell's message says why
            if name and (head is None or head["name"] != name):
                row.error(
                    "head_name",
                    _("To register or rename the head of household, give the head's ID number too."),
                    "head_needs_id",
                )
            return {}
        if isinstance(id_number, cells.Masked):
            if head is None or masked_of(head["id_prefix6"], head["id_last4"]) != id_number.text:
                row.error(
                    "head_id_number",
                    _("The ID number is masked and does not match the registered head of household."),
                    "masked_value",
                )
                return {}
            if name and name != head["name"]:
                return {"head_rename": (head["id"], head["name"], name)}
            return {}
        resident = by_hash.get(row.plan.get("hash"))
        if resident is not None:
            if household is None or resident["household_id"] != household["id"]:
                where = resident["household__number"] if self.ctx.in_scope(resident["household__grid__path"]) else ""
                row.error(
                    "head_id_number",
                    _("This ID number is already registered in household %(number)s.") % {"number": where}
                    if where
                    else _("This ID number is already registered to another resident."),
                    "id_registered",
                )
                return {}
            if head is None or head["id"] != resident["id"]:
                row.error(
                    "head_id_number",
                    _(
                        "This person is a member of the household but not its head; change the head on the household page."
                    ),
                    "head_conflict",
                )
                return {}
            if name and name != head["name"]:
                return {"head_rename": (head["id"], head["name"], name)}
            return {}
        if head is not None:
            row.error(
                "head_id_number",
                _("The household's registered head is %(name)s (ID ending %(last4)s), not the person in this row.")
                % {"name": head["name"], "last4": head["id_last4"]},
                "head_conflict",
            )
            return {}
        if not name:
            row.error("head_name", _("Give the head of household's name with the ID number."), "required")
            return {}
        return {"head_create": {"name": name, "id_number": id_number}}

    # --- writing ---------------------------------------------------------------------------------

    def write(self, rows: list[Row]) -> None:
        if not rows:
            return
        now = timezone.now()
        audit = self.ctx.audit
        creating = [row for row in rows if row.outcome == Outcome.CREATED]
        new_households = []
        for row in creating:
            changes, head = row.plan["changes"], row.plan.get("head_create")
            if head:
                head["initials"] = initials(head["name"])
            members = [(head["name"], head["initials"], head["id_number"][-4:], "")] if head else []
            phone = changes.get("phone", "")
            new_households.append(
                {
                    "number": row.values["number"],
                    "grid_id": changes["grid_id"],
                    "address": changes.get("address", ""),
                    "head_id": None,
                    "phone": phone,
                    "status": changes.get("status", HouseholdStatus.ACTIVE),
                    "merged_into_id": None,
                    "search_text": build_search_text(row.values["number"], phone, members),
                }
            )
        insert_rows(Household, new_households, {"created": now, "updated": now})
        ids = dict(
            Household.objects.filter(number__in=[h["number"] for h in new_households]).values_list("number", "id")
        )
        for row, household in zip(creating, new_households, strict=True):
            row.plan["id"] = household["id"] = ids[household["number"]]
        for row in rows:
            if row.outcome == Outcome.UPDATED:
                row.plan["id"] = row.plan["household"]["id"]
        # Tags.
        through = Household.tags.through
        removals = Q(pk__in=[])
        additions = []
        for row in rows:
            if row.plan["tags"] is None:
                continue
            old = row.plan["old_tags"] if row.outcome == Outcome.UPDATED else set()
            new = row.plan["tags"]
            if old - new:
                removals |= Q(household_id=row.plan["id"], householdtag_id__in=old - new)
            additions.extend(through(household_id=row.plan["id"], householdtag_id=t) for t in sorted(new - old))
        through.objects.filter(removals).delete()
        through.objects.bulk_create(additions, batch_size=1000)
        # Heads: new ones (sealed like people.services does) and renamed ones.
        heads = []
        for row in rows:
            plan = row.plan.get("head_create")
            if plan:
                name = plan["name"]
                heads.append(
                    (
                        row,
                        {
                            "household_id": row.plan["id"],
                            "name": name,
                            "name_initials": plan.get("initials") or initials(name),
                            "relation": Relation.HEAD,
                            "phone": "",
                            "is_party_member": False,
                            "is_away_for_work": False,
                            "status": ResidentStatus.ACTIVE,
                            **sealed_id(plan["id_number"], digest=row.plan.get("hash")),
                        },
                    )
                )
        self.insert_residents([resident for _, resident in heads], now)
        head_of = {row.plan["id"]: resident for row, resident in heads}
        renames = []
        for row in rows:
            if row.plan.get("head_rename"):
                pk, old, new = row.plan["head_rename"]
                renames.append((pk, {"name": new, "name_initials": initials(new), "updated": now}))
                audit.add(
                    "people.resident.updated",
                    object_type="people.resident",
                    object_id=pk,
                    object_repr=new,
                    before={"name": old},
                    after={"name": new},
                    row=row.number,
                    sheet=row.sheet.name,
                )
        update_rows(Resident, renames)
        # The households: new heads, changed fields, and the search index of the changed ones.
        updating = [row for row in rows if row.outcome == Outcome.UPDATED]
        changes_by_id = []
        for row in rows:
            head = head_of.get(row.plan["id"])
            changes = {}
            if row.outcome == Outcome.UPDATED:
                changes = {**row.plan["changes"], "updated": now}
            if head is not None:
                changes["head_id"] = head["id"]
            changes_by_id.append((row.plan["id"], changes))
        update_rows(Household, changes_by_id)
        if updating:  # their index, from the members and phone now stored
            texts = self.refresh_search_text([row.plan["id"] for row in updating])
            update_rows(Household, [(pk, {"search_text": text}) for pk, text in texts.items()])
        for row, household in zip(creating, new_households, strict=True):
            head = head_of.get(household["id"])
            audit.add(
                "people.household.created",
                object_type="people.household",
                object_id=household["id"],
                object_repr=f"{household['number']} {head['name'] if head else ''}".strip(),
                after={
                    "number": household["number"],
                    "grid": household["grid_id"],
                    "address": household["address"],
                    "head": head["id"] if head else None,
                    "phone": household["phone"],
                    "status": household["status"],
                    "tags": sorted(row.plan["tags"] or ()),
                },
                row=row.number,
                sheet=row.sheet.name,
            )
        for row in updating:
            current, changes = row.plan["household"], row.plan["changes"]
            before = {k.removesuffix("_id"): current.get(k) for k in changes}
            after = {k.removesuffix("_id"): v for k, v in changes.items()}
            if row.plan["tags"] is not None:
                before["tags"], after["tags"] = sorted(row.plan["old_tags"]), sorted(row.plan["tags"])
            head = head_of.get(row.plan["id"])
            if head is not None:
                before["head"], after["head"] = current.get("head_id"), head["id"]
            if after:
                audit.add(
                    "people.household.updated",
                    object_type="people.household",
                    object_id=row.plan["id"],
                    object_repr=row.values["number"],
                    before=before,
                    after=after,
                    row=row.number,
                    sheet=row.sheet.name,
                )
        for row, head in heads:
            self.audit_resident_created(row, head)

    # --- exporting -------------------------------------------------------------------------------

    def export(self, user, *, masked: bool):
        areas = self.ctx.areas
        tag_names = {pk: name for pk, name in HouseholdTag.objects.values_list("id", "name")}
        queryset = Household.objects.for_user(user) if user is not None else Household.objects.all()
        last = ""
        while True:
            page = list(
                queryset.filter(number__gt=last)
                .order_by("number")
                .values("id", "number", "grid_id", "address", "phone", "status", "head_id")[:2000]
            )
            if not page:
                return
            last = page[-1]["number"]
            ids = [h["id"] for h in page]
            tags = defaultdict(list)
            for household_id, tag_id in (
                Household.tags.through.objects.filter(household_id__in=ids)
                .order_by("householdtag__sort_order", "householdtag__code")
                .values_list("household_id", "householdtag_id")
            ):
                tags[household_id].append(tag_names[tag_id])
            heads = {
                r.pk: r
                for r in Resident.objects.filter(pk__in=[h["head_id"] for h in page if h["head_id"]]).only(
                    "id", "name", "id_number_sealed", "id_prefix6", "id_last4"
                )
            }
            for h in page:
                head = heads.get(h["head_id"])
                yield {
                    "number": h["number"],
                    "grid": areas.label(areas.get(h["grid_id"])),
                    "head_name": head.name if head else "",
                    "head_id_number": (masked_of(head.id_prefix6, head.id_last4) if masked else head.id_number)
                    if head
                    else "",
                    "address": h["address"],
                    "phone": mask_phone(h["phone"]) if masked else h["phone"],
                    "tags": _tags_label(tags.get(h["id"], [])),
                    "status": household_status.label(h["status"]),
                }


# --- residents -----------------------------------------------------------------------------------


class ResidentsKind(_PeopleKind):
    name = "residents"
    fields = (
        FieldSpec(
            "household",
            "户号",
            ("户编号", "户籍编号", "家庭户号", "户口编号", "家庭编号", "户代码", "所属户号"),
            parse=lambda v: cells.parse_code(v, max_length=40),
            required=REQUIRED_TO_CREATE,
            help=gettext_lazy("The number of the household the person belongs to (import households first)."),
            example="2303812030010001",
        ),
        FieldSpec(
            "name",
            "姓名",
            ("居民姓名", "成员姓名", "人员姓名", "家庭成员姓名", "家庭成员"),
            parse=cells.parse_name,
            required=REQUIRED_TO_CREATE,
            example="王秀英",
        ),
        FieldSpec(
            "id_number",
            "身份证号",
            ("身份证号码", "公民身份号码", "身份证", "证件号码", "身份证件号码", "居民身份证号"),
            parse=cells.parse_id_number,
            required=REQUIRED_ALWAYS,
            help=gettext_lazy("18 characters: the key a re-import updates by. Format the column as Text."),
            example="230381197503150026",
        ),
        FieldSpec(
            "relation",
            "与户主关系",
            ("关系", "家庭关系", "与户主的关系", "与户主关系名称"),
            parse=relation,
            help=gettext_lazy("户主, 配偶, 子, 女, 儿媳, 女婿, 孙子女, 父母, 兄弟姐妹 or 其他."),
            example="配偶",
        ),
        FieldSpec(
            "phone",
            "手机号",
            ("联系电话", "电话", "手机", "手机号码", "联系方式", "电话号码", "本人电话"),
            parse=cells.parse_phone,
            example="13900001111",
        ),
        FieldSpec(
            "is_party_member",
            "是否党员",
            ("党员", "政治面貌", "是否中共党员"),
            parse=party_member,
            help=gettext_lazy("是 or 否 (a 政治面貌 column with 中共党员 / 群众 works too)."),
            example="否",
        ),
        FieldSpec(
            "is_away_for_work",
            "是否外出务工",
            ("外出务工", "是否外出", "外出", "务工状态", "是否在外务工"),
            parse=away_for_work,
            example="否",
        ),
        FieldSpec(
            "status",
            "人员状态",
            ("状态", "户籍状态", "居民状态"),
            parse=resident_status,
            help=gettext_lazy("在册, 已迁出 or 死亡."),
            example="在册",
        ),
        FieldSpec(
            "birth_date",
            "出生日期",
            ("出生年月", "出生年月日", "生日"),
            parse=birth_check,
            help=gettext_lazy("Optional: checked against the ID number."),
            exported=False,
        ),
        FieldSpec(
            "gender",
            "性别",
            (),
            parse=gender,
            help=gettext_lazy("Optional: checked against the ID number."),
            exported=False,
        ),
    )
    ignored = ("年龄", "民族", "文化程度", "户主姓名", "户主", "所属网格", "网格", "地址", "家庭住址")
    instructions = (
        gettext_lazy("One row per person. The ID number is the key: importing the same ID again updates that person."),
        gettext_lazy(
            "The household must exist (import households first); a new member of a household without a head becomes its head."
        ),
        gettext_lazy("Blank cells never erase what is registered; write a value to change it."),
    )

    def prepare(self):
        self.head_claims: dict[int, int] = {}  # household id → ordinal of the row that makes its head

    def keys(self, row: Row):
        value = row.get("id_number")
        return [("id_number", "身份证号", value)] if isinstance(value, str) else []

    def check(self, rows: list[Row]) -> None:
        numbers = {row.values["household"] for row in rows if row.has("household")}
        households = {
            h["number"]: h
            for h in Household.objects.filter(number__in=numbers).values("id", "number", "grid__path", "head_id")
        }
        plain = []
        for row in rows:
            value = row.get("id_number")
            if isinstance(value, str):
                row.plan["hash"] = crypto.lookup_hash(value)
                plain.append(value)
        fields = (
            "id",
            "id_number_hash",
            "household_id",
            "household__number",
            "household__grid__path",
            "household__head_id",
            "name",
            "id_prefix6",
            "id_last4",
            "relation",
            "phone",
            "is_party_member",
            "is_away_for_work",
            "status",
            "birth_date",
            "gender",
        )
        by_hash = residents_by_hash(rows, plain, fields)
        masked_households = [
            households[row.values["household"]]["id"]
            for row in rows
            if isinstance(row.get("id_number"), cells.Masked) and row.get("household") in households
        ]
        by_mask = defaultdict(list)
        for r in Resident.objects.filter(household_id__in=masked_households).values(*fields):
            by_mask[(r["household_id"], masked_of(r["id_prefix6"], r["id_last4"]))].append(r)
        for row in rows:
            self._check_row(row, households, by_hash, by_mask)

    def _check_row(self, row: Row, households, by_hash, by_mask) -> None:
        household = households.get(row.get("household"))
        if row.has("household") and household is None:
            row.error(
                "household",
                _("Unknown household number %(number)s: import the household first.")
                % {"number": row.values["household"]},
                "unknown_household",
            )
        elif household is not None and not self.ctx.in_scope(household["grid__path"]):
            row.error(
                "household",
                _("Household %(number)s is outside your jurisdiction.") % {"number": row.values["household"]},
                "out_of_scope",
            )
            household = None
        elif household is not None and row.area is not None:
            if not household["grid__path"].startswith(row.area.path):
                row.error(
                    "household",
                    _("Household %(number)s is not inside %(area)s, the area of sheet %(sheet)s.")
                    % {"number": row.values["household"], "area": row.area.name, "sheet": row.sheet.name},
                    "outside_sheet_area",
                )
                household = None
        id_number = row.get("id_number")
        resident = None
        if isinstance(id_number, cells.Masked):
            matches = by_mask.get((household["id"], id_number.text), []) if household else []
            if row.has("name"):
                matches = [m for m in matches if m["name"] == row.values["name"]]
            if len(matches) != 1:
                row.error(
                    "id_number",
                    _("The ID number is masked and matches no registered member of this household; enter it in full."),
                    "masked_value",
                )
                return
            resident = matches[0]
        elif isinstance(id_number, str):
            resident = by_hash.get(row.plan["hash"])
            self._check_against_id(row, id_number)
        creating = resident is None and "id_number" in row.values
        if resident is not None and not self.ctx.in_scope(resident["household__grid__path"]):
            row.error("id_number", _("This ID number is already registered to another resident."), "id_registered")
            return
        self.require(row, creating)
        if row.errors:
            return
        wanted = {
            k: row.values[k]
            for k in ("name", "relation", "is_party_member", "is_away_for_work", "status")
            if k in row.values
        }
        phone = row.get("phone")
        if isinstance(phone, cells.Masked):
            if resident is None or mask_phone(resident["phone"]) != phone.text:
                row.error(
                    "phone", _("The phone number is masked and does not match the registered one."), "masked_value"
                )
                return
        elif phone:
            wanted["phone"] = phone
        if household is not None:
            wanted["household_id"] = household["id"]
        changes = self.changes(resident, wanted) if resident else wanted
        make_head = False
        if resident is None:
            relation_value = wanted.get("relation", Relation.OTHER)
            claimed = self.head_claims.get(household["id"])
            if household["head_id"] is None and (claimed is None or claimed == row.ordinal):
                self.head_claims[household["id"]] = row.ordinal
                make_head = True
            elif relation_value == Relation.HEAD:
                row.error(
                    "relation",
                    _("Household %(number)s already has a head; change the head on the household page.")
                    % {"number": household["number"]},
                    "head_conflict",
                )
                return
        else:
            is_head = resident["household__head_id"] == resident["id"]
            if "household_id" in changes and is_head:
                row.error(
                    "household",
                    _("%(name)s heads household %(number)s and cannot move by import; change the head first.")
                    % {"name": resident["name"], "number": resident["household__number"]},
                    "head_conflict",
                )
                return
            if changes.get("relation") == Relation.HEAD and not is_head:
                row.error(
                    "relation",
                    _("Household %(number)s already has a head; change the head on the household page.")
                    % {"number": resident["household__number"]},
                    "head_conflict",
                )
                return
            if "relation" in changes and is_head:
                row.error(
                    "relation",
                    _("%(name)s is the head of the household; change the head on the household page.")
                    % {"name": resident["name"]},
                    "head_conflict",
                )
                return
        row.plan.update(resident=resident, changes=changes, make_head=make_head, household=household)
        row.outcome = outcome_for(creating, changes)

    def _check_against_id(self, row: Row, number: str) -> None:
        birth = id_number_birth_date(number)
        stated = row.get("birth_date")
        if stated is not None:
            same = (
                (stated.year, stated.month) == (birth.year, birth.month)
                if isinstance(stated, tuple)
                else stated == birth
            )
            if not same:
                row.error(
                    "birth_date",
                    _("The date of birth does not match the ID number (which says %(date)s).")
                    % {"date": birth.isoformat()},
                    "birth_mismatch",
                )
        stated_gender = row.get("gender")
        if stated_gender and stated_gender != id_number_gender(number):
            row.error("gender", _("The sex does not match the ID number."), "gender_mismatch")

    def write(self, rows: list[Row]) -> None:
        if not rows:
            return
        now = timezone.now()
        audit = self.ctx.audit
        touched = set()
        new = []
        for row in rows:
            if row.outcome != Outcome.CREATED:
                continue
            changes = row.plan["changes"]
            name = changes["name"]
            resident = {
                "household_id": changes["household_id"],
                "name": name,
                "name_initials": initials(name),
                "relation": changes.get("relation", Relation.OTHER),
                "phone": changes.get("phone", ""),
                "is_party_member": changes.get("is_party_member", False),
                "is_away_for_work": changes.get("is_away_for_work", False),
                "status": changes.get("status", ResidentStatus.ACTIVE),
                **sealed_id(row.values["id_number"], digest=row.plan.get("hash")),
            }
            new.append((row, resident))
            touched.add(resident["household_id"])
        self.insert_residents([r for _, r in new], now)
        update_rows(
            Household,
            [(r["household_id"], {"head_id": r["id"], "updated": now}) for row, r in new if row.plan["make_head"]],
        )
        for row, resident in new:
            self.audit_resident_created(row, resident)
            if row.plan["make_head"]:
                audit.add(
                    "people.household.updated",
                    object_type="people.household",
                    object_id=resident["household_id"],
                    object_repr=row.plan["household"]["number"],
                    before={"head": None},
                    after={"head": resident["id"]},
                    row=row.number,
                    sheet=row.sheet.name,
                )
        updates = []
        for row in rows:
            if row.outcome != Outcome.UPDATED:
                continue
            current, changes = row.plan["resident"], row.plan["changes"]
            values = {**changes, "updated": now}
            if "name" in changes:
                values["name_initials"] = initials(changes["name"])
            updates.append((current["id"], values))
            touched.update({current["household_id"], changes.get("household_id", current["household_id"])})
            audit.add(
                "people.resident.updated",
                object_type="people.resident",
                object_id=current["id"],
                object_repr=changes.get("name", current["name"]),
                before={k.removesuffix("_id"): current[k] for k in changes},
                after={k.removesuffix("_id"): v for k, v in changes.items()},
                id_number=masked_of(current["id_prefix6"], current["id_last4"]),
                row=row.number,
                sheet=row.sheet.name,
            )
        update_rows(Resident, updates)
        texts = self.refresh_search_text(touched)
        update_rows(Household, [(pk, {"search_text": text}) for pk, text in texts.items()])

    def export(self, user, *, masked: bool):
        queryset = Resident.objects.for_user(user) if user is not None else Resident.objects.all()
        last = 0
        while True:
            page = list(
                queryset.filter(pk__gt=last)
                .order_by("pk")
                .select_related("household")
                .only(
                    "id",
                    "household__number",
                    "name",
                    "id_number_sealed",
                    "id_prefix6",
                    "id_last4",
                    "relation",
                    "phone",
                    "is_party_member",
                    "is_away_for_work",
                    "status",
                )[:2000]
            )
            if not page:
                return
            last = page[-1].pk
            for r in page:
                yield {
                    "household": r.household.number,
                    "name": r.name,
                    "id_number": masked_of(r.id_prefix6, r.id_last4) if masked else r.id_number,
                    "relation": relation.label(r.relation),
                    "phone": mask_phone(r.phone) if masked else r.phone,
                    "is_party_member": "是" if r.is_party_member else "否",
                    "is_away_for_work": "是" if r.is_away_for_work else "否",
                    "status": resident_status.label(r.status),
                }
