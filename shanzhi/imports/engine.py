"""The import run: find each sheet's header and columns, check every row, write the good ones.

Files are streamed: rows are read, parsed and checked a chunk at a time (a few bulk
queries per chunk), so memory stays bounded by the chunk, not the file. Uniqueness
within the file is checked with 16 bytes per row (a 64-bit hash and the row's
ordinal), sorted after the pass.

``check`` reads the file once and writes nothing. ``commit`` checks again (the
database may have changed since the dry run), then, if the mode allows, reads the
file a second time inside one transaction and writes chunk by chunk; any surprise in
that second pass rolls everything back in all-or-nothing mode.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from shanzhi.imports import cells
from shanzhi.imports.choices import ImportMode, Outcome
from shanzhi.imports.kinds.base import AreaIndex, AreaRef, Context, Kind, Row, RunSheet, SheetPlan
from shanzhi.imports.reading import RowCache, WorkbookSource, cached_workbook, column_letter

HEADER_SCAN_ROWS = 30
MAX_ISSUES = 1000
MAX_REJECTED_DETAIL = 100_000
OUTCOME_CODES = {None: 0, Outcome.CREATED: 1, Outcome.UPDATED: 2, Outcome.UNCHANGED: 3, Outcome.REJECTED: 4}
CODE_OUTCOMES = {v: k for k, v in OUTCOME_CODES.items()}
TOTAL_WORDS = ("合计", "总计", "小计", "累计")
INSTRUCTION_SHEETS = ("填写说明", "说明", "instructions", "readme")


# --- finding headers and mapping columns ----------------------------------------------------------


def guess_sheet_area(name: str, areas: AreaIndex, scope_ok, levels) -> AreaRef | None:
    """The area a sheet's name names (``珍宝岛乡``, ``永和村花名册``), if exactly one does."""
    key = cells.place_key(name)
    best, best_len, tied = None, 0, False
    for ref in areas.by_id.values():
        if ref.level not in levels or not ref.current or not scope_ok(ref.path):
            continue
        own = cells.place_key(ref.name)
        if own and own in key:
            if len(own) > best_len:
                best, best_len, tied = ref, len(own), False
            elif len(own) == best_len and best is not None and best.id != ref.id:
                tied = True
    return None if tied else best


