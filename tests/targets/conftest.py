"""Fixtures for the publishing targets: SYNTHETIC staged releases and a PostgreSQL schema of our own.

PostgreSQL runs for real (CI has it): DEI_TEST_POSTGRES_DSN, default the local test database. Each test gets
its own schema prefix, so parallel runs do not clash, and its schemas are dropped afterwards.
"""

from __future__ import annotations

import json
import os
import uuid

import pandas as pd
import psycopg
import pytest

TEST_DSN = os.environ.get("DEI_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def stage(lake):
    """stage(release_id, scores) -> a staged directory with SYNTHETIC index_scores for two leagues."""

    def make(release_id: str, scores=(61.5, 55.0)):
        staged = lake.published / ".staging" / f"{release_id}-{uuid.uuid4().hex[:6]}"
        staged.mkdir(parents=True)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        ranks = [order.index(i) + 1 for i in range(len(scores))]
        pd.DataFrame(
            {
                "release_id": release_id,
                "unit_code": [150100, 150200][: len(scores)],
                "unit_name": ["呼和浩特市", "包头市"][: len(scores)],
                "unit_level": "league",
                "parent_code": 150000,
                "year": 2024,
                "node_id": "DEI",
                "score": list(scores),
                "rank": ranks,
                "rank_in_parent": ranks,
            }
        ).to_parquet(staged / "index_scores.parquet")
        pd.DataFrame({"release_id": release_id, "indicator_id": ["x"], "contribution": [1.0]}).to_parquet(
            staged / "indicator_values.parquet"
        )
        pd.DataFrame({"release_id": release_id, "node_id": ["DEI"]}).to_parquet(staged / "framework.parquet")
        manifest = dict(
            id=release_id,
            created_at="2026-01-01T00:00:00+00:00",
            code_version="test",
            inputs=[{"sha256": "b" * 64}, {"sha256": "a" * 64}],
            framework={"sha256": "f" * 64},
            weight_scheme={"path": "sql/weights/expert.sql", "sha256": "w" * 64},
            method={"path": "sql/method/dei.toml", "sha256": "m" * 64},
        )
        (staged / "release.json").write_text(json.dumps(manifest), encoding="utf-8")
        return staged

    return make


@pytest.fixture
def pg(monkeypatch):
    """Publishing to PostgreSQL on: DEI_POSTGRES_DSN and a unique DEI_POSTGRES_SCHEMA. Yields (dsn, schema)."""
    schema = f"dei_t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DEI_POSTGRES_DSN", TEST_DSN)
    monkeypatch.setenv("DEI_POSTGRES_SCHEMA", schema)
    yield TEST_DSN, schema
    drop_schemas(schema)


@pytest.fixture
def pg_off(monkeypatch):
    """PostgreSQL off (no DSN) but a unique schema name, to check nothing was created under it."""
    schema = f"dei_t{uuid.uuid4().hex[:10]}"
    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)
    monkeypatch.setenv("DEI_POSTGRES_SCHEMA", schema)
    yield schema
    drop_schemas(schema)


@pytest.fixture
def pg_schemas():
    """pg_schemas(prefix) -> the PostgreSQL schemas named prefix or prefix_*."""
    return list_schemas


@pytest.fixture
def test_dsn():
    return TEST_DSN


def drop_schemas(prefix: str) -> None:
    with psycopg.connect(TEST_DSN, autocommit=True) as conn:
        for (name,) in conn.execute(
            "select nspname from pg_namespace where nspname = %s or nspname like %s", [prefix, prefix + r"\_%"]
        ).fetchall():
            conn.execute(f'drop schema "{name}" cascade')


def list_schemas(prefix: str) -> list[str]:
    with psycopg.connect(TEST_DSN, autocommit=True) as conn:
        return sorted(
            n
            for (n,) in conn.execute(
                "select nspname from pg_namespace where nspname = %s or nspname like %s", [prefix, prefix + r"\_%"]
            ).fetchall()
        )
