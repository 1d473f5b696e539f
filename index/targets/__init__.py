"""Publishing targets: one release, three places readers look.

parquet          data_lake/published/releases/<id>/ and the ``latest`` symlink (the source of truth)
duckdb_catalog   data_lake/published/catalog.duckdb, views over the current release's Parquet files
postgres         schema ``dei`` (views over ``dei_<id>``), only while DEI_POSTGRES_DSN (or the Airflow
                 connection ``dei_postgres``) is configured

Each target switches in one atomic step (a rename, a file replace, one transaction), so a reader sees the
old release or the new one.
"""

from __future__ import annotations


def checkpoint(step: str) -> None:
    """A named point in a publish. Does nothing; tests replace it to simulate a crash at that step."""
