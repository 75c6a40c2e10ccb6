"""The county tree (townships, villages, grids) and the departments, keyed by their codes.

New areas are written through ``areas.services.create_area`` (parents before
children, a parent may come from the same file); a change of name, start date, centre
or order is written here with a before/after audit row, since the areas app has no
update service. Moving an area or changing its level is refused: records hang off the
tree and that is done by hand.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.areas.choices import CHILD_LEVEL, LEVEL_ORDER, AreaLevel, DepartmentKind
from shanzhi.areas.models import Area, Department
from shanzhi.areas.services import create_area, create_department
from shanzhi.core import audit
from shanzhi.core.errors import DomainError
from shanzhi.core.masking import mask_phone
from shanzhi.imports import cells
from shanzhi.imports.choices import Outcome
from shanzhi.imports.kinds.base import REQUIRED_ALWAYS, REQUIRED_TO_CREATE, FieldSpec, Kind, Row, outcome_for

PARENT_LEVEL = {child: parent for parent, child in CHILD_LEVEL.items()}
AREA_FIELDS = ("name", "valid_from", "centroid_lat", "centroid_lng", "sort_order")

area_level = cells.ChoiceParser(
    AreaLevel,
    {
        "乡": AreaLevel.TOWNSHIP,
        "镇": AreaLevel.TOWNSHIP,
        "乡镇": AreaLevel.TOWNSHIP,
        "街道": AreaLevel.TOWNSHIP,
        "村": AreaLevel.VILLAGE,
        "行政村": AreaLevel.VILLAGE,
        "社区": AreaLevel.VILLAGE,
        "网格": AreaLevel.GRID,
    },
)
department_kind = cells.ChoiceParser(
    DepartmentKind,
    {
        "县直部门": DepartmentKind.COUNTY_BUREAU,
        "县直": DepartmentKind.COUNTY_BUREAU,
        "县级": DepartmentKind.COUNTY_BUREAU,
        "部门": DepartmentKind.COUNTY_BUREAU,
        "站所": DepartmentKind.TOWNSHIP_STATION,
        "乡镇": DepartmentKind.TOWNSHIP_STATION,
        "乡镇站所": DepartmentKind.TOWNSHIP_STATION,
    },
)


def _active(value) -> bool:
    return cells.parse_bool(value, extra_true={"启用", "在用", "正常"}, extra_false={"停用", "撤销", "注销"})


class AreasKind(Kind):
    name = "areas"
    chunk_size = None
    permissions = ("areas.add_area", "areas.change_area")
    sheet_area_levels = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
    fields = (
        FieldSpec(
            "level",
            "级别",
            ("区域级别", "层级", "类型", "区域类型"),
            parse=area_level,
            required=REQUIRED_TO_CREATE,
            help=gettext_lazy("乡镇, 行政村 or 网格."),
            example="网格",
        ),
        FieldSpec(
            "code",
            "编码",
            ("区域编码", "代码", "区划代码", "行政区划代码", "统计用区划代码", "网格编码", "村编码"),
            parse=cells.parse_code,
            required=REQUIRED_ALWAYS,
            help=gettext_lazy("Unique in the county (letters, digits, - and _): the key a re-import updates by."),
            example="230381203201G01",
        ),
        FieldSpec(
            "name",
            "名称",
            ("区域名称", "网格名称", "名字"),
            parse=lambda v: cells.parse_text(v, max_length=100),
            required=REQUIRED_TO_CREATE,
            example="永和村第1网格",
        ),
        FieldSpec(
            "parent",
            "上级编码",
            ("上级", "上级区域", "上级名称", "所属上级", "上级区域编码", "上级代码", "所属区域"),
            help=gettext_lazy(
                "The code or name of the township (for a village) or village (for a grid); may be in the same file. "
                "Blank: the area of the sheet."
            ),
            example="230381203201",
        ),
        FieldSpec(
            "valid_from", "启用日期", ("成立日期", "生效日期", "设立日期"), parse=cells.parse_date, example="2020-01-01"
        ),
        FieldSpec(
            "centroid_lat",
            "中心纬度",
            ("纬度", "lat"),
            parse=lambda v: cells.parse_float(v, minimum=-90, maximum=90),
            example=45.767,
        ),
        FieldSpec(
            "centroid_lng",
            "中心经度",
            ("经度", "lng", "lon"),
            parse=lambda v: cells.parse_float(v, minimum=-180, maximum=180),
            example=132.973,
        ),
        FieldSpec("sort_order", "排序", ("顺序", "排列顺序"), parse=lambda v: cells.parse_int(v, minimum=0), example=1),
    )
    instructions = (
        gettext_lazy(
            "One row per township, village or grid. The code is the key: importing it again updates the name, date, centre and order."
        ),
        gettext_lazy(
            "Parents may come in the same file, in any order. An area cannot be moved or change level by import."
        ),
    )

    def keys(self, row: Row):
        return [("code", "编码", row.values["code"])] if row.has("code") else []

    def check(self, rows: list[Row]) -> None:
        existing = {
            a["code"]: a
            for a in Area.objects.filter(code__in=[r.values["code"] for r in rows if r.has("code")]).values(
                "id",
                "code",
                "level",
                "name",
                "path",
                "parent_id",
                "valid_from",
                "centroid_lat",
                "centroid_lng",
                "sort_order",
            )
        }
        planned_by_code: dict[str, dict] = {}
        planned_by_name: dict[tuple[str, str], list[dict]] = {}

        def depth(row):
            level = row.values.get("level") or (existing.get(row.values.get("code")) or {}).get("level")
            return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 9

        for row in sorted(rows, key=lambda r: (depth(r), r.ordinal)):
            current = existing.get(row.get("code"))
            creating = current is None and row.has("code")
            self.require(row, creating)
            level = row.get("level")
            if level == AreaLevel.COUNTY:
                row.error("level", _("The county itself is set up once, not imported."), "level")
                continue
            if current is not None:
                if not self.ctx.in_scope(current["path"]):
                    row.error(
                        "code",
                        _("Area code %(code)s is outside your jurisdiction.") % {"code": current["code"]},
                        "out_of_scope",
                    )
                    continue
                if level and level != current["level"]:
                    row.error("level", _("An area's level cannot be changed by import."), "level_change")
            parent = None
            if "parent" in row.raw:
                parent = self._parent(row, level or (current or {}).get("level"), planned_by_code, planned_by_name)
            elif row.area is not None and level and row.area.level == PARENT_LEVEL.get(level):
                parent = {"code": row.area.code, "path": row.area.path, "level": row.area.level, "id": row.area.id}
            if current is not None and parent is not None and parent.get("id") != current["parent_id"]:
                row.error("parent", _("An area cannot be moved to another parent by import."), "move")
            if creating and level and parent is None and "parent" not in row.raw:
                row.error(
                    "parent" if "parent" in row.sheet.columns_by_field else None,
                    _("%(level)s %(code)s needs its parent area.")
                    % {"level": cells.chinese_label(AreaLevel(level).label), "code": row.get("code")},
                    "required",
                )
            if creating and parent is not None and not self.ctx.in_scope(parent["path"]):
                row.error(
                    "parent", _("%(area)s is outside your jurisdiction.") % {"area": parent["code"]}, "out_of_scope"
                )
            if row.errors:
                continue
            wanted = {k: row.values[k] for k in AREA_FIELDS if k in row.values}
            changes = self.changes(current, wanted) if current else wanted
            for key in ("centroid_lat", "centroid_lng"):
                if current and key in changes and current[key] is not None and abs(current[key] - changes[key]) < 1e-9:
                    changes.pop(key)
            row.plan.update(current=current, changes=changes, parent=parent, level=level)
            row.outcome = outcome_for(creating, changes)
            if creating:
                entry = {
                    "code": row.values["code"],
                    "level": level,
                    "path": (parent["path"] if parent else "/") + row.values["code"] + "/",
                    "id": None,
                }
                planned_by_code[entry["code"]] = entry
                planned_by_name.setdefault((level, cells.place_key(row.values["name"])), []).append(entry)

    def _parent(self, row: Row, level, planned_by_code, planned_by_name) -> dict | None:
        if not level:
            return None
        wanted = PARENT_LEVEL.get(level)
        raw = cells.text(row.raw["parent"]).replace(" ", "")
        entry = planned_by_code.get(raw)
        if entry is None:
            named = planned_by_name.get((wanted, cells.place_key(raw)), [])
            entry = named[0] if len(named) == 1 else None
        if entry is None:
            ref = self.ctx.areas.by_code.get(raw) or self.resolve_area(row, "parent", wanted)
            if ref is None:
                return None
            entry = {"code": ref.code, "path": ref.path, "level": ref.level, "id": ref.id}
        if entry["level"] != wanted:
            row.error(
                "parent",
                _("The parent of a %(child)s must be a %(parent)s.")
                % {
                    "child": cells.chinese_label(AreaLevel(level).label),
                    "parent": cells.chinese_label(AreaLevel(wanted).label),
                },
                "parent_level",
            )
            return None
        return entry

    def write(self, rows: list[Row]) -> None:
        by_code: dict[str, Area] = {}
        actor = self.ctx.actor
        for row in sorted(
            rows, key=lambda r: (LEVEL_ORDER.index(r.plan["level"] or r.plan["current"]["level"]), r.ordinal)
        ):
            changes = row.plan["changes"]
            try:
                with transaction.atomic():
                    if row.outcome == Outcome.CREATED:
                        parent_entry = row.plan["parent"]
                        parent = by_code.get(parent_entry["code"]) or Area.objects.get(code=parent_entry["code"])
                        area = create_area(
                            level=row.plan["level"],
                            code=row.values["code"],
                            name=changes["name"],
                            parent=parent,
                            actor=actor,
                            valid_from=changes.get("valid_from"),
                            centroid=(changes["centroid_lat"], changes["centroid_lng"])
                            if "centroid_lat" in changes and "centroid_lng" in changes
                            else None,
                            sort_order=changes.get("sort_order", 0),
                        )
                        by_code[area.code] = area
                    else:
                        area = Area.objects.select_for_update().get(pk=row.plan["current"]["id"])
                        before = {k: getattr(area, k) for k in changes}
                        for key, value in changes.items():
                            setattr(area, key, value)
                        area.full_clean()
                        area.save()
                        audit.record(
                            "areas.area.updated",
                            actor=actor,
                            obj=area,
                            before=before,
                            after=changes,
                            import_job=self.ctx.job_id,
                            row=row.number,
                        )
            except DomainError as exc:
                row.error(
                    None, exc.fields and "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message, exc.code
                )
            except Exception as exc:  # full_clean's ValidationError and database constraints
                messages = getattr(exc, "messages", None) or [str(exc)]
                row.error(None, "; ".join(messages), "invalid")
        self.ctx.reset_areas()

    def export(self, user, *, masked: bool):
        queryset = Area.objects.for_user(user) if user is not None else Area.objects.all()
        parents = dict(Area.objects.values_list("id", "code"))
        for area in queryset.current().exclude(level=AreaLevel.COUNTY).order_by("path"):
            yield {
                "level": area_level.label(area.level),
                "code": area.code,
                "name": area.name,
                "parent": parents.get(area.parent_id, ""),
                "valid_from": area.valid_from,
                "centroid_lat": area.centroid_lat,
                "centroid_lng": area.centroid_lng,
                "sort_order": area.sort_order,
            }


class DepartmentsKind(Kind):
    name = "departments"
    chunk_size = None
    permissions = ("areas.add_department", "areas.change_department")
    sheet_area_levels = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP)
    fields = (
        FieldSpec(
            "code",
            "编码",
            ("部门编码", "代码", "单位编码", "机构代码"),
            parse=cells.parse_code,
            required=REQUIRED_ALWAYS,
            help=gettext_lazy("Unique in the county: the key a re-import updates by."),
            example="230381-zjj",
        ),
        FieldSpec(
            "name",
            "名称",
            ("部门名称", "单位名称", "部门", "机构名称"),
            parse=lambda v: cells.parse_text(v, max_length=100),
            required=REQUIRED_TO_CREATE,
            example="住建局",
        ),
        FieldSpec(
            "kind",
            "类别",
            ("部门类别", "类型", "部门类型", "单位类别"),
            parse=department_kind,
            required=REQUIRED_TO_CREATE,
            help=gettext_lazy("县级部门 (serves the whole county) or 乡镇站所 (belongs to a township)."),
            example="县级部门",
        ),
        FieldSpec(
            "area",
            "所属区域",
            ("所属区域编码", "所属乡镇", "区域", "区域编码", "服务区域"),
            help=gettext_lazy("The county (for a county department) or the township; blank: the area of the sheet."),
            example="230381",
        ),
        FieldSpec(
            "phone", "电话", ("联系电话", "办公电话", "值班电话"), parse=cells.parse_phone, example="0467-5822345"
        ),
        FieldSpec(
            "active", "是否启用", ("启用", "状态", "在用"), parse=_active, help=gettext_lazy("是 or 否."), example="是"
        ),
    )
    instructions = (
        gettext_lazy("One row per department. The code is the key: importing it again updates the department."),
    )

    def keys(self, row: Row):
        return [("code", "编码", row.values["code"])] if row.has("code") else []

    def check(self, rows: list[Row]) -> None:
        existing = {
            d["code"]: d
            for d in Department.objects.filter(code__in=[r.values["code"] for r in rows if r.has("code")]).values(
                "id", "code", "name", "kind", "area_id", "area__path", "phone", "active"
            )
        }
        names = {
            (area_id, name): code for area_id, name, code in Department.objects.values_list("area_id", "name", "code")
        }
        for row in rows:
            current = existing.get(row.get("code"))
            creating = current is None and row.has("code")
            if current is not None and not self.ctx.in_scope(current["area__path"]):
                row.error(
                    "code",
                    _("Department %(code)s is outside your jurisdiction.") % {"code": current["code"]},
                    "out_of_scope",
                )
                continue
            self.require(row, creating)
            kind = row.get("kind") or (current or {}).get("kind")
            level = AreaLevel.COUNTY if kind == DepartmentKind.COUNTY_BUREAU else AreaLevel.TOWNSHIP
            area = None
            if "area" in row.raw:
                area = self.resolve_area(row, "area", level)
            elif creating and row.area is not None and row.area.level == level:
                area = row.area
            elif creating and kind == DepartmentKind.COUNTY_BUREAU:
                root = next((a for a in self.ctx.areas.by_id.values() if a.level == AreaLevel.COUNTY), None)
                area = root if root and self.ctx.in_scope(root.path) else None
            if creating and area is None and kind and not row.errors:
                row.error(
                    "area" if "area" in row.sheet.columns_by_field else None,
                    _("Say which area the department belongs to."),
                    "required",
                )
            if row.errors:
                continue
            wanted = {k: row.values[k] for k in ("name", "kind", "active") if k in row.values}
            phone = row.get("phone")
            if isinstance(phone, cells.Masked):
                if not current or mask_phone(current["phone"]) != phone.text:
                    row.error(
                        "phone", _("The phone number is masked and does not match the registered one."), "masked_value"
                    )
                    continue
            elif phone:
                wanted["phone"] = phone
            if area is not None:
                wanted["area_id"] = area.id
            changes = self.changes(current, wanted) if current else wanted
            final_area = changes.get("area_id", (current or {}).get("area_id"))
            final_name = changes.get("name", (current or {}).get("name"))
            owner = names.get((final_area, final_name))
            if owner and owner != row.values["code"]:
                row.error(
                    "name",
                    _("%(name)s already exists in that area (code %(code)s).") % {"name": final_name, "code": owner},
                    "duplicate_name",
                )
                continue
            names[(final_area, final_name)] = row.values["code"]
            row.plan.update(current=current, changes=changes)
            row.outcome = outcome_for(creating, changes)

    def write(self, rows: list[Row]) -> None:
        actor = self.ctx.actor
        for row in rows:
            changes = row.plan["changes"]
            try:
                with transaction.atomic():
                    if row.outcome == Outcome.CREATED:
                        department = create_department(
                            name=changes["name"],
                            code=row.values["code"],
                            kind=changes["kind"],
                            area=Area.objects.get(pk=changes["area_id"]),
                            actor=actor,
                            phone=changes.get("phone", ""),
                        )
                        if changes.get("active") is False:
                            department.active = False
                            department.save(update_fields=["active"])
                    else:
                        department = Department.objects.select_for_update().get(pk=row.plan["current"]["id"])
                        before = {k: getattr(department, k) for k in changes}
                        for key, value in changes.items():
                            setattr(department, key, value)
                        department.full_clean()
                        department.save()
                        audit.record(
                            "areas.department.updated",
                            actor=actor,
                            obj=department,
                            before={k.removesuffix("_id"): v for k, v in before.items()},
                            after={k.removesuffix("_id"): v for k, v in changes.items()},
                            import_job=self.ctx.job_id,
                            row=row.number,
                        )
            except DomainError as exc:
                row.error(None, exc.message, exc.code)
            except Exception as exc:
                messages = getattr(exc, "messages", None) or [str(exc)]
                row.error(None, "; ".join(messages), "invalid")

    def export(self, user, *, masked: bool):
        queryset = Department.objects.for_user(user) if user is not None else Department.objects.all()
        for department in queryset.select_related("area").order_by("kind", "code"):
            yield {
                "code": department.code,
                "name": department.name,
                "kind": department_kind.label(department.kind),
                "area": department.area.code,
                "phone": department.phone,  # an office line, not personal data
                "active": "是" if department.active else "否",
            }
