from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.core.forms import StyledFormMixin
from shanzhi.people.models import Household
from shanzhi.points.choices import DividendMethod, HonourKind, PeriodKind, RuleCategory, StockReason
from shanzhi.points.models import Rule


class RuleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.area.name} · {obj.text}({obj.points:+d})"


class EntryForm(StyledFormMixin, forms.Form):
    rule = RuleChoiceField(
        label=_("Village rule"),
        queryset=Rule.objects.none(),
        error_messages={"invalid_choice": _("Please choose an active rule of a village in your jurisdiction.")},
    )
    households = forms.CharField(
        label=_("Households"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Household numbers, separated by spaces or new lines (several for an activity's attendees)."),
    )
    delta = forms.IntegerField(
        label=_("Points"),
        required=False,
        help_text=_("Leave blank for the rule's points; a smaller amount is allowed."),
    )
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Reason"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.ImageField(label=_("Evidence photo"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["rule"].queryset = (
            Rule.objects.for_user(user).filter(active=True, area__level="village").select_related("area")
        )
        self.fields["occurred_on"].initial = timezone.localdate()

    def clean_households(self):
        numbers = [n for n in re.split(r"[\s,,、;;]+", self.cleaned_data["households"]) if n]
        if not numbers:
            raise forms.ValidationError(_("Please enter at least one household number."))
        found = {h.number: h for h in Household.objects.for_user(self.user).filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(_("Not found in your jurisdiction: %(list)s") % {"list": ", ".join(missing)})
        return [found[n] for n in dict.fromkeys(numbers)]


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for appeal"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.ImageField(label=_("Evidence photo"), required=False)


class DecisionForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision on the appeal"),
        choices=[("reject", _("Reject the appeal (the entry stands)")), ("uphold", _("Uphold (void the entry)"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason for decision"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class SettingsForm(StyledFormMixin, forms.Form):
    notice_days = forms.IntegerField(label=_("Public notice days"), min_value=1, max_value=30)
    exclude_major_from_awards = forms.BooleanField(
        label=_("Exclude households with a major deduction in the period from awards"), required=False
    )


class RuleForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    text = forms.CharField(label=_("Rule text"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=RuleCategory.choices)
    points = forms.IntegerField(label=_("Points"), min_value=-1000, max_value=1000)
    cap_per_period = forms.IntegerField(label=_("Cap per household per period"), min_value=1, required=False)
    cap_period = forms.ChoiceField(label=_("Cap period"), choices=PeriodKind.choices)
    evidence_required = forms.BooleanField(label=_("Evidence photo required"), required=False)
    second_approval_above = forms.IntegerField(label=_("Second approver needed above"), min_value=0, required=False)
    major = forms.BooleanField(label=_("Major deduction"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class TiersForm(StyledFormMixin, forms.Form):
    tiers = forms.CharField(
        label=_("Reward tiers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One tier a line: from rank, to rank, prize, e.g. 1-4 床垫"),
    )

    def clean_tiers(self):
        tiers = []
        for line in self.cleaned_data["tiers"].splitlines():
            line = line.strip()
            if not line:
                continue
            match = re.match(r"^(\d+)\s*[-–~至到]\s*(\d+)\s+(.+)$", line)
            if not match:
                raise forms.ValidationError(_("Cannot read the line “%(line)s”; write e.g. 1-4 床垫") % {"line": line})
            tiers.append((int(match[1]), int(match[2]), match[3].strip()))
        if not tiers:
            raise forms.ValidationError(_("Please give at least one tier."))
        return tiers


class AwardForm(StyledFormMixin, forms.Form):
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    period_start = forms.DateField(label=_("Any day of the period"), widget=forms.DateInput(attrs={"type": "date"}))


class ItemForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Goods name"), max_length=60)
    points_price = forms.IntegerField(label=_("Points price"), min_value=1, max_value=100_000)
    stock = forms.IntegerField(label=_("Stock"), min_value=0, max_value=1_000_000, initial=0)
    photo = forms.ImageField(label=_("Photo"), required=False)
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)


class StockForm(StyledFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (StockReason.RESTOCK, StockReason.RESTOCK.label),
            (StockReason.ADJUSTMENT, StockReason.ADJUSTMENT.label),
        ],
    )
    delta = forms.IntegerField(label=_("Quantity (negative to reduce)"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DividendForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    year = forms.IntegerField(label=_("Year"), min_value=2000)
    pool_yuan = forms.DecimalField(label=_("Pool (yuan)"), min_value=0.01, max_digits=14, decimal_places=2)
    method = forms.ChoiceField(label=_("Method"), choices=DividendMethod.choices)
    tiers = forms.CharField(
        label=_("Tiers (for the tiers method)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One tier a line: minimum points and shares, e.g. 100 3"),
    )

    def clean_tiers(self):
        tiers = []
        for line in self.cleaned_data["tiers"].splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                raise forms.ValidationError(_("Cannot read the line “%(line)s”; write e.g. 100 3") % {"line": line})
            tiers.append({"min_points": int(parts[0]), "shares": int(parts[1])})
        return tiers


class CampaignForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Honour"), choices=HonourKind.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000)
    quota = forms.IntegerField(label=_("Number of honours"), min_value=1)
    min_points = forms.IntegerField(label=_("Minimum points"), initial=0)
    require_no_major_deduction = forms.BooleanField(
        label=_("No major deduction in the period"), required=False, initial=True
    )
