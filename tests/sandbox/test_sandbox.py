"""User SQL runs sandboxed (issue 9 item 5): one test per capability a weight-scheme, framework, method or
DEI_SQL file must not have, each through the public path (load_weights, load_framework, compute, dei).

The curated batches used here are SYNTHETIC: the committed sample submissions for 2023, parsed and promoted
without the validation step, which is not what these tests are about.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from index import compute, sandbox
from index.config import settings
from index.errors import ConfigError
from index.framework import load_framework, load_weights

PASSWD = "/etc/passwd"


@pytest.fixture
def framework(repo):
    return load_framework(repo / "sql" / "framework" / "dei_framework.sql")


@pytest.fixture
def scheme(tmp_path):
    """scheme(sql) -> a weight-scheme file in tmp_path holding ``sql``."""

    def write(sql: str, name: str = "scheme.sql") -> Path:
        path = tmp_path / name
        path.write_text(sql, encoding="utf-8")
        return path

    return write


def refused(path: Path, framework, *needles: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_weights(path, framework)
    message = str(err.value)
    assert message.startswith(f"{path}: refused: "), message
    for needle in needles:
        assert needle in message, message
    assert "root:" not in message and "LINE" not in message
    return message


# sql_copy and curated_lake: the shared fixtures in tests/conftest.py


# ----------------------------------------------------------------------------------- files and the catalog


def test_read_text_is_refused_without_the_files_contents(scheme, framework):
    path = scheme(f"select 'digital_infrastructure' as node_id, length(content) as weight from read_text('{PASSWD}')")
    message = refused(path, framework, "read_text()", "may not read files")
    assert PASSWD not in message


def test_read_csv_is_refused(scheme, framework):
    path = scheme(f"select column0 as node_id, 1.0 as weight from read_csv('{PASSWD}', header = false)")
    assert PASSWD not in refused(path, framework, "read_csv()")


@pytest.mark.parametrize(
    "sql",
    [
        f"select * from read_parquet('{PASSWD}')",
        f"select * from '{PASSWD}'",  # a replacement scan: the path as a table name
    ],
)
def test_read_parquet_and_file_paths_as_tables_are_refused(scheme, framework, sql):
    assert PASSWD not in refused(scheme(sql), framework)


def test_glob_is_refused(scheme, framework):
    refused(scheme("select file as node_id, 1.0 as weight from glob('/root/*')"), framework, "glob()")


def test_the_connection_itself_reaches_no_file_even_if_the_check_let_a_call_through(scheme, framework, monkeypatch):
    monkeypatch.setattr(sandbox, "ALLOWED_TABLE_FUNCTIONS", frozenset({"read_text"}))
    sandbox._checked.cache_clear()
    path = scheme(f"select 'x' as node_id, length(content) as weight from read_text('{PASSWD}')")
    message = refused(path, framework, "tried to reach a file")
    assert PASSWD not in message


def test_attach_is_refused_and_creates_no_database(scheme, framework, tmp_path):
    target = tmp_path / "opened.duckdb"
    refused(scheme(f"attach '{target}' as other"), framework, "ATTACH statement")
    assert not target.exists()


def test_copy_to_is_refused_and_writes_no_file(scheme, framework, tmp_path):
    target = tmp_path / "leak.csv"
    refused(scheme(f"copy (select 1) to '{target}'"), framework, "COPY statement")
    assert not target.exists()


def test_several_statements_are_refused_before_any_runs(scheme, framework, tmp_path):
    first = tmp_path / "first.csv"
    planted = tmp_path / "planted.sql"
    sql = (
        f"copy (select 1) to '{first}';\n"
        f"copy (select 'select 1') to '{planted}';\n"
        "select * from (values ('digital_infrastructure', 1.0)) as w(node_id, weight)"
    )
    refused(scheme(sql), framework, "it holds 3 statements", "nothing of it was run")
    assert not first.exists() and not planted.exists()


@pytest.mark.parametrize("sql, kind", [("install httpfs", "LOAD"), ("load httpfs", "LOAD")])
def test_install_and_load_of_extensions_are_refused(scheme, framework, sql, kind):
    refused(scheme(sql), framework, f"it is a {kind} statement")


@pytest.mark.parametrize(
    "sql, kind",
    [
        ("set enable_external_access = true", "SET"),
        ("set memory_limit = '64GB'", "SET"),
        ("pragma database_list", "PRAGMA"),
        ("call duckdb_settings()", "CALL"),
    ],
)
def test_set_pragma_and_call_are_refused(scheme, framework, sql, kind):
    refused(scheme(sql), framework, f"it is a {kind} statement")


@pytest.mark.parametrize(
    "sql",
    [
        "select current_setting('temp_directory') as node_id, 1.0 as weight",
        "select name as node_id, 1.0 as weight from duckdb_settings()",
        "select extension_name as node_id, 1.0 as weight from duckdb_extensions()",
        "select database_name as node_id, 1.0 as weight from duckdb_databases()",
        "select name as node_id, 1.0 as weight from pg_catalog.pg_settings",
        "select name as node_id, 1.0 as weight from pg_settings",
        "select table_name as node_id, 1.0 as weight from information_schema.tables",
        "select name as node_id, 1.0 as weight from pragma_database_list",
        "select * from query('select current_setting(''memory_limit'')')",
        "describe framework",
    ],
)
def test_settings_and_catalog_reads_are_refused(scheme, framework, sql):
    refused(scheme(sql), framework)


@pytest.mark.parametrize(
    "sql", ["create table w as select 'digital_infrastructure' as node_id, 1.0 as weight", "create macro w() as 1"]
)
def test_create_is_refused(scheme, framework, sql):
    refused(scheme(sql), framework, "it is a CREATE statement")


# ----------------------------------------------------------------------------------------------- limits


def test_a_runaway_cross_join_is_stopped_at_the_time_limit(scheme, framework, monkeypatch):
    monkeypatch.setenv("DEI_SQL_TIMEOUT_SECONDS", "1")
    path = scheme(
        "select 'digital_infrastructure' as node_id, sum(a.range * b.range) as weight"
        " from range(1000000) a, range(1000000) b"
    )
    started = time.monotonic()
    refused(path, framework, "did not finish within 1 s", "DEI_SQL_TIMEOUT_SECONDS")
    assert time.monotonic() - started < 10


def test_a_memory_blow_up_is_stopped_at_the_memory_limit(scheme, framework, monkeypatch):
    monkeypatch.setenv("DEI_SQL_MEMORY_LIMIT", "64MB")
    path = scheme("select 'digital_infrastructure' as node_id, len(list(range)) as weight from range(200000000)")
    refused(path, framework, "needs more memory than the limit of 64MB", "DEI_SQL_MEMORY_LIMIT")


# ------------------------------------------------------------------------ other doors to the same routes


@pytest.mark.parametrize("how", ["absolute", "traversal", "symlink"])
def test_a_method_naming_etc_passwd_is_refused_unread(lake, sql_copy, tmp_path, how):
    if how == "symlink":
        (sql_copy / "weights" / "innocent.sql").symlink_to(PASSWD)
        named = "sql/weights/innocent.sql"
    else:
        named = PASSWD if how == "absolute" else "sql/../../../../../../../../etc/passwd"
    method = sql_copy / "method" / "shared.toml"
    method.write_text(f'[weights]\nscheme = "{named}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        compute.compute(method=method, cfg=settings(), out_dir=tmp_path / "out")
    message = str(err.value)
    assert message.startswith(f"{named}: refused: a method file may name only files inside the SQL tree")
    assert "was not read" in message and "root:" not in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "option, complaint",
    [
        pytest.param("--method", "not valid TOML: ", id="a_method_that_is_etc_passwd"),
        pytest.param("--weights", "not valid SQL: DuckDB cannot parse it", id="weights_etc_passwd"),
    ],
)
def test_dei_compute_with_etc_passwd_as_method_or_weights_does_not_echo_it(lake, capsys, option, complaint):
    from index import cli

    assert cli.main(["compute", option, PASSWD]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dei compute: {PASSWD}: {complaint}")
    assert "root" not in err and "Traceback" not in err


def test_a_coinr_method_naming_etc_passwd_as_its_scheme_is_refused_unread(repo, tmp_path):
    from index.coinr import compute_coinr

    method = tmp_path / "method.toml"
    method.write_text(f'[weights]\nscheme = "{PASSWD}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        compute_coinr(repo / "tests" / "fixtures" / "asem", method, tmp_path / "out")
    message = str(err.value)
    assert message.startswith(f"{method}: weights.scheme: refused: a method file may name only")
    assert "root:" not in message and not (tmp_path / "out").exists()


def test_a_method_may_name_a_file_in_a_dei_sql_allow_directory(lake, sql_copy, tmp_path, monkeypatch, repo):
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copy(repo / "sql" / "weights" / "expert.sql", shared / "equal_copy.sql")
    monkeypatch.setenv("DEI_SQL_ALLOW", os.pathsep.join([str(tmp_path / "elsewhere"), str(shared)]))
    assert compute.resolve(shared / "equal_copy.sql", settings()) == (shared / "equal_copy.sql").resolve()
    monkeypatch.delenv("DEI_SQL_ALLOW")
    with pytest.raises(ConfigError, match="refused: a method file may name only files inside the SQL tree"):
        compute.resolve(shared / "equal_copy.sql", settings())


@pytest.mark.parametrize("file_name", ["dei_framework.sql", "periods.sql"])
def test_a_framework_or_periods_file_reading_a_file_is_refused(sql_copy, file_name):
    target = sql_copy / "framework" / file_name
    target.write_text(f"select content as node_id from read_text('{PASSWD}')", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_framework(settings().framework_file)
    message = str(err.value)
    assert message.startswith(f"{target}: refused: it calls table function read_text()")
    assert "root:" not in message and PASSWD not in message


def test_a_framework_file_sees_no_table(sql_copy):
    target = sql_copy / "framework" / "dei_framework.sql"
    target.write_text("select * from weights", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_framework(settings().framework_file)
    assert str(err.value) == f"{target}: refused: it reads table weights; a framework file may read no tables"


@pytest.mark.parametrize(
    "sql, rule",
    [
        ("copy (select 1 as x) to '{leak}'", "it is a COPY statement"),
        ("select 1 as x;\ncopy (select 1 as x) to '{leak}'", "it holds 2 statements"),
    ],
)
def test_a_dei_sql_release_file_with_copy_is_refused(curated_lake, sql_copy, tmp_path, sql, rule):
    leak = tmp_path / "leak.csv"
    release = sql_copy / "release" / "zz_extra.sql"
    release.write_text(sql.format(leak=leak), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        compute.compute(cfg=settings(), out_dir=tmp_path / "out")
    assert str(err.value).startswith(f"{release}: refused: {rule}")
    assert not leak.exists()


def test_a_dei_sql_engine_step_reading_a_file_is_refused(curated_lake, sql_copy, tmp_path):
    step = sql_copy / "engine" / "09_rank.sql"
    step.write_text(f"select * from read_csv('{PASSWD}')", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        compute.compute(cfg=settings(), out_dir=tmp_path / "out")
    message = str(err.value)
    assert message.startswith(f"{step}: refused: it calls table function read_csv()")
    assert "root:" not in message and PASSWD not in message


def test_a_runaway_dei_sql_engine_step_is_stopped_at_the_engine_time_limit(
    curated_lake, sql_copy, tmp_path, monkeypatch
):
    monkeypatch.setenv("DEI_ENGINE_TIMEOUT_SECONDS", "2")
    (sql_copy / "engine" / "01_stage.sql").write_text(
        "select sum(a.range * b.range) as x from range(1000000) a, range(1000000) b", encoding="utf-8"
    )
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        compute.compute(cfg=settings(), out_dir=tmp_path / "out")
    assert (
        str(err.value) == "the engine steps: refused: it did not finish within 2 s, the time limit"
        " (DEI_ENGINE_TIMEOUT_SECONDS)"
    )
    assert time.monotonic() - started < 30
    assert not (tmp_path / "out").exists()


def test_release_sql_cannot_reach_a_file_on_the_locked_engine_connection(curated_lake, sql_copy, tmp_path, monkeypatch):
    # past the check (widened here), DuckDB itself refuses: the engine connection is closed to files
    monkeypatch.setattr(sandbox, "ALLOWED_TABLE_FUNCTIONS", frozenset({"read_text"}))
    sandbox._checked.cache_clear()
    release = sql_copy / "release" / "zz_extra.sql"
    release.write_text(f"select content from read_text('{PASSWD}')", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        compute.compute(cfg=settings(), out_dir=tmp_path / "out")
    message = str(err.value)
    assert message == (
        f"{release}: refused: it tried to reach a file, the network, an extension or a setting; user SQL may not"
    )


def test_dei_compute_with_a_bad_scheme_exits_with_a_clear_message(lake, tmp_path, capsys):
    from index import cli

    bad = tmp_path / "bad.sql"
    bad.write_text(f"select * from read_text('{PASSWD}')", encoding="utf-8")
    assert cli.main(["compute", "--weights", str(bad)]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"dei compute: {bad}: refused: it calls table function read_text(); user SQL may not read files or"
        " the catalog, only ['generate_series', 'range', 'unnest'] are allowed\n"
    )


# ------------------------------------------------------------------------------------------- still works


def test_a_misspelt_column_still_says_what_is_wrong(scheme, framework):
    path = scheme("select node_id, wieght as weight from framework")
    with pytest.raises(ConfigError) as err:
        load_weights(path, framework)
    assert str(err.value) == (
        f'{path}: the SQL does not run: Binder Error: Referenced column "wieght" not found in FROM clause!'
    )


def test_a_scheme_may_read_the_framework_table(scheme, framework):
    path = scheme(
        "select node_id, 1.0 / count(*) over (partition by parent_id) as weight from framework"
        " where node_type <> 'Denominator' and parent_id is not null"
    )
    weights = load_weights(path, framework)
    assert len(weights) == len(framework[(framework["node_type"] != "Denominator") & framework["parent_id"].notna()])


def test_the_expert_scheme_framework_and_engine_result_are_unchanged(curated_lake, tmp_path, monkeypatch):
    import pandas as pd

    from index import framework as fw

    cfg = settings()
    frame = load_framework(cfg.framework_file)
    expert = load_weights(cfg.default_weights, frame)

    # the same files read by a plain DuckDB connection, as before the sandbox
    def plain(path):
        return duckdb.connect().sql(Path(path).read_text(encoding="utf-8").strip().rstrip(";")).df()

    pd.testing.assert_frame_equal(frame, plain(cfg.framework_file)[fw.FRAMEWORK_COLUMNS])
    pd.testing.assert_frame_equal(expert, plain(cfg.default_weights)[["node_id", "weight"]])

    sandboxed = compute.compute(cfg=cfg, out_dir=tmp_path / "sandboxed")
    monkeypatch.setattr(fw, "_query", lambda path, kind="framework", tables=None: plain(path))
    monkeypatch.setattr(sandbox, "close_engine_connection", lambda con: None)
    monkeypatch.setattr(sandbox, "lock_configuration", lambda con: None)
    open_run = compute.compute(cfg=cfg, out_dir=tmp_path / "open")
    assert sandboxed.release_id == open_run.release_id
    for table in ("index_scores", "indicator_values", "framework", "weights", "target_attainment", "audit"):
        a = pd.read_parquet(tmp_path / "sandboxed" / f"{table}.parquet")
        b = pd.read_parquet(tmp_path / "open" / f"{table}.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-12)
