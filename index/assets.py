"""The Assets that link the DAGs: a new landing batch leads to a new release with no one stepping in.

dei_ingest --(dei_raw)--> dei_validate --(dei_curated)--> dei_compute --(dei_release)--> dashboards

Imported at DAG parse time: stdlib and airflow.sdk only.
"""

from __future__ import annotations

from airflow.sdk import Asset

from index.config import settings

_lake = settings().lake

RAW = Asset(name="dei_raw", uri=(_lake / "raw").as_uri(), group="dei")
CURATED = Asset(name="dei_curated", uri=(_lake / "curated").as_uri(), group="dei")
RELEASE = Asset(name="dei_release", uri=(_lake / "published" / "latest").as_uri(), group="dei")
