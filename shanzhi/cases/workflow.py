"""The case workflow: every allowed step, from which statuses, to which, and who may take it.

This table is the one place the workflow is defined. Services look steps up here
(403 when the actor's role lacks the step's permission, 409 when the case's status is
not one the step starts from); pages and the API read it to offer only the buttons
that would work. Which roles hold each permission is in ``shanzhi/accounts/roles.py``;
``STEP_ROLES`` below repeats it for people reading this file and a test keeps the two
in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from shanzhi.accounts.choices import Role
from shanzhi.cases.choices import CaseStatus as S

PERM_REPORT = "cases.report_case"
PERM_TRIAGE = "cases.triage_case"
PERM_ON_THE_SPOT = "cases.resolve_on_the_spot"
PERM_HANDLE = "cases.handle_case"
PERM_FOLLOW_UP = "cases.follow_up_case"
PERM_SUPERVISE = "cases.supervise_case"
PERM_MANAGE = "cases.manage_cases"


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]  # empty: the step leaves the status alone (a note, an urge)
    permission: str


STEPS: dict[str, Step] = {
    s.name: s
    for s in [
        Step("accept", _("Accept"), (S.REPORTED,), (S.ACCEPTED,), PERM_TRIAGE),
        Step("reject", _("Reject"), (S.REPORTED, S.ACCEPTED), (S.REJECTED,), PERM_TRIAGE),
        Step("merge", _("Merge as duplicate"), (S.REPORTED, S.ACCEPTED), (S.MERGED,), PERM_TRIAGE),
        Step("resolve_on_the_spot", _("Resolve on the spot"), (S.REPORTED,), (S.CLOSED,), PERM_ON_THE_SPOT),
        Step("dispatch", _("Dispatch"), (S.ACCEPTED,), (S.DISPATCHED,), PERM_TRIAGE),
        Step("check_in", _("Check in"), (S.DISPATCHED,), (S.CHECKED_IN,), PERM_HANDLE),
        Step("return", _("Return"), (S.DISPATCHED,), (S.ACCEPTED,), PERM_HANDLE),
        Step("resolve", _("Resolve"), (S.CHECKED_IN,), (S.RESOLVED,), PERM_HANDLE),
        Step("put_on_hold", _("Put on hold"), (S.CHECKED_IN,), (S.ON_HOLD,), PERM_HANDLE),
        Step("resume", _("Resume"), (S.ON_HOLD,), (S.CHECKED_IN,), PERM_HANDLE),
        Step("follow_up", _("Follow up"), (S.RESOLVED,), (S.CLOSED, S.DISPATCHED), PERM_FOLLOW_UP),
        Step(
            "supervise",
            _("Add supervision note"),
            (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.CHECKED_IN, S.ON_HOLD, S.RESOLVED, S.CLOSED),
            (),
            PERM_SUPERVISE,
        ),
        Step("urge", _("Urge the department"), (S.DISPATCHED, S.CHECKED_IN, S.ON_HOLD), (), PERM_SUPERVISE),
    ]
}

# Who holds each permission (the authority is shanzhi/accounts/roles.py).
STEP_ROLES: dict[str, frozenset[str]] = {
    PERM_REPORT: frozenset(
        {
            Role.COUNTY_ADMIN,
            Role.COMMAND_CENTRE,
            Role.VILLAGE_SECRETARY,
            Role.VILLAGE_CADRE,
            Role.GRID_WORKER,
            Role.VILLAGER,
        }
    ),
    PERM_TRIAGE: frozenset({Role.COUNTY_ADMIN, Role.COMMAND_CENTRE}),
    PERM_ON_THE_SPOT: frozenset(
        {Role.COUNTY_ADMIN, Role.COMMAND_CENTRE, Role.VILLAGE_SECRETARY, Role.VILLAGE_CADRE, Role.GRID_WORKER}
    ),
    PERM_HANDLE: frozenset({Role.DEPARTMENT_HANDLER}),
    PERM_FOLLOW_UP: frozenset({Role.COUNTY_ADMIN, Role.COMMAND_CENTRE}),
    PERM_SUPERVISE: frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR}),
    PERM_MANAGE: frozenset({Role.COUNTY_ADMIN}),
}


def allowed(step_name: str, status: str) -> bool:
    return status in STEPS[step_name].sources


# The order buttons appear in: the step that moves the case forward first.
DISPLAY_ORDER = [
    "accept",
    "dispatch",
    "check_in",
    "resolve",
    "follow_up",
    "resume",
    "resolve_on_the_spot",
    "urge",
    "supervise",
    "merge",
    "return",
    "put_on_hold",
    "reject",
]


def steps_for(user, case) -> list[Step]:
    """Steps whose status and permission would let ``user`` act on ``case`` (scope checked by services)."""
    if user is None or not user.is_authenticated:
        return []
    own_departments = {
        a.department_id for a in user.active_assignments if a.role == Role.DEPARTMENT_HANDLER and a.department_id
    }
    steps = []
    for step in sorted(STEPS.values(), key=lambda s: DISPLAY_ORDER.index(s.name)):
        if case.status not in step.sources or not user.has_perm(step.permission):
            continue
        if step.permission == PERM_HANDLE and not user.is_superuser and case.department_id not in own_departments:
            continue
        steps.append(step)
    return steps
