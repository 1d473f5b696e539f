"""Fast start: `dei --help` loads none of the heavy libraries, `dei ranking` and `dei compare` only DuckDB.
No timing here (index.bench's cli_startup case times whole processes); the release is SYNTHETIC."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "pyarrow", "duckdb", "numpy", "great_expectations", "airflow")

PROBE = f"""
import json, sys
HEAVY = {HEAVY!r}
from index import cli
try:
    code = cli.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "loaded": sorted(m for m in HEAVY if m in sys.modules)}}))
"""


def loaded(repo, *argv) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=repo)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_loads_no_heavy_library(lake, repo):
    assert loaded(repo, "--help") == {"code": 0, "loaded": []}


@pytest.mark.parametrize(
    "argv",
    [
        ["ranking", "--release", "{r}"],
        ["ranking", "--release", "{r}", "--node", "数字基础设施"],
        ["compare", "aaaa1111", "bbbb2222"],
        ["scenarios", "list"],
    ],
)
def test_reading_commands_load_duckdb_at_most(lake, publish_synthetic, repo, argv):
    first = publish_synthetic("aaaa1111")
    publish_synthetic("bbbb2222", {150100: 40.0, 150200: 55.0})
    result = loaded(repo, *[a.format(r=first) for a in argv])
    assert result["code"] == 0 and set(result["loaded"]) <= {"duckdb"}
