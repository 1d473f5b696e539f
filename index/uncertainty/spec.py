"""The uncertainty spec as typed models (pydantic): which choices of the method spec vary, and how.

A spec file (sql/method/dei_uncertainty.toml, tests/fixtures/asem/uncertainty.toml) is read into
:class:`UncertaintySpec`. The nominal build is the method spec; this file only names alternatives: a step it
does not mention stays as the method spec has it. An unknown or misspelt key, a value of the wrong type or
outside its range is a ConfigError naming the key and listing the valid keys or values, in the method spec's
style (index/engine/spec.py). Alternatives for impute, normalise and aggregate are whole sections of the
method spec, checked by the engine's own models. :func:`key_table` generates the README's key table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from index.engine import spec as method_spec
from index.engine.spec import Number, WholeNumber, _where, first_error, key_rule_message, list_is_a_pair
from index.engine.vocabulary import UNIT_COMPARING_METHODS
from index.errors import ConfigError

# Copeland compares every pair of units and TOPSIS every unit with the best and the worst; the fast path (matrix
# products, one row at a time) has no such form, so neither is offered.
FAST_AGGREGATE_METHODS = tuple(m for m in method_spec.AGGREGATE_METHODS if m not in UNIT_COMPARING_METHODS)
DEFAULT_REPLICATES = 1000
DEFAULT_SOBOL_N = 512


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _alternatives(values: str, description: str, optional: bool = False):
    """A non-empty list of what to try (``values`` for the README's key table); required unless ``optional``."""
    rules = dict(min_length=1, json_schema_extra={"values": values}, description=description)
    return Field(None, **rules) if optional else Field(**rules)


class Impute(Section):
    alternatives: list[method_spec.Impute] = _alternatives(
        "a list of `[impute]` tables",
        "the imputation methods to try, each a whole `[impute]` section of the method spec "
        "(`[[impute.alternatives]]` tables)",
    )


class Treat(Section):
    winmax: list[Annotated[WholeNumber, Field(ge=0)]] | None = _alternatives(
        "e.g. `[1, 2, 3, 4, 5]`",
        "winsorise_then_log with each of these `winmax` (skew and kurtosis thresholds as in the method spec)",
        optional=True,
    )
    winmax_range: tuple[Annotated[WholeNumber, Field(ge=0)], Annotated[WholeNumber, Field(ge=0)]] | None = Field(
        None,
        json_schema_extra={"values": "e.g. `[1, 5]`"},
        description=("the same as `winmax` = every whole number from the first to the second, inclusive"),
    )
    off: bool = Field(
        False,
        json_schema_extra={"values": "`false` \\| `true`"},
        description=('also the untreated data (`treat.method = "none"`); alone: the method spec\'s treatment or none'),
    )

    _list_is_a_pair = field_validator("winmax_range", mode="before")(list_is_a_pair)

    @model_validator(mode="after")
    def _one_way(self):
        if self.winmax is not None and self.winmax_range is not None:
            raise ValueError("treat: give either treat.winmax (a list) or treat.winmax_range ([first, last]), not both")
        if self.winmax_range is not None and self.winmax_range[0] > self.winmax_range[1]:
            raise ValueError(f"treat.winmax_range = {list(self.winmax_range)!r}: the first must not exceed the last")
        if self.winmax is None and self.winmax_range is None and not self.off:
            raise ValueError("treat: name treat.winmax, treat.winmax_range or treat.off = true (or leave [treat] out)")
        return self

    def winmax_values(self) -> list[int]:
        if self.winmax_range is not None:
            return list(range(self.winmax_range[0], self.winmax_range[1] + 1))
        return list(dict.fromkeys(self.winmax or []))


class Normalise(Section):
    alternatives: list[method_spec.Normalise] = _alternatives(
        "a list of `[normalise]` tables",
        "the normalisations to try, each a whole `[normalise]` section of the method spec, e.g. "
        '`{ method = "zscore", mean = 10, sd = 2 }`; keys not given take the engine\'s defaults',
    )


class Weights(Section):
    noise: dict[str, Annotated[Number, Field(ge=0, lt=1)]] | None = Field(
        None,
        json_schema_extra={"values": 'e.g. `{ "2" = 0.25, "3" = 0.25 }`'},
        description=(
            "per framework level (of the weighted nodes): each weight becomes w × (1 + u), u uniform in "
            "[−share, share], then renormalised under its parent (COINr's get_noisy_weights)"
        ),
    )
    schemes: list[Annotated[str, Field(min_length=1)]] | None = _alternatives(
        'e.g. `["metadata", "equal"]`',
        "whole weight schemes to try: the names of `weights.scheme` in the method spec, or SQL files "
        "(beside this file or in the SQL tree); noise, if any, applies to each",
        optional=True,
    )

    @field_validator("noise", mode="before")
    @classmethod
    def _level_numbers(cls, value):
        if not isinstance(value, dict):
            return value
        checked = {}
        for level, share in value.items():
            key = str(level)
            if not key.isdigit():
                raise ValueError(f'weights.noise key {level!r} must be a framework level number, e.g. "2"')
            checked[str(int(key))] = share
        return checked

    @model_validator(mode="after")
    def _something(self):
        if not self.noise and not self.schemes:
            raise ValueError("weights: name weights.noise or weights.schemes (or leave [weights] out)")
        return self


class Aggregate(Section):
    alternatives: list[method_spec.Aggregate] = _alternatives(
        'e.g. `["amean", "gmean"]`',
        "the aggregations to try: a method name (every level) or a whole `[aggregate]` section "
        "(`levels`, `p`, `nonpositive`); copeland and topsis are not offered",
    )

    @field_validator("alternatives", mode="before")
    @classmethod
    def _names_are_sections(cls, value):
        if not isinstance(value, list):
            return value  # the type check names it
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                if item not in FAST_AGGREGATE_METHODS:
                    raise ValueError(
                        f"aggregate.alternatives[{i}] = {item!r} is not allowed; use one of"
                        f" {list(FAST_AGGREGATE_METHODS)} or an [aggregate] table"
                    )
                item = {"method": item}
            out.append(item)
        return out

    @field_validator("alternatives", mode="after")
    @classmethod
    def _no_unit_comparing(cls, value):
        for i, item in enumerate(value):
            for name in sorted(set(UNIT_COMPARING_METHODS) & {item.method, *(item.levels or {}).values()}):
                raise ValueError(f"aggregate.alternatives[{i}]: {name} is not offered (it has no matrix form)")
        return value


class Exclusion(Section):
    level: Annotated[WholeNumber, Field(ge=1)] = Field(
        1,
        json_schema_extra={"values": "`1`, ≥ 1"},
        description=("leave out one node of this framework level at a time: 1 = each indicator, 2 = each dimension, …"),
    )
    nodes: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None,
        min_length=1,
        json_schema_extra={"values": "node ids"},
        description="only these nodes (default: every node of `level`)",
    )
    uncertain: bool = Field(
        False,
        json_schema_extra={"values": "`false` \\| `true`"},
        description=(
            "also an uncertain input of the Monte Carlo and Sobol analyses: each replicate leaves out none or "
            "one of the nodes, with equal chances; the exclusion table is written either way"
        ),
    )


