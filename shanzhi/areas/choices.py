from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    COUNTY = "county", _("县(市)")
    TOWNSHIP = "township", _("乡镇")
    VILLAGE = "village", _("行政村")
    GRID = "grid", _("网格")


LEVEL_ORDER = [AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE, AreaLevel.GRID]
CHILD_LEVEL = {LEVEL_ORDER[i]: LEVEL_ORDER[i + 1] for i in range(len(LEVEL_ORDER) - 1)}


class DepartmentKind(models.TextChoices):
    COUNTY_BUREAU = "county_bureau", _("县级部门")
    TOWNSHIP_STATION = "township_station", _("乡镇站所")
