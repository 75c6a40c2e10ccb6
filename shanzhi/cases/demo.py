"""Demo step: a year of cases in the demo county, through every status of the workflow.

In the last six months exactly 77 cases went through a department to closure (the
source article's figure: 11 township command centres, 77 urgent matters such as
infrastructure and medical and elderly-care reimbursement); the six months before had
a similar number. Most problems never leave the grid: they are resolved on the spot.
The cases still open are in every status; some ran late and were escalated for
supervision, a few twice. Timelines are written event by event with the times the
steps would have happened, deadlines counted on the real working-day calendar.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from shanzhi.accounts.choices import Role
from shanzhi.accounts.models import RoleAssignment, User
from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area, Department
from shanzhi.cases import conf
from shanzhi.cases.choices import CaseSource, CaseStatus, EscalationLevel, EventAction, NotificationKind, Priority
from shanzhi.cases.defaults import ensure_default_categories
from shanzhi.cases.models import Case, CaseCoDepartment, CaseEvent, Category, Notification, Open311Key
from shanzhi.cases.services import issue_open311_key, sync_number_sequence
from shanzhi.cases.workdays import WorkingCalendar

DEMO_OPEN311_KEY = "shanzhi-demo-open311"
DEPARTMENT_CLOSED_RECENT = 77  # the article's figure for six months
RECENT_DAYS = 170  # safely inside "the last six months" whatever the month lengths
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)

# category -> [(title, description, result)]
STORIES = {
    "infrastructure": [
        ("村道塌陷", "{place}村道路面塌陷约两米，车辆无法通行。", "已回填压实并恢复路面，设置警示桩。"),
        ("桥涵堵塞", "{place}排水涵洞被杂物堵塞，雨后路面积水。", "已清淤疏通涵洞。"),
        ("路灯不亮", "{place}一排路灯连续多日不亮，夜间出行不便。", "已更换损坏的灯具和线路。"),
        ("饮水管道破裂", "{place}自来水主管道破裂，多户停水。", "已更换破裂管段，恢复供水。"),
        ("危房漏雨", "{place}一户老人住房屋顶漏雨，墙体开裂。", "已纳入危房改造，完成屋面维修。"),
    ],
    "medical_eldercare": [
        ("住院报销未到账", "{name}家住院费用报销三个月未到账，老人着急。", "医保局核查后已补发报销款。"),
        ("养老金资格认证", "{name}家老人行动不便，无法到镇里做养老金资格认证。", "上门完成认证，养老金已恢复发放。"),
        ("慢病门诊办理", "{name}家老人患高血压，想办理慢病门诊待遇。", "已协助办理慢病门诊，可在村卫生室报销。"),
    ],
    "dispute": [
        ("宅基地边界纠纷", "{place}两户因宅基地边界发生争执。", "经调解双方签订协议，重新确界。"),
        ("土地流转纠纷", "{place}土地流转租金拖欠，村民多次反映。", "督促承租方结清租金。"),
    ],
    "safety_hazard": [
        ("电线私拉乱接", "{place}沿街私拉电线，存在触电隐患。", "供电所已规范整改线路。"),
        ("河道护栏缺失", "{place}河道边护栏缺失，儿童常在附近玩耍。", "已补装护栏并设警示牌。"),
    ],
    "sanitation": [
        ("垃圾清运不及时", "{place}垃圾点三天未清运，气味大。", "已清运并调整清运频次。"),
        ("柴草乱堆", "{place}房前屋后柴草乱堆，影响村容。", "已组织清理，柴草集中堆放。"),
    ],
    "fire": [
        ("秸秆焚烧", "{place}田间有人焚烧秸秆，浓烟较大。", "已扑灭并对当事人进行教育。"),
        ("灭火器过期", "{place}村部灭火器过期。", "已更换灭火器。"),
    ],
    "social_assistance": [
        ("低保申请", "{name}家因病致贫，申请低保。", "经入户核查，已纳入低保。"),
        ("临时救助", "{name}家房屋失火，生活困难，申请临时救助。", "已发放临时救助金和生活物资。"),
    ],
    "other": [
        ("流浪犬伤人", "{place}有流浪犬出没，咬伤一名村民。", "已联系相关部门处置。"),
        ("快递点设置", "村民反映{place}取快递不便，希望设代收点。", "已在村超市设立快递代收点。"),
    ],
}
ON_THE_SPOT = [
    ("邻里噪音", "{place}邻里因夜间噪音发生口角。", "网格员现场调解，双方握手言和。"),
    ("柴草堆放", "{place}柴草堆放占道。", "网格员现场劝导，村民当场挪走。"),
    ("路面杂物", "{place}路面散落砖头杂物。", "网格员组织村民当场清理。"),
    ("老人求助", "{name}家老人找不到医保卡。", "网格员帮助在家中找到并讲解使用方法。"),
    ("政策咨询", "{name}家咨询医保缴费。", "网格员现场讲解政策并协助线上缴费。"),
    ("用火提醒", "{place}有村民在院内焚烧垃圾。", "网格员现场制止并宣传防火知识。"),
    ("排水沟堵", "{place}门前排水沟被树叶堵塞。", "网格员和村民当场清掏。"),
]
REJECT_REASONS = [
    "属于私人合同纠纷，已告知通过诉讼途径解决。",
    "经核实问题不存在。",
    "不属于政府职责范围，已做好解释。",
]
CATEGORY_WEIGHTS = [
    ("infrastructure", 28),
    ("medical_eldercare", 20),
    ("dispute", 10),
    ("safety_hazard", 10),
    ("sanitation", 12),
    ("fire", 5),
    ("social_assistance", 10),
    ("other", 5),
]


@dataclass
class Plan:
    kind: str
    reported_at: dt.datetime
    grid: Area
    category: Category
    household: tuple | None
    story: tuple
    source: str
    events: list = field(default_factory=list)
    case: Case | None = None
    merge_target: int | None = None


class Demo:
    def __init__(self, *, seed: int, today: dt.date, scale: float, say):
        self.rng = random.Random(seed)
        self.today = today
        self.scale = scale
        self.say = say
        self.tz = timezone.get_current_timezone()
        self.now = min(timezone.now(), dt.datetime.combine(today, dt.time(23, 0), tzinfo=self.tz))
        self.calendar = WorkingCalendar.load()

    # --- what the county has ---------------------------------------------------------
    def load(self):
        from shanzhi.demo.builder import COUNTY_CODE
        from shanzhi.gridwork.models import GridAssignment
        from shanzhi.people.models import Household

        ensure_default_categories(county_code=COUNTY_CODE)
        self.categories = {c.code: c for c in Category.objects.prefetch_related("default_co_departments")}
        self.grids = list(
            Area.objects.current().filter(level=AreaLevel.GRID).select_related("parent__parent").order_by("path")
        )
        self.zhenbaodao_grids = [g for g in self.grids if g.parent.parent.name == "珍宝岛乡"]
        self.demo_grid = next((g for g in self.zhenbaodao_grids if g.name == "永和村第1网格"), self.zhenbaodao_grids[0])
        self.households = defaultdict(list)
        for pk, grid_id, address, head in Household.objects.values_list("pk", "grid_id", "address", "head__name"):
            self.households[grid_id].append((pk, address, head or ""))
        self.leads = {}
        for grid_id, name, user_id in (
            GridAssignment.objects.current()
            .filter(is_lead=True)
            .values_list("grid_id", "worker__name", "worker__user_id")
        ):
            self.leads[grid_id] = (name, user_id)
        self.stations = defaultdict(dict)
        for dep in Department.objects.filter(area__level=AreaLevel.TOWNSHIP):
            self.stations[dep.area_id][dep.code.rsplit("-", 1)[1]] = dep
        self.users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
        self.assignments = defaultdict(list)
        for user_id, role, area_path, department_id in RoleAssignment.objects.filter(active=True).values_list(
            "user_id", "role", "area__path", "department_id"
        ):
            self.assignments[role].append((user_id, area_path, department_id))
        from shanzhi.people.models import Resident

        self.li_guijun = Resident.objects.filter(name="李桂君").select_related("household").first()

    # --- choosing ---------------------------------------------------------------------
    def pick_category(self) -> Category:
        codes, weights = zip(*CATEGORY_WEIGHTS, strict=True)
        return self.categories[self.rng.choices(codes, weights)[0]]

    def pick_grid(self, local: bool = False) -> Area:
        if local or self.rng.random() < 0.15:
            return self.rng.choice(self.zhenbaodao_grids)
        return self.rng.choice(self.grids)

    def plan(self, kind: str, reported_at: dt.datetime, *, grid=None, category=None, household=None) -> Plan:
        grid = grid or self.pick_grid()
        category = category or self.pick_category()
        households = self.households.get(grid.pk) or [None]
        household = household or (self.rng.choice(households) if self.rng.random() < 0.7 else None)
        pool = ON_THE_SPOT if kind == "on_the_spot" else STORIES[category.code]
        story = self.rng.choice(pool)
        roll = self.rng.random()
        source = (
            CaseSource.GRID_PATROL
            if roll < 0.55
            else CaseSource.ON_BEHALF
            if roll < 0.75
            else CaseSource.SELF_REPORT
            if roll < 0.85
            else CaseSource.HOTLINE
            if roll < 0.95
            else CaseSource.OPEN311
        )
        if kind == "on_the_spot":
            source = CaseSource.GRID_PATROL if roll < 0.8 else CaseSource.ON_BEHALF
        if source == CaseSource.SELF_REPORT and household is None:
            source = CaseSource.GRID_PATROL
        return Plan(kind, reported_at, grid, category, household, story, source)

    def moment(self, start: dt.datetime, low: dt.timedelta, high: dt.timedelta) -> dt.datetime:
        span = (high - low).total_seconds()
        return start + low + dt.timedelta(seconds=self.rng.random() * span)

    def day_time(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(self.rng.randint(8, 17), self.rng.randrange(0, 60)), tzinfo=self.tz)

    def department_for(self, plan: Plan) -> Department:
        if plan.category.default_department_id:
            return plan.category.default_department
        township = plan.grid.parent.parent
        return self.stations[township.pk].get("shswb") or next(iter(self.stations[township.pk].values()))

    # --- labels -----------------------------------------------------------------------
    def reporter(self, plan: Plan) -> tuple[str, int | None]:
        if plan.source in (CaseSource.SELF_REPORT,) and plan.household:
            user = self.users.get("demo-villager") if plan.grid.pk == self.demo_grid.pk else None
            return plan.household[2] or "村民", user.pk if user else None
        if plan.source in (CaseSource.HOTLINE, CaseSource.OPEN311):
            return (plan.household[2] if plan.household else "来电群众"), None
        name, user_id = self.leads.get(plan.grid.pk, ("网格员", None))
        return name, user_id

    def centre_label(self, plan: Plan) -> tuple[str, int | None]:
        township = plan.grid.parent.parent
        if township.name == "珍宝岛乡" and "demo-township" in self.users:
            return str(self.users["demo-township"]), self.users["demo-township"].pk
        return f"{township.name}指挥中心", None

    def handler_label(self, department: Department) -> tuple[str, int | None]:
        user = self.users.get("demo-dept")
        if user is not None and department.code.endswith("-zjj"):
            return str(user), user.pk
        return f"{department.name}经办人", None

    # --- writing one plan's timeline -----------------------------------------------------
    def event(self, plan, action, when, *, label, user=None, frm="", to="", note="", department=None, data=None):
        plan.events.append(
            {
                "action": action,
                "created": when,
                "actor_label": label,
                "actor_id": user,
                "from_status": frm,
                "to_status": to,
                "note": note,
                "department": department,
                "data": data or {},
            }
        )

    def build_case(self, plan: Plan, *, closed_at=None, status=None, overdue=False, reopen=False, hold=False):
        """Fill ``plan`` with its case fields and events, ending in ``status`` (or closed at ``closed_at``)."""
        title, template, result = plan.story
        name = plan.household[2] if plan.household else ""
        place = f"{plan.grid.parent.name}{self.rng.choice(['前街', '后街', '东头', '西头', '南屯', '北屯'])}"
        description = template.format(place=place, name=name or "一户村民")
        reporter_name, reporter_id = self.reporter(plan)
        resolved_target = None
        if closed_at is not None:
            # Work back from the closing: resolved a little before, reported so that the work took a
            # share of the category's limit (more than all of it when the case ran late).
            resolved_target = closed_at - self.rng.uniform(0.3, 2.5) * DAY
            category = plan.category
            limit = category.resolution_limit * (1 if category.resolution_unit == "hours" else 24)
            share = self.rng.uniform(1.2, 2.5) if overdue else self.rng.uniform(0.25, 0.8)
            plan.reported_at = resolved_target - dt.timedelta(hours=share * limit + self.rng.uniform(1, 5))
        fields = {
            "title": title,
            "description": description,
            "category": plan.category,
            "priority": Priority.URGENT if plan.category.code in ("fire", "safety_hazard") else Priority.NORMAL,
            "source": plan.source,
            "reporter_id": reporter_id,
            "reporter_name": reporter_name,
            "grid": plan.grid,
            "household_id": plan.household[0] if plan.household else None,
            "address": plan.household[1] if plan.household else place,
            "location_lat": round((plan.grid.centroid_lat or 45.77) + self.rng.uniform(-0.004, 0.004), 6),
            "location_lng": round((plan.grid.centroid_lng or 132.97) + self.rng.uniform(-0.005, 0.005), 6),
            "reported_at": plan.reported_at,
        }
        t = plan.reported_at
        self.event(
            plan, EventAction.REPORTED, t, label=reporter_name, user=reporter_id, to="reported", note=description
        )
        lead_name, lead_user = self.leads.get(plan.grid.pk, ("网格员", None))
        if plan.kind == "on_the_spot":
            done = self.moment(t, 20 * MIN, 3 * H)
            fields.update(
                status=CaseStatus.CLOSED, resolution=result, resolved_on_the_spot=True, resolved_at=done, closed_at=done
            )
            self.event(
                plan,
                EventAction.RESOLVED_ON_THE_SPOT,
                done,
                label=lead_name,
                user=lead_user,
                frm="reported",
                to="closed",
                note=result,
            )
            return fields
        centre, centre_user = self.centre_label(plan)
        if plan.kind == "reported":
            fields["status"] = CaseStatus.REPORTED
            return fields
        if plan.kind == "rejected":
            when = self.moment(t, 1 * H, 5 * H)
            reason = self.rng.choice(REJECT_REASONS)
            fields.update(status=CaseStatus.REJECTED, rejection_reason=reason)
            self.event(
                plan,
                EventAction.REJECTED,
                when,
                label=centre,
                user=centre_user,
                frm="reported",
                to="rejected",
                note=reason,
            )
            return fields
        if plan.kind == "merged":
            when = self.moment(t, 30 * MIN, 3 * H)
            fields.update(status=CaseStatus.MERGED)
            self.event(
                plan,
                EventAction.MERGED,
                when,
                label=centre,
                user=centre_user,
                frm="reported",
                to="merged",
                note="重复上报，合并办理。",
            )
            return fields
        accepted = self.moment(t, 10 * MIN, 4 * H)
        fields.update(status=CaseStatus.ACCEPTED, accepted_at=accepted)
        self.event(plan, EventAction.ACCEPTED, accepted, label=centre, user=centre_user, frm="reported", to="accepted")
        if plan.kind == "accepted":
            return fields
        department = self.department_for(plan)
        dispatched = self.moment(accepted, 5 * MIN, 1 * H)
        category = plan.category
        check_in_deadline = self.calendar.deadline(dispatched, category.check_in_limit, category.check_in_unit)
        resolution_deadline = self.calendar.deadline(dispatched, category.resolution_limit, category.resolution_unit)
        co = list(category.default_co_departments.all()) if self.rng.random() < 0.3 else []
        fields.update(
            status=CaseStatus.DISPATCHED,
            department=department,
            dispatched_at=dispatched,
            check_in_deadline=check_in_deadline,
            resolution_deadline=resolution_deadline,
            resolution_unit=category.resolution_unit,
            deadline=check_in_deadline,
            co=co,
        )
        self.event(
            plan,
            EventAction.DISPATCHED,
            dispatched,
            label=centre,
            user=centre_user,
            frm="accepted",
            to="dispatched",
            department=department,
            data={
                "co_departments": [d.name for d in co],
                "check_in_deadline": check_in_deadline.isoformat(),
                "resolution_deadline": resolution_deadline.isoformat(),
            },
        )
        handler, handler_user = self.handler_label(department)
        if plan.kind == "dispatched":
            self.escalate(plan, fields, check_in_deadline)
            return fields

        window = check_in_deadline - dispatched
        checked_in = self.moment(dispatched, 10 * MIN, window * (1.6 if overdue else 0.8))
        if resolved_target is not None:
            resolved = resolved_target
            checked_in = min(checked_in, resolved - 2 * H)
        late_check_in = checked_in > check_in_deadline
        if late_check_in:
            self.escalate(plan, fields, check_in_deadline, until=checked_in)
        fields.update(status=CaseStatus.CHECKED_IN, checked_in_at=checked_in, deadline=resolution_deadline)
        self.event(
            plan,
            EventAction.CHECKED_IN,
            checked_in,
            label=handler,
            user=handler_user,
            frm="dispatched",
            to="checked_in",
            department=department,
            data={"late": late_check_in},
        )
        if hold:
            held = self.moment(checked_in, 2 * H, 2 * DAY)
            remaining = self.calendar.remaining_seconds(held, resolution_deadline, category.resolution_unit)
            fields.update(
                status=CaseStatus.ON_HOLD, on_hold_since=held, hold_remaining_seconds=remaining, deadline=None
            )
            self.event(
                plan,
                EventAction.PUT_ON_HOLD,
                held,
                label=handler,
                user=handler_user,
                frm="checked_in",
                to="on_hold",
                note="等待天气转暖后施工。",
                department=department,
                data={"remaining_seconds": remaining},
            )
            return fields
        if plan.kind == "checked_in":
            self.escalate(plan, fields, resolution_deadline)
            return fields
        if resolved_target is None:
            resolved = self.moment(checked_in, 2 * H, max(3 * H, (resolution_deadline - checked_in) * 0.9))
        if resolved > resolution_deadline:
            self.escalate(plan, fields, resolution_deadline, until=resolved)
        fields.update(status=CaseStatus.RESOLVED, resolution=result, resolved_at=resolved, deadline=None)
        if reopen and resolved - checked_in > DAY:
            first = self.moment(checked_in, 1 * H, max(2 * H, (resolved - checked_in) * 0.4))
            self.event(
                plan,
                EventAction.RESOLVED,
                first,
                label=handler,
                user=handler_user,
                frm="checked_in",
                to="resolved",
                note="已初步处理。",
                department=department,
            )
            follow = first + self.rng.uniform(0.2, 1) * DAY
            self.event(
                plan,
                EventAction.REOPENED,
                min(follow, resolved - 2 * H),
                label=centre,
                user=centre_user,
                frm="resolved",
                to="dispatched",
                note="回访群众不满意：问题没有彻底解决。",
                department=department,
                data={"reopen_count": 1},
            )
            again = min(follow, resolved - 2 * H) + 30 * MIN
            self.event(
                plan,
                EventAction.CHECKED_IN,
                again,
                label=handler,
                user=handler_user,
                frm="dispatched",
                to="checked_in",
                department=department,
            )
            fields.update(reopen_count=1, satisfied=False)
        self.event(
            plan,
            EventAction.RESOLVED,
            resolved,
            label=handler,
            user=handler_user,
            frm="checked_in",
            to="resolved",
            note=result,
            department=department,
            data={"late": resolved > resolution_deadline},
        )
        if plan.kind == "resolved":
            return fields
        closed = closed_at or self.moment(resolved, 6 * H, 3 * DAY)
        fields.update(status=CaseStatus.CLOSED, satisfied=True, closed_at=closed)
        self.event(
            plan,
            EventAction.CLOSED,
            closed,
            label=centre,
            user=centre_user,
            frm="resolved",
            to="closed",
            note="电话回访，群众满意。",
        )
        return fields

    def escalate(self, plan, fields, deadline, *, until=None):
        """The sweep's work, at the times it would have run (every five minutes)."""
        end = until or self.now
        if deadline >= end:
            return
        first = deadline + 5 * MIN
        fields.setdefault("overdue_since", first)
        level = fields.get("escalation_level", 0)
        if level < EscalationLevel.TOWNSHIP:
            fields.update(escalation_level=EscalationLevel.TOWNSHIP, escalated_at=first)
            self.event(
                plan,
                EventAction.OVERDUE,
                first,
                label="系统",
                note=f"事件已超期，已提级督办：{fields['title']}",
                department=fields.get("department"),
                data={"level": 1, "reason": "overdue"},
            )
        second = deadline + dt.timedelta(hours=conf.SECOND_LEVEL_AFTER_HOURS) + 5 * MIN
        if second < end and fields.get("escalation_level", 0) < EscalationLevel.COUNTY:
            fields.update(escalation_level=EscalationLevel.COUNTY, escalated_at=second)
            self.event(
                plan,
                EventAction.ESCALATED,
                second,
                label="系统",
                note=f"事件持续超期，已提请县级督办：{fields['title']}",
                department=fields.get("department"),
                data={"level": 2, "reason": "still_overdue"},
            )


