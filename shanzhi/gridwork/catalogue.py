"""The standing duties a county starts from (任务清单), and the default care visit rules.

53 duties in the shape of a county "grid worker duty list": the category, who does it
(S specialist, F full-time, P part-time), how often, and whether a photo or note is
required as evidence. A county loads them once (``shanzhi gridwork_catalogue``, or the
demo) and then edits its own catalogue on the duties page.
"""

from __future__ import annotations

from django.db import transaction

from shanzhi.core import audit
from shanzhi.gridwork.choices import DutyCategory as C
from shanzhi.gridwork.choices import DutyFrequency as F

DAILY, WEEKLY, MONTHLY, EVENT, HOUSEHOLD = F.DAILY, F.WEEKLY, F.MONTHLY, F.PER_EVENT, F.PER_HOUSEHOLD_MONTHLY

# (category, name, frequency, evidence required, who: a string of S/F/P, what to do)
DUTIES: list[tuple[str, str, str, bool, str, str]] = [
    (C.GOVERNANCE, "网格日常巡查", DAILY, False, "F", "每天巡查网格,掌握人、地、事、物、情、组织动态。"),
    (C.GOVERNANCE, "矛盾纠纷排查化解", WEEKLY, False, "FP", "每周排查邻里、婚姻家庭、土地等纠纷,能调解的就地调解。"),
    (C.GOVERNANCE, "重点人员动态掌握", MONTHLY, False, "FS", "每月掌握社区矫正、刑满释放等重点人员的动态。"),
    (C.GOVERNANCE, "治安隐患排查", EVENT, False, "FS", "发现治安隐患及时报告。"),
    (C.GOVERNANCE, "邪教和非法宗教活动排查", MONTHLY, False, "F", "每月排查一次,发现线索立即上报。"),
    (C.GOVERNANCE, "信访苗头排查上报", EVENT, False, "FP", "发现群体性、越级上访苗头及时报告。"),
    (C.GOVERNANCE, "涉黑涉恶线索收集上报", EVENT, False, "FSP", "收集涉黑涉恶线索,按程序保密上报。"),
    (C.GOVERNANCE, "群防群治巡逻组织", EVENT, False, "FP", "组织志愿者在节假日和重点时段巡逻。"),
    (C.PARTY, "网格党小组活动组织", MONTHLY, True, "F", "每月组织网格党小组开展一次活动,留存照片。"),
    (C.PARTY, "党员联系服务群众", EVENT, False, "FP", "党员联系户有事及时帮办。"),
    (C.PARTY, "流动党员信息掌握", EVENT, False, "F", "外出务工党员信息变化时更新。"),
    (C.PARTY, "主题党日宣传发动", EVENT, False, "FP", "配合村党支部做好主题党日宣传发动。"),
    (C.FIRE, "消防安全隐患排查", MONTHLY, True, "FS", "每月检查农户和经营场所用火用电、消防器材,留存照片。"),
    (C.FIRE, "秋冬季防火宣传", EVENT, False, "FP", "秋冬季入户宣传防火知识。"),
    (C.FIRE, "人员密集场所消防通道检查", EVENT, True, "S", "检查学校、卫生室、超市等场所的消防通道。"),
    (C.FIRE, "秸秆禁烧巡查", EVENT, False, "FP", "禁烧期内巡查田间地头,劝阻焚烧。"),
    (C.FIRE, "独居老人家庭用火用电检查", EVENT, False, "F", "入户检查火炕、火墙、电线老化情况。"),
    (C.WORK_SAFETY, "重点场所安全检查", WEEKLY, True, "FS", "每周检查小作坊、加油站、农资店等场所,留存照片。"),
    (C.WORK_SAFETY, "农机安全宣传检查", EVENT, False, "S", "春耕秋收前检查农机安全。"),
    (C.WORK_SAFETY, "燃气和危化品安全排查", EVENT, True, "S", "排查液化气使用和危化品存放。"),
    (C.WORK_SAFETY, "建筑施工安全巡查", EVENT, False, "S", "巡查自建房和工地施工安全。"),
    (C.WORK_SAFETY, "道路交通安全劝导", EVENT, False, "FP", "劝导无证驾驶、农用车违法载人。"),
    (C.WORK_SAFETY, "防溺水巡查", EVENT, False, "FP", "夏季巡查河塘,提醒看护儿童。"),
    (C.CIVIL_AFFAIRS, "特殊困难群体走访", EVENT, False, "F", "走访低保、特困、残疾人家庭,了解困难。"),
    (C.CIVIL_AFFAIRS, "高龄津贴和养老待遇认证协助", EVENT, False, "FP", "帮助老人完成待遇资格认证。"),
    (C.CIVIL_AFFAIRS, "医保参保缴费动员", EVENT, False, "FP", "集中缴费期入户动员参保。"),
    (C.CIVIL_AFFAIRS, "临时救助线索发现上报", EVENT, False, "FP", "发现因灾因病致困家庭及时上报。"),
    (C.CIVIL_AFFAIRS, "退役军人和军属走访", EVENT, False, "F", "节日走访退役军人和军属家庭。"),
    (C.CIVIL_AFFAIRS, "残疾人证件办理协助", EVENT, False, "F", "帮助残疾人办理、换领残疾人证。"),
    (C.HEALTH, "传染病疫情监测报告", EVENT, False, "FS", "发现发热等异常情况及时报告卫生室。"),
    (C.HEALTH, "健康知识宣传", EVENT, False, "P", "配合村医宣传健康知识。"),
    (C.HEALTH, "孕产妇和新生儿信息报告", EVENT, False, "F", "掌握孕产妇和新生儿信息并报告。"),
    (C.HEALTH, "家庭医生签约服务协助", EVENT, False, "F", "协助村医开展家庭医生签约。"),
    (C.ENVIRONMENT, "环境卫生巡查", WEEKLY, True, "FP", "每周巡查柴草垛、垃圾、污水乱倒,留存照片。"),
    (C.ENVIRONMENT, "河湖巡查", EVENT, False, "FS", "巡查河道垃圾、乱占乱建。"),
    (C.ENVIRONMENT, "违法占地和违章建设巡查", EVENT, True, "FS", "发现违法占地、违章建设及时报告。"),
    (C.ENVIRONMENT, "畜禽粪污治理巡查", EVENT, False, "S", "巡查养殖户粪污处理。"),
    (C.EMERGENCY, "汛期灾害隐患排查", EVENT, True, "FS", "汛期排查危房、河堤、低洼地带。"),
    (C.EMERGENCY, "预警信息传达到户", EVENT, False, "FP", "暴雨、暴雪等预警信息传达到每户。"),
    (C.EMERGENCY, "森林草原防火巡护", EVENT, False, "SP", "防火期巡护林区草原。"),
    (C.EMERGENCY, "地质灾害隐患点巡查", EVENT, False, "S", "雨季巡查地质灾害隐患点。"),
    (C.INFORMATION, "人口信息采集更新", MONTHLY, False, "F", "每月核对出生、死亡、迁入迁出,更新户籍信息。"),
    (C.INFORMATION, "房屋和出租屋信息采集", EVENT, False, "F", "新建、出租房屋及时登记。"),
    (C.INFORMATION, "流动人口登记", EVENT, False, "FP", "外来人员入住及时登记。"),
    (C.INFORMATION, "个体工商户信息采集", EVENT, False, "S", "新开办的个体工商户及时采集信息。"),
    (C.INFORMATION, "网格基础台账更新", EVENT, False, "F", "网格台账有变化时更新。"),
    (C.PUBLICITY, "惠民政策宣传", MONTHLY, False, "FP", "每月宣传一次惠农补贴、医保、养老等政策。"),
    (C.PUBLICITY, "移风易俗宣传", EVENT, False, "FP", "劝导红白喜事简办。"),
    (C.PUBLICITY, "反电信诈骗宣传", EVENT, False, "FP", "提醒老人防范电信诈骗。"),
    (C.PUBLICITY, "村规民约宣传", EVENT, False, "P", "宣传村规民约和积分制。"),
    (C.SERVICE, "包联农户走访", HOUSEHOLD, False, "P", "兼职网格员对包联农户每户每月至少走访一次。"),
    (C.SERVICE, "代办帮办", EVENT, False, "FP", "为行动不便的群众代办证照、报销等事项。"),
    (C.SERVICE, "群众诉求收集反馈", EVENT, False, "FP", "收集群众诉求,能办的马上办,办不了的上报。"),
]

