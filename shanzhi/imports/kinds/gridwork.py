"""Grid workers and the grids they serve ("1+N"), written through ``gridwork.services``.

A worker is found by mobile number, or by name within their township or village when
the sheet has no numbers. The grids column lists every grid the worker serves now:
grids added start today, grids no longer listed end today (their history stays), and
the lead column names the grids the worker leads as the one full-time lead.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.errors import DomainError
from shanzhi.core.masking import mask_phone
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.gridwork.models import GridAssignment, GridWorker
from shanzhi.gridwork.services import (
    assign_worker_to_grid,
    create_grid_worker,
    end_assignment,
    update_grid_worker,
)
from shanzhi.imports import cells
from shanzhi.imports.kinds.base import REQUIRED_TO_CREATE, FieldSpec, Kind, Row, outcome_for

worker_kind = cells.ChoiceParser(
    WorkerKind,
    {
        "专职": WorkerKind.FULL_TIME,
        "专职网格员": WorkerKind.FULL_TIME,
        "网格长": WorkerKind.FULL_TIME,
        "兼职": WorkerKind.PART_TIME,
        "兼职网格员": WorkerKind.PART_TIME,
        "专业": WorkerKind.SPECIALIST,
        "专业网格员": WorkerKind.SPECIALIST,
    },
)


class GridWorkersKind(Kind):
    name = "grid_workers"
    chunk_size = None
    permissions = ("gridwork.manage_workers",)
    sheet_area_levels = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
    fields = (
        FieldSpec(
            "name",
            "姓名",
            ("网格员姓名", "网格员", "名字"),
            parse=cells.parse_name,
            required=REQUIRED_TO_CREATE,
            example="侯晓春",
        ),
        FieldSpec(
            "kind",
            "类别",
            ("网格员类别", "网格员类型", "类型", "人员类别"),
            parse=worker_kind,
            required=REQUIRED_TO_CREATE,
            help=gettext_lazy("专职网格员, 兼职网格员 or 专业网格员."),
            example="专职网格员",
        ),
        FieldSpec(
            "phone",
            "手机号",
            ("联系电话", "电话", "手机", "手机号码", "联系方式"),
            parse=cells.parse_phone,
            help=gettext_lazy("The key a re-import finds the worker by; without it, the name within the area."),
            example="13600003333",
        ),
        FieldSpec(
            "home_area",
            "所属区域",
            ("所属乡镇", "所属村", "所在村", "所属乡镇村", "所在乡镇", "单位", "工作单位"),
            help=gettext_lazy(
                "The township (specialists) or village (full- and part-time); blank: the area of the sheet."
            ),
            example="永和村",
        ),
        FieldSpec(
            "grids",
            "服务网格",
            ("负责网格", "所属网格", "网格", "包保网格", "分管网格", "网格名称"),
            parse=cells.split_list,
            help=gettext_lazy("Every grid the worker serves, separated by 、. Grids no longer listed end today."),
            example="永和村第1网格",
        ),
        FieldSpec(
            "lead_grids",
            "牵头网格",
            ("网格长网格", "担任网格长的网格", "任网格长"),
            parse=cells.split_list,
            help=gettext_lazy("The grids this full-time worker leads (one lead per grid)."),
            example="永和村第1网格",
        ),
        FieldSpec(
            "start_date",
            "上岗日期",
            ("入职日期", "任职日期", "开始日期", "聘用日期"),
            parse=cells.parse_date,
            help=gettext_lazy("For a new worker; today if blank."),
            example="2021-03-01",
        ),
    )
    ignored = ("性别", "年龄", "身份证号", "学历", "政治面貌")
    instructions = (
        gettext_lazy("One row per grid worker. The mobile number is the key: importing it again updates that worker."),
        gettext_lazy("The grids column is the whole list: grids added start today, grids left out end today."),
    )

    def keys(self, row: Row):
        found = []
        phone = row.get("phone")
        if isinstance(phone, str) and phone:
            found.append(("phone", "手机号", phone))
        for grid_id in row.plan.get("lead_ids", ()):
            found.append(("lead_grids", "牵头网格", str(grid_id)))
        return found

    def check(self, rows: list[Row]) -> None:
        today = self.ctx.today
        workers = list(
            GridWorker.objects.active().values(
                "id", "name", "kind", "phone", "home_area_id", "home_area__path", "start_date", "user_id"
            )
        )
        by_phone = {w["phone"]: w for w in workers if w["phone"]}
        by_name = defaultdict(list)
        for w in workers:
            by_name[(w["name"], w["home_area_id"])].append(w)
        current = defaultdict(dict)  # worker id → grid id → assignment
        leads = {}
        for a in GridAssignment.objects.current().values("id", "worker_id", "grid_id", "is_lead", "start_date"):
            current[a["worker_id"]][a["grid_id"]] = a
            if a["is_lead"]:
                leads[a["grid_id"]] = a["worker_id"]
        plans = []
        for row in rows:
            plan = self._check_row(row, by_phone, by_name, current, today)
            if plan is not None:
                plans.append((row, plan))
        # Leads: a grid's lead may pass to another worker in the same file.
        released = {
            g for _, p in plans if p["worker"] for g in p["end"] | p["unlead"] if leads.get(g) == p["worker"]["id"]
        }
        for row, plan in plans:
            for grid_id in plan["lead_add"]:
                holder = leads.get(grid_id)
                if (
                    holder is not None
                    and grid_id not in released
                    and (not plan["worker"] or holder != plan["worker"]["id"])
                ):
                    name = next((w["name"] for w in workers if w["id"] == holder), "")
                    row.error(
                        "lead_grids",
                        _("Grid %(grid)s already has a full-time lead (%(name)s); one lead per grid.")
                        % {"grid": self.ctx.areas.get(grid_id).name, "name": name},
                        "grid_has_lead",
                    )
            if row.errors:
                continue
            changed = plan["changes"] or plan["add"] or plan["end"] or plan["lead_add"] or plan["unlead"]
            row.plan.update(plan)
            row.outcome = outcome_for(plan["worker"] is None, changed)

    def _check_row(self, row: Row, by_phone, by_name, current, today):
        home = (
            self.resolve_area(row, "home_area", (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE))
            if "home_area" in row.raw
            else None
        )
        if (
            home is None
            and "home_area" not in row.raw
            and row.area is not None
            and row.area.level
            in (
                AreaLevel.TOWNSHIP,
                AreaLevel.VILLAGE,
            )
        ):
            home = row.area
        phone = row.get("phone")
        worker = None
        if isinstance(phone, str) and phone:
            worker = by_phone.get(phone)
        elif row.has("name"):
            candidates = by_name.get((row.values["name"], home.id if home else None), [])
            if isinstance(phone, cells.Masked):
                candidates = [w for w in candidates if mask_phone(w["phone"]) == phone.text]
            if len(candidates) > 1:
                row.error(
                    "name", _("Several grid workers have this name here; give the mobile number."), "ambiguous_worker"
                )
                return None
            worker = candidates[0] if candidates else None
            if worker is None and isinstance(phone, cells.Masked):
                row.error(
                    "phone", _("The phone number is masked and does not match the registered one."), "masked_value"
                )
                return None
        if worker is not None and not self.ctx.in_scope(worker["home_area__path"]):
            row.error("phone", _("This grid worker belongs outside your jurisdiction."), "out_of_scope")
            return None
        creating = worker is None
        self.require(row, creating)
        if creating and home is None and not any(e["code"] == "unknown_area" for e in row.errors):
            row.error(
                "home_area" if "home_area" in row.sheet.columns_by_field else None,
                _("Say which township or village the grid worker belongs to."),
                "required",
            )
        kind = row.get("kind") or (worker or {}).get("kind")
        township = home
        if home is not None and home.level == AreaLevel.VILLAGE:
            township = self.ctx.areas.get(home.parent_id)
        grid_ids = None
        if "grids" in row.raw:
            grid_ids = self._grids(row, "grids", township, home)
        lead_ids = set()
        if "lead_grids" in row.raw:
            lead_ids = self._grids(row, "lead_grids", township, home) or set()
            if lead_ids and kind != WorkerKind.FULL_TIME:
                row.error("lead_grids", _("The grid lead must be a full-time grid worker."), "lead_kind")
        start = row.get("start_date")
        if start is not None and start > today:
            row.error("start_date", _("The service start cannot be in the future."), "future_date")
        if row.errors:
            return None
        row.plan["lead_ids"] = lead_ids
        wanted = {k: row.values[k] for k in ("name", "kind") if k in row.values}
        if isinstance(phone, str) and phone:
            wanted["phone"] = phone
        if home is not None:
            wanted["home_area_id"] = home.id
        changes = self.changes(worker, wanted) if worker else wanted
        mine = current.get(worker["id"], {}) if worker else {}
        if grid_ids is None:
            grid_ids = set(mine) if worker else set()
        grid_ids |= lead_ids
        add = grid_ids - set(mine)
        end = set(mine) - grid_ids if "grids" in row.raw else set()
        lead_add = {g for g in lead_ids if not (g in mine and mine[g]["is_lead"])}
        unlead = (
            {g for g, a in mine.items() if a["is_lead"] and g in grid_ids and g not in lead_ids}
            if "lead_grids" in row.raw
            else set()
        )
        if (
            worker
            and "kind" in changes
            and changes["kind"] != WorkerKind.FULL_TIME
            and any(a["is_lead"] for g, a in mine.items() if g not in end | unlead)
        ):
            row.error(
                "kind",
                _("This worker leads a grid: hand the lead to another full-time worker before changing the category."),
                "lead_kind",
            )
            return None
        for grid_id in end | unlead | (lead_add & set(mine)):
            if mine[grid_id]["start_date"] >= today:
                row.error(
                    "grids",
                    _("The assignment to %(grid)s began today and cannot end today.")
                    % {"grid": self.ctx.areas.get(grid_id).name},
                    "assignment_today",
                )
                return None
        return {
            "worker": worker,
            "changes": changes,
            "add": add,
            "end": end,
            "lead_add": lead_add,
            "unlead": unlead,
            "mine": mine,
            "start": start or (worker or {}).get("start_date") or today,
        }

    def _grids(self, row: Row, field_name: str, township, home) -> set[int] | None:
        """The grids a cell lists; short names are looked up in the worker's village, then township."""
        found = set()
        nearest = home if home is not None and home.level == AreaLevel.VILLAGE else township
        for word in row.values.get(field_name, []):
            try:
                ref = self.ctx.areas.resolve(word, AreaLevel.GRID, within=nearest or row.area)
            except cells.CellError as exc:
                row.error(field_name, exc.message, exc.code)
                return None
            if township is not None and not ref.within(township):
                row.error(
                    field_name,
                    _("Grid %(grid)s is not in %(area)s.") % {"grid": ref.name, "area": township.name},
                    "outside_sheet_area",
                )
                return None
            if not self.ctx.in_scope(ref.path):
                row.error(field_name, _("%(area)s is outside your jurisdiction.") % {"area": ref.name}, "out_of_scope")
                return None
            found.add(ref.id)
        return found

    def write(self, rows: list[Row]) -> None:
        actor = self.ctx.actor
        today = self.ctx.today
        # Workers who hand over a lead go first, so that the new lead's grid is free.
        ordered = sorted(rows, key=lambda r: (0 if r.plan["end"] or r.plan["unlead"] else 1, r.ordinal))
        for row in ordered:
            plan = row.plan
            changes = dict(plan["changes"])
            try:
                with transaction.atomic():
                    if plan["worker"] is None:
                        worker = create_grid_worker(
                            name=changes["name"],
                            kind=changes["kind"],
                            home_area=Area.objects.get(pk=changes["home_area_id"]),
                            actor=actor,
                            phone=changes.get("phone", ""),
                            start_date=plan["start"],
                        )
                    else:
                        worker = GridWorker.objects.get(pk=plan["worker"]["id"])
                        for grid_id in plan["end"] | plan["unlead"] | (plan["lead_add"] & set(plan["mine"])):
                            assignment = GridAssignment.objects.get(pk=plan["mine"][grid_id]["id"])
                            end_assignment(assignment, end_date=today, actor=actor, note=_("Changed by import"))
                        if changes:
                            if "home_area_id" in changes:
                                changes["home_area"] = Area.objects.get(pk=changes.pop("home_area_id"))
                            worker = update_grid_worker(worker, actor=actor, **changes)
                    start = plan["start"] if plan["worker"] is None else today
                    for grid_id in sorted(plan["add"] | plan["unlead"] | (plan["lead_add"] & set(plan["mine"]))):
                        assign_worker_to_grid(
                            worker,
                            Area.objects.get(pk=grid_id),
                            lead=grid_id in row.plan["lead_ids"],
                            actor=actor,
                            start_date=max(start, worker.start_date),
                        )
            except DomainError as exc:
                detail = "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message
                row.error(None, detail, exc.code)

    def export(self, user, *, masked: bool):
        areas = self.ctx.areas
        queryset = GridWorker.objects.for_user(user) if user is not None else GridWorker.objects.all()
        workers = list(queryset.active().order_by("home_area__path", "kind", "name", "id"))
        grids = defaultdict(list)
        leads = defaultdict(list)
        for a in GridAssignment.objects.current().filter(worker__in=workers).order_by("grid__path"):
            grids[a.worker_id].append(areas.label(areas.get(a.grid_id)))
            if a.is_lead:
                leads[a.worker_id].append(areas.label(areas.get(a.grid_id)))
        for worker in workers:
            yield {
                "name": worker.name,
                "kind": worker_kind.label(worker.kind),
                "phone": mask_phone(worker.phone) if masked else worker.phone,
                "home_area": areas.label(areas.get(worker.home_area_id)),
                "grids": "、".join(grids.get(worker.pk, [])),
                "lead_grids": "、".join(leads.get(worker.pk, [])),
                "start_date": worker.start_date,
            }