def analyse(
    source: WorkbookSource,
    kind: type[Kind],
    *,
    areas: AreaIndex,
    scope_ok,
    saved_for,
    overrides: dict | None = None,
    default_area: AreaRef | None = None,
) -> list[SheetPlan]:
    """Plan every sheet: header row, column → field, sheet area, and what still blocks it.

    ``saved_for(area_ref)`` returns the saved column mapping of an area (normalised
    header → field); ``overrides`` holds the user's choices per sheet index:
    ``{"area_id", "columns", "skip", "header_row"}``.
    """
    overrides = overrides or {}
    plans = []
    field_names = {f.name for f in kind.fields}
    for sheet in source.sheets:
        choice = overrides.get(sheet.index) or overrides.get(str(sheet.index)) or {}
        plan = SheetPlan(index=sheet.index, name=sheet.name)
        plans.append(plan)
        if choice.get("skip") or (
            not choice and cells.header_key(sheet.name) in {cells.header_key(n) for n in INSTRUCTION_SHEETS}
        ):
            plan.skip = True
            plan.notes.append(_("Sheet %(sheet)s is left out.") % {"sheet": sheet.name})
            continue
        # Which area the sheet is about.
        area = None
        if "area_id" in choice:
            area = areas.get(choice["area_id"]) if choice["area_id"] else None
        else:
            area = guess_sheet_area(sheet.name, areas, scope_ok, kind.sheet_area_levels)
            if area is None and default_area is not None and default_area.level in kind.sheet_area_levels:
                area = default_area
        plan.area_id = area.id if area else None

        # The mapping in force: ours, then the saved ones (county down to the sheet's area), then the user's.
        table = kind.header_table()
        chain = []
        ref = area or default_area
        while ref is not None:
            chain.insert(0, ref)
            ref = areas.get(ref.parent_id)
        saved_keys: dict[str, str] = {}
        for ref in chain:
            saved_keys.update(saved_for(ref))
        user_keys = {k: v for k, v in (choice.get("columns") or {}).items() if v == "" or v in field_names}

        head = []
        for number, values in sheet.rows():
            head.append((number, values))
            if len(head) >= HEADER_SCAN_ROWS:
                break
        if not head:
            plan.skip = True
            plan.notes.append(_("Sheet %(sheet)s is empty.") % {"sheet": sheet.name})
            continue

        def lookup(key, user_keys=user_keys, saved_keys=saved_keys, table=table):
            if key in user_keys:
                return user_keys[key], "user"
            if key in saved_keys:
                return saved_keys[key], "saved"
            if key in table:
                return table[key], ("template" if table[key] else "ignored")
            return None, None

        header_row = choice.get("header_row")
        if not header_row:
            best_score = 0
            for number, values in head:
                keys = [cells.header_key(v) for v in values if not cells.is_blank(v)]
                score = sum(1 for k in set(keys) if lookup(k)[0])
                if score > best_score:
                    best_score, header_row = score, number
            if best_score < 2 and not (best_score == 1 and _has_key_field(kind, head, header_row, lookup)):
                header_row = None
        rows_by_number = dict(head)
        if not header_row or header_row not in rows_by_number:
            plan.skip = True
            plan.notes.append(
                _(
                    "No header row was found in sheet %(sheet)s, so it is left out. If it holds data, say which "
                    "row is the header."
                )
                % {"sheet": sheet.name}
            )
            continue
        plan.header_row = header_row
        values = list(rows_by_number[header_row])
        above = list(rows_by_number.get(header_row - 1, []))
        seen: Counter = Counter()
        for index, value in enumerate(values):
            header = cells.text(value)
            key = cells.header_key(value)
            upper = cells.text(above[index]) if index < len(above) else ""
            if not key and upper:
                header, key = upper, cells.header_key(upper)
            elif key and upper and lookup(key)[0] is None:
                combined = cells.header_key(upper + header)
                if lookup(combined)[0] is not None:
                    header, key = upper + header, combined
            if not key:
                plan.columns.append(
                    {
                        "index": index,
                        "letter": column_letter(index),
                        "header": "",
                        "key": "#" + column_letter(index),
                        "field": user_keys.get("#" + column_letter(index), ""),
                        "source": "blank",
                    }
                )
                continue
            seen[key] += 1
            if seen[key] > 1:
                key = f"{key}({seen[key]})"
            mapped, source_label = lookup(key)
            plan.columns.append(
                {
                    "index": index,
                    "letter": column_letter(index),
                    "header": header,
                    "key": key,
                    "field": mapped,
                    "source": source_label,
                }
            )
        _problems(plan, kind, area)
    return plans


def _has_key_field(kind, head, header_row, lookup) -> bool:
    required = {f.name for f in kind.fields if f.required == "always"}
    for number, values in head:
        if number == header_row:
            return any(lookup(cells.header_key(v))[0] in required for v in values if not cells.is_blank(v))
    return False


def _problems(plan: SheetPlan, kind: type[Kind], area: AreaRef | None) -> None:
    plan.problems = []
    labels = {f.name: f.header for f in kind.fields}
    by_field: dict[str, list[dict]] = {}
    for column in plan.columns:
        if column["field"]:
            by_field.setdefault(column["field"], []).append(column)
    for name, columns in by_field.items():
        if len(columns) > 1:
            plan.problems.append(
                _("Columns %(columns)s all hold %(field)s: set all but one to “leave out”.")
                % {
                    "columns": "、".join(f"{c['letter']}({c['header']})" for c in columns),
                    "field": labels.get(name, name),
                }
            )
    for column in plan.columns:
        if column["field"] is None:
            base = column["key"].split("(")[0]
            if column["key"] != base:
                plan.problems.append(
                    _("Column %(letter)s repeats the header %(header)s: say what it holds or leave it out.")
                    % {"letter": column["letter"], "header": column["header"]}
                )
            else:
                plan.problems.append(
                    _("Column %(letter)s (%(header)s) is not recognised: say what it holds or leave it out.")
                    % {"letter": column["letter"], "header": column["header"]}
                )
    for spec in kind.fields:
        if spec.required == "always" and spec.name not in by_field:
            plan.problems.append(_("The sheet has no %(field)s column, which is required.") % {"field": spec.header})


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Report:
    counts: Counter = field(default_factory=Counter)
    issues: list[dict] = field(default_factory=list)
    issue_total: int = 0
    codes: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    outcomes: bytearray = field(default_factory=bytearray)
    positions: list = field(default_factory=lambda: [array("H"), array("I")])  # sheet index, row number
    rejected_detail: dict[int, str] = field(default_factory=dict)
    sheet_rows: Counter = field(default_factory=Counter)
    committed: bool = False
    aborted: str = ""

    @property
    def rejected(self) -> int:
        return self.counts[Outcome.REJECTED]

    def summary(self) -> dict:
        return {
            "rows": sum(self.counts.values()),
            "created": self.counts[Outcome.CREATED],
            "updated": self.counts[Outcome.UPDATED],
            "unchanged": self.counts[Outcome.UNCHANGED],
            "rejected": self.counts[Outcome.REJECTED],
            "issues": self.issue_total,
            "codes": dict(self.codes.most_common()),
            "notes": self.notes,
            "committed": self.committed,
            "aborted": self.aborted,
        }

    def add_issue(self, issue: dict) -> None:
        self.issue_total += 1
        self.codes[issue["code"]] += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    def reject(self, ordinal: int, message: str) -> None:
        previous = CODE_OUTCOMES[self.outcomes[ordinal]]
        if previous == Outcome.REJECTED:
            if ordinal in self.rejected_detail:
                self.rejected_detail[ordinal] += ";" + message
            return
        if previous is not None:
            self.counts[previous] -= 1
        self.counts[Outcome.REJECTED] += 1
        self.outcomes[ordinal] = OUTCOME_CODES[Outcome.REJECTED]
        if len(self.rejected_detail) < MAX_REJECTED_DETAIL:
            self.rejected_detail[ordinal] = message


