"""The generic composite-indicator engine: COINr / OECD-JRC Handbook verbs as SQL steps on DuckDB.

Inputs are tables on a DuckDB connection (``framework``, ``weights``, ``units``, ``observations``, see
docs/architecture.md and :func:`run`); the method is a dict read from a TOML spec such as sql/method/dei.toml.
Nothing here or in sql/engine names an indicator, dimension or unit of any particular index.

Steps (one SQL file each under sql/engine, one module per verb, each run as
``create or replace table <step> as <file>``, or as a view where the step would only copy cells)::

    stage       01_stage.sql            dedupe, full grid units × periods × variables; keys become enums
    denominate  02_denominate*.sql      value / denominator × denominator_scale (a view when nothing divides)
    impute      03_impute*.sql          none | mean | median | panel_linear | panel_latest | group_mean |
                                        group_median | knn (scikit-learn, once per period); only the chosen one
    screen      04_screen*.sql          drop unit-periods with too small a share of indicators (raw or imputed)
    treat       05_treat*.sql           none | winsorise_then_log (COINr's default), per indicator and period
    normalise   06_normalise*.sql       methods and keys: normalise.py (validate_section); polarity applied
    (weights)                           [weights] scheme entropy | critic | pca | balance (objective_weights.py)
                                        or equal replace the weights table; metadata keeps it
    weight      07_weight*.sql          effective weights relative to the root, re-weighted over present nodes
    aggregate   08_aggregate*.sql       per level; methods and keys: aggregate.py (validate_section)
    rank        09_rank.sql             1 = best, ties share the min rank
    period_change 10_period_change.sql score_change, rank_change
    outputs     11_indicator_results.sql, 11_node_scores.sql

Lean by design (bench: ``python -m index.bench``): inside a run, cells are keyed by the enum types engine_unit
and engine_node (index/engine/stage.py), so joins, groups and sorts work on small integer codes; a step that
would only copy its input is a view; each cell is stored once (see :func:`run`). At the end every step's name
reads with text keys, as before.

Modules: this file holds the public entry points (:func:`load_method`, :func:`validate_method`, :func:`run`);
spec.py the typed method spec, build.py the run (the verb steps in order), catalog.py the tables a run
leaves and how they are shown, log.py the one record type of the build log, sqlsteps.py how a step file runs.
"""

from __future__ import annotations

from pathlib import Path

# The method's vocabulary (vocabulary.py) re-exported for callers; the checks live in spec.py (typed models).
from index.engine.vocabulary import (
    GROUP_IMPUTE_METHODS,
    IMPUTE_METHODS,
    KNN_DEFAULT_K,
    NAMED_WEIGHT_SCHEMES,
    OBJECTIVE_WEIGHT_SCHEMES,
    SCREEN_ON,
    TREAT_METHODS,
)


def validate_method(method: dict, source: str = "method") -> dict:
    """Check a method spec and return a copy with defaults filled; ConfigError names the key and allowed values.

    A spec that passed before, unchanged and checked by unchanged code, is read from the verdict cache
    (index/verdicts.py) without importing pydantic; anything else is checked by the typed models."""
    import json

    from index import verdicts

    text = verdicts.canonical_json(method)
    digest = None
    if text is not None:
        here = Path(__file__).parent
        checker = verdicts.fingerprint(
            str(here / "spec.py"), str(here / "vocabulary.py"), verdicts.package_file("pydantic", "version.py")
        )
        digest = verdicts.key("method", checker, text)
        stored = verdicts.recall("method", digest)
        if stored is not None:
            try:
                return json.loads(stored)
            except ValueError:
                pass
    from index.engine import spec

    checked = spec.validate(method, source)
    result = verdicts.canonical_json(checked) if digest is not None else None
    if result is not None:
        verdicts.remember("method", digest, result)
    return checked


def load_method(path: str | Path) -> dict:
    """Read a method TOML file (e.g. sql/method/dei.toml) and validate it."""
    from index.files import read_toml

    return validate_method(read_toml(path, "method"), source=str(path))


# the run itself (build.py) and the tables it leaves (catalog.py); imported last: build.py calls back into
# validate_method above
from index.engine.build import INPUT_TABLES, equal_weights, run  # noqa: E402
from index.engine.catalog import STEP_TABLES, STEP_VIEWS  # noqa: E402
from index.engine.log import StepRecord  # noqa: E402

__all__ = [
    "run",
    "load_method",
    "validate_method",
    "equal_weights",
    "StepRecord",
    "INPUT_TABLES",
    "STEP_TABLES",
    "STEP_VIEWS",
    "GROUP_IMPUTE_METHODS",
    "IMPUTE_METHODS",
    "KNN_DEFAULT_K",
    "NAMED_WEIGHT_SCHEMES",
    "OBJECTIVE_WEIGHT_SCHEMES",
    "SCREEN_ON",
    "TREAT_METHODS",
]
