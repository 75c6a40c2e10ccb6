from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.models import Area
from shanzhi.core.forms import StyledFormMixin
from shanzhi.core.validators import validate_id_number, validate_phone
from shanzhi.people.choices import HouseholdStatus, Relation
from shanzhi.people.models import HouseholdTag


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name if obj.parent_id else ''} · {obj.name}"


class HouseholdForm(StyledFormMixin, forms.Form):
    number = forms.CharField(label=_("Household number"), max_length=40)
    grid = GridChoiceField(
        label=_("Grid"),
        queryset=Area.objects.none(),
        error_messages={"invalid_choice": _("Please select a grid within your jurisdiction.")},
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"),
        queryset=HouseholdTag.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=HouseholdStatus.choices, initial=HouseholdStatus.ACTIVE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = (
            Area.objects.for_user(user).current().filter(level="grid").select_related("parent").order_by("path")
        )
        self.fields["tags"].widget.attrs["class"] = "checkbox"
        self.fields["grid"].empty_label = _("Choose a grid")
        if self.fields["grid"].queryset.count() == 1 and not self.is_bound:
            self.initial.setdefault("grid", self.fields["grid"].queryset.first().pk)

    def clean_phone(self):
        value = self.cleaned_data.get("phone")
        if self.initial.get("phone") and value == self.initial.get("phone"):
            return value  # the masked number left as shown: the view keeps the stored one
        return _valid_phone(value)


def _valid_phone(value):
    """Check the phone in the form too, so every error shows on the first submit."""
    try:
        return validate_phone(value)
    except ValidationError as exc:
        raise forms.ValidationError(exc.messages) from None


class ResidentForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        help_text=_("18 characters; the last one may be X. Leave blank to keep unchanged when editing."),
    )
    relation = forms.ChoiceField(label=_("Relationship to head of household"), choices=Relation.choices)
    phone = forms.CharField(label=_("Mobile"), max_length=30, required=False)
    is_party_member = forms.BooleanField(label=_("Party member"), required=False)
    is_away_for_work = forms.BooleanField(label=_("Working away"), required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["id_number"].required = False
        else:
            self.fields["id_number"].help_text = _("18 characters; the last one may be X")
        self.editing = editing

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number")
        if self.editing and not value:
            return value
        try:
            return validate_id_number(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None

    def clean_phone(self):
        value = self.cleaned_data.get("phone")
        if self.initial.get("phone") and value == self.initial.get("phone"):
            return value  # the masked number left as shown: the view keeps the stored one
        return _valid_phone(value)
