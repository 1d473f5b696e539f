"""`dei compute --weights`, `dei compare --weights`, `dei weights suggest` and `dei audit` on a real curated lake
(the committed sample submissions for 2023, SYNTHETIC; tests/conftest.py curated_lake), through real DuckDB."""

from __future__ import annotations

import re
import zipfile

import duckdb
import pytest

from index import cli
from index.targets import contract

# SYNTHETIC test scheme: equal shares within each parent, except that 5G用户普及率 gets weight 0.
ZERO_SCHEME = """
-- SYNTHETIC scheme for a test: equal shares, fiveg_user_penetration weighted 0
with
nodes as (select node_id, parent_id from framework where node_type <> 'Denominator' and parent_id is not null),
raw as (select node_id, parent_id, case when node_id = 'fiveg_user_penetration' then 0.0 else 1.0 end as w from nodes)
select node_id, w / sum(w) over (partition by parent_id) as weight from raw
"""


@pytest.fixture
def zero_scheme(tmp_path):
    path = tmp_path / "zero.sql"
    path.write_text(ZERO_SCHEME, encoding="utf-8")
    return path


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compute_writes_a_scenario_prints_its_id_and_warns_of_a_dropped_indicator(curated_lake, zero_scheme, capsys):
    code, out, err = run(capsys, "compute", "--weights", zero_scheme)
    assert code == 0, err
    folder = curated_lake.lake / "scenarios" / "zero"
    first = out.splitlines()[0]
    assert first.startswith("scenario ") and first.endswith(f" written to {folder}")
    scenario_id = first.split()[1]
    assert err.strip() == (
        "warning: 5G用户普及率 (fiveg_user_penetration) has weight 0 in zero.sql: it drops out of the index"
    )
    code, out, _ = run(capsys, "scenarios", "list")
    assert out.splitlines()[1].split()[:4] == [scenario_id, "zero", "zero.sql", "dei.toml"]
    # the whole scenario as one workbook, the audit included
    book = folder.parent / "zero.xlsx"
    code, out, err = run(capsys, "export", "--xlsx", book, "--scenario", scenario_id[:6])
    assert code == 0, err
    with zipfile.ZipFile(book) as workbook:
        sheets = re.findall(r'<sheet name="([^"]+)"', workbook.read("xl/workbook.xml").decode("utf-8"))
    # every table the scenario holds, in the contract's order: the release's, the audit and the analyses (a
    # scenario has no uncertainty analysis)
    tables = [*contract.RELEASE_TABLES, "audit", *contract.ANALYSIS_TABLES]
    assert {p.stem for p in folder.glob("*.parquet")} == set(tables)
    assert sheets == ["release", "inputs", *(t for t in contract.TABLES if t in tables)]


def test_compare_several_schemes_side_by_side(curated_lake, zero_scheme, repo, capsys, tmp_path):
    target = tmp_path / "schemes.xlsx"
    code, out, err = run(
        capsys, "compare", "--weights", repo / "sql" / "weights" / "expert.sql", "equal", zero_scheme, "--xlsx", target
    )
    assert code == 0, err
    assert "fiveg_user_penetration" in err  # the warning of the scheme that drops it
    lines = out.splitlines()
    assert lines[0].startswith("DEI 2023: 3 weight schemes; moves are against expert.sql")
    header = lines[4].split()
    assert header == [
        "盟市",
        "expert",
        "得分",
        "expert",
        "排名",
        "equal",
        "得分",
        "equal",
        "排名",
        "equal",
        "名次变化",
        "zero",
        "得分",
        "zero",
        "排名",
        "zero",
        "名次变化",
    ]
    ranks = {}
    for name in ("expert", "equal", "zero"):
        ranks[name] = dict(
            duckdb.sql(
                f"select unit_name, rank from '{curated_lake.lake}/scenarios/{name}/index_scores.parquet' "
                "where node_id = 'DEI' and year = 2023 and unit_level = 'league'"
            ).fetchall()
        )
    rows = [line.split() for line in lines[5:-1]]  # the last line names the workbook
    assert len(rows) == 12 and [r[0] for r in rows] == sorted(ranks["expert"], key=ranks["expert"].get)
    for row in rows:
        name = row[0]
        for rank_at, move_at, scheme in ((4, 5, "equal"), (7, 8, "zero")):
            moved = ranks["expert"][name] - ranks[scheme][name]
            assert int(row[rank_at]) == ranks[scheme][name]
            assert row[move_at] == ("=" if moved == 0 else f"↑{moved}" if moved > 0 else f"↓{-moved}")
    assert target.is_file() and f"wrote {target}" in out


def test_weights_suggest_writes_into_the_sql_tree_in_use(curated_lake, sql_copy, repo, capsys):
    repo_weights = sorted(p.name for p in (repo / "sql" / "weights").iterdir())
    code, out, err = run(capsys, "weights", "suggest", "--method", "entropy")
    assert code == 0, err
    assert out.startswith(f"wrote {sql_copy / 'weights' / 'entropy.sql'}")
    assert (sql_copy / "weights" / "entropy.sql").is_file()
    assert sorted(p.name for p in (repo / "sql" / "weights").iterdir()) == repo_weights
    # the table: names are whole, and the id column starts at the same display column on every row
    from index.tables import width

    rows = out.splitlines()[1:-1]
    assert "R&D经费投入强度" in out and "数据中心PUE" in out
    starts = {width(line[: line.index(line.split()[1], len(line.split()[0]))]) for line in rows}
    assert len(starts) == 1


def test_audit_prints_a_summary_and_details_only_on_request(curated_lake, capsys):
    code, out, err = run(capsys, "audit")
    assert code == 0, err
    assert "统计审计 / statistical audit:" in out and "worst:" in out
    assert "Indicators (pooled" not in out and "dei audit --details" in out
    code, details, _ = run(capsys, "audit", "--details")
    assert "Indicators (pooled" in details and "Flags (" in details
