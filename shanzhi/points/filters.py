"""The village ledger's filter, shared by its page and its .xlsx export."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from shanzhi.core.errors import InvalidInput
from shanzhi.core.params import parse_date, parse_id
from shanzhi.points.choices import EntryKind, EntryStatus
from shanzhi.points.models import PointsEntry, Rule


def recorders(village):
    """The accounts that recorded entries in the village (for the filter's choices)."""
    ids = PointsEntry.objects.filter(village=village, recorded_by__isnull=False).values("recorded_by_id")
    return get_user_model().objects.filter(pk__in=ids).order_by("display_name", "username")


class LedgerFilter:
    """What the ledger page's query string asks for; bad values are field errors (Chinese in the UI).

    ``since``/``until``: the entries' dates (inclusive); ``household``: a household number;
    ``rule``: one of the village's rules; ``kind``, ``status``; ``recorder``: an account id.
    """

    def __init__(self, village, params):
        get = params.get
        errors: dict = {}
        self.village = village
        self.since = parse_date(get("since"), "since", errors)
        self.until = parse_date(get("until"), "until", errors)
        if self.since and self.until and self.since > self.until:
            errors["until"] = [_("The end date is before the start date.")]
        self.household = (get("household") or "").strip()[:30]
        self.rule = None
        if get("rule"):
            self.rule = Rule.objects.filter(area=village, pk=parse_id(get("rule"))).first()
            if self.rule is None:
                errors["rule"] = [_("Not a rule of this village.")]
        self.kind = get("kind") or None
        if self.kind and self.kind not in EntryKind.values:
            errors["kind"] = [_("Unknown kind.")]
        self.status = get("status") or None
        if self.status and self.status not in EntryStatus.values:
            errors["status"] = [_("Unknown status.")]
        self.recorder = parse_id(get("recorder")) if get("recorder") else None
        if get("recorder") and self.recorder is None:
            errors["recorder"] = [_("Unknown account.")]
        self.errors = errors

    def check(self) -> LedgerFilter:
        if self.errors:
            raise InvalidInput(fields=self.errors)
        return self

    def apply(self, qs):
        """The village's entries narrowed by every valid part of the filter."""
        qs = qs.filter(village=self.village)
        if self.since:
            qs = qs.filter(occurred_on__gte=self.since)
        if self.until:
            qs = qs.filter(occurred_on__lte=self.until)
        if self.household:
            qs = qs.filter(household__number=self.household)
        if self.rule is not None:
            qs = qs.filter(rule=self.rule)
        if self.kind:
            qs = qs.filter(kind=self.kind)
        if self.status:
            qs = qs.filter(state__status=self.status)
        if self.recorder is not None:
            qs = qs.filter(recorded_by_id=self.recorder)
        return qs.order_by("-seq")

