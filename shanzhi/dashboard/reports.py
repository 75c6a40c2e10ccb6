"""Monthly returns and scorecards as files (.xlsx with openpyxl, PDF with fpdf2).

The monthly return is the overview of one month, flattened to (code, label, value)
rows by :func:`return_rows`; the page, the API and both files read the same rows, so
their numbers agree by construction (and a test opens the files to check).
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Font

from shanzhi.cases.choices import CaseStatus
from shanzhi.cases.models import Category
from shanzhi.dashboard.scorecard import percent
from shanzhi.deliberation.choices import TopicClass, VenueKind
from shanzhi.gridwork.choices import WorkerKind
from shanzhi.points.export import safe_cell


def _value(value):
    return "–" if value is None else value


def return_rows(doc: dict) -> list[tuple[str, str, str, object]]:
    """(section, code, label, value) for every figure of a monthly return."""
    categories = dict(Category.objects.values_list("code", "name"))
    cases = doc["cases"]
    delib = doc["deliberation"]
    points = doc["points"]
    grid = doc["gridwork"]
    rows: list[tuple[str, str, str, object]] = []
    base = _("Grids and people")
    rows += [
        (base, "areas.villages", _("Villages"), doc["areas"]["villages"]),
        (base, "areas.grids", _("Grids"), doc["areas"]["grids"]),
        (base, "households", _("Households"), doc["households"]),
        (base, "residents", _("Residents"), doc["residents"]),
    ]
    rows += [(base, f"grid_workers.{k}", str(WorkerKind(k).label), v) for k, v in doc["grid_workers"].items()]
    section = _("Cases")
    rows += [
        (section, "cases.reported", _("Cases reported"), cases["reported"]),
        (section, "cases.open", _("Still open"), cases["open"]),
    ]
    rows += [(section, f"cases.by_status.{k}", str(CaseStatus(k).label), v) for k, v in cases["by_status"].items()]
    rows += [(section, f"cases.by_category.{k}", categories.get(k, k), v) for k, v in cases["by_category"].items()]
    rows += [
        (section, "cases.overdue", _("Ran past a deadline"), cases["overdue"]),
        (section, "cases.department_handled", _("Closed by departments"), cases["department_handled"]),
        (
            section,
            "cases.median_hours_to_check_in",
            _("Median hours to check-in"),
            _value(cases["median_hours_to_check_in"]),
        ),
        (
            section,
            "cases.median_hours_to_resolution",
            _("Median hours to resolution"),
            _value(cases["median_hours_to_resolution"]),
        ),
        (section, "cases.satisfaction_rate", _("Follow-up satisfaction"), percent(cases["satisfaction_rate"])),
    ]
    section = _("Deliberation")
    rows += [(section, f"deliberation.venues.{k}", str(VenueKind(k).label), v) for k, v in delib["venues"].items()]
    rows += [
        (section, "deliberation.meetings", _("Meetings held"), delib["meetings"]),
        (section, "deliberation.resolved", _("Matters resolved"), delib["resolved"]),
    ]
    rows += [
        (section, f"deliberation.resolved_by_class.{k}", str(TopicClass(k).label), v)
        for k, v in delib["resolved_by_class"].items()
    ]
    section = _("Points")
    rows += [
        (section, "points.entries", _("Points entries"), points["entries"]),
        (section, "points.points_awarded", _("Points awarded"), points["points_awarded"]),
        (section, "points.points_deducted", _("Points deducted"), points["points_deducted"]),
        (section, "points.redemptions", _("Redemptions"), points["redemptions"]),
        (section, "points.points_redeemed", _("Points redeemed"), points["points_redeemed"]),
        (section, "points.appeals", _("Appeals"), points["appeals"]["total"]),
    ]
    section = _("Grid work")
    latest = grid["latest_evaluation"] or {}
    rows += [
        (section, "gridwork.visits", _("Visits and patrols"), grid["visits"]),
        (section, "gridwork.care_visits_overdue", _("Care visits overdue"), grid["care_visits_overdue"]),
        (section, "gridwork.red_flag_workers", _("Red-flag grid workers"), len(latest.get("red_flag_workers", []))),
    ]
    return rows


def _style_header(ws):
    for cell in ws[1]:
        cell.font = Font(bold=True)


def _save(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def monthly_return_xlsx(title: str, doc: dict, parts: list[tuple[str, dict]]) -> bytes:
    """Sheet 1 the return of the whole area; sheet 2 one column per township/village (if any)."""
    rows = return_rows(doc)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Monthly return")[:31]
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Section"), _("Indicator"), _("Figure"), _("Code")])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for section, code, label, value in rows:
        ws.append([safe_cell(section), safe_cell(label), value, code])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["C"].width = 14
    ws.column_dimensions["D"].hidden = True
    if parts:
        sheet = wb.create_sheet(_("By area")[:31])
        sheet.append([_("Indicator")] + [safe_cell(name) for name, _doc in parts] + [_("Code")])
        _style_header(sheet)
        part_rows = [return_rows(part_doc) for _name, part_doc in parts]
        for index, (_section, code, label, _v) in enumerate(rows):
            sheet.append([safe_cell(label)] + [pr[index][3] for pr in part_rows] + [code])
        sheet.column_dimensions["A"].width = 28
    return _save(wb)


class _ReportPDF(FPDF):
    def footer(self):
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.cell(0, 8, f"{self.page_no()}", align="C")


def _pdf() -> FPDF:
    from shanzhi.points.signboard import cjk_font

    path, index = cjk_font()
    pdf = _ReportPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_creator("Shanzhi")
    pdf.set_auto_page_break(True, margin=16)
    return pdf


def monthly_return_pdf(title: str, doc: dict, parts: list[tuple[str, dict]]) -> bytes:
    pdf = _pdf()
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    current = None
    for section, _code, label, value in return_rows(doc):
        if section != current:
            current = section
            pdf.ln(2)
            pdf.set_font("cjk", size=12)
            pdf.cell(0, 8, section, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("cjk", size=10)
        pdf.cell(110, 6.5, f"  {label}", border="B")
        pdf.cell(50, 6.5, str(value), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    if parts:
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 8, _("By area"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=9)
        keys = ["households", "cases.reported", "cases.overdue", "deliberation.resolved", "points.points_awarded"]
        labels = {code: label for _s, code, label, _v in return_rows(doc)}
        widths = [46] + [28] * len(keys)
        pdf.cell(widths[0], 7, _("Area"), border=1)
        for width, key in zip(widths[1:], keys, strict=True):
            pdf.cell(width, 7, labels[key][:8], border=1, align="C")
        pdf.ln()
        for name, part_doc in parts:
            values = {code: value for _s, code, _l, value in return_rows(part_doc)}
            pdf.cell(widths[0], 6.5, name, border=1)
            for width, key in zip(widths[1:], keys, strict=True):
                pdf.cell(width, 6.5, str(values[key]), border=1, align="R")
            pdf.ln()
    return bytes(pdf.output())


SCORECARD_COLUMNS = ("dispatched", "checked_in_on_time", "resolved_on_time", "satisfaction", "reopen_rate", "overdue")


def scorecard_headers() -> list[str]:
    return [
        _("Department"),
        _("Cases dispatched"),
        _("Checked in on time"),
        _("Resolved on time"),
        _("Satisfaction"),
        _("Reopen rate"),
        _("Ran past a deadline"),
    ]


def scorecard_cells(row: dict) -> list:
    return [
        row["name"],
        row["dispatched"],
        percent(row["checked_in_on_time"]),
        percent(row["resolved_on_time"]),
        percent(row["satisfaction"]),
        percent(row["reopen_rate"]),
        row["overdue"],
    ]


def scorecard_xlsx(title: str, card: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Scorecard")[:31]
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(scorecard_headers())
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in card:
        ws.append([safe_cell(v) for v in scorecard_cells(row)])
    ws.column_dimensions["A"].width = 24
    return _save(wb)


def scorecard_pdf(title: str, card: list[dict]) -> bytes:
    pdf = _pdf()
    pdf.set_title(title)
    pdf.add_page(orientation="L")
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    widths = [70, 30, 32, 32, 30, 30, 30]
    for width, header in zip(widths, scorecard_headers(), strict=True):
        pdf.cell(width, 7, header, border=1, align="C")
    pdf.ln()
    for row in card:
        for index, (width, value) in enumerate(zip(widths, scorecard_cells(row), strict=True)):
            pdf.cell(width, 6.5, str(value), border=1, align="L" if index == 0 else "R")
        pdf.ln()
    return bytes(pdf.output())
