from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.core.forms import StyledFormMixin
from shanzhi.imports.choices import ImportMode
from shanzhi.imports.presenters import kind_label


class UploadForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File"),
        help_text=_(".xlsx from Excel or WPS, or .csv in UTF-8 or GBK. Title rows and several sheets are fine."),
    )
    mode = forms.ChoiceField(
        label=_("If some rows are wrong"),
        choices=ImportMode.choices,
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, kind_label(k)) for k in kinds]
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv,.txt"
        self.fields["mode"].widget.attrs["class"] = "radio"


class CommitForm(forms.Form):
    mode = forms.ChoiceField(choices=ImportMode.choices, widget=forms.RadioSelect, label=_("If some rows are wrong"))