class Sensitivity(Section):
    n: Annotated[WholeNumber, Field(ge=2)] = Field(
        DEFAULT_SOBOL_N,
        json_schema_extra={"values": f"`{DEFAULT_SOBOL_N}`, a power of 2"},
        description=(
            "base sample of the Sobol design (scipy.stats.sobol_indices, Saltelli 2010): n × (inputs + 2) builds"
        ),
    )
    bootstrap: Annotated[WholeNumber, Field(ge=10)] = Field(
        999, json_schema_extra={"values": "`999`, ≥ 10"}, description="bootstrap resamples for the confidence intervals"
    )
    confidence: Annotated[Number, Field(gt=0, lt=1)] = Field(
        0.95, json_schema_extra={"values": "`0.95`"}, description="confidence level of the intervals"
    )
    skip: bool = Field(
        False,
        json_schema_extra={"values": "`false` \\| `true`"},
        description="no Sobol analysis (the Monte Carlo and exclusion tables only)",
    )

    @field_validator("n", mode="after")
    @classmethod
    def _power_of_two(cls, value):
        if value & (value - 1):
            raise ValueError(
                f"sensitivity.n = {value!r} must be a power of 2, e.g. {1 << (value.bit_length() - 1)}"
                f" or {1 << value.bit_length()}"
            )
        return value


