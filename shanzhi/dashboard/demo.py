"""Demo grid boundaries: plausible, non-overlapping polygons for the grid map.

The builder places a township's villages on a lattice (0.05° of latitude by 0.07° of
longitude apart, three to a column). Here each village becomes the lattice cell around
its centre, with the cell corners moved by a deterministic jitter that depends only on
the corner's place in its township: neighbouring villages share their corners, so a
township is cut into irregular quadrilaterals with no gap and no overlap. Each
village is then divided among its grids (two rows of cells; a cell spanning both rows
for an odd last grid) by bilinear interpolation of its corners, the inner points
nudged a little too. The same seed always draws the same map; each grid's centre is
moved to the middle of its polygon.
"""

from __future__ import annotations

import hashlib
import math

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area

VILLAGE_LAT_STEP, VILLAGE_LNG_STEP = 0.05, 0.07  # the builder's village lattice
CORNER_JITTER = 0.14  # share of a village step a village corner may move
INNER_JITTER = 0.12  # share of a grid cell an inner point may move


def _jitter(seed: int, key: tuple) -> tuple[float, float]:
    """Two numbers in [-1, 1] fixed by ``seed`` and ``key``."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return (digest[0] / 255 - 0.5) * 2, (digest[1] / 255 - 0.5) * 2


def village_corners(seed: int, township: Area, village: Area) -> list[tuple[float, float]]:
    """(lat, lng) of the village cell's corners: bottom-left, bottom-right, top-right, top-left."""
    row = round((village.centroid_lat - township.centroid_lat) / VILLAGE_LAT_STEP)
    col = round((village.centroid_lng - township.centroid_lng) / VILLAGE_LNG_STEP)
    corners = []
    for dr, dc in ((0, 0), (0, 1), (1, 1), (1, 0)):
        r2, c2 = 2 * row - 1 + 2 * dr, 2 * col - 1 + 2 * dc  # corners on the half-step lattice
        jy, jx = _jitter(seed, (township.code, r2, c2))
        corners.append(
            (
                township.centroid_lat + r2 / 2 * VILLAGE_LAT_STEP + jy * CORNER_JITTER * VILLAGE_LAT_STEP,
                township.centroid_lng + c2 / 2 * VILLAGE_LNG_STEP + jx * CORNER_JITTER * VILLAGE_LNG_STEP,
            )
        )
    return corners


def _layout(n: int) -> tuple[int, int, list[tuple[int, int, int]]]:
    """(rows, cols, [(col, first row, last row)] per grid): cells column by column, the last one stretched."""
    rows = 1 if n <= 2 else max(2, round(math.sqrt(n * VILLAGE_LNG_STEP / VILLAGE_LAT_STEP / 2)))
    cols = math.ceil(n / rows)
    places = []
    for index in range(n):
        col, row = divmod(index, rows)
        last_row = rows - 1 if index == n - 1 else row
        places.append((col, row, last_row))
    return rows, cols, places


def shape_village(seed: int, township: Area, village: Area, grids: list[Area]) -> None:
    bl, br, tr, tl = village_corners(seed, township, village)
    rows, cols, places = _layout(len(grids))

    def point(i: int, j: int) -> list[float]:
        """Lattice point (row i of rows, column j of cols), bilinear in the village's corners."""
        u, v = j / cols, i / rows
        lat = (1 - u) * (1 - v) * bl[0] + u * (1 - v) * br[0] + u * v * tr[0] + (1 - u) * v * tl[0]
        lng = (1 - u) * (1 - v) * bl[1] + u * (1 - v) * br[1] + u * v * tr[1] + (1 - u) * v * tl[1]
        if 0 < i < rows and 0 < j < cols:  # inner points only: the village's border stays straight
            jy, jx = _jitter(seed, (village.code, i, j))
            lat += jy * INNER_JITTER * VILLAGE_LAT_STEP / rows
            lng += jx * INNER_JITTER * VILLAGE_LNG_STEP / cols
        return [round(lng, 6), round(lat, 6)]

    for grid, (col, first_row, last_row) in zip(grids, places, strict=True):
        ring = [point(first_row, col), point(first_row, col + 1)]
        ring += [point(i, col + 1) for i in range(first_row + 1, last_row + 2)]
        ring += [point(last_row + 1, col)]
        ring += [point(i, col) for i in range(last_row, first_row - 1, -1)]
        grid.boundary = {"type": "Polygon", "coordinates": [ring]}
        corners = [
            point(first_row, col),
            point(first_row, col + 1),
            point(last_row + 1, col + 1),
            point(last_row + 1, col),
        ]
        grid.centroid_lng = round(sum(p[0] for p in corners) / 4, 6)
        grid.centroid_lat = round(sum(p[1] for p in corners) / 4, 6)


def build(*, seed: int, today, scale: float, say) -> None:
    areas = {a.pk: a for a in Area.objects.filter(level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])}
    grids_by_village: dict[int, list[Area]] = {}
    for grid in Area.objects.filter(level=AreaLevel.GRID).order_by("parent_id", "sort_order", "code"):
        grids_by_village.setdefault(grid.parent_id, []).append(grid)
    changed = []
    for village_id, grids in grids_by_village.items():
        village = areas.get(village_id)
        township = areas.get(village.parent_id) if village else None
        if township is None or None in (village.centroid_lat, township.centroid_lat):
            continue
        shape_village(seed, township, village, grids)
        changed += grids
    Area.objects.bulk_update(changed, ["boundary", "centroid_lat", "centroid_lng"], batch_size=1000)
    say(f"dashboard: {len(changed)} grid boundaries drawn")
