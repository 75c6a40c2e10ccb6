from __future__ import annotations

from django import forms

from shanzhi.core.errors import DomainError


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's field errors beside the fields, the rest at the top of the form."""
    placed = False
    for field, messages in exc.fields.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
            else:
                form.add_error(None, message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)


class StyledFormMixin:
    """Large inputs for phones: every widget gets the same class and a sensible inputmode."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "input"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "checkbox"
            field.widget.attrs.setdefault("class", css)
            if name in ("phone", "id_number"):
                field.widget.attrs.setdefault("inputmode", "tel" if name == "phone" else "text")
                field.widget.attrs.setdefault("autocomplete", "off")
