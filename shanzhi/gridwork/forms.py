from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.forms import StyledFormMixin
from shanzhi.gridwork.choices import DutyCategory, DutyFrequency, VisitKind, VisitPurpose, WorkerKind
from shanzhi.gridwork.models import Duty, EvaluationScheme
from shanzhi.people.choices import HouseholdStatus
from shanzhi.people.models import Household


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id and obj.level != AreaLevel.TOWNSHIP else obj.name


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.head_name or obj.number} · {obj.address or obj.number}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)]


def _grids(user):
    return Area.objects.for_user(user).current().filter(level=AreaLevel.GRID).select_related("parent").order_by("path")


class WorkerForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    kind = forms.ChoiceField(label=_("Category"), choices=WorkerKind.choices)
    phone = forms.CharField(label=_("Mobile"), max_length=30, required=False)
    home_area = AreaChoiceField(
        label=_("Township or village"),
        queryset=Area.objects.none(),
        error_messages={"invalid_choice": _("Please select an area within your jurisdiction.")},
    )
    start_date = forms.DateField(label=_("Service start"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_area"].queryset = (
            Area.objects.for_user(user)
            .current()
            .filter(level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
            .select_related("parent")
            .order_by("path")
        )
        if editing:
            del self.fields["start_date"]


class AssignForm(StyledFormMixin, forms.Form):
    grid = AreaChoiceField(
        label=_("Grid"),
        queryset=Area.objects.none(),
        error_messages={"invalid_choice": _("Please select a grid within your jurisdiction.")},
    )
    is_lead = forms.BooleanField(label=_("Grid lead (full-time)"), required=False)
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = _grids(user)


class TransferForm(StyledFormMixin, forms.Form):
    from_grid = AreaChoiceField(label=_("From grid"), queryset=Area.objects.none())
    to_grid = AreaChoiceField(
        label=_("To grid"),
        queryset=Area.objects.none(),
        error_messages={"invalid_choice": _("Please select a grid within your jurisdiction.")},
    )
    on_date = forms.DateField(label=_("Transfer date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_lead = forms.BooleanField(label=_("Grid lead (full-time)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user=None, current_grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_grid"].queryset = Area.objects.filter(pk__in=[g.pk for g in current_grids])
        self.fields["to_grid"].queryset = _grids(user)


class LeaveForm(StyledFormMixin, forms.Form):
    end_date = forms.DateField(label=_("Date of leaving"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DutyForm(StyledFormMixin, forms.Form):
    number = forms.IntegerField(label=_("No."), min_value=1, max_value=999)
    name = forms.CharField(label=_("Duty"), max_length=100)
    category = forms.ChoiceField(label=_("Category"), choices=DutyCategory.choices)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=DutyFrequency.choices)
    description = forms.CharField(label=_("Duty requirements"), max_length=1000, required=False, widget=forms.Textarea)
    evidence_required = forms.BooleanField(label=_("Evidence required"), required=False)
    for_specialist = forms.BooleanField(label=_("Applies to specialist grid workers"), required=False)
    for_full_time = forms.BooleanField(label=_("Applies to full-time grid workers"), required=False)
    for_part_time = forms.BooleanField(label=_("Applies to part-time grid workers"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class VisitForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=VisitKind.choices, initial=VisitKind.HOUSEHOLD, widget=forms.RadioSelect
    )
    household = HouseholdChoiceField(
        label=_("Household"),
        queryset=Household.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Please select a household of your grids.")},
    )
    grid = AreaChoiceField(label=_("Grid patrolled"), queryset=Area.objects.none(), required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=VisitPurpose.choices)
    visited_at = forms.DateTimeField(
        label=_("Time of visit"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    duties = forms.ModelMultipleChoiceField(
        label=_("Duties covered"), queryset=Duty.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    photos = MultiplePhotoField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    location_lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    location_lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    report_case = forms.BooleanField(label=_("Also report a case from this visit"), required=False)
    case_title = forms.CharField(label=_("Case title"), max_length=100, required=False)
    case_category = forms.ChoiceField(label=_("Case category"), required=False)

    def __init__(self, *args, user=None, worker=None, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        grid_ids = [g.pk for g in grids]
        self.fields["household"].queryset = (
            Household.objects.for_user(user)
            .filter(grid_id__in=grid_ids, status=HouseholdStatus.ACTIVE)
            .select_related("head")
            .order_by("number")
        )
        self.fields["grid"].queryset = Area.objects.filter(pk__in=grid_ids).select_related("parent")
        if worker is not None:
            self.fields["duties"].queryset = Duty.objects.active().for_kind(worker.kind).order_by("number")
        self.fields["duties"].widget.attrs["class"] = "checkbox"
        self.fields["kind"].widget.attrs["class"] = "radio"
        self.fields["visited_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        from shanzhi.cases.models import Category

        self.fields["case_category"].choices = [("", "—")] + [
            (c.code, c.name) for c in Category.objects.filter(active=True).order_by("sort_order", "code")
        ]


class CaseFromVisitForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Case title"), max_length=100)
    category = forms.ChoiceField(label=_("Case category"))
    priority = forms.ChoiceField(label=_("Priority"))
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shanzhi.cases.choices import Priority
        from shanzhi.cases.models import Category

        self.fields["category"].choices = [
            (c.code, c.name) for c in Category.objects.filter(active=True).order_by("sort_order", "code")
        ]
        self.fields["priority"].choices = Priority.choices


class SchemeForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = EvaluationScheme
        fields = [
            "weight_duty_completion",
            "weight_care_on_time",
            "weight_cases_reported",
            "weight_resolved_on_the_spot",
            "weight_timeliness",
            "weight_satisfaction",
            "weight_manual",
            "target_cases_reported",
            "target_resolved_on_the_spot",
            "red_flags_per_township",
            "close_on_day",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["inputmode"] = "numeric"
