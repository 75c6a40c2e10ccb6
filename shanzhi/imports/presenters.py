"""Labels for the import pages and the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanzhi.imports.choices import Kind

SOURCE_LABELS = {
    "template": _("Recognised"),
    "ignored": _("Recognised, left out"),
    "saved": _("Saved mapping"),
    "user": _("Chosen by you"),
    "blank": _("No header"),
    None: _("Not recognised"),
}

CODE_LABELS = {
    "id_checksum": _("Bad ID check digit"),
    "id_length": _("ID number length"),
    "id_characters": _("ID number characters"),
    "id_region": _("ID number region"),
    "id_birth_date": _("ID number birth date"),
    "id_stored_as_number": _("ID stored as a number"),
    "unknown_area": _("Unknown area or grid"),
    "ambiguous_area": _("Ambiguous area name"),
    "duplicate_in_file": _("Duplicated in the file"),
    "phone_format": _("Phone format"),
    "date_format": _("Date format"),
    "unknown_tag": _("Unknown tag"),
    "formula": _("Formula cell"),
    "required": _("Missing value"),
    "out_of_scope": _("Outside your jurisdiction"),
    "masked_value": _("Masked value"),
    "unknown_household": pgettext_lazy("import problem", "Unknown household"),
    "head_conflict": _("Head of household"),
    "id_registered": _("ID already registered"),
    "unknown_choice": _("Unknown value"),
}


def kind_label(kind: str) -> str:
    try:
        return str(Kind(kind).label)
    except ValueError:
        return kind


def code_label(code: str) -> str:
    return str(CODE_LABELS.get(code, code))