# (tag code, visit at least every N days)
CARE_RULES = [
    ("five_guarantees", 15),
    ("elderly_alone", 30),
    ("left_behind_elderly", 30),
    ("disabled", 60),
]


@transaction.atomic
def load_default_catalogue(*, actor=None) -> int:
    """Create the default duties the county does not have yet (by name); the number created."""
    from shanzhi.gridwork.models import Duty

    existing = set(Duty.objects.values_list("name", flat=True))
    next_number = (Duty.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    rows = []
    for category, name, frequency, evidence, who, description in DUTIES:
        if name in existing:
            continue
        rows.append(
            Duty(
                number=next_number,
                name=name,
                category=category,
                frequency=frequency,
                evidence_required=evidence,
                for_specialist="S" in who,
                for_full_time="F" in who,
                for_part_time="P" in who,
                description=description,
            )
        )
        next_number += 1
    Duty.objects.bulk_create(rows)
    if rows:
        audit.record(
            "gridwork.duty.catalogue_loaded",
            actor=actor,
            object_type="gridwork.duty",
            object_repr=f"{len(rows)}",
            created=len(rows),
        )
    return len(rows)


@transaction.atomic
def load_default_care_rules(*, actor=None) -> int:
    from shanzhi.gridwork.models import CareRule
    from shanzhi.people.models import HouseholdTag

    created = 0
    for code, days in CARE_RULES:
        tag = HouseholdTag.objects.filter(code=code).first()
        if tag is None or CareRule.objects.filter(tag=tag).exists():
            continue
        CareRule.objects.create(tag=tag, interval_days=days)
        created += 1
    if created:
        audit.record(
            "gridwork.care_rule.defaults_loaded", actor=actor, object_type="gridwork.carerule", created=created
        )
    return created
