"""The county's standard template rules, drawn from the village compacts of the source county.

A county loads them once (``load_template_rules``); each village adopts the lines it
wants and adjusts points, caps and thresholds.
"""

from __future__ import annotations

from shanzhi.points.choices import PeriodKind, RuleCategory

C = RuleCategory
M, Q, Y = PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR

# code, text, category, points, cap per household per period, period, evidence, second approver above, major
TEMPLATE_RULES = [
    ("VL01", "参加义务劳动(清雪、修路、植树等)", C.VOLUNTARY_LABOUR, 5, 20, M, False, None, False),
    ("HY01", "庭院整洁,美丽庭院检查达标", C.HYGIENE, 3, 6, M, False, None, False),
    ("HY02", "垃圾分类投放到位", C.HYGIENE, 2, 4, M, False, None, False),
    ("MD01", "调解邻里纠纷成功", C.MEDIATION, 10, 20, M, False, None, False),
    ("AC01", "参加村民议事会、夜话乡村", C.ACTIVITIES, 2, 8, M, False, None, False),
    ("AC02", "参加政策宣讲、技能培训", C.ACTIVITIES, 2, 6, M, False, None, False),
    ("FP01", "孝老爱亲,照顾老人受到邻里称赞", C.FILIAL_PIETY, 5, 10, Q, False, None, False),
    ("GD01", "见义勇为、助人为乐", C.GOOD_DEEDS, 10, 30, Y, True, None, False),
    ("PS01", "及时报告火情、安全隐患", C.PUBLIC_SAFETY, 5, 10, M, False, None, False),
    ("DF01", "损坏公共设施", C.DAMAGING_FACILITIES, -20, None, M, True, 10, True),
    ("DO01", "扰乱公共秩序、寻衅滋事", C.DISTURBING_ORDER, -30, None, M, False, 10, True),
    ("OB01", "露天焚烧秸秆、垃圾", C.OPEN_BURNING, -10, None, M, True, None, False),
    ("LT01", "乱倒垃圾、乱堆乱放", C.LITTERING, -5, None, M, False, None, False),
    ("FP02", "不履行赡养义务", C.FILIAL_PIETY, -20, None, M, False, 10, True),
]


def template_kwargs(row) -> dict:
    code, text, category, points, cap, period, evidence, second, major = row
    return {
        "code": code,
        "text": text,
        "category": category,
        "points": points,
        "cap_per_period": cap,
        "cap_period": period,
        "evidence_required": evidence,
        "second_approval_above": second,
        "major": major,
    }


def load_template_rules(county, *, actor=None) -> list:
    """Create the county's template rules that are not there yet."""
    from shanzhi.points.models import Rule
    from shanzhi.points.services import create_rule

    existing = set(Rule.objects.filter(area=county).values_list("code", flat=True))
    created = []
    for order, row in enumerate(TEMPLATE_RULES):
        if row[0] not in existing:
            created.append(create_rule(county, actor=actor, sort_order=order, **template_kwargs(row)))
    return created
