"""What each role may do. Scope (where) comes from the assignment; this says what.

Permissions are Django's ``app_label.codename`` strings so that ``user.has_perm`` and
the admin work unchanged. Later capabilities add their own codenames here.
"""

from __future__ import annotations

from shanzhi.accounts.choices import Role

CASES_REPORT = {"cases.report_case"}
CASES_AREA_STAFF = {"cases.report_case", "cases.resolve_on_the_spot"}
CASES_TRIAGE = {*CASES_AREA_STAFF, "cases.triage_case", "cases.follow_up_case"}

DELIBERATION_VIEW = {"deliberation.view_deliberation", "deliberation.raise_topic"}
DELIBERATION_RUN = {
    *DELIBERATION_VIEW,
    "deliberation.manage_topics",
    "deliberation.manage_venues",
    "deliberation.run_meeting",
    "deliberation.track_actions",
}

GRIDWORK_FIELD = {"gridwork.add_visit"}
GRIDWORK_TOWNSHIP = {*GRIDWORK_FIELD, "gridwork.manage_workers", "gridwork.score_evaluation", "gridwork.run_evaluation"}
GRIDWORK_COUNTY = {
    *GRIDWORK_TOWNSHIP,
    "gridwork.change_duty",
    "gridwork.change_carerule",
    "gridwork.change_evaluationscheme",
}

POINTS_RECORD = {"points.record_entry"}
POINTS_SHOPKEEPER = {*POINTS_RECORD, "points.redeem", "points.manage_shop"}
POINTS_VILLAGE = {
    *POINTS_SHOPKEEPER,
    "points.approve_entry",
    "points.reverse_entry",
    "points.decide_appeal",
    "points.manage_rules",
    "points.issue_awards",
    "points.manage_dividends",
    "points.approve_dividend",
    "points.nominate_honour",
}
POINTS_TOWNSHIP = {
    "points.approve_entry",
    "points.reverse_entry",
    "points.decide_appeal",
    "points.redeem",
    "points.manage_shop",
    "points.approve_dividend",
    "points.nominate_honour",
    "points.run_honours",
}
POINTS_COUNTY = {*POINTS_VILLAGE, *POINTS_TOWNSHIP, "points.manage_rule_templates"}

DASHBOARD_VIEW = {"dashboard.view_overview", "dashboard.export_lists"}
DASHBOARD_REPORTS = {*DASHBOARD_VIEW, "dashboard.run_reports"}

FIELD_APP = {"field.use_field_app"}  # the offline phone app at /field/

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
        *CASES_TRIAGE,
        "cases.supervise_case",
        "cases.manage_cases",
        *DELIBERATION_RUN,
        "deliberation.set_quorum_rule",
        *GRIDWORK_COUNTY,
        *POINTS_COUNTY,
        "imports.import_data",
        *DASHBOARD_REPORTS,
    },
    Role.COMMAND_CENTRE: {
        *STAFF_PEOPLE_WRITE,
        *CASES_TRIAGE,
        *DELIBERATION_VIEW,
        *GRIDWORK_TOWNSHIP,
        *POINTS_TOWNSHIP,
        "imports.import_data",
        *DASHBOARD_REPORTS,
    },
    Role.DEPARTMENT_HANDLER: {"cases.handle_case"},
    Role.VILLAGE_SECRETARY: {
        *STAFF_PEOPLE_WRITE,
        *CASES_AREA_STAFF,
        *DELIBERATION_RUN,
        "deliberation.set_quorum_rule",
        *POINTS_VILLAGE,
        "imports.import_data",
        *DASHBOARD_VIEW,
        *FIELD_APP,
    },
    Role.VILLAGE_CADRE: {
        *STAFF_PEOPLE_WRITE,
        *CASES_AREA_STAFF,
        *DELIBERATION_RUN,
        *POINTS_SHOPKEEPER,
        *DASHBOARD_VIEW,
        *FIELD_APP,
    },
    Role.GRID_WORKER: {
        *STAFF_PEOPLE_WRITE,
        *CASES_AREA_STAFF,
        *DELIBERATION_VIEW,
        *GRIDWORK_FIELD,
        *POINTS_RECORD,
        *FIELD_APP,
    },
    Role.VILLAGER: {*CASES_REPORT, "deliberation.raise_topic", "points.appeal_entry"},
    Role.SUPERVISOR: {"cases.supervise_case"},
}

STAFF_ROLES = {r for r in Role.values if r != Role.VILLAGER}


def permissions_for_roles(roles) -> set[str]:
    perms: set[str] = set()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, set())
    return perms
