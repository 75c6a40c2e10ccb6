"""The numbered signboard (标识牌) of an honour as a one-page PDF (fpdf2, pure Python).

The Noto Sans CJK font installed by Debian's fonts-noto-cjk is embedded (subset), so
the board prints the same anywhere; its QR code opens the public verification page.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from shanzhi.points.qr import qr_matrix

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
]


class FontMissing(RuntimeError):
    pass


@functools.cache
def cjk_font() -> tuple[str, int]:
    """(path, index of the Simplified Chinese face) of the Noto Sans CJK collection."""
    from fontTools.ttLib import TTCollection

    configured = getattr(settings, "SHANZHI_CJK_FONT", "")
    for candidate in ([configured] if configured else []) + FONT_CANDIDATES:
        path = Path(candidate)
        if not path.exists():
            continue
        collection = TTCollection(str(path), lazy=True)
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" SC"):
                return str(path), index
        return str(path), 0
    raise FontMissing("Noto Sans CJK not found: install Debian's fonts-noto-cjk")


def signboard_pdf(*, title: str, number: str, year: int, head_name: str, place: str, issuer: str, verify_url: str):
    path, index = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{title} {number}")
    pdf.set_creator("Shanzhi")
    pdf.add_page()
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    red = (183, 28, 28)
    gold = (201, 152, 40)
    pdf.set_fill_color(*red)
    pdf.rect(8, 8, 281, 194, style="F")
    pdf.set_fill_color(255, 250, 240)
    pdf.rect(16, 16, 265, 178, style="F")
    pdf.set_draw_color(*gold)
    pdf.set_line_width(1.2)
    pdf.rect(21, 21, 255, 168)
    pdf.set_text_color(*red)
    pdf.set_font("cjk", size=64)
    pdf.set_xy(16, 40)
    pdf.cell(265, 30, title, align="C")
    pdf.set_font("cjk", size=22)
    pdf.set_text_color(60, 40, 20)
    pdf.set_xy(16, 82)
    pdf.cell(265, 12, f"{year} 年度", align="C")
    pdf.set_xy(16, 100)
    pdf.cell(265, 12, f"{place}  {head_name} 家", align="C")
    pdf.set_font("cjk", size=16)
    pdf.set_xy(30, 160)
    pdf.cell(150, 10, issuer)
    pdf.set_xy(30, 172)
    pdf.cell(150, 8, f"编号 No. {number}")
    # The QR code, drawn module by module so it stays sharp at any print size.
    matrix = qr_matrix(verify_url)
    size = 44.0
    module = size / (len(matrix) + 4)
    x0, y0 = 281 - 26 - size, 194 - 30 - size
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x0, y0, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x0 + (start + 2) * module, y0 + (r + 2) * module, (c - start) * module, module, style="F")
            else:
                c += 1
    pdf.set_font("cjk", size=10)
    pdf.set_xy(x0, y0 + size + 1)
    pdf.cell(size, 6, "扫码验证真伪", align="C")
    return bytes(pdf.output())
