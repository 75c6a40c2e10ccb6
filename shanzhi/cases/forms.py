from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.models import Area, Department
from shanzhi.cases.choices import CaseSource, DayKind, Priority
from shanzhi.cases.models import Category
from shanzhi.core.forms import StyledFormMixin


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; type and size are checked by the service, by content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*,application/pdf", "capture": "environment", "multiple": True}),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class GridField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name if obj.parent_id else ''} · {obj.name}"


REPORT_SOURCES = [
    (CaseSource.GRID_PATROL, CaseSource.GRID_PATROL.label),
    (CaseSource.ON_BEHALF, CaseSource.ON_BEHALF.label),
    (CaseSource.HOTLINE, CaseSource.HOTLINE.label),
]


class ReportForm(StyledFormMixin, forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        to_field_name="code",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please select a category."), "invalid_choice": _("Please select a category.")},
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Please describe the problem.")},
    )
    photos = MultipleFileField(label=_("Photos"), help_text=_("Take photos with the camera; JPEG, PNG, WebP or HEIC."))
    grid = GridField(
        label=_("Grid"),
        queryset=Area.objects.none(),
        error_messages={"invalid_choice": _("Please select a grid within your jurisdiction.")},
    )
    household = forms.IntegerField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address or landmark"), max_length=200, required=False)
    location_lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    location_lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    source = forms.ChoiceField(label=_("Source"), choices=REPORT_SOURCES, initial=CaseSource.GRID_PATROL)
    reporter_name = forms.CharField(
        label=_("Villager's name"), max_length=50, required=False, help_text=_("When reporting on a villager's behalf")
    )
    reporter_phone = forms.CharField(label=_("Villager's phone"), max_length=30, required=False)
    title = forms.CharField(label=_("Title"), max_length=100, required=False, help_text=_("Optional"))

    def __init__(self, *args, user=None, villager=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True)
        self.fields["category"].widget.attrs["class"] = "choices"
        grids = Area.objects.for_user(user).current().filter(level="grid").select_related("parent").order_by("path")
        self.fields["grid"].queryset = grids
        self.fields["reporter_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        if villager:
            for name in ("grid", "source", "reporter_name", "reporter_phone"):
                del self.fields[name]
        self.fields["description"].widget.attrs["placeholder"] = _("Where, what, how serious; who is affected")

    @property
    def priority(self) -> str:
        return Priority.URGENT if self.cleaned_data.get("urgent") else Priority.NORMAL


class StepForm(StyledFormMixin, forms.Form):
    """Every field any step may need; the template shows each step only the ones it uses."""

    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    result = forms.CharField(
        label=_("Result"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    into = forms.CharField(label=_("Number of the case that carries on"), max_length=30, required=False)
    department = forms.ModelChoiceField(label=_("Lead department"), queryset=Department.objects.none(), required=False)
    co_departments = forms.ModelMultipleChoiceField(
        label=_("Co-handling departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    check_in_deadline = forms.DateTimeField(
        label=_("Check-in deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave blank to use the category's limit on the working-day calendar."),
    )
    resolution_deadline = forms.DateTimeField(
        label=_("Resolution deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave blank to use the category's limit on the working-day calendar."),
    )
    satisfied = forms.TypedChoiceField(
        label=_("Is the reporter satisfied?"),
        choices=[("yes", _("Satisfied")), ("no", _("Not satisfied"))],
        coerce=lambda v: v == "yes",
        required=False,
        widget=forms.RadioSelect,
    )
    photos = MultipleFileField(label=_("Photos or documents"))

    FIELDS_BY_STEP = {
        "accept": ["note"],
        "reject": ["reason"],
        "merge": ["into", "note"],
        "resolve_on_the_spot": ["result", "photos"],
        "dispatch": ["department", "co_departments", "check_in_deadline", "resolution_deadline", "note"],
        "check_in": ["note"],
        "return": ["reason"],
        "resolve": ["result", "photos"],
        "put_on_hold": ["reason"],
        "resume": ["note"],
        "follow_up": ["satisfied", "note"],
        "supervise": ["note", "photos"],
        "urge": ["note"],
    }

    def __init__(self, *args, user=None, step: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        departments = Department.objects.for_user(user).filter(active=True).order_by("kind", "code")
        self.fields["department"].queryset = departments
        self.fields["co_departments"].queryset = departments
        self.fields["satisfied"].widget.attrs["class"] = "choices"
        for name in list(self.fields):
            if name not in self.FIELDS_BY_STEP.get(step, []):
                del self.fields[name]
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"id_{step}_{name}"

    def step_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("photos", None)
        for name in ("check_in_deadline", "resolution_deadline"):
            value = data.get(name)
            if value is not None and timezone.is_naive(value):
                data[name] = timezone.make_aware(value)
        if "satisfied" in self.fields and self.data.get("satisfied") not in ("yes", "no"):
            data["satisfied"] = None
        if "co_departments" in data:
            data["co_departments"] = list(data["co_departments"])
        return data


class CalendarDayForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class Open311KeyForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Integration"), max_length=100)
    default_grid = GridField(label=_("Default grid"), queryset=Area.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_grid"].queryset = (
            Area.objects.for_user(user).current().filter(level="grid").select_related("parent").order_by("path")
        )
