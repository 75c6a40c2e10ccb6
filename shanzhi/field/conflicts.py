"""What changed on the server since the phone saved an action offline.

A queued action carries what the phone saw (the household's grid, the rule, the case).
When the world moved on in between — the household moved to another grid or out of the
worker's area, the rule was retired, the case was merged — the action is refused with a
409 that names the change, so the phone can show it and keep the action for the worker
to edit or discard. These checks only compare the phone's snapshot with the server;
the business rules themselves stay in the services that do the write.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shanzhi.cases.choices import CaseStatus
from shanzhi.cases.models import Case
from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.scoping import get_in_scope
from shanzhi.people.choices import HouseholdStatus
from shanzhi.people.models import Household
from shanzhi.points.models import Rule


def household_as_seen(user, household_id: int, seen_grid: int | None) -> Household:
    """The household, if it is still where the phone saw it and still in the user's area."""
    household = Household.objects.for_user(user).select_related("grid").filter(pk=household_id).first()
    if household is None or household.status != HouseholdStatus.ACTIVE:
        # Out of scope and missing read the same, so nothing leaks about other areas.
        raise Conflict(
            _(
                "This household is no longer in your area (it may have moved away or been deregistered). "
                "The record is kept on your phone: change the household or discard it."
            ),
            code="household_out_of_scope",
            fields={"household": _("No longer in your area")},
        )
    if seen_grid is not None and household.grid_id != seen_grid:
        raise Conflict(
            _(
                "Household %(number)s has moved to %(grid)s since your phone saved this record. "
                "Check it and send it again, or discard it."
            )
            % {"number": household.number, "grid": household.grid.name},
            code="household_moved",
            fields={"household": _("Moved to %(grid)s") % {"grid": household.grid.name}},
        )
    return household


def rule_as_seen(user, rule_id: int) -> Rule:
    rule = Rule.objects.for_user(user).filter(pk=rule_id).first()
    if rule is None:
        raise InvalidInput(fields={"rule": _("Unknown rule.")})
    if not rule.active:
        raise Conflict(
            _("Rule “%(rule)s” has been retired by the village since your phone saved this record.")
            % {"rule": rule.text},
            code="rule_retired",
            fields={"rule": pgettext("field", "Retired")},
        )
    return rule


def case_as_seen(user, case_id: int) -> Case:
    case = get_in_scope(Case.objects, user, pk=case_id)
    if case.status == CaseStatus.MERGED:
        target = case.merged_into
        visible = target is not None and Case.objects.for_user(user).filter(pk=target.pk).exists()
        raise Conflict(
            _("Case %(number)s was merged into case %(into)s; the photos were not added.")
            % {"number": case.number, "into": target.number if visible else "—"},
            code="case_merged",
            fields={"case": pgettext("field", "Merged")},
        )
    return case
