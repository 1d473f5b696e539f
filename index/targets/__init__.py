"""Publishing targets: one release, three places readers look.

parquet          data_lake/published/releases/<id>/ and the ``latest`` symlink (the source of truth)
duckdb_catalog   data_lake/published/catalog.duckdb, views over the current release's Parquet files
postgres         schema ``dei`` (views over the rows of the current release in ``dei_store``), only while
                 DEI_POSTGRES_DSN (or the Airflow connection ``dei_postgres``) is configured

Each target switches in one atomic step (a rename, a file replace, one transaction that updates a pointer
row), so a reader sees the old release or the new one. Writers hold index/locks.py's lake-wide lock.
"""

from __future__ import annotations


def checkpoint(step: str) -> None:
    """A named point in a publish. Does nothing; tests replace it to simulate a crash at that step."""
