from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.models import Area
from shanzhi.core.forms import StyledFormMixin
from shanzhi.people.choices import HouseholdStatus, Relation
from shanzhi.people.models import HouseholdTag


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name if obj.parent_id else ''} · {obj.name}"


class HouseholdForm(StyledFormMixin, forms.Form):
    number = forms.CharField(label=_("户编号"), max_length=40)
    grid = GridChoiceField(label=_("所属网格"), queryset=Area.objects.none(),
                           error_messages={"invalid_choice": _("请选择您管辖范围内的网格")})
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    tags = forms.ModelMultipleChoiceField(label=_("标签"), queryset=HouseholdTag.objects.filter(active=True),
                                          required=False, widget=forms.CheckboxSelectMultiple)
    status = forms.ChoiceField(label=_("状态"), choices=HouseholdStatus.choices, initial=HouseholdStatus.ACTIVE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = (
            Area.objects.for_user(user).current().filter(level="grid").select_related("parent").order_by("path")
        )
        self.fields["tags"].widget.attrs["class"] = "checkbox"


class ResidentForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30,
                                help_text=_("18位,最后一位可以是X;修改时不填则保持不变"))
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    phone = forms.CharField(label=_("手机号"), max_length=30, required=False)
    is_party_member = forms.BooleanField(label=_("党员"), required=False)
    is_away_for_work = forms.BooleanField(label=_("外出务工"), required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["id_number"].required = False
        else:
            self.fields["id_number"].help_text = _("18位,最后一位可以是X")
