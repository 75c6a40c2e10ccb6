"""Open what a township sends: .xlsx or .csv, whatever its name says, without trusting it.

The format is decided by the bytes, not the file name: a zip that holds
``xl/workbook.xml`` is a workbook (after the zip is checked for bombs), text that
decodes as UTF-8 or GB18030 is CSV, and anything else is refused with a message saying
what it looks like. Workbooks are read with openpyxl in read-only (streaming) mode;
merged cells are read from the sheet XML so that a merged header or a village name
merged down its households fills every cell it covers.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

# Limits. The file size is set with SHANZHI_IMPORT_MAX_MB in the environment (settings.SHANZHI_IMPORT_MAX_BYTES).
DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_UNCOMPRESSED_TOTAL = getattr(settings, "SHANZHI_IMPORT_MAX_UNCOMPRESSED", 2 * 1024**3)
MAX_SHARED_STRINGS = 256 * 1024**2  # openpyxl holds the shared strings in memory
MAX_RATIO = 100  # a legitimate sheet XML compresses 5-30 times
RATIO_FLOOR = 20 * 1024**2  # small members may compress as well as they like
MAX_COLUMNS = 200
BLANK_RUN_LIMIT = 1_000  # this many blank rows in a row end a sheet
CSV_FIELD_LIMIT = 64 * 1024

_SIGNATURES = [
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"MZ", "EXE"),
    (b"{\\rtf", "RTF"),
]
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def max_file_bytes() -> int:
    return getattr(settings, "SHANZHI_IMPORT_MAX_BYTES", DEFAULT_MAX_FILE_BYTES)


class FileProblem(Exception):
    """The file as a whole cannot be read. ``message`` says why in words a clerk can act on."""

    def __init__(self, message: str, code: str):
        self.message = message
        self.code = code
        super().__init__(message)


def too_large(size: int) -> FileProblem:
    return FileProblem(
        _("The file is %(size)s MB; the limit is %(limit)s MB. Split it by township and import each part.")
        % {"size": size // 1024**2, "limit": max_file_bytes() // 1024**2},
        "file_too_large",
    )


def column_letter(index: int) -> str:
    """0-based column index to Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    value = 0
    for char in letters:
        value = value * 26 + ord(char) - 64
    return value - 1


@dataclass
class SheetSource:
    index: int
    name: str
    hidden: bool = False
    _rows: object = None  # a callable returning the row iterator
    notes: list[str] = field(default_factory=list)
    from_cache: object = None  # a RowCache holding this sheet's rows
    tee_cache: object = None  # a RowCache to fill while reading

    def rows(self) -> Iterator[tuple[int, list]]:
        """(1-based row number, values) for every row up to the last with data."""
        if self.from_cache is not None:
            yield from self.from_cache.read(self.index)
            return
        if self.tee_cache is not None:
            cache, self.tee_cache = self.tee_cache, None
            yield from cache.tee(self)
            if cache.has(self.index):
                self.from_cache = cache
            return
        yield from self._read()

    def _read(self) -> Iterator[tuple[int, list]]:
        blank_run = 0
        for number, values in self._rows():
            if any(v is not None and v != "" for v in values):
                blank_run = 0
                yield number, values
            else:
                blank_run += 1
                if blank_run >= BLANK_RUN_LIMIT:
                    self.notes.append(
                        _(
                            "Rows %(first)s to %(last)s of sheet %(sheet)s are blank: reading of this sheet stopped there."
                        )
                        % {"first": number - blank_run + 1, "last": number, "sheet": self.name}
                    )
                    return


