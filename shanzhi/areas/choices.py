from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")


LEVEL_ORDER = [AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE, AreaLevel.GRID]
CHILD_LEVEL = {LEVEL_ORDER[i]: LEVEL_ORDER[i + 1] for i in range(len(LEVEL_ORDER) - 1)}


class DepartmentKind(models.TextChoices):
    COUNTY_BUREAU = "county_bureau", _("County department")
    TOWNSHIP_STATION = "township_station", _("Township office")
