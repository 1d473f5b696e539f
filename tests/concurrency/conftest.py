"""Fixtures for the concurrency tests: SYNTHETIC releases made from one real computed release, and a
PostgreSQL database of our own (created here, dropped at the end).

The real release is computed once per session from the committed sample submissions (SYNTHETIC except the
PKU figures); each synthetic variant k copies it with release id ``<k>c0ffee...``, every score shifted by k
and the last k % 7 rows of indicator_values left out, so a read can tell releases apart by their counts and
score sum.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import duckdb
import psycopg
import pytest

HERE = Path(__file__).resolve().parent
ADMIN_DSN = os.environ.get("DEI_TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

if str(HERE) not in sys.path:  # spawned reader processes import their code from here by module name
    sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def real_release(tmp_path_factory, repo):
    """The release directory of one real run over the committed samples (PostgreSQL off)."""
    from tests.fixtures.lakes import published_lake

    _, result, mp = published_lake(tmp_path_factory.mktemp("real") / "data_lake", repo)
    mp.undo()
    return Path(result["path"])


@pytest.fixture(scope="session")
def variants(real_release, tmp_path_factory):
    """variants(n) -> [(release_id, directory, expected)], expected = row counts per table and score sum."""
    out = tmp_path_factory.mktemp("variants")
    made: dict[int, tuple] = {}

    def make(n: int):
        for k in range(n):
            if k not in made:
                made[k] = _variant(real_release, out, k)
        return [made[k] for k in range(n)]

    return make


def _variant(template: Path, out: Path, k: int):
    rid = f"{k:02d}c0ffee{k:02d}"
    target = out / rid
    target.mkdir()
    con = duckdb.connect()
    expected = {}
    for path in sorted(template.glob("*.parquet")):
        cols = [
            c
            for (c,) in con.execute(
                f"select column_name from (describe select * from read_parquet('{path}'))"
            ).fetchall()
        ]
        picked = ", ".join(
            f"'{rid}' as release_id"
            if c == "release_id"
            else (f"score + {k} as score" if (c == "score" and path.stem == "index_scores") else f'"{c}"')
            for c in cols
        )
        limit = ""
        if path.stem == "indicator_values":
            total = con.execute(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]
            limit = f" limit {total - k % 7}"
        con.execute(
            f"copy (select {picked} from read_parquet('{path}'){limit}) to '{target / path.name}' (format parquet)"
        )
        expected[path.stem] = con.execute(f"select count(*) from read_parquet('{target / path.name}')").fetchall()[0][0]
    expected["score_sum"] = con.execute(
        f"select sum(score) from read_parquet('{target / 'index_scores.parquet'}')"
    ).fetchall()[0][0]
    con.close()
    manifest = json.loads((template / "release.json").read_text(encoding="utf-8"))
    manifest.update(id=rid, code_version=f"synthetic-variant-{k}")
    manifest.pop("triggered_by", None)
    manifest.pop("published_at", None)
    (target / "release.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return rid, target, expected


def stage_copy(cfg, variant) -> Path:
    """Copy a variant into published/.staging/<id>-<uuid8>/ as compute would leave it."""
    rid, directory, _ = variant
    staged = cfg.published / ".staging" / f"{rid}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(directory, staged)
    return staged


@pytest.fixture(scope="module")
def own_database():
    """A database of this module's own: DSN; dropped (with any connection left) at the end."""
    name = f"dei_conc_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    dsn = psycopg.conninfo.make_conninfo(ADMIN_DSN, dbname=name)
    yield dsn
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def pg_on(own_database, monkeypatch):
    """PostgreSQL publishing on, into this module's database, schema ``dei`` (fresh for each test)."""
    monkeypatch.setenv("DEI_POSTGRES_DSN", own_database)
    monkeypatch.setenv("DEI_POSTGRES_SCHEMA", "dei")
    with psycopg.connect(own_database, autocommit=True) as conn:
        for (name,) in conn.execute("select nspname from pg_namespace where nspname like 'dei%'").fetchall():
            conn.execute(f'drop schema "{name}" cascade')
    return own_database
