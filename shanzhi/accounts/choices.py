from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    COMMAND_CENTRE = "command_centre", _("乡镇指挥中心")
    DEPARTMENT_HANDLER = "department_handler", _("部门经办人")
    VILLAGE_SECRETARY = "village_secretary", _("村党支部书记")
    VILLAGE_CADRE = "village_cadre", _("村干部")
    GRID_WORKER = "grid_worker", _("网格员")
    VILLAGER = "villager", _("村民")


# What each role's scope is attached to.
ROLE_SCOPE_LEVEL = {
    Role.COUNTY_ADMIN: "county",
    Role.COMMAND_CENTRE: "township",
    Role.DEPARTMENT_HANDLER: "department",
    Role.VILLAGE_SECRETARY: "village",
    Role.VILLAGE_CADRE: "village",
    Role.GRID_WORKER: "grid",
    Role.VILLAGER: "household",
}
