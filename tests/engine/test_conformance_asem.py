"""Conformance with COINr 1.1.14: the ASEM example's reference build, reproduced through the COINr door.

Data: tests/fixtures/asem (COINr's ASEM example, EU JRC, MIT licence; see its README). The method
(tests/fixtures/asem/method.toml) is COINr's build_example_coin(): denominate, group-mean imputation by
EurAsia_group, screening at 90% on the imputed data, winsorise-then-log treatment, min-max [0, 100], amean.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from index.coinr import compute_coinr

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "asem"
TOL = 1e-12  # the largest difference is about 5e-13, on the imputed figures of order 1e2-1e3


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("asem")
    compute_coinr(FIXTURE, FIXTURE / "method.toml", out)
    return out


def load(path: Path) -> pd.DataFrame:
    # uName is a label COINr's export carries in one file; the engine keys units by uCode only
    return pd.read_csv(path).drop(columns=["uName"], errors="ignore").set_index("uCode").sort_index()


@pytest.mark.parametrize("data_set", ["imputed", "treated", "aggregated"])
def test_matches_coinr(out_dir, data_set):
    expected = load(FIXTURE / f"expected_{data_set}.csv")
    actual = load(out_dir / f"{data_set}.csv")
    assert set(actual.index) == set(expected.index)
    assert len(actual.index) == 51
    assert set(actual.columns) == set(expected.columns)
    actual = actual.loc[expected.index, expected.columns]
    # no value may be missing on one side only
    assert (actual.isna() == expected.isna()).all().all()
    diff = (actual - expected).abs()
    worst = diff.max().sort_values(ascending=False)
    assert worst.iloc[0] <= TOL, worst.head().to_dict()


def test_normalised_is_the_indicator_part_of_aggregated(out_dir):
    normalised = load(out_dir / "normalised.csv")
    aggregated = load(out_dir / "aggregated.csv")
    assert normalised.shape == (51, 49)
    assert ((normalised - aggregated[normalised.columns]).abs().max().max()) == 0


def test_log_records_every_step(out_dir):
    record = json.loads((out_dir / "log.json").read_text(encoding="utf-8"))
    steps = [entry["step"] for entry in record["steps"]]
    assert steps[:6] == ["stage", "denominate", "impute", "screen", "treat", "normalise"]
    screen = next(e for e in record["steps"] if e["step"] == "screen")
    assert screen["dropped"] == []
    treat = next(e for e in record["steps"] if e["step"] == "treat")
    # the treated data set differs from the imputed one exactly in the indicators the log names
    imputed, treated = load(out_dir / "imputed.csv"), load(out_dir / "treated.csv")
    changed = sorted(c for c in imputed.columns if (imputed[c] != treated[c]).any())
    assert changed == sorted(treat["winsorised"] + treat["log_transformed"])
    assert record["inputs"]["units"] == 51 and record["inputs"]["indicators"] == 49
