"""The method spec as typed models (pydantic): one section per verb, every key with its type and default.

A spec file (sql/method/*.toml, a COINr door's method.toml) is read into :class:`MethodSpec`. An unknown or
misspelt section or key, a value of the wrong type or outside its range, or a key that belongs to another
method is a ConfigError that names the key (``impute.method``) and lists the valid values or keys. The engine
works on the plain dict :func:`validate` returns, with defaults filled and only the keys that apply to the
chosen method (so a plain minmax section reads as it always did). The README's key table is generated from
these models (:func:`key_table`; ``python -m index.readme`` rewrites it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from index.engine.vocabulary import (
    AGGREGATE_METHODS,
    GROUP_IMPUTE_METHODS,
    IMPUTE_METHODS,
    KNN_DEFAULT_K,
    NAMED_WEIGHT_SCHEMES,
    NONPOSITIVE,
    NORMALISE_ALIASES,
    NORMALISE_METHODS,
    NORMALISE_SCOPES,
    OBJECTIVE_WEIGHT_SCHEMES,
    POSITIVE_MEANS,
    SCREEN_ON,
    TREAT_METHODS,
    WEIGHT_SCOPES,
)
from index.errors import ConfigError

Number = Annotated[float, Field(allow_inf_nan=False, strict=True)]
WholeNumber = Annotated[int, Field(strict=True)]


def list_is_a_pair(value):
    """A TOML array for a tuple key (strict mode takes only a tuple); shared with the uncertainty spec."""
    return tuple(value) if isinstance(value, list) else value


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    def as_dict(self) -> dict:
        """The keys that apply, defaults filled (what the engine and the release manifest read)."""
        return self.model_dump(exclude_none=True)


class Denominate(Section):
    """present: divide each indicator by the denominator its framework row names (`denominator`, × `denominator_scale`; COINr's Denominator column)"""


class Impute(Section):
    method: Literal[IMPUTE_METHODS] = Field(
        "none",
        description=(
            "`mean`/`median`: cross-section of the same period; `group_*`: within the unit's group (`group` key); "
            "`panel_linear`: interpolate the unit's own periods, nearest period at the ends; `panel_latest`: last "
            "earlier value, else next; panel methods fall back to the cross-section mean; `knn`: scikit-learn "
            "KNNImputer per period on standardised indicators"
        ),
    )
    group: str | None = Field(
        None,
        min_length=1,
        json_schema_extra={"values": "a `*_group` column"},
        description="the units' group column for `group_mean` / `group_median`",
    )
    k: Annotated[WholeNumber, Field(ge=1)] | None = Field(
        None, json_schema_extra={"values": f"`{KNN_DEFAULT_K}`, ≥ 1"}, description="neighbours for `knn`"
    )

    @model_validator(mode="after")
    def _keys_of_the_method(self):
        if self.method in GROUP_IMPUTE_METHODS and self.group is None:
            raise ValueError(
                f"impute.group is required for impute.method = {self.method!r}: name a group column"
                ' of the units, e.g. group = "EurAsia_group"'
            )
        if self.method not in GROUP_IMPUTE_METHODS and self.group is not None:
            raise ValueError(f"impute.group applies only to impute.method in {list(GROUP_IMPUTE_METHODS)}")
        if self.method != "knn" and self.k is not None:
            raise ValueError("impute.k applies only to impute.method = 'knn'")
        if self.method == "knn" and self.k is None:
            self.k = KNN_DEFAULT_K
        return self


class Screen(Section):
    min_data: Annotated[Number, Field(ge=0, le=1)] = Field(
        0.0,
        json_schema_extra={"values": "`0` … `1` (0)"},
        description="keep unit-periods with at least this share of indicators present",
    )
    on: Literal[SCREEN_ON] = Field(
        "imputed", description="which data set's availability counts (COINr's reference build: imputed)"
    )

    @field_validator("min_data", mode="after")
    @classmethod
    def _as_float(cls, value):
        return float(value)


class Treat(Section):
    method: Literal[TREAT_METHODS] = Field(
        "none",
        description=(
            "COINr's default rule: an indicator fails when |skew| ≥ `skew` and kurtosis ≥ `kurtosis`; winsorise one "
            "point at a time from the tail the skew points to, up to `winmax`; if it still fails, use the untreated "
            "values with log(x − min + 0.01·(max − min)); per indicator and period"
        ),
    )
    winmax: Annotated[WholeNumber, Field(ge=0)] = Field(
        5, json_schema_extra={"values": "`5`, ≥ 0"}, description="most points winsorised per indicator"
    )
    skew: Annotated[Number, Field(gt=0)] = Field(
        2.0, json_schema_extra={"values": "`2.0`, > 0"}, description="threshold on |skewness|"
    )
    kurtosis: Number = Field(3.5, description="threshold on kurtosis")

    @field_validator("skew", "kurtosis", mode="after")
    @classmethod
    def _as_float(cls, value):
        return float(value)


# keys filled only when the method uses them, and refused for any other method
NORMALISE_METHOD_KEYS = {"mean": "zscore", "sd": "zscore", "cap_max": "dist2targ", "base_period": "base_period"}
NORMALISE_METHOD_DEFAULTS = {"mean": 0.0, "sd": 1.0, "cap_max": False}


class Normalise(Section):
    method: Literal[NORMALISE_METHODS] = Field(
        "minmax",
        description=(
            "COINr's n_minmax, n_zscore, n_prank, n_rank, n_goalposts (posts from the framework's goalpost_* "
            "columns), n_dist2targ (the framework's `target`); `base_period`: value ÷ the unit's value in "
            "`base_period` × 100 (`base_year` is read as `base_period`). Polarity −1 is reversed so higher = better"
        ),
    )
    range: tuple[Number, Number] = Field((0, 100), description="min-max range [lo, hi], lo < hi")
    scope: Literal[NORMALISE_SCOPES] = Field(
        "panel",
        description="pooled over all periods (comparable across periods) or per period (`year` is read as `period`)",
    )
    mean: Number | None = Field(None, json_schema_extra={"values": "`0`"}, description="target mean for `zscore`")
    sd: Annotated[Number, Field(gt=0)] | None = Field(
        None, json_schema_extra={"values": "`1`, > 0"}, description="target sd for `zscore`"
    )
    cap_max: bool | None = Field(
        None,
        json_schema_extra={"values": "`false` \\| `true`"},
        description="cap `dist2targ` at 1 once the target is reached",
    )
    base_period: WholeNumber | None = Field(
        None,
        json_schema_extra={"values": "a period, e.g. `2020`"},
        description="the base period; required for `base_period`",
    )
    group: str | None = Field(
        None,
        json_schema_extra={"values": "a unit group column, e.g. `parent`"},
        description=(
            "scale within each group of units (e.g. each 旗县 against the other 旗县 of its 盟市) instead of all "
            "units together; not with `base_period`, which is per unit"
        ),
    )

    @field_validator("method", "scope", mode="before")
    @classmethod
    def _earlier_spelling(cls, value, info):
        return NORMALISE_ALIASES[info.field_name].get(value, value) if isinstance(value, str) else value

    _list_is_a_pair = field_validator("range", mode="before")(list_is_a_pair)

    @model_validator(mode="after")
    def _keys_of_the_method(self):
        lo, hi = self.range
        if not lo < hi:
            raise ValueError(f"normalise.range = {[lo, hi]!r} must be two finite numbers [lo, hi] with lo < hi")
        for key, owner in NORMALISE_METHOD_KEYS.items():
            if getattr(self, key) is not None and self.method != owner:
                raise ValueError(f"normalise.{key} applies only to method = {owner!r}, not {self.method!r}")
            if self.method == owner and getattr(self, key) is None and key in NORMALISE_METHOD_DEFAULTS:
                setattr(self, key, NORMALISE_METHOD_DEFAULTS[key])
        if self.method == "base_period" and self.base_period is None:
            raise ValueError("normalise.base_period is required with method = 'base_period'")
        if self.method == "base_period" and self.group is not None:
            raise ValueError("normalise.group does not apply to method = 'base_period' (each unit is its own base)")
        return self

    def as_dict(self) -> dict:
        out = super().as_dict()
        out["range"] = list(self.range)
        return out


class Weights(Section):
    scheme: str | None = Field(
        None,
        json_schema_extra={"values": " \\| ".join(f"`{name}`" for name in NAMED_WEIGHT_SCHEMES) + " \\| a SQL file"},
        description=(
            "`metadata`: the registered weights (DEI: the scheme file; COINr: the Weight column); `equal`: equal "
            "within each parent; `entropy`, `critic`, `pca`, `balance`: computed from the data"
        ),
    )
    scope: Literal[WEIGHT_SCOPES] = Field(
        "panel",
        description=(
            "objective weights from the pooled panel (全局熵值法: one weight per node for every period) or from each "
            "period's rows alone (year-by-year weights, published in table `period_weights`); `period` only with "
            "`entropy`, `critic`, `pca` or `balance`"
        ),
    )

    @model_validator(mode="after")
    def _scope_of_the_scheme(self):
        if self.scope == "period" and self.scheme not in OBJECTIVE_WEIGHT_SCHEMES:
            raise ValueError(
                f"weights.scope = 'period' derives the weights from each period's data, so it needs an objective "
                f"scheme {list(OBJECTIVE_WEIGHT_SCHEMES)}, not scheme = {self.scheme!r}"
            )
        return self

    def as_dict(self) -> dict:
        out = super().as_dict()
        if out.get("scope") == "panel":
            del out["scope"]  # the default: the spec reads as it did before the key existed
        return out


class Aggregate(Section):
    method: Literal[AGGREGATE_METHODS] = Field(
        "amean",
        description=(
            "weighted arithmetic, geometric, harmonic, generalised (power `p`) mean, Copeland's pairwise outranking, "
            "or TOPSIS: 100 × the closeness to the ideal (each child's best) against the anti-ideal (its worst) over "
            'the units `normalise` scaled together; with `weights.scheme = "entropy"` the 熵权-TOPSIS'
        ),
    )
    p: Number | None = Field(
        None,
        json_schema_extra={"values": "a number"},
        description="power of the generalised mean; required for `genmean`",
    )
    levels: dict[str, Literal[AGGREGATE_METHODS]] | None = Field(
        None,
        json_schema_extra={"values": 'e.g. `{ "3" = "gmean" }`'},
        description="a different method per level (a level number → a method)",
    )
    nonpositive: Literal[NONPOSITIVE] | None = Field(
        None, description=("what a geometric/harmonic/generalised mean does with a value ≤ 0 (default error)")
    )

    @field_validator("levels", mode="before")
    @classmethod
    def _level_numbers(cls, value):
        if not isinstance(value, dict):
            return value  # the type check names it
        checked = {}
        for level, name in value.items():
            key = str(level)
            if not key.isdigit():
                raise ValueError(f'aggregate.levels key {level!r} must be a framework level number, e.g. "3"')
            checked[str(int(key))] = name
        return checked

    @model_validator(mode="after")
    def _keys_of_the_method(self):
        used = {self.method, *(self.levels or {}).values()}
        if "genmean" in used and self.p is None:
            raise ValueError("aggregate.p (the power of genmean) is required when genmean is used")
        if "genmean" not in used and self.p is not None:
            raise ValueError(f"aggregate.p applies only when genmean is used, not with {sorted(used)}")
        if used & set(POSITIVE_MEANS) and self.nonpositive is None:
            self.nonpositive = "error"
        return self


class Rank(Section):
    group: str | None = Field(
        None,
        json_schema_extra={"values": "a unit group column, e.g. `parent`"},
        description=(
            "also rank within each group of units (output table group_ranks; e.g. a 旗县 within its 盟市) beside "
            "the rank among all units"
        ),
    )


class MethodSpec(BaseModel):
    """A whole method spec. Every section is optional; [denominate] switches denomination on by being present."""

    model_config = ConfigDict(extra="forbid", strict=True)

    denominate: Denominate | None = None
    impute: Impute = Impute()
    screen: Screen = Screen()
    treat: Treat = Treat()
    normalise: Normalise = Normalise()
    weights: Weights | None = None
    aggregate: Aggregate = Aggregate()
    rank: Rank = Rank()

    def as_dict(self) -> dict:
        return {
            name: getattr(self, name).as_dict() for name in type(self).model_fields if getattr(self, name) is not None
        }


SECTIONS: dict[str, type[Section]] = {name: field.annotation for name, field in MethodSpec.model_fields.items()}
SECTIONS["denominate"], SECTIONS["weights"] = Denominate, Weights


def _where(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _message(source: str, error: dict, method: dict) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if len(loc) > 2 and isinstance(loc[2], int) and kind != "literal_error":
        # one element of a list key (normalise.range): name the key and show the whole value as written
        value = method.get(loc[0], {}).get(loc[1]) if isinstance(method.get(loc[0]), dict) else None
        return f"{source}: {_where(loc[:2])} = {value!r}: {_RULES.get(loc[:2], error['msg'])}"
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return f"{source}: unknown section(s) {[loc[0]]}; allowed sections are {sorted(SECTIONS)}"
        section = loc[0]
        keys = sorted(SECTIONS[section].model_fields) or "none"
        return f"{source}: unknown key(s) {[_where(loc)]}; keys allowed in [{section}]: {keys}"
    if kind == "value_error":
        return f"{source}: " + str(error["ctx"]["error"]) if "ctx" in error else f"{source}: {error['msg']}"
    # a key's own rule: its value, what was wrong and, for a choice, every valid value
    where = _where(tuple(p for p in loc if not (isinstance(p, int) and kind != "literal_error")))
    value = error.get("input")
    if loc[:2] in _RULES:
        return f"{source}: {where} = {value!r}: {_RULES[loc[:2]]}"
    return key_rule_message(source, where, error)


def key_rule_message(source: str, where: str, error: dict) -> str:
    """A key's own rule broken: its value, what was wrong and, for a choice, every valid value (both specs)."""
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    if kind == "literal_error":
        allowed = [v.strip().strip("'") for v in error["ctx"]["expected"].replace(" or ", ", ").split(", ")]
        return f"{source}: {where} = {value!r} is not allowed; use one of {allowed}"
    if kind in ("model_type", "dict_type") and len(loc) == 1:
        return f"{source}: [{loc[0]}] must be a table, got {value!r}"
    return f"{source}: {where} = {value!r}: {error['msg'][:1].lower() + error['msg'][1:]}"


_RULES = {("normalise", "range"): "must be two finite numbers [lo, hi] with lo < hi"}


def first_error(exc: ValidationError) -> dict:
    """The error a spec's ConfigError names (both specs)."""
    errors = exc.errors(include_url=False)
    # an unknown key first, then the first rule broken, in the file's order
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    return errors[0]


def _first_problem(source: str, exc: ValidationError, method: dict) -> str:
    return _message(source, first_error(exc), method)


def validate(method: Any, source: str = "method") -> dict:
    """Check a method spec and return it as a plain dict with defaults filled; ConfigError names the key."""
    if not isinstance(method, dict):
        raise ConfigError(f"{source}: a method spec is a table of sections, got {type(method).__name__}")
    try:
        return MethodSpec.model_validate(method).as_dict()
    except ValidationError as exc:
        raise ConfigError(_first_problem(source, exc, method)) from None


def validate_section(name: str, body: Any, source: str = "method") -> dict:
    """One section on its own (``[normalise]``, ``[aggregate]``), defaults filled."""
    return validate({name: {} if body is None else body}, source)[name]


def key_table() -> str:
    """The README's table of method-spec keys, generated from the models."""
    lines = [
        "| key | values (default first) | meaning |",
        "|---|---|---|",
        "| `[denominate]` | present or absent | " + (Denominate.__doc__ or "").strip() + " |",
    ]
    for section, model in SECTIONS.items():
        for key, field in model.model_fields.items():
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{section}.{key}` | {_values(field)} | {meaning} |")
    return "\n".join(lines)


def _values(field) -> str:
    from typing import get_args, get_origin

    if field.json_schema_extra and "values" in field.json_schema_extra:
        return field.json_schema_extra["values"]

    def literals(tp):
        if get_origin(tp) is Literal:
            return list(get_args(tp))
        for arg in get_args(tp):
            found = literals(arg)
            if found:
                return found
        return []

    choices = literals(field.annotation)
    default = field.default
    if choices and get_origin(field.annotation) is not dict:
        ordered = ([default] if default in choices else []) + [c for c in choices if c != default]
        return " \\| ".join(f"`{c}`" for c in ordered)
    if default is None:
        return "optional"
    if isinstance(default, tuple):
        default = list(default)
    return f"`{default}`"


README_START = "<!-- method-keys:start (generated from index/engine/spec.py) -->"
README_END = "<!-- method-keys:end -->"


def readme_block() -> str:
    return f"{README_START}\n{key_table()}\n{README_END}"


def write_readme(readme: Path | None = None) -> Path:
    """Replace the key table between the markers in README.md (``python -m index.readme`` calls it)."""
    from index.files import replace_between

    return replace_between(
        readme or Path(__file__).resolve().parents[2] / "README.md", README_START, README_END, readme_block()
    )