class UncertaintySpec(BaseModel):
    """A whole uncertainty spec; every section is optional (none: every replicate is the nominal build)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    replicates: Annotated[WholeNumber, Field(ge=1)] = Field(
        DEFAULT_REPLICATES,
        json_schema_extra={"values": f"`{DEFAULT_REPLICATES}`, ≥ 1"},
        description="Monte Carlo replicates (`--replicates` overrides)",
    )
    seed: WholeNumber = Field(
        0,
        json_schema_extra={"values": "`0`"},
        description=("seed of every random draw: the same seed gives the same tables (`--seed` overrides)"),
    )
    target: str | None = Field(
        None,
        min_length=1,
        json_schema_extra={"values": "a node id (the root)"},
        description="the node whose ranks the Sobol analysis explains",
    )
    interval: tuple[Annotated[Number, Field(ge=0, le=1)], Annotated[Number, Field(ge=0, le=1)]] = Field(
        (0.05, 0.95), description="lower and upper quantile of the rank and score intervals"
    )
    impute: Impute | None = None
    treat: Treat | None = None
    normalise: Normalise | None = None
    weights: Weights | None = None
    aggregate: Aggregate | None = None
    exclusion: Exclusion | None = None
    sensitivity: Sensitivity = Sensitivity()

    _list_is_a_pair = field_validator("interval", mode="before")(list_is_a_pair)

    @model_validator(mode="after")
    def _ordered(self):
        lo, hi = self.interval
        if not lo < hi:
            raise ValueError(f"interval = {[lo, hi]!r} must be two quantiles [lo, hi] with 0 ≤ lo < hi ≤ 1")
        return self


SECTIONS: dict[str, type[BaseModel]] = {
    "impute": Impute,
    "treat": Treat,
    "normalise": Normalise,
    "weights": Weights,
    "aggregate": Aggregate,
    "exclusion": Exclusion,
    "sensitivity": Sensitivity,
}
TOP_KEYS = [k for k in UncertaintySpec.model_fields if k not in SECTIONS]
# the method-spec model each list of alternatives holds, to name its valid keys
ALTERNATIVE_MODELS = {
    "impute": method_spec.Impute,
    "normalise": method_spec.Normalise,
    "aggregate": method_spec.Aggregate,
}


def _label(loc: tuple) -> str:
    """('normalise', 'alternatives', 0, 'rnage') -> normalise.alternatives[0].rnage"""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text


def _message(source: str, error: dict) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        if len(loc) == 1:
            allowed = sorted(TOP_KEYS) + sorted(f"[{s}]" for s in SECTIONS)
            return f"{source}: unknown key(s) {[loc[0]]}; allowed top-level keys and sections are {allowed}"
        section = loc[0]
        if len(loc) >= 4 and loc[1] == "alternatives" and section in ALTERNATIVE_MODELS:
            keys = sorted(ALTERNATIVE_MODELS[section].model_fields)
            return (
                f"{source}: unknown key(s) {[_label(loc)]}; keys allowed in a [[{section}.alternatives]] table"
                f" (the method spec's [{section}]): {keys}"
            )
        keys = sorted(SECTIONS[section].model_fields)
        return f"{source}: unknown key(s) {[_where(loc)]}; keys allowed in [{section}]: {keys}"
    if kind == "value_error":
        text = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        which = _label(loc[:3]) if len(loc) >= 3 and loc[1] == "alternatives" and isinstance(loc[2], int) else ""
        if which and not text.startswith(which):
            text = f"{which}: {text}"  # which alternative the method spec's own rule is about
        return f"{source}: {text}"
    return key_rule_message(source, _label(loc), error)


def _first_problem(source: str, exc: ValidationError) -> str:
    return _message(source, first_error(exc))


def validate(body: Any, source: str = "uncertainty") -> UncertaintySpec:
    """Check an uncertainty spec (the parsed TOML); ConfigError names the first bad key."""
    if not isinstance(body, dict):
        raise ConfigError(f"{source}: an uncertainty spec is a table of keys and sections, got {type(body).__name__}")
    try:
        return UncertaintySpec.model_validate(body)
    except ValidationError as exc:
        raise ConfigError(_first_problem(source, exc)) from None


def load(path: str | Path) -> UncertaintySpec:
    """Read an uncertainty TOML file (e.g. sql/method/dei_uncertainty.toml) and validate it."""
    from index.files import read_toml

    return validate(read_toml(path, "uncertainty"), source=str(path))


def key_table() -> str:
    """The README's table of uncertainty-spec keys, generated from the models."""
    lines = ["| key | values (default first) | meaning |", "|---|---|---|"]
    for key in TOP_KEYS:
        field = UncertaintySpec.model_fields[key]
        lines.append(f"| `{key}` | {method_spec._values(field)} | {_escaped(field.description)} |")
    for section, model in SECTIONS.items():
        for key, field in model.model_fields.items():
            lines.append(f"| `{section}.{key}` | {method_spec._values(field)} | {_escaped(field.description)} |")
    return "\n".join(lines)


def _escaped(text: str | None) -> str:
    return (text or "").replace("|", "\\|")


README_START = "<!-- uncertainty-keys:start (generated from index/uncertainty/spec.py) -->"
README_END = "<!-- uncertainty-keys:end -->"


def readme_block() -> str:
    return f"{README_START}\n{key_table()}\n{README_END}"


__all__ = ["UncertaintySpec", "load", "validate", "key_table", "readme_block"]


def write_readme(readme: Path | None = None) -> Path:
    """Replace the key table between the markers in README.md (``python -m index.readme`` calls it)."""
    from index.files import replace_between

    return replace_between(
        readme or Path(__file__).resolve().parents[2] / "README.md", README_START, README_END, readme_block()
    )
