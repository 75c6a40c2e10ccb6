from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("Registered")
    MOVED_OUT = "moved_out", _("Moved out")
    MERGED = "merged", _("Merged")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    SON_IN_LAW = "son_in_law", _("Son-in-law")
    DAUGHTER_IN_LAW = "daughter_in_law", _("Daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", _("Registered")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")


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
