"""Every kind of file the county can import, by the name used in URLs and the command."""

from __future__ import annotations

from shanzhi.imports.kinds.areas import AreasKind, DepartmentsKind
from shanzhi.imports.kinds.base import Kind
from shanzhi.imports.kinds.gridwork import GridWorkersKind
from shanzhi.imports.kinds.people import HouseholdsKind, ResidentsKind
from shanzhi.imports.kinds.village import GoodsKind, RulesKind, VenuesKind

KINDS: dict[str, type[Kind]] = {
    kind.name: kind
    for kind in (
        AreasKind,
        DepartmentsKind,
        HouseholdsKind,
        ResidentsKind,
        GridWorkersKind,
        VenuesKind,
        RulesKind,
        GoodsKind,
    )
}
