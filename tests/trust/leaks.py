"""Leak scan helpers: the text of any response (HTML, JSON, CSV, xlsx, PDF) and a search for
the full ID numbers and mobile numbers of the world's residents, households and workers.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import tempfile
from dataclasses import dataclass, field

ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# Roles that may see full values (people.view_sensitive, through an audited reveal).
PRIVILEGED = {"county_admin"}


def personal_numbers() -> set[str]:
    """Every resident's full ID number and mobile number, and every household's phone (decrypted).

    Grid workers' work phones are not residents' data: their managers call them by design.
    """
    from shanzhi.people.models import Household, Resident

    values: set[str] = set()
    for resident in Resident.objects.all().iterator():
        values.add(resident.id_number.upper())
        if resident.phone:
            values.add(resident.phone)
    values |= {p for p in Household.objects.exclude(phone="").values_list("phone", flat=True)}
    return {v for v in values if ID_NUMBER.fullmatch(v) or MOBILE.fullmatch(v)}


def find_leaks(text: str, known: set[str]) -> list[str]:
    found = {m.group().upper() for m in ID_NUMBER.finditer(text)} | {m.group() for m in MOBILE.finditer(text)}
    return sorted(found & known)


def body_bytes(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def response_text(response) -> tuple[str, str]:
    """(kind, text) of a response: html/json/csv as decoded text, xlsx cells, PDF text."""
    content_type = response.get("Content-Type", "")
    data = body_bytes(response)
    if "spreadsheetml" in content_type or data[:2] == b"PK":
        return "xlsx", xlsx_text(data)
    if "pdf" in content_type or data[:5] == b"%PDF-":
        return "pdf", pdf_text(data)
    if content_type.startswith("image/"):
        return "image", ""
    kind = "json" if "json" in content_type else ("csv" if "csv" in content_type else "html")
    return kind, data.decode("utf-8", errors="replace")


def xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            lines.append("\t".join("" if v is None else str(v) for v in row))
    book.close()
    return "\n".join(lines)


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(["pdftotext", "-q", handle.name, "-"], capture_output=True, check=True)  # noqa: S603,S607
    return result.stdout.decode("utf-8", errors="replace")


@dataclass
class Scan:
    known: set[str]
    artefacts: dict[str, int] = field(default_factory=dict)
    leaks: list[str] = field(default_factory=list)

    def check(self, where: str, response) -> None:
        kind, text = response_text(response)
        self.artefacts[kind] = self.artefacts.get(kind, 0) + 1
        for value in find_leaks(text, self.known):
            self.leaks.append(f"{where}: {kind} shows {value}")


class Collector(logging.Handler):
    """Keeps every log record formatted, as a file handler would write it."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001, S110 - a bad record must not break the run
            pass