@dataclass
class WorkbookSource:
    file_format: str
    encoding: str = ""
    sheets: list[SheetSource] = field(default_factory=list)
    _closer: object = None

    def sheet(self, index: int) -> SheetSource:
        return next(sheet for sheet in self.sheets if sheet.index == index)

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
            self._closer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_workbook(path: str | Path, *, display_name: str = "") -> WorkbookSource:
    """Open ``path`` as a workbook or CSV; :class:`FileProblem` says why it cannot be."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise FileProblem(_("The file is empty."), "empty_file")
    if size > max_file_bytes():
        raise too_large(size)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _open_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            _(
                "This is an old-style .xls workbook or a password-protected one. Open it in Excel or WPS and "
                "save it as .xlsx without a password, then upload it again."
            ),
            "legacy_or_encrypted",
        )
    for signature, label in _SIGNATURES:
        if head.startswith(signature):
            raise FileProblem(
                _("This is not a spreadsheet: it looks like a %(kind)s file.") % {"kind": label}, "not_a_spreadsheet"
            )
    return _open_csv(path, display_name or path.stem)


# --- workbooks --------------------------------------------------------------------------


def check_zip(path: Path) -> None:
    """Refuse a zip that is not a workbook, is encrypted, or would inflate beyond reason.

    Python's zipfile never yields more than a member's declared size (and checks the
    CRC), so checking the declared sizes bounds what reading can inflate to.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileProblem(_("The file is damaged: it is not a readable .xlsx workbook."), "damaged") from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if len(infos) > MAX_ZIP_MEMBERS:
            raise FileProblem(_("The file holds too many parts to be a workbook; it was refused."), "zip_bomb")
        if "xl/workbook.xml" not in names:
            if "content.xml" in names:
                message = _("This is an OpenDocument spreadsheet (.ods). Save it as .xlsx and upload it again.")
            elif "word/document.xml" in names:
                message = _("This is not a spreadsheet: it looks like a Word document.")
            else:
                message = _("This is not a spreadsheet: it is a zip archive without an Excel workbook in it.")
            raise FileProblem(message, "not_a_spreadsheet")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise FileProblem(
                    _("The workbook is password-protected. Remove the password and upload it again."), "encrypted"
                )
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            limit = MAX_SHARED_STRINGS if info.filename.endswith("sharedStrings.xml") else MAX_UNCOMPRESSED_TOTAL
            if info.file_size > limit or (info.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
                raise FileProblem(
                    _(
                        "The file would expand to %(size)s MB when opened (a compression bomb); it was refused "
                        "without being opened."
                    )
                    % {"size": info.file_size // 1024**2},
                    "zip_bomb",
                )
        if total > MAX_UNCOMPRESSED_TOTAL:
            raise FileProblem(
                _(
                    "The file would expand to %(size)s MB when opened (a compression bomb); it was refused "
                    "without being opened."
                )
                % {"size": total // 1024**2},
                "zip_bomb",
            )


def _merges(workbook, worksheet) -> list[tuple[int, int, int, int]]:
    """Merged ranges (min_row, min_col, max_row, max_col; rows 1-based, columns 0-based)."""
    found = []
    tail = b""
    with workbook._archive.open(worksheet._worksheet_path) as source:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            cut = data.rfind(b"<")
            scan, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            for match in _MERGE_RE.finditer(scan):
                first_col, first_row, last_col, last_row = match.groups()
                last_col, last_row = last_col or first_col, last_row or first_row
                found.append(
                    (int(first_row), column_index(first_col.decode()), int(last_row), column_index(last_col.decode()))
                )
        for match in _MERGE_RE.finditer(tail):
            first_col, first_row, last_col, last_row = match.groups()
            last_col, last_row = last_col or first_col, last_row or first_row
            found.append(
                (int(first_row), column_index(first_col.decode()), int(last_row), column_index(last_col.decode()))
            )
    return found


def fill_merged(rows: Iterator[tuple[int, list]], merges) -> Iterator[tuple[int, list]]:
    """Copy each merged range's value (kept in its top-left cell) into every cell it covers."""
    if not merges:
        yield from rows
        return
    starting: dict[int, list] = {}
    for merge in merges:
        starting.setdefault(merge[0], []).append(merge)
    active: list[tuple[tuple, object]] = []
    for number, values in rows:
        # Rows skipped by the reader (never present) cannot start a range we need.
        for merge in starting.pop(number, ()):
            anchor = values[merge[1]] if merge[1] < len(values) else None
            active.append((merge, anchor))
        if active:
            active = [(m, v) for m, v in active if m[2] >= number]
            for (_, first_col, _, last_col), value in active:
                if value is None:
                    continue
                if len(values) <= last_col:
                    values = list(values) + [None] * (last_col + 1 - len(values))
                for col in range(first_col, last_col + 1):
                    if values[col] is None or values[col] == "":
                        values[col] = value
        yield number, values


def _open_xlsx(path: Path) -> WorkbookSource:
    import openpyxl

    check_zip(path)
    handle = path.open("rb")  # a file object: openpyxl would judge a path by its extension
    try:
        try:
            workbook = _load_streaming(handle)
        except (AttributeError, ImportError, TypeError):  # openpyxl internals moved: the plain way
            handle.seek(0)
            workbook = openpyxl.load_workbook(
                handle, read_only=True, data_only=False, keep_links=False, rich_text=False
            )
    except Exception:  # openpyxl raises many kinds for a broken file
        handle.close()
        raise FileProblem(_("The file is damaged: it is not a readable .xlsx workbook."), "damaged") from None

    def close():
        workbook.close()
        handle.close()

    source = WorkbookSource("xlsx", _closer=close)
    for index, worksheet in enumerate(workbook.worksheets):
        if not hasattr(worksheet, "_cells_by_row"):
            continue  # a chart sheet

        def rows(worksheet=worksheet):
            try:
                merges = _merges(workbook, worksheet)
                raw = worksheet._cells_by_row(1, 1, None, None, values_only=True)
                numbered = ((number, _trim(values)) for number, values in enumerate(raw, start=1))
                yield from fill_merged(numbered, merges)
            except FileProblem:
                raise
            except Exception as exc:  # a corrupt member surfaces only when it is read
                raise FileProblem(
                    _("Sheet %(sheet)s could not be read: the file is damaged (%(detail)s).")
                    % {"sheet": worksheet.title, "detail": type(exc).__name__},
                    "damaged",
                ) from None

        source.sheets.append(
            SheetSource(index=index, name=worksheet.title, hidden=worksheet.sheet_state != "visible", _rows=rows)
        )
    if not source.sheets:
        close()
        raise FileProblem(_("The workbook has no worksheets."), "no_sheets")
    return source


def _load_streaming(handle):
    """openpyxl's read-only workbook, minus two costs that grow with the sheet.

    A read-only worksheet first parses its whole XML when the file has no dimension
    record (openpyxl's own write-only files have none) to learn a size this reader never
    uses, and shared strings are built into rich-text objects one by one. Here the
    worksheets skip the size and the shared strings are read as plain text (the same
    text openpyxl's ``Text.content`` gives).
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse  # defusedxml's when installed, as openpyxl uses

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self):
            return None

    def read_strings(source) -> list[str]:
        si, t, r = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"
        strings = []
        for _event, node in iterparse(source):
            if node.tag == si:
                parts = []
                plain = node.find(t)
                if plain is not None and plain.text:
                    parts.append(plain.text)
                for run in node.findall(r):
                    parts.append(run.findtext(t) or "")
                strings.append("".join(parts).replace("x005F_", ""))
                node.clear()
        return strings

    class Reader(ExcelReader):
        def read_strings(self):
            from openpyxl.xml.constants import SHARED_STRINGS

            part = self.package.find(SHARED_STRINGS)
            self.shared_strings = []
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    self.shared_strings = read_strings(source)

        def read_worksheets(self):
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                worksheet = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    reader = Reader(handle, read_only=True, keep_vba=False, data_only=False, keep_links=False, rich_text=False)
    reader.read()
    return reader.wb


def _trim(values) -> list:
    values = list(values[:MAX_COLUMNS])
    while values and (values[-1] is None or values[-1] == ""):
        values.pop()
    return values


# --- CSV -----------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (a superset of GBK)."""
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith(codecs.BOM_UTF8):
            candidates = ["utf-8-sig"]
        elif start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        else:
            candidates = ["utf-8", "gb18030"]
        for encoding in candidates:
            handle.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := handle.read(1 << 20):
                    if b"\x00" in chunk:
                        raise FileProblem(
                            _("This is not a spreadsheet or a text (CSV) file; it cannot be imported."),
                            "not_a_spreadsheet",
                        )
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return encoding
    raise FileProblem(
        _("This file is neither UTF-8 nor GBK text, so it is not a CSV file that can be read."), "unknown_encoding"
    )


def _delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:30] if line.strip()]
    best, best_count = ",", 0
    for candidate in (",", "\t", ";", "|"):
        counts = [line.count(candidate) for line in lines]
        with_it = sum(1 for c in counts if c)
        if lines and with_it * 2 >= len(lines) and sum(counts) > best_count:
            best, best_count = candidate, sum(counts)
    return best


def _unwrap_excel_text(value: str):
    """Excel writes ``="00123"`` to keep leading zeros in CSV; empty cells read as None."""
    if not value:
        return None
    if len(value) > 3 and value.startswith('="') and value.endswith('"'):
        return value[2:-1]
    return value


def _open_csv(path: Path, name: str) -> WorkbookSource:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(64 * 1024)
    delimiter = _delimiter(sample)

    def rows():
        previous = csv.field_size_limit()
        csv.field_size_limit(CSV_FIELD_LIMIT)
        try:
            with path.open(encoding=encoding, newline="") as handle:
                reader = csv.reader(handle, delimiter=delimiter)
                number = 0
                try:
                    for values in reader:
                        number += 1
                        yield number, _trim([_unwrap_excel_text(v) for v in values])
                except csv.Error as exc:
                    raise FileProblem(
                        _("Line %(line)s of the CSV file cannot be read: %(detail)s")
                        % {"line": reader.line_num, "detail": exc},
                        "bad_csv",
                    ) from None
        finally:
            csv.field_size_limit(previous)

    return WorkbookSource("csv", encoding=encoding, sheets=[SheetSource(index=0, name=name, _rows=rows)])


def sample_text(path: Path, limit: int = 4096) -> str:
    """The start of a text file, for messages; never raises."""
    try:
        with path.open("rb") as handle:
            return io.TextIOWrapper(handle, errors="replace").read(limit)
    except OSError:
        return ""


# --- the row cache ------------------------------------------------------------------------------
#
# Parsing a workbook costs far more than checking its rows, and a file is read at least
# twice (the dry run, then the commit). The first full read of a sheet leaves its rows
# (after merged cells are filled) in a gzipped JSON-lines file next to the job; later
# passes stream that instead. The cache is derived data, tied to one job's stored file.


def _encode(value):
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$td": value.total_seconds()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _decode(value):
    if isinstance(value, dict):
        if "$dt" in value:
            return dt.datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return dt.date.fromisoformat(value["$d"])
        if "$t" in value:
            return dt.time.fromisoformat(value["$t"])
        if "$td" in value:
            return dt.timedelta(seconds=value["$td"])
    return value


class RowCache:
    """Per-sheet row files in ``directory``: ``<index>.jsonl.gz`` holds ``[number, values]`` lines."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, index: int) -> Path:
        return self.directory / f"{index}.jsonl.gz"

    def has(self, index: int) -> bool:
        return self._path(index).exists()

    def read(self, index: int) -> Iterator[tuple[int, list]]:
        with gzip.open(self._path(index), "rt", encoding="utf-8") as handle:
            for line in handle:
                number, values = json.loads(line)
                yield number, [_decode(v) for v in values]

    def notes(self, index: int) -> list[str]:
        path = self.directory / f"{index}.notes.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def tee(self, sheet: SheetSource) -> Iterator[tuple[int, list]]:
        """The sheet's rows, written to the cache as they pass; kept only if read to the end."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self._path(sheet.index)
        partial = self.directory / f"{sheet.index}.{os.getpid()}.part"
        try:
            with gzip.open(partial, "wt", encoding="utf-8", compresslevel=1) as handle:
                lines = []
                for number, values in sheet.rows():
                    lines.append(json.dumps([number, [_encode(v) for v in values]], ensure_ascii=False))
                    if len(lines) >= 1000:
                        handle.write("\n".join(lines) + "\n")
                        lines = []
                    yield number, values
                if lines:
                    handle.write("\n".join(lines) + "\n")
            (self.directory / f"{sheet.index}.notes.json").write_text(
                json.dumps(sheet.notes, ensure_ascii=False), encoding="utf-8"
            )
            partial.replace(final)
        finally:
            partial.unlink(missing_ok=True)

    def clear(self) -> None:
        if self.directory.exists():
            for path in self.directory.iterdir():
                path.unlink(missing_ok=True)
            self.directory.rmdir()


def cached_workbook(path: Path, cache: RowCache | None, indexes, *, display_name: str = "") -> WorkbookSource:
    """The workbook with sheets ``indexes`` read from the cache when it holds them all (the
    file is then not parsed at all), otherwise from the file, filling the cache on the way."""
    wanted = list(indexes)
    meta_path = cache.directory / "workbook.json" if cache is not None else None
    if cache is not None and meta_path.exists() and all(cache.has(i) for i in wanted):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        source = WorkbookSource(meta["format"], encoding=meta["encoding"])
        for entry in meta["sheets"]:
            sheet = SheetSource(index=entry["index"], name=entry["name"], hidden=entry["hidden"])
            if sheet.index in wanted:
                sheet.from_cache = cache
                sheet.notes = cache.notes(sheet.index)
            source.sheets.append(sheet)
        return source
    source = open_workbook(path, display_name=display_name)
    if cache is None:
        return source
    cache.directory.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(
        json.dumps(
            {
                "format": source.file_format,
                "encoding": source.encoding,
                "sheets": [{"index": s.index, "name": s.name, "hidden": s.hidden} for s in source.sheets],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    for sheet in source.sheets:
        if sheet.index not in wanted:
            continue
        if cache.has(sheet.index):
            sheet.notes = cache.notes(sheet.index)
            sheet.from_cache = cache
        else:
            sheet.tee_cache = cache
    return source
