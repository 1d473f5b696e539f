"""Scenarios as first-class citizens: listed, compared with releases by unique prefix, exported; rollback of an
older release. Every release and scenario here is SYNTHETIC (tests/conftest.py make_release)."""

from __future__ import annotations

import re
import zipfile

import duckdb
import pytest

from index import cli
from index.commands import compare

# SYNTHETIC 旗县 scores (tests/conftest.py SYNTHETIC_COUNTIES), far from the 盟市' so a mix-up shows
COUNTIES = {150102: 90.0, 150103: 20.0, 150202: 80.0, 150203: 85.0, 150302: 10.0}


@pytest.fixture
def world(lake, publish_synthetic, make_scenario):
    # aaaa: a release from before the 旗县 level (league_code, 盟市 only); the others hold 旗县 rows too
    old = publish_synthetic("aaaa1111", {150100: 60.0, 150200: 50.0, 150300: 40.0}, layout="league")
    new = publish_synthetic("bbbb2222", {150100: 45.0, 150200: 55.0, 150300: 41.0}, counties=COUNTIES)
    scenario = make_scenario(
        "equal",
        "cccc3333",
        {150100: 42.0, 150200: 44.0, 150300: 48.0},
        counties={code: score + 3.0 for code, score in COUNTIES.items()},
        manifest={
            "weight_scheme": {"path": "sql/weights/equal.sql", "sha256": "e" * 64},
            "inputs": [{"file": "a.csv", "sha256": "a" * 64}, {"file": "b.csv", "sha256": "c" * 64}],
            "code_version": "other",
            "created_at": "2026-02-01T00:00:00+00:00",
        },
    )
    return dict(old=old, new=new, scenario=scenario)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scenarios_list_names_id_scheme_method_created_and_path(world, capsys):
    code, out, _ = run(capsys, "scenarios", "list")
    assert code == 0
    header, row = out.splitlines()[:2]
    assert header.split() == ["id", "name", "weights", "method", "created", "path"]
    assert row.split() == [
        "cccc3333",
        "equal",
        "equal.sql",
        "dei.toml",
        "2026-02-01T00:00:00+00:00",
        str(world["scenario"]),
    ]


def test_releases_list_has_a_weight_scheme_column(world, capsys):
    code, out, _ = run(capsys, "releases", "list")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["release", "status", "weights"]
    assert all(line.split()[2] == "expert.sql" for line in out.splitlines()[1:])


def test_compare_a_release_with_a_scenario_by_prefix_and_name(world, capsys):
    code, out, err = run(capsys, "compare", "bbbb", "equal")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("A = release bbbb2222: expert.sql, dei.toml")
    assert lines[1].startswith("B = scenario equal (cccc3333): equal.sql, dei.toml")
    assert lines[2] == (
        "changed: inputs 1 of 2 files changed; weight scheme expert.sql → equal.sql; "
        "method spec same (dei.toml); code version test → other"
    )
    # the rows: B's ranking of DEI in the latest common year, each with A's rank and the move
    a = dict(
        duckdb.sql(
            f"select unit_name, rank from '{world['new']}/index_scores.parquet' where node_id = 'DEI' and year = 2024"
            " and unit_level = 'league'"
        ).fetchall()
    )
    b = duckdb.sql(
        f"select unit_name, rank from '{world['scenario']}/index_scores.parquet' "
        "where node_id = 'DEI' and year = 2024 and unit_level = 'league' order by rank"
    ).fetchall()
    assert lines[4].startswith("DEI 2024:")
    rows = [line.split() for line in lines[6:]]
    assert [r[0] for r in rows] == [name for name, _ in b]
    for (name, rank_b), row in zip(b, rows):
        moved = a[name] - rank_b
        assert int(row[2]) == a[name] and int(row[4]) == rank_b
        assert row[6] == ("=" if moved == 0 else f"↑{moved}" if moved > 0 else f"↓{-moved}")


def test_releases_diff_is_the_same_comparison(world, capsys):
    assert run(capsys, "releases", "diff", "bbbb", "equal")[1] == run(capsys, "compare", "bbbb", "equal")[1]


def test_any_node_and_year(world, capsys):
    code, out, err = run(capsys, "compare", "aaaa", "bbbb", "--node", "数字基础设施", "--year", "2023")
    assert code == 0, err
    assert "digital_infrastructure 2023:" in out
    assert "inputs same 2 files" in out and "weight scheme same (expert.sql)" in out


