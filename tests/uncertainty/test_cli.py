"""``dei sensitivity`` (index/uncertainty/cli.py): the tables it writes, on ASEM and on the DEI lake (the
committed sample submissions, SYNTHETIC), and one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from index.uncertainty import analysis, cli
from index.uncertainty import spec as uspec

SMALL = "\n[sensitivity]\nn = 64\nbootstrap = 50\n"


def small_spec(tmp_path, source, extra: str = SMALL):
    text = source.read_text(encoding="utf-8")
    text = text[: text.index("[sensitivity]")] if "[sensitivity]" in text else text
    path = tmp_path / "u.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def sensitivity_on_asem(asem_dir, spec, out, *more: str) -> int:
    """`dei sensitivity` on the ASEM fixture with its method file, the uncertainty spec, writing into out."""
    args = ["--framework", str(asem_dir), "--method", str(asem_dir / "method.toml"), "--uncertainty", str(spec)]
    return cli.main(["sensitivity", *args, "--out", str(out), *more])


def test_asem_tables(asem_dir, tmp_path, capsys):
    spec = small_spec(tmp_path, asem_dir / "uncertainty.toml")
    out = tmp_path / "out"
    code = sensitivity_on_asem(asem_dir, spec, out, "--replicates", "200", "--seed", "4")
    assert code == 0
    assert "200 replicates" in capsys.readouterr().out
    for name in cli.OUTPUTS:
        assert (out / name).is_file(), name
    intervals = pd.read_csv(out / "rank_intervals.csv")
    assert len(intervals) == 51 * 11
    assert {
        "nominal_rank",
        "mean_rank",
        "median_rank",
        "rank_q5",
        "rank_q95",
        "share_nominal_rank",
        "mean_score",
        "median_score",
        "score_q5",
        "score_q95",
        "indistinguishable_from",
    } <= set(intervals.columns)
    assert (intervals["rank_q5"] <= intervals["median_rank"]).all()
    assert (intervals["median_rank"] <= intervals["rank_q95"]).all()
    sensitivity = pd.read_csv(out / "sensitivity.csv")
    assert set(sensitivity["input"]) == {"treat", "normalise", "weight_noise", "aggregate"}
    assert set(sensitivity["output"]) == {"mean_abs_rank_shift", "rank"}
    assert (sensitivity["node_id"] == "Index").all()
    exclusion = pd.read_csv(out / "exclusion_effects.csv")
    assert exclusion["excluded"].nunique() == 49
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["replicates"] == 200 and summary["seed"] == 4
    pairs = pd.read_csv(out / "indistinguishable_pairs.csv")
    # every pair listed is listed in both units' rows
    row = intervals.set_index(["period", "node_id", "unit_code"])["indistinguishable_from"].fillna("")
    for pair in pairs.head(50).itertuples(index=False):
        assert pair.unit_b in row[(pair.period, pair.node_id, pair.unit_a)].split(";")


def test_a_bad_key_is_one_line_and_exit_2(asem_dir, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[weights]\nnoize = { "2" = 0.25 }\n', encoding="utf-8")
    code = sensitivity_on_asem(asem_dir, bad, tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "weights.noize" in err and "'noise'" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--framework", "{asem}"], ["needs --method"]),
        (["--framework", "{tmp}/nowhere", "--method", "{asem}/method.toml"], ["no such directory"]),
    ],
)
def test_bad_arguments(asem_dir, tmp_path, capsys, argv, words):
    spec = small_spec(tmp_path, asem_dir / "uncertainty.toml")
    argv = [a.format(asem=asem_dir, tmp=tmp_path) for a in argv]
    code = cli.main(["sensitivity", *argv, "--uncertainty", str(spec), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    for word in words:
        assert word in err


def test_a_gmean_over_zeros_names_the_alternative(asem_dir, tmp_path, capsys):
    # min-max onto [0, 100] puts a 0 at every indicator's worst unit: gmean cannot take it
    spec = tmp_path / "u.toml"
    spec.write_text('[aggregate]\nalternatives = ["gmean"]\n[sensitivity]\nskip = true\n', encoding="utf-8")
    code = sensitivity_on_asem(asem_dir, spec, tmp_path / "o", "--replicates", "5")
    err = capsys.readouterr().err
    assert code == 2 and "gmean" in err and "nonpositive" in err and err.count("\n") == 1


def test_dei_lake(curated_lake, repo, tmp_path, capsys):
    spec = small_spec(tmp_path, repo / "sql" / "method" / "dei_uncertainty.toml")
    out = tmp_path / "out"
    code = cli.main(["sensitivity", "--uncertainty", str(spec), "--out", str(out), "--replicates", "300"])
    assert code == 0, capsys.readouterr().err
    intervals = pd.read_csv(out / "rank_intervals.csv")
    assert intervals["unit_code"].nunique() == 12  # the 12 盟市
    assert set(intervals["node_id"]) >= {"DEI"}
    exclusion = pd.read_csv(out / "exclusion_effects.csv")
    assert exclusion["excluded"].nunique() == 6  # each dimension once
    sensitivity = pd.read_csv(out / "sensitivity.csv")
    assert {"impute", "treat", "normalise", "weights", "weight_noise", "aggregate"} >= set(sensitivity["input"])


def test_dei_replicates_equal_one_engine_build_each(curated_lake, repo):
    """Shifted gmean, percentile ranks, winsorising and weight noise on the DEI (SYNTHETIC sample data)."""
    inputs = analysis.lake_inputs()
    spec = uspec.load(repo / "sql" / "method" / "dei_uncertainty.toml")
    rep = analysis.Replicator(inputs, spec)
    mc = analysis.monte_carlo(rep, 40, seed=9)
    chosen = {int(np.flatnonzero(mc.picks["aggregate"] == a)[0]) for a in (0, 1)}
    chosen |= {int(np.flatnonzero(mc.picks["normalise"] == n)[0]) for n in (0, 1)}
    for r in sorted(chosen):
        build = rep.replicate_build(mc.picks, mc.noise, r)
        assert np.nanmax(np.abs(build.scores - mc.scores[r])) <= 1e-9
        assert np.array_equal(np.isnan(build.scores), np.isnan(mc.scores[r]))
        assert (rep.ranks(build.scores[None])[0][~np.isnan(build.scores)] == mc.ranks[r][~np.isnan(build.scores)]).all()


def test_it_is_a_dei_sub_command(capsys):
    """index/cli.py adds it to the click group; a bad argument is one line, exit 2."""
    from index import cli as dei_cli

    args = dei_cli.parse(["sensitivity", "--uncertainty", "u.toml", "--out", "o", "--replicates", "5"])
    assert args.func is cli.run and args.replicates == 5 and args.seed is None and args.framework is None
    with pytest.raises(SystemExit) as caught:
        dei_cli.parse(["sensitivity", "--uncertainty", "u.toml", "--out", "o", "--replicates", "0"])
    assert caught.value.code == 2
    assert "--replicates" in capsys.readouterr().err
