"""The verdict cache (index/verdicts.py): a passed check is remembered, a refusal never is, and a changed input,
checker or a corrupt entry runs the check again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index import sandbox, verdicts
from index.engine import spec as method_spec
from index.engine import validate_method
from index.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "verdicts"
    monkeypatch.setenv(verdicts.CACHE_ENV, str(root))
    return root


def _entries(root: Path, kind: str) -> list[Path]:
    return sorted(p for p in (root / kind).rglob("*") if p.is_file()) if (root / kind).exists() else []


@pytest.mark.parametrize("spec_file", ["sql/method/dei.toml", "tests/fixtures/asem/method.toml"])
def test_a_cached_method_spec_equals_a_fresh_check(cache, spec_file):
    from index.files import read_toml

    method = read_toml(REPO / spec_file, "method")
    method.pop("county", None)  # the DEI's own [county] section (index/levels.py) is not the engine's
    fresh = method_spec.validate(method, spec_file)
    first = validate_method(method, spec_file)
    assert len(_entries(cache, "method")) == 1
    second = validate_method(method, spec_file)
    assert verdicts.same(first, fresh) and verdicts.same(second, fresh)


def test_a_misspelt_key_is_refused_every_time(cache):
    bad = {"normalise": {"methd": "minmax"}}
    for _ in range(2):
        with pytest.raises(ConfigError, match="methd"):
            validate_method(bad, "bad.toml")
    assert _entries(cache, "method") == []


def test_a_corrupt_entry_is_ignored_and_the_spec_checked(cache):
    method = {"normalise": {"method": "minmax"}}
    expected = validate_method(method)
    (entry,) = _entries(cache, "method")
    entry.write_text("{not json", encoding="utf-8")
    assert verdicts.same(validate_method(method), expected)


def test_a_warm_cache_checks_the_spec_without_pydantic(cache):
    code = (
        # the DEI method file: the engine's sections and the DEI's [county] (index/levels.py), both cached
        "import sys; from index.levels import load_method; load_method(sys.argv[1]); print('pydantic' in sys.modules)"
    )
    env = dict(os.environ, **{verdicts.CACHE_ENV: str(cache)})
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, str(REPO / "sql/method/dei.toml")],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs == ["True", "False"]


def test_a_passed_sql_file_is_remembered_and_a_refused_one_is_not(cache):
    good = "select 1 as x;"
    assert sandbox.check_sql(good, "good.sql", "weights") == "select 1 as x"
    assert len(_entries(cache, "sql")) == 1
    assert sandbox.check_sql(good, "good.sql", "weights") == "select 1 as x"
    bad = "select * from read_csv('/etc/passwd')"
    for _ in range(2):
        with pytest.raises(ConfigError, match="read_csv"):
            sandbox.check_sql(bad, "bad.sql", "weights")
    assert len(_entries(cache, "sql")) == 1


def test_a_verdict_holds_only_for_its_tables(cache):
    sql = "select * from framework"
    assert sandbox.check_sql(sql, "f.sql", "weights", tables=["framework"])
    with pytest.raises(ConfigError, match="may read"):
        sandbox.check_sql(sql, "f.sql", "weights", tables=["units"])


def test_another_checker_misses_the_cache():
    a = verdicts.key("sql", verdicts.fingerprint("rules v1"), "select 1")
    b = verdicts.key("sql", verdicts.fingerprint("rules v2"), "select 1")
    assert a != b


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv(verdicts.CACHE_ENV, "off")
    assert verdicts.cache_root() is None
    assert verdicts.same(
        validate_method({"normalise": {"method": "minmax"}}), method_spec.validate({"normalise": {"method": "minmax"}})
    )
    verdicts.remember("sql", "ab" * 32, "passed")
    assert verdicts.recall("sql", "ab" * 32) is None


def test_only_exact_json_round_trips_are_kept():
    assert verdicts.canonical_json({"a": [1, 2.0, "x"]}) is not None
    assert verdicts.canonical_json({"a": (1, 2)}) is None  # a tuple would come back a list
    assert verdicts.canonical_json({1: "x"}) is None  # an int key would come back text
    assert json.loads(verdicts.canonical_json({"b": 1, "a": 2})) == {"a": 2, "b": 1}