def _count(scale: float, full: int, minimum: int) -> int:
    return max(minimum, round(full * scale))


def build(*, seed: int, today: dt.date, scale: float, say) -> None:
    demo = Demo(seed=seed, today=today, scale=scale, say=say)
    demo.load()
    if not demo.grids:
        return
    rng, now, tz = demo.rng, demo.now, demo.tz
    plans: list[tuple[Plan, dict]] = []

    def add(plan: Plan, **options):
        plans.append((plan, options))

    # Department-handled and closed in the last six months: exactly 77.
    closings = sorted(now - dt.timedelta(days=rng.uniform(1.5, RECENT_DAYS)) for _ in range(DEPARTMENT_CLOSED_RECENT))
    for index, closed_at in enumerate(closings):
        reported = closed_at - dt.timedelta(days=rng.uniform(3, 16))
        if index == 40 and demo.li_guijun is not None:
            household = demo.li_guijun.household
            plan = demo.plan(
                "closed",
                reported,
                grid=household.grid,
                category=demo.categories["medical_eldercare"],
                household=(household.pk, household.address, "李桂君"),
            )
            plan.story = STORIES["medical_eldercare"][0]
            plan.source = CaseSource.ON_BEHALF
        else:
            plan = demo.plan("closed", reported, grid=demo.pick_grid(local=index % 4 == 0))
        add(plan, closed_at=closed_at, reopen=index % 15 == 7, overdue=index % 9 == 4)
    # The six months before: a similar number, all long closed.
    for _ in range(_count(scale, 70, 8)):
        closed_at = now - dt.timedelta(days=rng.uniform(200, 355))
        add(demo.plan("closed", closed_at - dt.timedelta(days=rng.uniform(3, 12))), closed_at=closed_at)
    # Resolved on the spot, across the whole year.
    for _ in range(_count(scale, 430, 40)):
        add(demo.plan("on_the_spot", demo.day_time(today - dt.timedelta(days=rng.randint(1, 362)))))
    # Still open, in every status; the first few of each in 珍宝岛乡 for the demo accounts.
    hours_ago = lambda low, high: now - dt.timedelta(hours=rng.uniform(low, high))  # noqa: E731
    open_plans = [
        ("reported", _count(scale, 12, 4), (0.5, 40), {}),
        ("accepted", _count(scale, 6, 3), (3, 60), {}),
        ("dispatched", _count(scale, 6, 3), (1, 20), {}),
        ("dispatched", _count(scale, 5, 2), (60, 160), {"overdue": True}),
        ("checked_in", _count(scale, 10, 4), (24, 200), {}),
        ("checked_in", _count(scale, 6, 3), (400, 900), {"overdue": True}),
        ("on_hold", _count(scale, 3, 2), (100, 400), {"hold": True}),
        ("resolved", _count(scale, 8, 3), (48, 300), {}),
        ("rejected", _count(scale, 15, 3), (24, 8000), {}),
        ("merged", _count(scale, 8, 2), (24, 8000), {}),
    ]
    for kind, count, (low, high), options in open_plans:
        for i in range(count):
            local = i < 2
            category = (
                demo.categories["infrastructure"]
                if i == 0 and kind in ("dispatched", "checked_in", "on_hold", "resolved")
                else None
            )
            grid = demo.demo_grid if i == 0 else demo.pick_grid(local=local)
            plan_kind = "checked_in" if kind == "on_hold" else kind
            add(demo.plan(plan_kind, hours_ago(low, high), grid=grid, category=category), **options)

    # Fill every plan, then number the cases in the order they were reported.
    filled = []
    for plan, options in plans:
        fields = demo.build_case(plan, **options)
        filled.append((plan, fields))
    filled.sort(key=lambda item: item[0].reported_at)
    key = _open311_key(demo)
    counters: dict[int, int] = defaultdict(int)
    prefix = conf.case_prefix()
    cases, co_rows = [], []
    for plan, fields in filled:
        year = timezone.localtime(plan.reported_at, tz).year
        counters[year] += 1
        co = fields.pop("co", [])
        case = Case(number=f"{prefix}-{year}-{counters[year]:06d}", **fields)
        if plan.source == CaseSource.OPEN311 and key is not None:
            case.open311_key = key
        plan.case = case
        cases.append(case)
        co_rows.append(co)
    merged = [plan.case for plan, _ in filled if plan.kind == "merged"]
    Case.objects.bulk_create([c for c in cases if c.status != CaseStatus.MERGED], batch_size=500)
    _link_merged(demo, filled)
    Case.objects.bulk_create(merged, batch_size=500)
    CaseCoDepartment.objects.bulk_create(
        [CaseCoDepartment(case=case, department=d) for case, co in zip(cases, co_rows, strict=True) for d in co]
    )
    # Case.updated_at is auto_now: give each case the time of its last step.
    events = []
    for plan, _fields in filled:
        for e in plan.events:
            events.append(
                CaseEvent(case=plan.case, **{k: v for k, v in e.items() if k != "actor_id"}, actor_id=e["actor_id"])
            )
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    last = defaultdict(lambda: None)
    for e in events:
        if last[e.case_id] is None or e.created > last[e.case_id]:
            last[e.case_id] = e.created
    for case in cases:
        case.updated_at = last[case.pk] or case.reported_at
    Case.objects.bulk_update(cases, ["updated_at"], batch_size=500)
    for year in counters:
        sync_number_sequence(year)
    _supervisor_account(demo)
    _notifications(demo, cases)
    say(
        f"cases: {len(cases)} ({sum(1 for c in cases if c.resolved_on_the_spot)} resolved on the spot), {len(events)} events"
    )


