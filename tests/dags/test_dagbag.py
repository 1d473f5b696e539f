"""The DAG folder loads cleanly, the DAGs are linked by Assets, and DAG files stay thin."""

from __future__ import annotations

import json
import subprocess
import sys

from airflow.dag_processing.dagbag import BundleDagBag

HEAVY = ("pandas", "duckdb", "great_expectations", "sklearn", "pyarrow", "numpy")


def load_bag(repo):
    return BundleDagBag(dag_folder=str(repo / "dags"), bundle_path=repo / "dags")  # as the dag-processor parses it


def test_dagbag_has_no_import_errors(repo):
    bag = load_bag(repo)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) >= {"dei_ingest", "dei_validate", "dei_compute"}


def test_dags_are_linked_by_assets(repo):
    bag = load_bag(repo)
    ingest, validate, compute = (bag.dags[d] for d in ("dei_ingest", "dei_validate", "dei_compute"))

    def outlets(dag):
        return {o.name for t in dag.tasks for o in getattr(t, "outlets", [])}

    def scheduled_on(dag):
        condition = getattr(dag.timetable, "asset_condition", None)
        return {asset.name for asset in getattr(condition, "objects", [])}

    assert outlets(ingest) == {"dei_raw"}
    assert scheduled_on(validate) == {"dei_raw"}
    assert outlets(validate) == {"dei_curated"}
    assert scheduled_on(compute) == {"dei_curated"}
    assert "dei_release" in outlets(compute)


def test_compute_runs_the_uncertainty_analysis_between_compute_and_publish(repo):
    from index.uncertainty.release import DEFAULT_REPLICATES

    dag = load_bag(repo).dags["dei_compute"]
    tasks = {t.task_id: t for t in dag.tasks}
    assert tasks["analyse_uncertainty"].upstream_task_ids == {"compute_index"}
    assert tasks["publish_release"].upstream_task_ids == {"analyse_uncertainty"}
    param = dag.params.get_param("replicates")
    assert param.value == DEFAULT_REPLICATES and param.schema["type"] == "integer" and param.schema["minimum"] == 1


def test_dag_files_do_not_import_heavy_libraries_at_parse_time(repo):
    # Parse each DAG file in a fresh interpreter and list which heavy modules got imported.
    code = (
        "import importlib.util, json, sys\n"
        f"sys.path.append({str(repo / 'dags')!r})  # the bundle path, as Airflow adds it\n"
        "out = {}\n"
        f"for name in {['dei_ingest', 'dei_validate', 'dei_compute']!r}:\n"
        f"    spec = importlib.util.spec_from_file_location(name, {str(repo / 'dags')!r} + '/' + name + '.py')\n"
        "    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        f"out['heavy'] = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"heavy": []}


def test_the_library_never_imports_airflow(repo):
    # Airflow stays in dags/: index/ signals with its own results and exceptions (e.g. NothingNew).
    import ast

    offenders = []
    for path in sorted((repo / "index").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.relative_to(repo)}:{node.lineno}" for n in names if n.split(".")[0] == "airflow"]
    assert offenders == []
