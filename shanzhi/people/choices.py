from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    MERGED = "merged", _("已合户")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    SON = "son", _("子")
    DAUGHTER = "daughter", _("女")
    SON_IN_LAW = "son_in_law", _("女婿")
    DAUGHTER_IN_LAW = "daughter_in_law", _("儿媳")
    GRANDCHILD = "grandchild", _("孙子女")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已故")


# The managed tag list a county starts with (code, label). Counties add their own.
DEFAULT_TAGS = [
    ("elderly_alone", "独居老人"),
    ("left_behind_elderly", "留守老人"),
    ("left_behind_child", "留守儿童"),
    ("low_income", "低保户"),
    ("poverty_alleviated", "脱贫户"),
    ("disabled", "残疾人"),
    ("migrant_work", "外出务工"),
    ("party_member", "党员户"),
    ("military", "军属"),
    ("five_guarantees", "五保户"),
]
