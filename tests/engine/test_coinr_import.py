"""The COINr door: imeta.csv / idata.csv into the engine's input tables, errors that point at the cell, and
compute_coinr's data sets.

The ASEM part reads COINr's ASEM example (tests/fixtures/asem, EU JRC, MIT licence). Everything else here
is SYNTHETIC.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from index.coinr import compute_coinr, load_coinr
from index.errors import ConfigError

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "asem"
TOL = 1e-9


@pytest.fixture(scope="module")
def asem():
    con = duckdb.connect()
    summary = load_coinr(con, FIXTURE)
    return con, summary


def test_the_coinr_build_does_not_import_pandas(tmp_path):
    # pandas, numpy and pyarrow take longer to import than the whole ASEM build; the door must not need them
    code = (
        "import sys\n"
        "from index.coinr import compute_coinr\n"
        f"compute_coinr({str(FIXTURE)!r}, {str(FIXTURE / 'method.toml')!r}, {str(tmp_path / 'out')!r})\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=FIXTURE.parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "out" / "aggregated.csv").is_file()


def test_asem_tables(asem):
    con, summary = asem
    counts = dict(con.execute("select node_type, count(*) from framework group by node_type").fetchall())
    assert counts == {"Indicator": 49, "Aggregate": 11, "Denominator": 4}  # Group rows are not nodes
    assert summary["units"] == 51 and summary["periods"] == [2018]
    assert con.execute("select count(*) from units").fetchone()[0] == 51
    # long form: 51 units x (49 indicators + 4 denominators)
    assert con.execute("select count(*), count(distinct period) from observations").fetchone() == (51 * 53, 1)
    row = con.execute(
        "select parent_id, level, polarity, denominator, denominator_scale, name_en from framework"
        " where node_id = 'Flights'"
    ).fetchone()
    assert row == ("Physical", 1, 1, "Population", 1.0, "International flights passenger capacity")
    assert con.execute("select polarity from framework where node_id = 'CostImpEx'").fetchone()[0] == -1
    assert con.execute("select target from framework where node_id = 'Cov4G'").fetchone()[0] == 95.0
    assert con.execute("select parent_id, level from framework where node_id = 'Index'").fetchone() == (None, 4)
    assert con.execute("select parent_id, denominator_scale from framework where node_id = 'GDP'").fetchone() == (
        None,
        None,
    )


def test_asem_weights_are_shares_of_the_parent(asem):
    con, _ = asem
    # every iMeta Weight is 1: each child gets 1 / (number of siblings), e.g. Physical has 8 indicators
    bad = con.execute(
        """
        select framework.parent_id, sum(weights.weight), count(*), min(weights.weight), max(weights.weight)
        from weights join framework using (node_id)
        group by framework.parent_id
        having abs(sum(weights.weight) - 1) > 1e-12 or min(weights.weight) <> max(weights.weight)
        """
    ).fetchall()
    assert bad == []
    assert con.execute("select weight from weights where node_id = 'LPI'").fetchone()[0] == pytest.approx(1 / 8)
    assert con.execute("select count(*) from weights where node_id = 'Index'").fetchone()[0] == 0


def test_asem_unit_groups(asem):
    con, _ = asem
    columns = dict(con.execute("select group_column, count(*) from unit_groups group by 1").fetchall())
    assert columns == {"GDP_group": 51, "GDPpc_group": 51, "Pop_group": 51, "EurAsia_group": 51}
    eurasia = dict(
        con.execute(
            "select group_value, count(*) from unit_groups where group_column = 'EurAsia_group' group by 1"
        ).fetchall()
    )
    assert eurasia == {"Europe": 30, "Asia": 21}
    assert (
        con.execute(
            "select group_value from unit_groups where unit_code = 'AUT' and group_column = 'EurAsia_group'"
        ).fetchone()[0]
        == "Europe"
    )


# --- synthetic ------------------------------------------------------------------------------------------------

META = """Level,iCode,iName,Direction,Weight,Parent,Type,Denominator
1,P,Plus,1,2,IDX,Indicator,
1,N,Minus,-1,6,IDX,Indicator,POP
2,IDX,Index,1,1,,Aggregate,
,POP,Population,,,,Denominator,
,Size_group,Size,,,,Group,
"""
# Two periods. N is per person (divided by POP).
DATA = """uCode,uName,Time,Size_group,POP,P,N
A,Alpha,2020,small,10,1,20
B,Beta,2020,big,20,3,20
A,Alpha,2021,small,10,2,10
B,Beta,2021,big,20,4,60
"""


def write(directory, meta=META, data=DATA):
    (directory / "imeta.csv").write_text(meta, encoding="utf-8")
    (directory / "idata.csv").write_text(data, encoding="utf-8")
    return directory


def test_relative_weights_become_shares(tmp_path):
    con = duckdb.connect()
    load_coinr(con, write(tmp_path))
    # iMeta weights 2 and 6 under IDX -> 0.25 and 0.75
    assert dict(con.execute("select node_id, weight from weights").fetchall()) == {"P": 0.25, "N": 0.75}
    assert con.execute("select count(*) from unit_groups").fetchone()[0] == 2
    periods = [p for (p,) in con.execute("select distinct period from observations order by 1").fetchall()]
    assert periods == [2020, 2021]


def test_compute_coinr_panel(tmp_path):
    write(tmp_path)
    (tmp_path / "method.toml").write_text(
        '[denominate]\n[normalise]\nmethod = "minmax"\nrange = [0, 100]\n[weights]\nscheme = "metadata"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    log = compute_coinr(tmp_path, tmp_path / "method.toml", out)
    assert any(entry["step"] == "treat" for entry in log)
    treated = pd.read_csv(out / "treated.csv")
    assert list(treated.columns) == ["uCode", "Time", "P", "N"]
    # N per person: A 2020 20 / 10 = 2, B 2020 20 / 20 = 1, A 2021 1, B 2021 3
    n = {(u, t): v for u, t, v in treated[["uCode", "Time", "N"]].itertuples(index=False)}
    assert n == {("A", 2020): 2.0, ("B", 2020): 1.0, ("A", 2021): 1.0, ("B", 2021): 3.0}
    aggregated = pd.read_csv(out / "aggregated.csv")
    assert list(aggregated.columns) == ["uCode", "Time", "P", "N", "IDX"]
    # pooled min-max: P (x - 1) / 3 * 100; N (lower is better) (3 - x) / 2 * 100
    # IDX = 0.25 P + 0.75 N: A 2020: 0.25 * 0 + 0.75 * 50 = 37.5;  B 2021: 0.25 * 100 + 0.75 * 0 = 25
    idx = {(u, t): v for u, t, v in aggregated[["uCode", "Time", "IDX"]].itertuples(index=False)}
    assert math.isclose(idx[("A", 2020)], 37.5, abs_tol=TOL)
    assert math.isclose(idx[("B", 2021)], 25.0, abs_tol=TOL)
    record = json.loads((out / "log.json").read_text(encoding="utf-8"))
    assert record["weights"] == "metadata" and record["inputs"]["periods"] == [2020, 2021]
    assert (out / "imputed.csv").is_file() and (out / "normalised.csv").is_file()


def test_equal_weights_scheme(tmp_path):
    write(tmp_path)
    (tmp_path / "method.toml").write_text('[weights]\nscheme = "equal"\n', encoding="utf-8")
    out = tmp_path / "out"
    compute_coinr(tmp_path, tmp_path / "method.toml", out)
    aggregated = pd.read_csv(out / "aggregated.csv")
    # no denomination here: N raw 20, 20, 10, 60 -> (60 - x) / 50 * 100; P (x - 1) / 3 * 100
    # A 2020: (0 + 80) / 2 = 40 with equal weights (not 0.25 / 0.75)
    a2020 = aggregated[(aggregated.uCode == "A") & (aggregated.Time == 2020)]["IDX"].iloc[0]
    assert math.isclose(a2020, 40.0, abs_tol=TOL)


@pytest.mark.parametrize(
    "meta,data,message",
    [
        (
            META.replace("2,IDX,Index,1,1,,Aggregate,", "2,IDX,Index,1,1,,Composite,"),
            DATA,
            r"imeta\.csv row 4, column Type: 'Composite'",
        ),
        (META.replace("1,P,Plus,1,2,IDX", "1,P,Plus,0,2,IDX"), DATA, r"imeta\.csv row 2, column Direction"),
        (META.replace("1,P,Plus,1,2,IDX", "1,P,Plus,1,heavy,IDX"), DATA, r"imeta\.csv row 2, column Weight"),
        (META.replace("1,P,Plus,1,2,IDX", "1,P,Plus,1,2,TOP"), DATA, r"imeta\.csv row 2, column Parent: parent 'TOP'"),
        (
            META.replace("1,N,Minus,-1,6,IDX,Indicator,POP", "1,N,Minus,-1,6,IDX,Indicator,GDP"),
            DATA,
            r"imeta\.csv row 3, column Denominator: 'GDP'",
        ),
        (META.replace("1,N,Minus", "1,P,Minus"), DATA, r"imeta\.csv row 3, column iCode: iCode 'P' already used"),
        (META.replace("Weight,", "Wt,"), DATA, r"imeta\.csv: missing column\(s\) \['Weight'\]"),
        (
            META,
            DATA.replace("B,Beta,2021,big,20,4,60", "B,Beta,2021,big,20,four,60"),
            r"idata\.csv row 5, column P: 'four' is not a number",
        ),
        (META, DATA.replace("B,Beta,2021", "B,Beta,2020"), r"idata\.csv row 5: uCode 'B' and Time 2020 already"),
        (META, DATA.replace(",P,N\n", ",P,Q\n"), r"idata\.csv: column\(s\) \['Q'\]"),
        (META, DATA.replace("B,Beta,2021,big", "B,Beta,2021,small"), r"idata\.csv row 5, column Size_group"),
        (META, DATA.replace("Time,", "Year,"), r"idata\.csv: column\(s\) \['Year'\]"),
        (
            META,
            DATA.replace("uCode,uName,", "uCode,uCode ,"),
            r"idata\.csv: column\(s\) \['uCode'\] appear more than once",
        ),
        (
            META,
            DATA.replace("A,Alpha,2020,small,10,1,20", "A,Alpha,2020,small,10,1,20,7"),
            r"idata\.csv: not a readable CSV file: row 2 has 8 fields, the header 7",
        ),
    ],
)
def test_broken_input_names_file_row_and_column(tmp_path, meta, data, message):
    write(tmp_path, meta, data)
    with pytest.raises(ConfigError, match=message):
        load_coinr(duckdb.connect(), tmp_path)


def test_missing_files(tmp_path):
    with pytest.raises(ConfigError, match=r"imeta\.csv: file not found"):
        load_coinr(duckdb.connect(), tmp_path)
