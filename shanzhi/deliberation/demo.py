"""Deliberation in the demo county: venues, half a year of meetings and topics.

Exactly 67 deliberation courtyards and 35 deliberation corridors (plus a few squares and
Party members' farmyards), and exactly 164 matters resolved in the last six months,
split 46 development / 78 livelihood / 40 hard problems. Among them the source article's
evening village talk (夜话乡村) in 阿北村 on building the Party-and-people service centre,
hosted by Party secretary 金昌义 with 何晓宇 taking the minutes.

The figures do not depend on ``scale`` (a smaller county still has its 97 villages).
Rows go in with ``bulk_create``; the history they record (events, minutes versions,
progress notes) is what the services would have written.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core import audit
from shanzhi.deliberation.choices import (
    ActionStatus,
    MeetingFormat,
    MeetingStatus,
    Outcome,
    QuorumBasis,
    RaisedVia,
    TopicClass,
    TopicStatus,
    VenueKind,
)
from shanzhi.deliberation.models import (
    ActionItem,
    ActionProgress,
    AgendaItem,
    Decision,
    Meeting,
    MinutesVersion,
    Topic,
    TopicEvent,
    Venue,
)
from shanzhi.people.models import Household

COURTYARDS = 67
CORRIDORS = 35
SQUARES = 3
FARMYARDS = 4
RESOLVED_BY_CLASS = {TopicClass.DEVELOPMENT: 46, TopicClass.LIVELIHOOD: 78, TopicClass.HARD_PROBLEM: 40}
RESOLVED = sum(RESOLVED_BY_CLASS.values())  # 164
# Topics still on their way (any class).
OTHER_STATUSES = {
    TopicStatus.IN_PROGRESS: 38,
    TopicStatus.DECIDED: 7,
    TopicStatus.SCHEDULED: 12,
    TopicStatus.ACCEPTED: 14,
    TopicStatus.RAISED: 16,
    TopicStatus.DECLINED: 11,
}
SPAN_DAYS = 176  # everything resolved lies within the last six months

TITLES = {
    TopicClass.DEVELOPMENT: [
        "成立水稻种植专业合作社",
        "发展庭院经济种植黑木耳",
        "闲置校舍改建农产品加工点",
        "申报乡村振兴示范村项目",
        "建设村级光伏电站",
        "打造稻田观光采摘园",
        "引进蓝莓种植项目",
        "村集体土地统一流转",
        "建设冷链仓储小站",
        "开办农家乐接待点",
    ],
    TopicClass.LIVELIHOOD: [
        "修缮破损水泥路",
        "安装村屯太阳能路灯",
        "自来水管网改造",
        "冬季清雪分片包干",
        "卫生室增设老年人体检日",
        "修建老年活动室",
        "调整垃圾清运点",
        "边沟清淤疏通",
        "村屯绿化补植",
        "修缮村小学围墙",
        "增设公交候车亭",
        "文化广场添置健身器材",
    ],
    TopicClass.HARD_PROBLEM: [
        "宅基地边界纠纷调解",
        "占用村道堆放柴草清理",
        "养殖粪污影响邻里",
        "土地流转费用拖欠",
        "灌溉用水分配矛盾",
        "私搭乱建清理",
        "散养犬只伤人隐患",
        "秸秆焚烧劝阻",
    ],
}
PLACES = ["前街", "后街", "东街", "西街", "中街", "南屯", "北屯", "新村路", "兴隆路", "幸福路", "一组", "二组", "三组"]
RESULTS = {
    TopicClass.DEVELOPMENT: "项目已按决议落地,收益按约定纳入村集体经济并公示。",
    TopicClass.LIVELIHOOD: "已按决议办结,经村民代表验收合格。",
    TopicClass.HARD_PROBLEM: "经议事会协商化解,双方签字确认,矛盾已平息。",
}
DECLINE_REASONS = [
    "属于个人家庭事务,建议通过村调解委员会协商解决。",
    "该事项已列入乡镇年度计划统一实施,不再单独议事。",
    "涉及法律诉讼,已引导通过法律途径解决。",
    "与上月议定事项重复,已合并办理。",
]
ACTIONS = {
    TopicClass.DEVELOPMENT: ["制定实施方案并公示", "召开入股农户对接会", "完成项目申报材料"],
    TopicClass.LIVELIHOOD: ["联系施工队报价比选", "组织施工并现场监督", "完成验收并公示费用"],
    TopicClass.HARD_PROBLEM: ["组织双方现场协商", "起草调解协议", "回访当事双方"],
}
ARTICLE_TITLE = "建设村党群服务中心"
ARTICLE_RESULT = "党群服务中心已建成投入使用,设议事厅、图书室和便民服务窗口,村民可在此办事、议事、学习。"


@dataclass
class VillageInfo:
    village: Area
    households: list[tuple[int, int, str, str]] = field(default_factory=list)  # id, grid id, head name, address
    venue: Venue | None = None
    clock: dt.date | None = None


def build(*, seed: int, today: dt.date, scale: float, say) -> None:
    rng = random.Random(seed)
    villages = list(Area.objects.filter(level=AreaLevel.VILLAGE).select_related("parent").order_by("path"))
    if not villages:
        say("deliberation: no villages, skipped")
        return
    info = {v.pk: VillageInfo(v) for v in villages}
    counts = dict(
        Household.objects.filter(status="active").values_list("grid__parent_id").annotate(n=Count("id")).order_by()
    )
    for pk, grid_id, village_id, head, address in (
        Household.objects.filter(status="active")
        .order_by("grid__path", "number")
        .values_list("pk", "grid_id", "grid__parent_id", "head__name", "address")
    ):
        if village_id in info:
            info[village_id].households.append((pk, grid_id, head or "", address))
    villages = [v for v in villages if counts.get(v.pk)]
    tz = timezone.get_current_timezone()

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)

    # --- venues ------------------------------------------------------------------------------
    by_name = {v.name: v for v in villages}
    first = [by_name[n] for n in ("阿北村", "永和村") if n in by_name]
    rest = [v for v in villages if v not in first]
    rng.shuffle(rest)
    ordered = first + rest
    kinds: list[tuple[Area, str]] = []
    for index in range(COURTYARDS):
        kinds.append((ordered[index % len(ordered)], VenueKind.COURTYARD))
    for index in range(CORRIDORS):
        kinds.append((ordered[(COURTYARDS + index) % len(ordered)], VenueKind.CORRIDOR))
    for index in range(SQUARES):
        kinds.append((ordered[(index * 7 + 3) % len(ordered)], VenueKind.SQUARE))
    for index in range(FARMYARDS):
        kinds.append((ordered[(index * 11 + 5) % len(ordered)], VenueKind.FARMYARD))
    venues: list[Venue] = []
    names_used: set[tuple[int, str]] = set()
    for village, kind in kinds:
        households = info[village.pk].households
        host = rng.choice(households) if households and kind in (VenueKind.COURTYARD, VenueKind.FARMYARD) else None
        if village.name == "阿北村" and kind == VenueKind.COURTYARD:
            name = "阿北村夜话乡村议事小院"
        elif kind == VenueKind.COURTYARD:
            name = f"{host[2] or village.name}家议事小院"
        elif kind == VenueKind.CORRIDOR:
            name = f"{village.name}议事长廊"
        elif kind == VenueKind.SQUARE:
            name = f"{village.name}文化广场议事亭"
        else:
            name = f"{host[2] or village.name}党员户议事院落"
        suffix = 2
        base = name
        while (village.pk, name) in names_used:
            name = f"{base}({suffix})"
            suffix += 1
        names_used.add((village.pk, name))
        capacity = {
            VenueKind.COURTYARD: rng.randint(15, 40),
            VenueKind.CORRIDOR: rng.randint(40, 80),
            VenueKind.SQUARE: rng.randint(60, 150),
            VenueKind.FARMYARD: rng.randint(10, 25),
        }[kind]
        venues.append(
            Venue(
                kind=kind,
                name=name,
                village=village,
                host_household_id=host[0] if host else None,
                location=host[3] if host else f"{village.name}村委会旁",
                latitude=(village.centroid_lat or 0) + rng.uniform(-0.01, 0.01) if village.centroid_lat else None,
                longitude=(village.centroid_lng or 0) + rng.uniform(-0.01, 0.01) if village.centroid_lng else None,
                capacity=capacity,
            )
        )
    Venue.objects.bulk_create(venues)
    venues_of: dict[int, list[Venue]] = defaultdict(list)
    for venue in venues:
        venues_of[venue.village_id].append(venue)

    # --- topics and meetings ----------------------------------------------------------------------
    plan: list[tuple[str, str]] = []  # (final status, class)
    for cls, n in RESOLVED_BY_CLASS.items():
        plan += [(TopicStatus.RESOLVED, cls)] * n
    classes = list(TopicClass.values)
    for status, n in OTHER_STATUSES.items():
        plan += [(status, rng.choices(classes, weights=[3, 5, 2])[0]) for _ in range(n)]
    rng.shuffle(plan)
    # The article's topic goes first so it lands in 阿北村 at an evening talk.
    article = next(i for i, (s, c) in enumerate(plan) if s == TopicStatus.RESOLVED and c == TopicClass.DEVELOPMENT)
    plan.insert(0, plan.pop(article))

    topics: list[Topic] = []
    events: list[tuple] = []  # topic index, time, from, to, note
    meetings: list[Meeting] = []
    agenda: list[tuple[int, int, str]] = []  # meeting index, topic index, notes
    decisions: list[tuple[int, int, dict]] = []  # meeting index, topic index, fields
    actions: list[tuple[int, dict, list[dict]]] = []  # decision index, fields, progress
    meeting_topics: dict[int, list[int]] = defaultdict(list)
    village_cycle = [v for v in ordered if venues_of.get(v.pk)]
    now = timezone.now()
    start_day = today - dt.timedelta(days=SPAN_DAYS)
    abei = by_name.get("阿北村")

    def event(topic_index: int, when: dt.datetime, from_status: str, to_status: str, note: str = "") -> None:
        events.append((topic_index, when, from_status, to_status, note))

    def new_meeting(village: Area, day: dt.date, status: str, *, article_meeting: bool = False) -> int:
        venue_choices = venues_of[village.pk]
        venue = venue_choices[0] if article_meeting else rng.choice(venue_choices)
        households = len(info[village.pk].households)
        represented = max(1, min(households, rng.randint(12, 46)))
        present = represented + rng.randint(0, max(1, represented // 2))
        evening = venue.kind == VenueKind.COURTYARD or article_meeting
        fmt = MeetingFormat.EVENING_TALK if evening and rng.random() < 0.6 else MeetingFormat.COURTYARD_TALK
        if venue.kind == VenueKind.CORRIDOR:
            fmt = rng.choice([MeetingFormat.COURTYARD_TALK, MeetingFormat.REPRESENTATIVES])
        if article_meeting:
            fmt = MeetingFormat.EVENING_TALK
        scheduled = at(
            day, 19 if fmt == MeetingFormat.EVENING_TALK else 14, 30 if fmt == MeetingFormat.EVENING_TALK else 0
        )
        held = status == MeetingStatus.CLOSED
        meetings.append(
            Meeting(
                village=village,
                venue=venue,
                format=fmt,
                scheduled_at=scheduled,
                host_name="金昌义" if article_meeting else f"{village.name}党支部书记",
                minute_taker_name="何晓宇" if article_meeting else f"{village.name}到村任职大学生",
                status=status,
                residents_present=present if held else None,
                households_represented=represented if held else None,
                opened_at=scheduled if held else None,
                closed_at=scheduled + dt.timedelta(hours=2) if held else None,
            )
        )
        return len(meetings) - 1

    decided_statuses = (TopicStatus.RESOLVED, TopicStatus.IN_PROGRESS, TopicStatus.DECIDED)
    # Closed meetings take one to three decided topics each; spread over the half year.
    pending_closed: list[int] = []
    for index, (status, cls) in enumerate(plan):
        village = abei if index == 0 and abei is not None else village_cycle[index % len(village_cycle)]
        households = info[village.pk].households
        household = rng.choice(households)
        roll = rng.random()
        via = RaisedVia.SELF if roll < 0.6 else (RaisedVia.ON_BEHALF if roll < 0.85 else RaisedVia.CADRE)
        title = ARTICLE_TITLE if index == 0 else f"{rng.choice(PLACES)}{rng.choice(TITLES[cls])}"
        if status in decided_statuses:
            latest = today - dt.timedelta(days=12 if status == TopicStatus.RESOLVED else 4)
            day = start_day + dt.timedelta(days=rng.randint(0, (latest - start_day).days))
            if index == 0:
                day = today - dt.timedelta(days=150)
        elif status == TopicStatus.SCHEDULED:
            day = today + dt.timedelta(days=rng.randint(2, 20))
        else:
            day = today - dt.timedelta(days=rng.randint(1, 40))
        m = None
        if status in decided_statuses:
            # Join a closed meeting of the village held within ten days, or hold a new one.
            candidates = [
                c
                for c in pending_closed
                if meetings[c].village_id == village.pk
                and 0 <= (day - meetings[c].scheduled_at.date()).days <= 10
                and len(meeting_topics[c]) < 3
                and index != 0
            ]
            if candidates:
                m = candidates[0]
            else:
                m = new_meeting(village, day, MeetingStatus.CLOSED, article_meeting=index == 0)
                pending_closed.append(m)
            raised_at = meetings[m].scheduled_at - dt.timedelta(days=rng.randint(6, 30), hours=rng.randint(1, 9))
        elif status == TopicStatus.SCHEDULED:
            raised_at = at(today - dt.timedelta(days=rng.randint(3, 25)), rng.randint(8, 20))
        else:
            raised_at = at(day, rng.randint(8, 20), rng.choice([0, 15, 30, 45]))
        raised_at = min(raised_at, now - dt.timedelta(hours=3))
        topic = Topic(
            title=title,
            description=(
                "村里想建一处党群服务中心,老人办事、开会、看书都有个地方,希望大家一起议一议选址和建法。"
                if index == 0
                else f"{village.name}{title}:村民反映已久,希望通过议事会商量解决办法。"
            ),
            topic_class=cls,
            village=village,
            grid_id=household[1] if via != RaisedVia.CADRE else None,
            household_id=household[0] if via != RaisedVia.CADRE else None,
            raiser_name=household[2] if via != RaisedVia.CADRE else f"{village.name}村委会",
            raised_via=via,
            raised_at=raised_at,
            status=status,
        )
        topics.append(topic)
        event(index, raised_at, "", TopicStatus.RAISED, title)
        if status == TopicStatus.RAISED:
            continue
        answered = min(raised_at + dt.timedelta(days=rng.randint(1, 4)), now - dt.timedelta(hours=2))
        if status == TopicStatus.DECLINED:
            topic.decline_reason = rng.choice(DECLINE_REASONS)
            event(index, answered, TopicStatus.RAISED, TopicStatus.DECLINED, topic.decline_reason)
            continue
        event(index, answered, TopicStatus.RAISED, TopicStatus.ACCEPTED)
        if status == TopicStatus.ACCEPTED:
            continue
        if status == TopicStatus.SCHEDULED:
            m = new_meeting(village, day, MeetingStatus.PLANNED)
            meeting_topics[m].append(index)
            agenda.append((m, index, ""))
            event(index, answered + dt.timedelta(hours=1), TopicStatus.ACCEPTED, TopicStatus.SCHEDULED)
            continue
        meeting = meetings[m]
        meeting_topics[m].append(index)
        held_at = meeting.scheduled_at
        event(index, held_at - dt.timedelta(days=2), TopicStatus.ACCEPTED, TopicStatus.SCHEDULED)
        notes = (
            "大家一致认为村里需要一个议事、办事的固定场所;选址定在村委会东侧空地,由村集体出资、党员义务出工。"
            if index == 0
            else rng.choice(
                [
                    "到会村民逐一发言,对实施办法达成共识。",
                    "经充分讨论,大家同意按先易后难的顺序办理。",
                    "党员带头表态,村民代表补充了具体意见。",
                ]
            )
        )
        agenda.append((m, index, notes))
        event(index, held_at + dt.timedelta(minutes=20), TopicStatus.SCHEDULED, TopicStatus.DELIBERATED, notes[:200])
        represented = meeting.households_represented
        rejected = status == TopicStatus.DECIDED and rng.random() < 0.5
        if rejected:
            votes_for = rng.randint(0, represented // 2)
            cast = rng.randint(represented // 2 + 1, represented)
            cast = max(cast, votes_for)
            votes_against = rng.randint(0, cast - votes_for)
            votes_abstain = cast - votes_for - votes_against
            outcome = Outcome.REJECTED
        else:
            votes_for = rng.randint(represented // 2 + 1, represented)
            votes_against = rng.randint(0, represented - votes_for)
            votes_abstain = rng.randint(0, represented - votes_for - votes_against)
            outcome = Outcome.ADOPTED
        decided_at = held_at + dt.timedelta(minutes=40)
        summary = "同意建设村党群服务中心,村委会负责组织施工,年内建成。" if index == 0 else "同意按议定方案实施。"
        if outcome == Outcome.REJECTED:
            summary = "多数村民认为条件尚不成熟,暂不实施。"
        decisions.append(
            (
                m,
                index,
                {
                    "votes_for": votes_for,
                    "votes_against": votes_against,
                    "votes_abstain": votes_abstain,
                    "outcome": outcome,
                    "summary": summary,
                    "residents_present": meeting.residents_present,
                    "households_represented": represented,
                    "decided_at": decided_at,
                },
            )
        )
        tally = f"{votes_for} 票赞成,{votes_against} 票反对,{votes_abstain} 票弃权"
        event(index, decided_at, TopicStatus.DELIBERATED, TopicStatus.DECIDED, f"{outcome.label}({tally})")
        if status == TopicStatus.DECIDED:
            continue
        # Adopted and carried out: action items, progress, perhaps the result.
        d = len(decisions) - 1
        resolved_at = None
        if status == TopicStatus.RESOLVED:
            latest_end = now - dt.timedelta(hours=2)
            resolved_at = min(decided_at + dt.timedelta(days=rng.randint(7, 60)), latest_end)
            if index == 0:
                resolved_at = min(at(today - dt.timedelta(days=40), 10), latest_end)
        titles = ["村委会组织施工队进场建设", "建成后组织村民代表验收"] if index == 0 else ACTIONS[cls]
        count = 2 if index == 0 else rng.randint(1, 2)
        first_action_at = decided_at + dt.timedelta(days=1)
        for number in range(count):
            deadline = (decided_at + dt.timedelta(days=rng.randint(14, 50) + 10 * number)).date()
            if status != TopicStatus.RESOLVED:
                # Work still going: most deadlines lie ahead, some have slipped (the township sees those).
                deadline = max(
                    decided_at.date() + dt.timedelta(days=7), today + dt.timedelta(days=rng.randint(-15, 60))
                )
            progress = []
            if status == TopicStatus.RESOLVED:
                done_at = resolved_at - dt.timedelta(hours=count - number)
                progress.append(
                    {
                        "note": "已开始落实。",
                        "status": ActionStatus.IN_PROGRESS,
                        "created": first_action_at + dt.timedelta(days=2),
                    }
                )
                progress.append({"note": "已完成。", "status": ActionStatus.DONE, "created": done_at})
                action_status, completed_at = ActionStatus.DONE, done_at
            else:
                started = rng.random() < 0.7
                action_status = ActionStatus.IN_PROGRESS if started else ActionStatus.OPEN
                completed_at = None
                if started:
                    progress.append(
                        {
                            "note": "正在推进,已完成约一半。",
                            "status": ActionStatus.IN_PROGRESS,
                            "created": min(first_action_at + dt.timedelta(days=3), now - dt.timedelta(hours=1)),
                        }
                    )
            actions.append(
                (
                    d,
                    {
                        "title": titles[number % len(titles)],
                        "owner_name": "金昌义"
                        if index == 0
                        else rng.choice(["村党支部书记", "村委会主任", "村民代表", "网格员"]),
                        "deadline": deadline,
                        "status": action_status,
                        "completed_at": completed_at,
                        "created": first_action_at,
                    },
                    progress,
                )
            )
        event(index, first_action_at, TopicStatus.DECIDED, TopicStatus.IN_PROGRESS, titles[0])
        if status == TopicStatus.RESOLVED:
            topic.result = ARTICLE_RESULT if index == 0 else RESULTS[cls]
            topic.resolved_at = resolved_at
            event(index, resolved_at, TopicStatus.IN_PROGRESS, TopicStatus.RESOLVED, topic.result)

    # A couple of cancelled meetings keep the history honest.
    for village in village_cycle[:2]:
        new_meeting(village, today - dt.timedelta(days=rng.randint(20, 90)), MeetingStatus.CANCELLED)

    Meeting.objects.bulk_create(meetings, batch_size=500)
    for index, meeting in enumerate(meetings):
        if meeting.status != MeetingStatus.CLOSED:
            continue
        lines = [
            f"{timezone.localtime(meeting.scheduled_at):%Y年%m月%d日} {meeting.get_format_display()},地点:{meeting.venue.name}。",
            f"主持:{meeting.host_name};记录:{meeting.minute_taker_name};到会 {meeting.residents_present} 人,"
            f"代表 {meeting.households_represented} 户。",
        ]
        for t in meeting_topics[index]:
            lines.append(f"议题:{topics[t].title}。")
        meeting.minutes = "\n".join(lines)
    Meeting.objects.bulk_update(meetings, ["minutes"], batch_size=500)
    MinutesVersion.objects.bulk_create(
        [
            MinutesVersion(meeting=m, version=1, text=m.minutes, saved_at=m.closed_at, note="会议结束时的记录")
            for m in meetings
            if m.status == MeetingStatus.CLOSED
        ],
        batch_size=500,
    )
    Topic.objects.bulk_create(topics, batch_size=500)
    TopicEvent.objects.bulk_create(
        [
            TopicEvent(topic=topics[t], created=when, from_status=a, to_status=b, note=note)
            for t, when, a, b, note in events
        ],
        batch_size=1000,
    )
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(meeting=meetings[m], topic=topics[t], order=meeting_topics[m].index(t) + 1, notes=notes)
            for m, t, notes in agenda
        ],
        batch_size=500,
    )
    decision_rows = [
        Decision(
            meeting=meetings[m],
            topic=topics[t],
            quorum_basis=QuorumBasis.HOUSEHOLDS,
            quorum_numerator=1,
            quorum_denominator=2,
            **fields,
        )
        for m, t, fields in decisions
    ]
    Decision.objects.bulk_create(decision_rows, batch_size=500)
    action_rows = [
        ActionItem(decision=decision_rows[d], topic_id=decision_rows[d].topic_id, **fields) for d, fields, _p in actions
    ]
    ActionItem.objects.bulk_create(action_rows, batch_size=500)
    ActionProgress.objects.bulk_create(
        [
            ActionProgress(action_item=row, **progress)
            for row, (_d, _f, items) in zip(action_rows, actions, strict=True)
            for progress in items
        ],
        batch_size=1000,
    )
    resolved = sum(1 for t in topics if t.status == TopicStatus.RESOLVED)
    audit.record(
        "demo.deliberation.built",
        object_type="deliberation.topic",
        venues=len(venues),
        meetings=len(meetings),
        topics=len(topics),
        resolved=resolved,
        seed=seed,
    )
    say(
        f"deliberation: {len(venues)} venues ({COURTYARDS} courtyards, {CORRIDORS} corridors), "
        f"{len(meetings)} meetings, {len(topics)} topics, {resolved} resolved"
    )
