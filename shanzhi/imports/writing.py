"""Templates and exports: the same shapes the import reads, so an export re-imports unchanged.

Every text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-`` or ``@``) is written with a leading apostrophe; the import takes it off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _

from shanzhi.imports import cells
from shanzhi.imports.kinds.base import REQUIRED_ALWAYS, REQUIRED_TO_CREATE, FieldSpec, Kind

DATA_SHEET = "导入数据"
EXPORT_SHEET = "导出数据"
INSTRUCTIONS_SHEET = "填写说明"
TEXT_FIELDS = {"number", "household", "code", "head_id_number", "id_number", "phone", "parent", "area"}
ENCODINGS = {"utf-8": "utf-8-sig", "gbk": "gb18030"}


def _header(spec: FieldSpec) -> str:
    return spec.header


def template_xlsx(kind: type[Kind]) -> bytes:
    """An empty data sheet with our headers (ID and phone columns formatted as Text) and the instructions."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    specs = kind.exported_fields()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    required_fill = PatternFill("solid", fgColor="FDE2E1")
    normal_fill = PatternFill("solid", fgColor="EEEEEE")
    with translation.override("zh-hans"):
        for index, spec in enumerate(specs, start=1):
            cell = sheet.cell(row=1, column=index, value=_header(spec))
            cell.font = Font(bold=True)
            cell.fill = required_fill if spec.required else normal_fill
            cell.alignment = Alignment(horizontal="center")
            letter = cell.column_letter
            sheet.column_dimensions[letter].width = max(12, len(spec.header) * 2 + 4)
            if spec.name in TEXT_FIELDS:
                for row in range(2, 2002):
                    sheet.cell(row=row, column=index).number_format = "@"
            parser = spec.parse
            if isinstance(parser, cells.ChoiceParser):
                options = [cells.chinese_label(label) for _, label in parser.choices.choices]
                listing = '"' + ",".join(options) + '"'
                if len(listing) <= 255:
                    validation = DataValidation(type="list", formula1=listing, allow_blank=True)
                    validation.error = _("Choose a value from the list.")
                    validation.add(f"{letter}2:{letter}2001")
                    sheet.add_data_validation(validation)
        sheet.freeze_panes = "A2"

        notes = workbook.create_sheet(INSTRUCTIONS_SHEET)
        notes.append([_("How to fill in this template")])
        notes["A1"].font = Font(bold=True, size=14)
        for line in kind.instructions:
            notes.append([str(line)])
        notes.append([_("Keep the header row. Other header names used in township sheets are recognised too.")])
        notes.append([_("Save as .xlsx, or as CSV in UTF-8 or GBK.")])
        notes.append([])
        notes.append([_("Column"), _("Required"), _("What to write"), _("Example")])
        for cell in notes[notes.max_row]:
            cell.font = Font(bold=True)
        for spec in specs:
            required = {
                REQUIRED_ALWAYS: _("Always"),
                REQUIRED_TO_CREATE: _("For new records"),
            }.get(spec.required, "")
            help_text = str(spec.help) if spec.help else ""
            if isinstance(spec.parse, cells.ChoiceParser) and not help_text:
                help_text = "、".join(cells.chinese_label(label) for _, label in spec.parse.choices.choices)
            notes.append([spec.header, required, help_text, cells.text(spec.example)])
        notes.column_dimensions["A"].width = 16
        notes.column_dimensions["B"].width = 12
        notes.column_dimensions["C"].width = 80
        notes.column_dimensions["D"].width = 24
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv(kind: type[Kind], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_header(spec) for spec in kind.exported_fields()])
    return buffer.getvalue().encode(ENCODINGS[encoding])


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(cells.neutralise(value))


def _xlsx_value(value):
    if isinstance(value, str):
        return cells.neutralise(value)
    return value


def write_export(
    kind: type[Kind], rows: Iterable[dict], *, file_format: str, encoding: str = "utf-8"
) -> tuple[Path, int]:
    """Write ``rows`` to a temporary file in the template's shape; (path, number of rows)."""
    specs = kind.exported_fields()
    count = 0
    handle = tempfile.NamedTemporaryFile(prefix="shanzhi-export-", suffix="." + file_format, delete=False)  # noqa: SIM115
    path = Path(handle.name)
    handle.close()
    if file_format == "csv":
        with path.open("w", encoding=ENCODINGS[encoding], errors="strict", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow([_header(spec) for spec in specs])
            for row in rows:
                writer.writerow([_csv_value(row.get(spec.name)) for spec in specs])
                count += 1
        return path, count
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(EXPORT_SHEET)
    header = []
    for spec in specs:
        cell = WriteOnlyCell(sheet, value=_header(spec))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    date_fields = {spec.name for spec in specs if spec.parse is cells.parse_date}
    for row in rows:
        out = []
        for spec in specs:
            value = _xlsx_value(row.get(spec.name))
            if spec.name in date_fields and isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(value if value != "" else None)
        sheet.append(out)
        count += 1
    workbook.save(path)
    return path, count
