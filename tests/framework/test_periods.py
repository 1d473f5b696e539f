"""The framework's reporting range: ``load_framework(...).attrs["periods"]`` from periods.sql beside it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from index.errors import ConfigError
from index.framework import load_framework, with_engine_columns

REPO = Path(__file__).resolve().parents[2]
FRAMEWORK_SQL = REPO / "sql" / "framework" / "dei_framework.sql"


@pytest.fixture
def framework_dir(tmp_path):
    """A framework directory with the DEI framework file and no periods file."""
    directory = tmp_path / "framework"
    directory.mkdir()
    shutil.copy(FRAMEWORK_SQL, directory / "dei_framework.sql")
    return directory


def test_the_dei_periods_run_from_2015_to_next_year():
    assert load_framework(FRAMEWORK_SQL).attrs["periods"] == (2015, date.today().year + 1)


def test_without_a_periods_file_the_default_range_applies(framework_dir):
    assert load_framework(framework_dir / "dei_framework.sql").attrs["periods"] == (2015, date.today().year + 1)


def test_a_periods_file_sets_the_range(framework_dir):
    (framework_dir / "periods.sql").write_text("select 2018 as first_year, 2024 as last_year", encoding="utf-8")
    assert load_framework(framework_dir / "dei_framework.sql").attrs["periods"] == (2018, 2024)


def test_the_periods_survive_a_copy_for_the_engine(framework_dir):
    frame = load_framework(framework_dir / "dei_framework.sql")
    assert with_engine_columns(frame).attrs["periods"] == frame.attrs["periods"]


@pytest.mark.parametrize(
    "sql, rule",
    [
        ("select 2018 as first, 2024 as last", "a periods file returns one row with columns (first_year, last_year)"),
        (
            "select * from (values (2018, 2024), (2019, 2025)) as p(first_year, last_year)",
            "a periods file returns one row with columns (first_year, last_year)",
        ),
        ("select 2018.5 as first_year, 2024 as last_year", "first_year and last_year must be whole years"),
        ("select null as first_year, 2024 as last_year", "first_year and last_year must be whole years"),
        ("select 2025 as first_year, 2024 as last_year", "first_year 2025 is after last_year 2024"),
    ],
)
def test_a_bad_periods_file_is_refused(framework_dir, sql, rule):
    periods = framework_dir / "periods.sql"
    periods.write_text(sql, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_framework(framework_dir / "dei_framework.sql")
    assert str(err.value) == f"{periods}: {rule}"
