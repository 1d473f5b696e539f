"""The unit levels the DEI scores: the 12 盟市, and the 103 旗县市区 within them (条例 第七十一条).

Each level is its own engine build: counties are normalised and ranked against counties, 盟市 against 盟市.
The 旗县 build uses the framework's ``levels = 'league,county'`` figures only (an indicator compiled only at
盟市 level is not expected from a 旗县), with the scheme's weights rescaled to 1 under each parent over the
nodes kept. Every 旗县 gets two ranks: among the 103 (``rank``) and within its 盟市 (``rank_in_parent``,
the engine's ``rank.group`` over the unit group ``parent``).

The method file (sql/method/dei.toml) holds the engine's sections and one DEI section, ``[county]``:

    [county]
    normalise_scope = "region"   # or "league": each 旗县 scaled against the 旗县 of its own 盟市

The engine itself never sees ``[county]``; :func:`load_method` splits it off.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from index.errors import ConfigError

LEAGUE, COUNTY = "league", "county"
LEVELS = (LEAGUE, COUNTY)
PARENT_GROUP = "parent"  # the unit group column of the 旗县 build: the code of the unit's 盟市
COUNTY_SECTION = "county"
NORMALISE_SCOPES = ("region", "league")


@dataclass(frozen=True)
class County:
    """The ``[county]`` section of the DEI method file, checked."""

    normalise_scope: str = "region"

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=1)
def _model():
    """The pydantic model of [county], built on first use: pydantic's import is a tenth of a second, and a warm
    verdict cache (index/verdicts.py) checks an unchanged section without it, as it does the engine's spec."""
    from typing import Literal

    from pydantic import BaseModel, ConfigDict

    class CountyLevel(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)

        normalise_scope: Literal[NORMALISE_SCOPES] = "region"

    return CountyLevel


def _checked_county(section: dict, source: str) -> County:
    from pydantic import ValidationError

    try:
        return County(**_model().model_validate(section).model_dump())
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in (COUNTY_SECTION, *error["loc"]))
        if error["type"] == "extra_forbidden":
            raise ConfigError(
                f"{source}: unknown key {key}; keys allowed in [county]: {sorted(_model().model_fields)}"
            ) from None
        raise ConfigError(f"{source}: {key} = {error.get('input')!r}: {error['msg']}") from None


def check_county(section: dict, source: str = "method") -> County:
    """The ``[county]`` section checked (pydantic), or recalled from the verdict cache when unchanged."""
    from index import verdicts

    text = verdicts.canonical_json(section)
    digest = None
    if text is not None:
        checker = verdicts.fingerprint(str(Path(__file__)), verdicts.package_file("pydantic", "version.py"))
        digest = verdicts.key("county", checker, text)
        stored = verdicts.recall("county", digest)
        if stored is not None:
            try:
                return County(**json.loads(stored))
            except (TypeError, ValueError):
                pass  # a corrupt entry: check again
    county = _checked_county(section, source)
    if digest is not None:
        verdicts.remember("county", digest, json.dumps(county.as_dict(), sort_keys=True))
    return county


@dataclass(frozen=True)
class DeiMethod:
    engine: dict  # the engine's spec (validated)
    county: County

    def as_dict(self) -> dict:
        return {**self.engine, COUNTY_SECTION: self.county.as_dict()}


def split_method(raw: dict, source: str = "method") -> DeiMethod:
    """The engine's sections of a DEI method file, validated by the engine, and its ``[county]`` section."""
    from index.engine import validate_method

    raw = dict(raw)
    section = raw.pop(COUNTY_SECTION, None) or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: [county] must be a table, got {section!r}")
    return DeiMethod(validate_method(raw, source=source), check_county(section, source))


def load_method(path: str | Path) -> DeiMethod:
    """Read and validate a DEI method file (the engine's sections and ``[county]``)."""
    from index.files import read_toml

    return split_method(read_toml(path, "method"), source=str(path))


def level_spec(method: DeiMethod, level: str) -> dict:
    """The engine spec of one level's build: the 旗县 build also ranks within the 盟市 (and scales within it
    when ``county.normalise_scope = "league"``)."""
    import copy

    spec = copy.deepcopy(method.engine)
    if level == COUNTY:
        spec.setdefault("rank", {})["group"] = PARENT_GROUP
        if method.county.normalise_scope == "league":
            spec.setdefault("normalise", {})["group"] = PARENT_GROUP
    return spec


def level_framework(framework, weights, level: str):
    """The framework and weights of one level's build: at 旗县 level the figures reported by counties, the
    aggregates above them, and the weights rescaled to 1 under each parent over what is kept."""
    from index.framework import unit_level_nodes

    if level == LEAGUE:
        return framework, weights
    figures = unit_level_nodes(framework, level)
    parents = dict(zip(framework["node_id"], framework["parent_id"]))
    keep = set(figures)
    for node in figures:  # every aggregate above a kept indicator
        parent = parents.get(node)
        while isinstance(parent, str) and parent not in keep:
            keep.add(parent)
            parent = parents.get(parent)
    kept = framework[framework["node_id"].isin(keep)].reset_index(drop=True)
    if kept[kept["node_type"] == "Indicator"].empty:
        raise ConfigError(f"the framework has no indicator reported at {level} level (column levels)")
    scheme = weights[weights["node_id"].isin(keep)].copy()
    scheme["parent_id"] = scheme["node_id"].map(parents)
    totals = scheme.groupby("parent_id", dropna=False)["weight"].transform("sum")
    # a parent whose kept children all weigh 0 keeps them at 0 (the scheme left that branch out on purpose)
    scheme["weight"] = scheme["weight"].where(totals <= 0, scheme["weight"] / totals.where(totals > 0, 1.0))
    return kept, scheme[["node_id", "weight"]].reset_index(drop=True)


def level_units(level: str, reference: Path | None = None):
    """The units a level's build scores: unit_code (text, as the engine keys them), unit_name, unit_level,
    parent_code, from the unit registry (zones are never ranked)."""
    import pandas as pd

    from index import units

    path = Path(reference) / units.UNITS_FILE if reference is not None else None
    registry = units.registry(path if path is not None and path.exists() else None)
    rows = [(str(u.code), u.name_zh, u.level, u.parent_code) for u in registry.level(level)]
    return pd.DataFrame(rows, columns=["unit_code", "unit_name", "unit_level", "parent_code"])


def unit_groups(units_frame):
    """The 旗县 build's unit groups: each county's 盟市 as group column ``parent``."""
    import pandas as pd

    return pd.DataFrame(
        {
            "unit_code": units_frame["unit_code"],
            "group_column": PARENT_GROUP,
            "group_value": units_frame["parent_code"].astype("Int64").astype(str),
        }
    )