def _key_hash(field_name: str, key: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{field_name}\x00{key}".encode(), digest_size=8).digest(), "little")


class Run:
    """One pass machinery over a file for one kind, user and mapping."""

    def __init__(
        self,
        path: Path,
        kind_cls: type[Kind],
        plans: list[SheetPlan],
        *,
        actor,
        job_id=None,
        mode=None,
        display_name: str = "",
        cache_dir: Path | None = None,
    ):
        self.path = Path(path)
        self.display_name = display_name
        self.cache = RowCache(cache_dir) if cache_dir else None
        self.kind_cls = kind_cls
        self.plans = [p for p in plans if not p.skip and p.header_row and not p.problems]
        self.all_plans = plans
        self.actor = actor
        self.job_id = job_id
        self.mode = mode or ImportMode.ALL_OR_NOTHING
        self.file_format = ""

    # --- reading rows ----------------------------------------------------------------------

    def rows(self, source: WorkbookSource, areas: AreaIndex, *, with_values: bool = False) -> Iterator:
        ordinal = 0
        for plan in self.plans:
            sheet = source.sheet(plan.index)
            run_sheet = RunSheet(
                index=plan.index,
                name=plan.name,
                header_row=plan.header_row,
                columns_by_field=plan.field_columns,
                area=areas.get(plan.area_id) if plan.area_id else None,
            )
            mapped = [(c["field"], c["index"]) for c in plan.columns if c.get("field")]
            header_keys = {c["index"]: c["key"] for c in plan.columns}
            for number, values in sheet.rows():
                if number <= plan.header_row:
                    continue
                raw = {}
                for name, index in mapped:
                    value = values[index] if index < len(values) else None
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    raw[name] = value
                if not raw:
                    continue
                if _repeats_header(values, header_keys) or _is_total(values):
                    continue
                row = Row(run_sheet, number, ordinal, raw)
                ordinal += 1
                if with_values:
                    yield row, values
                else:
                    yield row
            for note in sheet.notes:
                if note not in plan.notes:
                    plan.notes.append(note)

    def parse(self, row: Row) -> None:
        specs = self.specs
        for name, value in list(row.raw.items()):
            spec = specs[name]
            if cells.is_formula(value):
                row.error(
                    name,
                    _(
                        "This cell holds a formula (%(formula)s). Copy the column and paste it as values, "
                        "then import again."
                    )
                    % {"formula": cells.display(value, 40)},
                    "formula",
                )
                continue
            value = cells.unneutralise(value)
            row.raw[name] = value
            try:
                row.values[name] = spec.parse(value) if spec.parse else cells.parse_text(value)
            except cells.CellError as exc:
                row.error(name, exc.message, exc.code)

    def chunks(self, iterator, size):
        chunk = []
        for item in iterator:
            chunk.append(item)
            if size and len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # --- the passes ----------------------------------------------------------------------------

    def _open(self) -> WorkbookSource:
        source = cached_workbook(
            self.path, self.cache, [plan.index for plan in self.plans], display_name=self.display_name
        )
        self.file_format = source.file_format
        return source

    def _pass(self, report: Report, *, write: bool, first: bool, skip=frozenset()) -> None:
        """Read, parse and check every row, chunk by chunk, writing the good ones if ``write``.

        The first pass over a file records each row's place and outcome and the keys
        that must be unique in the file. In all-or-nothing mode writing stops at the
        first rejected row (the caller rolls back) but checking goes on, so the report
        lists every problem.
        """
        ctx = Context(actor=self.actor, job_id=self.job_id, write=write)
        kind = self.kind_cls(ctx)
        self.specs = {f.name: f for f in kind.fields}
        kind.prepare()
        all_or_nothing = self.mode == ImportMode.ALL_OR_NOTHING
        writing = write
        key_hashes: dict[str, tuple[array, array]] = {}
        with self._open() as source:
            for chunk in self.chunks(self.rows(source, ctx.areas), kind.chunk_size):
                live = [row for row in chunk if row.ordinal not in skip]
                for row in live:
                    self.parse(row)
                kind.check(live)
                if writing and all_or_nothing and any(row.errors for row in live):
                    writing = False
                if writing:
                    good = [row for row in live if not row.errors and row.outcome in (Outcome.CREATED, Outcome.UPDATED)]
                    twins = _twins(kind, good)
                    if twins and all_or_nothing:
                        writing = False  # the file will be refused for its duplicates: write nothing more
                    else:
                        kind.write([row for row in good if row.ordinal not in twins])
                        ctx.audit.flush()
                if writing:
                    if all_or_nothing and any(row.errors for row in live):
                        writing = False  # a service refused a row while writing it
                for row in live:
                    if row.errors:
                        row.outcome = Outcome.REJECTED
                    if first:
                        report.positions[0].append(row.sheet.index)
                        report.positions[1].append(row.number)
                        report.sheet_rows[row.sheet.index] += 1
                        report.outcomes.append(OUTCOME_CODES[row.outcome])
                        report.counts[row.outcome] += 1
                        if row.errors:
                            for issue in row.errors:
                                report.add_issue(issue)
                            if len(report.rejected_detail) < MAX_REJECTED_DETAIL:
                                report.rejected_detail[row.ordinal] = row.message()
                        for name, _label, key in kind.keys(row):
                            hashes, ordinals = key_hashes.setdefault(name, (array("Q"), array("I")))
                            hashes.append(_key_hash(name, key))
                            ordinals.append(row.ordinal)
                    elif row.errors:
                        for issue in row.errors:
                            report.add_issue(issue)
                        report.reject(row.ordinal, row.message())
                    elif report.outcomes[row.ordinal] != OUTCOME_CODES[row.outcome]:
                        report.counts[CODE_OUTCOMES[report.outcomes[row.ordinal]]] -= 1
                        report.counts[row.outcome] += 1
                        report.outcomes[row.ordinal] = OUTCOME_CODES[row.outcome]
        if first:
            self._duplicates(report, key_hashes, kind)
            for plan in self.all_plans:
                plan.rows = report.sheet_rows.get(plan.index, 0)
                for note in plan.notes:
                    if note not in report.notes:
                        report.notes.append(note)
        self.audit_rows = ctx.audit.written

    def _duplicates(self, report: Report, key_hashes, kind: Kind) -> None:
        """Reject every row whose key another row of the file shares, naming all of them.

        Sorting the hashes alone finds the repeated ones (a few, usually none); only those
        are then looked up, so the pass costs one sorted list of integers.
        """
        names = {f.name: f.header for f in kind.fields}
        sheet_names = {p.index: p.name for p in self.all_plans}
        for name, (hashes, ordinals) in key_hashes.items():
            ordered = sorted(hashes)
            repeated = {ordered[i] for i in range(1, len(ordered)) if ordered[i] == ordered[i - 1]}
            del ordered
            if not repeated:
                continue
            groups: dict[int, list[int]] = {}
            for position, value in enumerate(hashes):
                if value in repeated:
                    groups.setdefault(value, []).append(ordinals[position])
            for group in groups.values():
                group.sort()
                places = "、".join(
                    _("%(sheet)s row %(row)s")
                    % {"sheet": sheet_names.get(report.positions[0][o], ""), "row": report.positions[1][o]}
                    for o in group[:10]
                )
                message = _("The same %(field)s appears more than once in this file: %(places)s.") % {
                    "field": names.get(name, name),
                    "places": places,
                }
                for ordinal in group:
                    plan = next(p for p in self.all_plans if p.index == report.positions[0][ordinal])
                    column = plan.field_columns.get(name, {})
                    report.add_issue(
                        {
                            "sheet": plan.name,
                            "row": report.positions[1][ordinal],
                            "column": column.get("letter", ""),
                            "header": column.get("header", ""),
                            "value": "",
                            "message": message,
                            "code": "duplicate_in_file",
                        }
                    )
                    report.reject(ordinal, (column.get("header", "") + ":" if column else "") + message)

    def check(self) -> Report:
        """The dry run: nothing is written."""
        report = Report()
        self._pass(report, write=False, first=True)
        return report

    def commit(self) -> Report:
        """All or nothing: one pass that writes as it checks, rolled back if any row is rejected.
        Good rows: a checking pass, then a writing pass that leaves out the rejected rows."""
        report = Report()
        try:
            with transaction.atomic():
                if self.mode == ImportMode.ALL_OR_NOTHING:
                    self._pass(report, write=True, first=True)
                    if report.rejected:
                        report.aborted = _("%(n)s rows were rejected, so nothing was imported (all or nothing).") % {
                            "n": report.rejected
                        }
                        raise _Abort()
                else:
                    self._pass(report, write=False, first=True)
                    rejected = {i for i, code in enumerate(report.outcomes) if code == OUTCOME_CODES[Outcome.REJECTED]}
                    self._pass(report, write=True, first=False, skip=rejected)
        except _Abort:
            return report
        report.committed = True
        return report

    # --- the rejected rows, back as a workbook --------------------------------------------------

    def rejected_workbook(self, report: Report, target: Path) -> int:
        """Write the rejected rows with their original cells and an error column; the count written."""
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        written = 0
        rejected_code = OUTCOME_CODES[Outcome.REJECTED]
        sheets = {}
        areas = AreaIndex()
        with self._open() as source:
            for plan in self.plans:
                header = None
                for number, values in source.sheet(plan.index).rows():
                    if number == plan.header_row:
                        header = [cells.text(v) for v in values]
                        break
                sheets[plan.index] = header or []
            self.specs = {f.name: f for f in self.kind_cls.fields}
            current_sheet, sheet = None, None
            for row, values in self.rows(source, areas, with_values=True):
                if row.ordinal >= len(report.outcomes) or report.outcomes[row.ordinal] != rejected_code:
                    continue
                if row.sheet.index != current_sheet:
                    current_sheet = row.sheet.index
                    sheet = workbook.create_sheet(title=row.sheet.name[:31])
                    header = sheets.get(row.sheet.index, [])
                    sheet.append([*header, *[""] * max(0, len(values) - len(header)), "错误说明"])
                    width = max(len(header), len(values))
                message = report.rejected_detail.get(row.ordinal) or _("This row was rejected (see the report).")
                cells_out = [_cell_out(v) for v in values] + [None] * (width - len(values))
                sheet.append([*cells_out[:width], message])
                written += 1
        if written:
            workbook.save(target)
        return written


def _cell_out(value):
    if isinstance(value, str):
        return cells.neutralise(value) if not cells.is_formula(value) else "'" + value
    return value


class _Abort(Exception):
    pass


def _twins(kind: Kind, rows: list[Row]) -> set[int]:
    """Ordinals of rows in one chunk sharing a key that must be unique (they must not be written together)."""
    seen: dict[tuple[str, str], int] = {}
    twins: set[int] = set()
    for row in rows:
        for name, _label, key in kind.keys(row):
            other = seen.setdefault((name, key), row.ordinal)
            if other != row.ordinal:
                twins.update({other, row.ordinal})
    return twins


def _repeats_header(values, header_keys: dict[int, str]) -> bool:
    """A header row repeated further down (a printout's page header): its first named cell says so."""
    for index, key in header_keys.items():
        if key.startswith("#"):
            continue
        value = values[index] if index < len(values) else None
        if not isinstance(value, str) or cells.header_key(value) != key.split("(")[0]:
            return False
        matches = sum(
            1
            for other, other_key in header_keys.items()
            if not other_key.startswith("#")
            and other < len(values)
            and isinstance(values[other], str)
            and cells.header_key(values[other]) == other_key.split("(")[0]
        )
        return matches >= 2
    return False


def _is_total(values) -> bool:
    for value in values:
        if not cells.is_blank(value):
            word = cells.text(value).replace(" ", "")
            return word.startswith(TOTAL_WORDS)
    return False