def test_an_unknown_node_lists_the_valid_ones(world, capsys):
    code, out, err = run(capsys, "compare", "aaaa", "bbbb", "--node", "fiveg")
    assert code == 2 and "share no scores" not in out + err
    assert err.startswith(
        "dei compare: unknown node 'fiveg'; valid: DEI (内蒙古数字经济发展指数), digital_infrastructure"
    )


def test_a_method_beside_two_ids_is_refused_not_ignored(world, capsys, tmp_path):
    # two ids are computations already made, each with its own method: --method cannot apply to them
    method = tmp_path / "other.toml"
    method.write_text('[impute]\nmethod = "mean"\n', encoding="utf-8")
    code, out, err = run(capsys, "compare", "aaaa", "bbbb", "--method", str(method))
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "--method goes with --weights" in err


def test_an_ambiguous_or_unknown_prefix_lists_the_candidates(world, publish_synthetic, capsys):
    publish_synthetic("bbbb9999", {150100: 1.0, 150200: 2.0})
    code, _, err = run(capsys, "compare", "bbbb", "aaaa")
    assert code == 2 and len(err.splitlines()) == 1
    assert "'bbbb' is ambiguous" in err and "release bbbb2222" in err and "release bbbb9999" in err
    code, _, err = run(capsys, "compare", "zzzz", "aaaa")
    assert code == 2 and "release aaaa1111" in err and "scenario equal" in err


def test_compare_exports_its_table(world, capsys, tmp_path):
    target = tmp_path / "diff.xlsx"
    code, out, err = run(capsys, "compare", "aaaa", "equal", "--xlsx", str(target))
    assert code == 0, err
    with zipfile.ZipFile(target) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "呼和浩特市" in sheet and "包头市" in sheet and "乌海市" in sheet


def test_export_a_release_or_a_scenario_as_one_workbook(world, capsys, tmp_path):
    for args, label in (
        (["--release", "aaaa"], "release aaaa1111"),
        ([], "release bbbb2222"),
        (["--scenario", "eq"], "scenario equal (cccc3333)"),
    ):
        target = tmp_path / f"{label.split()[1]}.xlsx"
        code, out, err = run(capsys, "export", "--xlsx", str(target), *args)
        assert code == 0, err
        assert out.strip() == f"wrote {target} ({label})"
        with zipfile.ZipFile(target) as book:
            names = re.findall(r'<sheet name="([^"]+)"', book.read("xl/workbook.xml").decode("utf-8"))
        assert names[:2] == ["release", "inputs"] and "index_scores" in names


def test_rollback_to_a_release_without_some_columns_prints_what_it_has(lake, publish_synthetic, capsys):
    publish_synthetic("old00001", {150100: 60.0, 150200: 50.0}, drop=("score_change", "rank_change"))
    publish_synthetic("new00002", {150100: 50.0, 150200: 60.0})
    code, out, err = run(capsys, "releases", "rollback", "old0")  # a unique prefix will do
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].split() == ["排名", "盟市", "得分"]
    assert lines[2].split()[:2] == ["1", "呼和浩特市"]
    assert "release old00001" in out


def test_compare_lines_up_the_leagues_of_a_release_from_before_the_county_level(world):
    rows = compare.diff_rows(world["old"], world["new"], node_id="DEI", year=2024)
    # the 盟市 of both sides, none of the new release's 旗县: aaaa ranks 呼和浩特市 1st (60), bbbb 2nd (45)
    assert {r["unit_code"]: (r["rank_a"], r["rank_b"], r["rank_delta"]) for r in rows} == {
        150100: (1, 2, -1),
        150200: (2, 1, 1),
        150300: (3, 3, 0),
    }
    assert {r["unit_name"] for r in rows} == {"呼和浩特市", "包头市", "乌海市"}
    assert [r["score_delta"] for r in rows] == pytest.approx([55.0 - 50.0, 45.0 - 60.0, 41.0 - 40.0])


def test_compare_of_the_counties_pairs_each_county_with_itself(world):
    rows = compare.diff_rows(world["new"], world["scenario"], node_id="DEI", year=2024, level="county")
    assert {r["unit_code"] for r in rows} == set(COUNTIES)
    # every 旗县 gained 3 points and kept its rank among the 旗县
    assert all(r["score_delta"] == pytest.approx(3.0) and r["rank_delta"] == 0 for r in rows)
