"""Spreadsheet exports (.xlsx with openpyxl), safe against formula injection.

A text cell that begins with = + - @ or a control character would be run as a formula
by spreadsheet programs; such values are written as text with a leading apostrophe.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook_bytes(title: str, header: list[str], rows: list[list], *, money_columns=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([safe_cell(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        for index in money_columns:
            ws.cell(row=ws.max_row, column=index + 1).number_format = "0.00"
    for cells in ws.columns:
        width = max(len(str(c.value or "")) for c in cells)
        ws.column_dimensions[cells[0].column_letter].width = min(40, max(8, width * 1.6))
    for row in ws.iter_rows():  # anything that still parsed as a formula is forced to text
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))
