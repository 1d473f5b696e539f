"""Reader processes for the concurrency tests (run with multiprocessing 'spawn'): each loops until ``stop``
is set, reads one whole release the way the README tells dashboards to, and checks that it is complete and
self-consistent against the known content of every synthetic release (``expected``)."""

from __future__ import annotations

import os
import traceback

_duck = None
_reads = 0


def _memory():
    """One in-memory DuckDB per process (connecting costs ~25 ms; reading a release ~3 ms)."""
    global _duck
    if _duck is None:
        import duckdb

        _duck = duckdb.connect(config={"threads": 1})
    return _duck


def _check(expected: dict, rid, counts: dict, score_sum, ids: dict) -> str | None:
    """None when the read is one complete release, else what was wrong."""
    if rid not in expected:
        return f"unknown release {rid!r}"
    want = expected[rid]
    for table, n in counts.items():
        if n != want[table]:
            return f"{rid}: {table} has {n} rows, the release has {want[table]}"
    if score_sum is None or abs(score_sum - want["score_sum"]) > 1e-6:
        return f"{rid}: score sum {score_sum} != {want['score_sum']}"
    for table, seen in ids.items():
        if sorted(seen) != [rid]:
            return f"{rid}: {table} rows of releases {sorted(seen)}"
    return None


TABLES = ("index_scores", "indicator_values", "framework", "audit")


def _release_of(con, rel) -> tuple[dict, object, dict]:
    """Counts, score sum and release ids of one release's tables. ``rel(table)`` names the table (separate
    small statements: DuckDB plans one statement of many scalar subqueries ~20 times slower)."""
    counts = {t: con.execute(f"select count(*) from {rel(t)}").fetchall()[0][0] for t in TABLES}
    ids = {
        t: [r for (r,) in con.execute(f"select distinct release_id from {rel(t)}").fetchall()]
        for t in TABLES
        if t != "audit"
    }
    score = con.execute(f"select sum(score) from {rel('index_scores')}").fetchall()[0][0]
    return counts, score, ids


def parquet_read(published: str, expected: dict):
    release = os.path.realpath(os.path.join(published, "latest"))  # resolve once, then read that directory
    counts, score, ids = _release_of(_memory(), lambda t: f"read_parquet('{release}/{t}.parquet')")
    return _check(expected, os.path.basename(release), counts, score, ids)


def catalog_read(published: str, expected: dict):
    """Open the catalog read-only: every 10th read with duckdb.connect(path, read_only=True), the others by
    ATTACH ... (READ_ONLY) into a kept in-memory connection (both open the file as it is at that moment, and
    nobody writes into an existing catalog file, so the statements of one read see one file)."""
    import duckdb

    global _reads
    _reads += 1
    path = os.path.join(published, "catalog.duckdb")
    if _reads % 10 == 0:
        con, prefix = duckdb.connect(path, read_only=True), ""
    else:
        con, prefix = _memory(), "cat."
        con.execute(f"attach '{path}' as cat (read_only)")
    try:
        info = con.execute(f"select release_id from {prefix}release_info").fetchall()
        current = con.execute(f"select release_id from {prefix}releases where is_current").fetchall()
        listed = con.execute(f"select count(*) from {prefix}releases").fetchall()[0][0]
        counts, score, ids = _release_of(con, lambda t: prefix + t)
    finally:
        if prefix:
            con.execute("detach cat")
        else:
            con.close()
    if len(info) != 1:
        return f"release_info has {info}"
    rid = info[0][0]
    if listed == 0 or current != [(rid,)]:
        return f"releases marks {current} current of {listed}, release_info says {rid}"
    return _check(expected, rid, counts, score, ids)


def _pg_check(expected, info, releases, counts, score, ids):
    if len(info) != 1:
        return f"release_info has {len(info)} rows"
    rid = info[0][0]
    if not releases:
        return "releases is empty"
    current = [r for r, is_current in releases if is_current]
    if current != [rid]:
        return f"releases marks {current} current, release_info says {rid}"
    return _check(expected, rid, counts, score, ids)


def pg_repeatable_read(conn, schema: str, expected: dict):
    """Several statements in one REPEATABLE READ transaction: one snapshot for all of them."""
    import psycopg

    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    with conn.transaction():
        info = conn.execute(f"select release_id from {schema}.release_info").fetchall()
        releases = conn.execute(f"select release_id, is_current from {schema}.releases").fetchall()
        counts, ids = {}, {}
        for table in ("index_scores", "indicator_values", "framework", "audit"):
            counts[table] = conn.execute(f"select count(*) from {schema}.{table}").fetchall()[0][0]
        for table in ("index_scores", "indicator_values", "framework"):
            ids[table] = [r for (r,) in conn.execute(f"select distinct release_id from {schema}.{table}").fetchall()]
        score = conn.execute(f"select sum(score) from {schema}.index_scores").fetchall()[0][0]
    return _pg_check(expected, info, releases, counts, score, ids)


def pg_single_statement(conn, schema: str, expected: dict):
    """READ COMMITTED: everything in one statement, so in one snapshot."""
    import psycopg

    conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    s = schema
    row = conn.execute(f"""select
        (select array_agg(release_id) from {s}.release_info),
        (select array_agg(array[release_id, is_current::text]) from {s}.releases),
        (select count(*) from {s}.index_scores), (select count(*) from {s}.indicator_values),
        (select count(*) from {s}.framework), (select count(*) from {s}.audit),
        (select sum(score) from {s}.index_scores),
        (select array_agg(distinct release_id) from {s}.index_scores),
        (select array_agg(distinct release_id) from {s}.indicator_values),
        (select array_agg(distinct release_id) from {s}.framework)""").fetchone()
    info = [(r,) for r in row[0] or []]
    releases = [(r, c == "true") for r, c in row[1] or []]
    counts = dict(zip(("index_scores", "indicator_values", "framework", "audit"), row[2:6]))
    ids = dict(zip(("index_scores", "indicator_values", "framework"), (r or [] for r in row[7:10])))
    return _pg_check(expected, info, releases, counts, float(row[6]) if row[6] is not None else None, ids)


def run(kind: str, target: str, expected: dict, stop, ready, reads, bad, errors, notes, schema: str = "dei"):
    """Loop reads of ``kind`` until ``stop``; count reads, inconsistent reads and errors (shared Values)."""
    conn = None
    if kind.startswith("pg"):
        import psycopg

        conn = psycopg.connect(target, autocommit=True)
        conn.execute("set role dei_reader")  # as a dashboard would: read-only rights
    read = {
        "parquet": lambda: parquet_read(target, expected),
        "catalog": lambda: catalog_read(target, expected),
        "pg_rr": lambda: pg_repeatable_read(conn, schema, expected),
        "pg_rc": lambda: pg_single_statement(conn, schema, expected),
    }[kind]
    ready.set()
    while not stop.is_set():
        try:
            problem = read()
        except Exception:
            with errors.get_lock():
                errors.value += 1
            if errors.value + bad.value <= 20:  # a bounded report; a full queue would block the exit
                notes.put(f"{kind} error: {traceback.format_exc(limit=2)}")
        else:
            with reads.get_lock():
                reads.value += 1
            if problem:
                with bad.get_lock():
                    bad.value += 1
                if errors.value + bad.value <= 20:
                    notes.put(f"{kind}: {problem}")
    if conn is not None:
        conn.close()
