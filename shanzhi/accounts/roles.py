"""What each role may do. Scope (where) comes from the assignment; this says what.

Permissions are Django's ``app_label.codename`` strings so that ``user.has_perm`` and
the admin work unchanged. Later capabilities add their own codenames here.
"""

from __future__ import annotations

from shanzhi.accounts.choices import Role

STAFF_PEOPLE_WRITE = {
    "people.add_household",
    "people.change_household",
    "people.add_resident",
    "people.change_resident",
}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COUNTY_ADMIN: {
        "people.view_sensitive",
        "core.view_auditlog",
        "accounts.manage_users",
        "areas.add_area",
        "areas.change_area",
        "areas.view_area",
        "areas.add_department",
        "areas.change_department",
        "areas.view_department",
        "people.add_householdtag",
        "people.change_householdtag",
        "people.view_householdtag",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.add_roleassignment",
        "accounts.change_roleassignment",
        "accounts.view_roleassignment",
        *STAFF_PEOPLE_WRITE,
    },
    Role.COMMAND_CENTRE: {*STAFF_PEOPLE_WRITE},
    Role.DEPARTMENT_HANDLER: set(),
    Role.VILLAGE_SECRETARY: {*STAFF_PEOPLE_WRITE},
    Role.VILLAGE_CADRE: {*STAFF_PEOPLE_WRITE},
    Role.GRID_WORKER: {*STAFF_PEOPLE_WRITE},
    Role.VILLAGER: set(),
}

STAFF_ROLES = {r for r in Role.values if r != Role.VILLAGER}


def permissions_for_roles(roles) -> set[str]:
    perms: set[str] = set()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, set())
    return perms