def _link_merged(demo: Demo, filled) -> None:
    targets = [plan.case for plan, _ in filled if plan.kind in ("closed", "checked_in", "dispatched", "resolved")]
    for plan, _fields in filled:
        if plan.kind != "merged":
            continue
        earlier = [c for c in targets if c.reported_at < plan.reported_at and c.grid.parent_id == plan.grid.parent_id]
        target = earlier[-1] if earlier else targets[0]
        plan.case.merged_into = target
        plan.events[-1]["data"] = {"into": target.number}


def _open311_key(demo: Demo) -> Open311Key | None:
    existing = Open311Key.objects.filter(key_hash=Open311Key.hash_key(DEMO_OPEN311_KEY)).first()
    if existing is not None:
        return existing
    _key, record = issue_open311_key(
        name="12345热线(演示)", default_grid=demo.demo_grid, actor=None, key=DEMO_OPEN311_KEY
    )
    return record


def _supervisor_account(demo: Demo) -> None:
    template = demo.users.get("demo-grid")
    if template is None or "demo-supervisor" in demo.users:
        return
    township = demo.demo_grid.parent.parent
    user = User.objects.create(
        username="demo-supervisor", display_name="珍宝岛乡党委督导员(演示)", password=template.password
    )
    RoleAssignment.objects.create(user=user, role=Role.SUPERVISOR, area=township)
    demo.users["demo-supervisor"] = user


