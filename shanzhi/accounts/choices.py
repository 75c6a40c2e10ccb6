from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("County administrator")
    COMMAND_CENTRE = "command_centre", _("Township command centre")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    VILLAGE_SECRETARY = "village_secretary", _("Village Party secretary")
    VILLAGE_CADRE = "village_cadre", _("Village cadre")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VILLAGER = "villager", _("Villager")
    SUPERVISOR = "supervisor", _("Supervisor")


# What each role's scope is attached to.
ROLE_SCOPE_LEVEL = {
    Role.COUNTY_ADMIN: "county",
    Role.COMMAND_CENTRE: "township",
    Role.DEPARTMENT_HANDLER: "department",
    Role.VILLAGE_SECRETARY: "village",
    Role.VILLAGE_CADRE: "village",
    Role.GRID_WORKER: "grid",
    Role.VILLAGER: "household",
    Role.SUPERVISOR: "township",
}

# The levels a role's area may be at: the first is the usual one (ROLE_SCOPE_LEVEL).
# A county's discipline inspection office supervises escalated cases county-wide.
ROLE_SCOPE_LEVELS = {role: (level,) for role, level in ROLE_SCOPE_LEVEL.items()}
ROLE_SCOPE_LEVELS[Role.SUPERVISOR] = ("township", "county")
