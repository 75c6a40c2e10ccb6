"""The printable red-flag grid worker certificate: one A4 landscape page, Chinese text.

ReportLab cannot embed the CFF-outlined Noto CJK fonts Debian ships, so the page uses
Adobe's STSong-Light CID font, which every PDF reader maps to a local Song/Ming face
(poppler and Chromium use the installed Noto CJK fonts).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
RED = colors.HexColor("#b71c1c")
GOLD = colors.HexColor("#c9a227")


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def certificate_pdf(result) -> bytes:
    """The certificate of a red-flag result (a closed month's ``WorkerEvaluation``)."""
    font = _font()
    month = result.evaluation.month
    township = result.evaluation.township
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1)
    pdf.setTitle(f"红旗网格员荣誉证书 {result.worker.name} {month.year}年{month.month}月")
    pdf.setAuthor(settings.SHANZHI_COUNTY_NAME)
    # Frame
    pdf.setStrokeColor(RED)
    pdf.setLineWidth(10)
    pdf.rect(24, 24, width - 48, height - 48)
    pdf.setStrokeColor(GOLD)
    pdf.setLineWidth(2)
    pdf.rect(40, 40, width - 80, height - 80)
    # Title
    pdf.setFillColor(RED)
    pdf.setFont(font, 46)
    pdf.drawCentredString(width / 2, height - 130, "荣 誉 证 书")
    pdf.setFont(font, 24)
    pdf.drawCentredString(width / 2, height - 175, f"{month.year}年{month.month}月 红旗网格员")
    # Body
    pdf.setFillColor(colors.black)
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 250, f"{result.worker.name} 同志:")
    pdf.setFont(font, 18)
    lines = [
        f"在{township.name}{month.year}年{month.month}月专职网格员月度考评中,",
        f"以 {result.total} 分位列第 {result.rank} 名,履职尽责、服务群众成绩突出,",
        "被评为“红旗网格员”。特发此证,以资鼓励。",
    ]
    y = height - 300
    for line in lines:
        pdf.drawCentredString(width / 2, y, line)
        y -= 34
    if result.grid_names:
        pdf.setFont(font, 13)
        pdf.setFillColor(colors.HexColor("#5f6368"))
        pdf.drawCentredString(width / 2, y - 6, f"服务网格:{result.grid_names}")
    # Signature
    pdf.setFillColor(colors.black)
    pdf.setFont(font, 18)
    pdf.drawRightString(width - 110, 130, f"{township.name}人民政府")
    closed = result.evaluation.closed_at
    issued = timezone.localtime(closed).date() if closed else month
    pdf.drawRightString(width - 110, 100, f"{issued.year}年{issued.month}月{issued.day}日")
    pdf.setFont(font, 11)
    pdf.setFillColor(colors.HexColor("#5f6368"))
    pdf.drawString(70, 70, f"证书编号:{result.certificate_number}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