def _notifications(demo: Demo, cases: list[Case]) -> None:
    """The messages the demo accounts would have received about cases still in their hands."""
    users = demo.users
    rows = []
    week_ago = demo.now - 7 * DAY

    def add(username, kind, case, when, text):
        user = users.get(username)
        if user is not None:
            rows.append(
                Notification(
                    recipient=user,
                    kind=kind,
                    case=case,
                    text=text[:300],
                    created=when,
                    read_at=when + H if when < week_ago else None,
                    sent_at=when,
                )
            )

    for case in cases:
        township = case.grid.parent.parent.name
        if township == "珍宝岛乡" and case.status == CaseStatus.REPORTED:
            add(
                "demo-township",
                NotificationKind.REPORTED,
                case,
                case.reported_at,
                f"新事件 {case.number}：{case.title}",
            )
        if township == "珍宝岛乡" and case.status == CaseStatus.RESOLVED:
            add(
                "demo-township",
                NotificationKind.FOLLOW_UP_DUE,
                case,
                case.resolved_at,
                f"事件 {case.number} 已办结，请回访上报人。",
            )
        if (
            case.department_id
            and case.department.code.endswith("-zjj")
            and case.dispatched_at
            and case.status != CaseStatus.CLOSED
        ):
            add(
                "demo-dept",
                NotificationKind.DISPATCHED,
                case,
                case.dispatched_at,
                f"事件 {case.number} 已派至住建局：{case.title}",
            )
        if township == "珍宝岛乡" and case.escalation_level and case.escalated_at:
            add(
                "demo-supervisor",
                NotificationKind.ESCALATED,
                case,
                case.escalated_at,
                f"事件 {case.number} 已超期，已提级督办：{case.title}",
            )
    Notification.objects.bulk_create(rows, batch_size=1000)
