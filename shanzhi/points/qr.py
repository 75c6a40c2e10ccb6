"""QR codes (segno, pure Python): inline SVG for pages, module matrix for PDFs."""

from __future__ import annotations

import segno
from django.utils.safestring import mark_safe


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline <svg> of the URL's QR code (safe to embed: segno escapes nothing user-controlled)."""
    code = segno.make(url, error="m", micro=False)
    return mark_safe(code.svg_inline(scale=scale, border=2, title=url))  # noqa: S308


def qr_matrix(url: str) -> list[list[bool]]:
    code = segno.make(url, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix]
