"""Recomputing history (index/history.py): the chosen years of the curated lake, or a past framework file, on
the committed sample submissions (SYNTHETIC) parsed straight into curated/, through the real engine."""

from __future__ import annotations

import json

import duckdb
import pytest

from index import cli, compute, history
from index.config import settings
from index.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "years"),
    [("2020", (2020, 2020)), (" 2018 - 2022 ", (2018, 2022)), ("2018–2022", (2018, 2022)), ("", None), (None, None)],
)
def test_years_are_one_year_or_a_range(text, years):
    assert history.parse_years(text) == years


@pytest.mark.parametrize(("text", "says"), [("20x", "give one year"), ("2022-2018", "is after the last year")])
def test_bad_years_are_refused_with_what_to_give(text, says):
    with pytest.raises(ConfigError, match=says):
        history.parse_years(text)


def _curate(lake, repo, years):
    from index import ingest
    from index.framework import load_framework

    framework = load_framework(lake.framework_file)
    for year in years:
        for path in sorted((repo / "data_lake" / "landing").glob(f"{year}_*")):
            ingest.ingest_file(path, framework, lake.curated)


def _scores(release) -> list[tuple]:
    query = f"select * exclude (release_id) from read_parquet('{release}/index_scores.parquet') order by all"
    return duckdb.sql(query).fetchall()


def test_a_recomputation_of_one_year_equals_a_build_of_a_lake_that_holds_only_that_year(
    lake, repo, tmp_path, monkeypatch
):
    _curate(lake, repo, (2022, 2023))
    both = compute.compute(cfg=lake, out_dir=tmp_path / "both")
    one = compute.compute(cfg=history.settings_for(lake, years="2023"), out_dir=tmp_path / "one")
    assert {
        y for (y,) in duckdb.sql(f"select distinct year from '{tmp_path / 'one'}/index_scores.parquet'").fetchall()
    } == {2023}
    assert one.manifest["history"] == {"framework": None, "years": [2023, 2023]}
    assert one.release_id != both.release_id  # the same files, fewer of their rows: another release

    only = tmp_path / "only_2023" / "data_lake"
    for sub in ("landing", "raw", "curated", "quarantine", "published"):
        (only / sub).mkdir(parents=True)
    monkeypatch.setenv("DEI_LAKE", str(only))
    _curate(settings(), repo, (2023,))
    compute.compute(cfg=settings(), out_dir=tmp_path / "alone")
    assert _scores(tmp_path / "one") == _scores(tmp_path / "alone")


def test_years_with_no_figure_say_so(curated_lake):
    with pytest.raises(ConfigError, match="holds no figure for the years 1990–1991"):
        compute.compute(cfg=history.settings_for(curated_lake, years="1990-1991"))


PAST = "-- SYNTHETIC past framework for a test: today's without the 5G penetration indicator\n"


PAST_WEIGHTS = """
-- SYNTHETIC weight scheme for a test: equal shares under each parent of whatever framework it is given
with
nodes as (select node_id, parent_id from framework where node_type <> 'Denominator' and parent_id is not null)
select node_id, 1.0 / count(*) over (partition by parent_id) as weight from nodes
"""


def _past_framework(curated_lake, tmp_path):
    """A SYNTHETIC past framework file: today's without the 5G penetration indicator."""
    source = curated_lake.framework_file.read_text(encoding="utf-8")
    sql = curated_lake.sql / "framework" / "dei_framework.sql"
    past = tmp_path / "framework" / "dei_framework_2023.sql"
    past.parent.mkdir()
    # the periods file travels with a framework file (load_framework reads it beside it)
    (past.parent / "periods.sql").write_text((sql.parent / "periods.sql").read_text(encoding="utf-8"), encoding="utf-8")
    body = source.strip().rstrip(";")
    past.write_text(f"{PAST}select * from (\n{body}\n) where node_id <> 'fiveg_user_penetration'\n", encoding="utf-8")
    return past


def test_dei_compute_with_a_past_framework_file_scores_its_indicators_only(curated_lake, tmp_path, capsys):
    past = _past_framework(curated_lake, tmp_path)

    out = tmp_path / "scenario"
    # a past framework goes with a weight scheme of its own (the expert file weights today's indicators)
    scheme = tmp_path / "framework" / "equal_2023.sql"
    scheme.write_text(PAST_WEIGHTS, encoding="utf-8")
    code = cli.main(["compute", "--framework-file", str(past), "--weights", str(scheme), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((out / "release.json").read_text(encoding="utf-8"))
    assert manifest["history"]["framework"] == str(past)
    nodes = {n for (n,) in duckdb.sql(f"select node_id from '{out}/framework.parquet'").fetchall()}
    assert "fiveg_user_penetration" not in nodes and "DEI" in nodes


@pytest.mark.parametrize("scheme", ["equal", "entropy"])
def test_a_past_framework_takes_a_derived_scheme_without_a_file_of_its_own(curated_lake, tmp_path, capsys, scheme):
    # a derived scheme starts from the framework's own equal shares, not from the expert file of today's framework
    past = _past_framework(curated_lake, tmp_path)

    out = tmp_path / "scenario"
    code = cli.main(["compute", "--framework-file", str(past), "--weights", scheme, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((out / "release.json").read_text(encoding="utf-8"))
    assert manifest["weight_scheme"]["path"] == scheme
    weights = dict(duckdb.sql(f"select node_id, weight from '{out}/weights.parquet'").fetchall())
    assert "fiveg_user_penetration" not in weights
    siblings = duckdb.sql(f"select parent_id, sum(weight) from '{out}/weights.parquet' group by parent_id").fetchall()
    assert siblings and all(abs(total - 1.0) < 1e-9 for _, total in siblings)


def test_dei_compute_refuses_bad_years_without_a_traceback(curated_lake, capsys):
    assert cli.main(["compute", "--years", "2023-2019"]) == 2
    err = capsys.readouterr().err
    assert "the first year 2023 is after the last year 2019" in err and "Traceback" not in err
