"""What every kind of import shares: its fields, a row on its way in, the run's context.

A kind says which fields a file of its kind has (with the Chinese header of our
template and the variants real sheets use), how rows are checked against the database
(in chunks, with a few bulk queries per chunk), how good rows are written, and how
the same shape is exported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core import audit as core_audit
from shanzhi.core.scoping import Scope, scope_for
from shanzhi.imports import cells
from shanzhi.imports.choices import Outcome

REQUIRED_ALWAYS = "always"
REQUIRED_TO_CREATE = "create"

# Headers that are recognised in every kind and deliberately left out.
COMMON_IGNORED = ("序号", "编号序号", "no", "备注", "说明", "错误说明", "导入结果", "行号", "填表人", "审核人")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    header: str  # the Chinese header of our template and exports
    variants: tuple[str, ...] = ()
    parse: Callable | None = None
    required: str = ""
    help: str = ""  # the instructions sheet's line (a msgid)
    example: object = ""
    exported: bool = True  # in templates and exports; False for helper columns read only

    def keys(self) -> set[str]:
        return {cells.header_key(h) for h in (self.header, self.name, *self.variants)}


@dataclass
class SheetPlan:
    """One sheet as the run reads it: where its header is, which column is which field, its area."""

    index: int
    name: str
    header_row: int | None = None
    columns: list[dict] = field(default_factory=list)  # {"index","letter","header","key","field","source"}
    area_id: int | None = None
    skip: bool = False
    problems: list[str] = field(default_factory=list)  # blocking: the sheet cannot be checked yet
    notes: list[str] = field(default_factory=list)
    rows: int = 0  # data rows seen by the last check

    @property
    def field_columns(self) -> dict[str, dict]:
        return {c["field"]: c for c in self.columns if c.get("field")}

    @property
    def unmapped(self) -> list[dict]:
        return [c for c in self.columns if c.get("field") is None]

    def as_json(self) -> dict:
        return {
            "index": self.index,
            "name": self.name,
            "header_row": self.header_row,
            "columns": self.columns,
            "area_id": self.area_id,
            "skip": self.skip,
            "problems": self.problems,
            "notes": self.notes,
            "rows": self.rows,
        }

    @classmethod
    def from_json(cls, data: dict) -> SheetPlan:
        return cls(
            index=data["index"],
            name=data["name"],
            header_row=data.get("header_row"),
            columns=[dict(c) for c in data.get("columns") or []],
            area_id=data.get("area_id"),
            skip=bool(data.get("skip")),
            problems=list(data.get("problems") or []),
            notes=list(data.get("notes") or []),
            rows=data.get("rows") or 0,
        )


class Row:
    """One data row: its raw cells by field, the parsed values, its problems and its fate."""

    __slots__ = ("sheet", "number", "ordinal", "raw", "values", "errors", "outcome", "plan", "area")

    def __init__(self, sheet, number: int, ordinal: int, raw: dict):
        self.sheet = sheet  # a RunSheet
        self.number = number
        self.ordinal = ordinal
        self.raw = raw
        self.values: dict = {}
        self.errors: list[dict] = []
        self.outcome: str | None = None
        self.plan: dict = {}
        self.area = sheet.area

    def error(self, field_name: str | None, message: str, code: str) -> None:
        column = self.sheet.columns_by_field.get(field_name) if field_name else None
        value = self.raw.get(field_name) if field_name else None
        self.errors.append(
            {
                "sheet": self.sheet.name,
                "row": self.number,
                "column": column["letter"] if column else "",
                "header": column["header"] if column else "",
                "value": cells.display(value) if value is not None else "",
                "message": str(message),
                "code": code,
            }
        )
        self.values.pop(field_name, None)

    def has(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default=None):
        return self.values.get(name, default)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    def message(self) -> str:
        return ";".join((f"{e['header']}:" if e["header"] else "") + e["message"] for e in self.errors)


@dataclass
class RunSheet:
    """A sheet during a run: the plan plus the resolved area."""

    index: int
    name: str
    header_row: int
    columns_by_field: dict[str, dict]
    area: AreaRef | None


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    name: str
    level: str
    path: str
    parent_id: int | None
    current: bool = True

    def within(self, other: AreaRef | None) -> bool:
        return other is None or self.path.startswith(other.path)


class AreaIndex:
    """Every area of the county, findable by code, by name, or by name qualified with its parents.

    Real sheets name a grid ``永和村第1网格``, ``第一网格`` (inside a village's sheet),
    ``永和村/第1网格`` or by its code; all of these resolve here without a query.
    """

    def __init__(self):
        self.by_id: dict[int, AreaRef] = {}
        self.by_code: dict[str, AreaRef] = {}
        self.aliases: dict[tuple[str, str], list[int]] = {}
        self._resolved: dict = {}
        today = timezone.localdate()
        for pk, code, name, level, path, parent_id, valid_from, valid_to in Area.objects.values_list(
            "id", "code", "name", "level", "path", "parent_id", "valid_from", "valid_to"
        ):
            current = valid_from <= today and (valid_to is None or valid_to > today)
            ref = AreaRef(pk, code, name, level, path, parent_id, current)
            self.by_id[pk] = ref
            self.by_code[code] = ref
        for ref in self.by_id.values():
            if not ref.current:
                continue
            for alias in self._aliases(ref):
                self.aliases.setdefault((ref.level, alias), []).append(ref.id)

    def _aliases(self, ref: AreaRef) -> set[str]:
        parent = self.by_id.get(ref.parent_id)
        chain = []
        while parent is not None and parent.level != AreaLevel.COUNTY:
            chain.insert(0, parent.name)
            parent = self.by_id.get(parent.parent_id)
        found = {cells.place_key(ref.name)}
        for start in range(len(chain)):
            found.add(cells.place_key("".join(chain[start:]) + ref.name))
        if chain and ref.name.startswith(chain[-1]) and len(ref.name) > len(chain[-1]):
            short = ref.name[len(chain[-1]) :]
            found.add(cells.place_key(short))
            for start in range(len(chain)):
                found.add(cells.place_key("".join(chain[start:]) + short))
        return found

    def get(self, pk) -> AreaRef | None:
        return self.by_id.get(pk)

    def resolve(self, value, levels, *, within: AreaRef | None = None) -> AreaRef:
        """The one current area ``value`` names among ``levels``; :class:`cells.CellError` otherwise.

        Answers are remembered: a file names the same few grids thousands of times.
        """
        levels = (levels,) if isinstance(levels, str) else tuple(levels)
        key = (value if isinstance(value, str | int) else cells.text(value), levels, within.id if within else None)
        found = self._resolved.get(key)
        if found is None:
            try:
                found = self._resolve(value, levels, within)
            except cells.CellError as exc:
                found = exc
            if len(self._resolved) < 100_000:
                self._resolved[key] = found
        if isinstance(found, cells.CellError):
            raise cells.CellError(found.message, found.code)
        return found

    def _resolve(self, value, levels, within) -> AreaRef:
        raw = cells.text(value).replace(" ", "")

        def level_label():
            return "/".join(cells.chinese_label(AreaLevel(level).label) for level in levels)

        ref = self.by_code.get(raw)
        if ref is not None and ref.level in levels:
            if not ref.current:
                raise cells.CellError(
                    _("%(level)s %(value)s has been retired.") % {"level": level_label(), "value": raw}, "retired_area"
                )
            return ref
        key = cells.place_key(raw)
        candidates = []
        for level in levels:
            candidates.extend(self.aliases.get((level, key), ()))
        candidates = list(dict.fromkeys(candidates))
        if within is not None and len(candidates) > 1:
            inside = [pk for pk in candidates if self.by_id[pk].path.startswith(within.path)]
            candidates = inside or candidates
        if not candidates:
            raise cells.CellError(
                _("Unknown %(level)s: %(value)s.") % {"level": level_label(), "value": cells.display(value)},
                "unknown_area",
            )
        if len(candidates) > 1:
            raise cells.CellError(
                _(
                    "%(value)s names %(n)s different %(level)s entries; write the code, or the village name "
                    "before the grid name."
                )
                % {"value": cells.display(value), "n": len(candidates), "level": level_label()},
                "ambiguous_area",
            )
        return self.by_id[candidates[0]]

    def label(self, ref: AreaRef | None) -> str:
        """The shortest name of ``ref`` that is unique in the county (what exports write)."""
        if ref is None:
            return ""
        own = cells.place_key(ref.name)
        if len(self.aliases.get((ref.level, own), ())) == 1:
            return ref.name
        parent = self.by_id.get(ref.parent_id)
        if parent is not None and parent.level != AreaLevel.COUNTY:
            qualified = parent.name + ref.name
            if len(self.aliases.get((ref.level, cells.place_key(qualified)), ())) == 1:
                return f"{parent.name}/{ref.name}"
        return ref.code


class AuditBuffer:
    """Audit rows for a bulk write: the rows ``audit.record`` would write, chained the same way.

    Each flush hands the rows to ``shanzhi.core.audit.record_many``, which links them one
    after another to the chain's tip under the chain's lock and inserts them in that order,
    so ``verify_chain`` accepts them like any other row.
    """

    def __init__(self, actor, job_id: int | None):
        self.actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        self.job_id = job_id
        self.rows: list[dict] = []
        self.written = 0

    def add(self, action: str, *, object_type: str, object_id, object_repr: str, before=None, after=None, **extra):
        self.rows.append(
            {
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "object_repr": object_repr,
                "before": before,
                "after": after,
                "extra": {"import_job": self.job_id, **extra},
            }
        )

    def flush(self) -> None:
        if not self.rows:
            return
        # Kinds pass plain JSON values (str, int, bool, None, lists, str-keyed dicts).
        self.written += core_audit.record_many(self.rows, actor=self.actor, json_ready=True)
        self.rows = []


@dataclass
class Context:
    actor: object
    job_id: int | None
    write: bool = False
    today: dt.date = field(default_factory=timezone.localdate)
    _areas: AreaIndex | None = None
    audit: AuditBuffer | None = None

    def __post_init__(self):
        self.scope: Scope = Scope(everything=True) if self.actor is None else scope_for(self.actor)
        self.audit = AuditBuffer(self.actor, self.job_id)

    @property
    def areas(self) -> AreaIndex:
        if self._areas is None:
            self._areas = AreaIndex()
        return self._areas

    def reset_areas(self) -> None:
        self._areas = None

    def in_scope(self, path: str) -> bool:
        return self.scope.covers_path(path)


class Kind:
    """The base of every import kind; subclasses fill in the fields and the four steps."""

    name: str = ""
    fields: tuple[FieldSpec, ...] = ()
    ignored: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    sheet_area_levels: tuple[str, ...] = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
    chunk_size: int | None = 1000  # None: the whole file is checked and written as one chunk
    instructions: tuple[str, ...] = ()

    def __init__(self, ctx: Context):
        self.ctx = ctx

    # --- description --------------------------------------------------------------------

    @classmethod
    def field(cls, name: str) -> FieldSpec:
        return next(f for f in cls.fields if f.name == name)

    @classmethod
    def header_table(cls) -> dict[str, str]:
        """Normalised header → field name (``""`` for recognised columns left out)."""
        table = {cells.header_key(h): "" for h in (*COMMON_IGNORED, *cls.ignored)}
        for spec in cls.fields:
            for key in spec.keys():
                table[key] = spec.name
        return table

    @classmethod
    def exported_fields(cls) -> list[FieldSpec]:
        return [f for f in cls.fields if f.exported]

    # --- the steps ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Load what every chunk needs (lookups) once."""

    def keys(self, row: Row) -> list[tuple[str, str, str]]:
        """(field, label, key) that must be unique within the file."""
        return []

    def check(self, rows: list[Row]) -> None:
        """Set each row's ``outcome`` (and ``plan``) or add its errors. No writes."""
        raise NotImplementedError

    def write(self, rows: list[Row]) -> None:
        """Write the rows whose outcome is created or updated, with their audit rows."""
        raise NotImplementedError

    def export(self, user, *, masked: bool) -> Iterator[dict]:
        """Rows of field → cell value in the shape of the template, for ``user``'s scope."""
        raise NotImplementedError

    # --- helpers for subclasses -------------------------------------------------------------

    def require(self, row: Row, creating: bool) -> None:
        """Add a "required" error for each required field the row lacks (blank or no column)."""
        for spec in self.fields:
            needed = spec.required == REQUIRED_ALWAYS or (spec.required == REQUIRED_TO_CREATE and creating)
            if not needed or spec.name in row.values or spec.name in row.raw:
                continue  # present; if it was refused, its own message says why
            row.error(
                spec.name if spec.name in row.sheet.columns_by_field else None,
                _("%(header)s is required.") % {"header": spec.header},
                "required",
            )

    def resolve_area(self, row: Row, field_name: str, levels, *, within: AreaRef | None = None) -> AreaRef | None:
        """Resolve the area a cell names, inside the sheet's area and the actor's scope."""
        value = row.raw.get(field_name)
        if value is None:
            return None
        try:
            ref = self.ctx.areas.resolve(value, levels, within=within or row.area)
        except cells.CellError as exc:
            row.error(field_name, exc.message, exc.code)
            return None
        if not self.ctx.in_scope(ref.path):
            row.error(field_name, _("%(area)s is outside your jurisdiction.") % {"area": ref.name}, "out_of_scope")
            return None
        if row.area is not None and not ref.within(row.area) and not row.area.within(ref):
            row.error(
                field_name,
                _("%(area)s is not inside %(sheet_area)s, the area of sheet %(sheet)s.")
                % {"area": ref.name, "sheet_area": row.area.name, "sheet": row.sheet.name},
                "outside_sheet_area",
            )
            return None
        return ref

    @staticmethod
    def changes(current: dict, wanted: dict) -> dict:
        """The entries of ``wanted`` that differ from ``current``."""
        return {k: v for k, v in wanted.items() if current.get(k) != v}


def outcome_for(creating: bool, changes: dict) -> str:
    if creating:
        return Outcome.CREATED
    return Outcome.UPDATED if changes else Outcome.UNCHANGED
