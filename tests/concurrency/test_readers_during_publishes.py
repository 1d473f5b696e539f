"""Readers in their own processes see one complete, self-consistent release at every read while 20 publishes,
rollbacks and prunes run, in each target: Parquet (``latest`` resolved once), the DuckDB catalog (read_only)
and PostgreSQL (REPEATABLE READ transactions and READ COMMITTED single statements, as dei_reader).

Releases are SYNTHETIC variants of one real computed release (see conftest).
"""

from __future__ import annotations

import multiprocessing
import queue
import time

import psycopg
import pytest

from index import publish, releases

import dei_concurrency_readers as readers
from conftest import stage_copy

PUBLISHES = 20
ROLLBACK_AFTER = (6, 12, 17)  # after these publishes, roll back to the release two before
READS_PER_OP = 50  # the writer waits for this many reads after each operation, so reads span every switch
MIN_READS = 1000


def _run(lake, variants, kinds, target_for):
    ctx = multiprocessing.get_context("spawn")
    made = variants(PUBLISHES)
    expected = {rid: exp for rid, _, exp in made}
    stop, reads, bad, errors = ctx.Event(), ctx.Value("i", 0), ctx.Value("i", 0), ctx.Value("i", 0)
    notes = ctx.Queue()
    publish.publish(stage_copy(lake, made[0]))  # something to read from the start
    procs, readies = [], []
    for kind in kinds:
        ready = ctx.Event()
        proc = ctx.Process(
            target=readers.run,
            args=(kind, target_for(kind), expected, stop, ready, reads, bad, errors, notes),
            daemon=True,
        )
        proc.start()
        procs.append(proc)
        readies.append(ready)
    ops = dict(publish=1, rollback=0, pruned=0)
    failures = []
    start = time.monotonic()
    try:
        for ready in readies:
            assert ready.wait(60), "a reader process did not start"

        def settle():
            # let readers read this state before the next switch (bounded: never waits forever)
            goal, deadline = reads.value + READS_PER_OP, time.monotonic() + 30
            while reads.value < goal and time.monotonic() < deadline and all(p.is_alive() for p in procs):
                time.sleep(0.005)

        settle()
        for i in range(1, PUBLISHES):
            before = set(releases.list_releases(lake).query("status == 'pruned'")["release_id"])
            try:
                publish.publish(stage_copy(lake, made[i]))
                ops["publish"] += 1
                if i in ROLLBACK_AFTER:
                    settle()
                    releases.rollback(made[i - 2][0])
                    ops["rollback"] += 1
            except Exception as exc:  # counted, not raised: the readers' report matters too
                failures.append(repr(exc))
            after = set(releases.list_releases(lake).query("status == 'pruned'")["release_id"])
            ops["pruned"] += len(after - before)
            settle()
    finally:
        stop.set()
        for proc in procs:
            proc.join(30)
        elapsed = time.monotonic() - start
    shown = []
    while True:
        try:
            shown.append(notes.get_nowait())
        except queue.Empty:
            break
    print(
        f"{kinds}: {reads.value} reads, {bad.value} inconsistent, {errors.value} errors during {ops} in {elapsed:.1f} s"
    )
    assert failures == []
    assert (bad.value, errors.value, shown) == (0, 0, [])
    assert reads.value >= MIN_READS
    assert ops == dict(publish=PUBLISHES, rollback=len(ROLLBACK_AFTER), pruned=ops["pruned"]) and ops["pruned"] >= 10
    assert all(p.exitcode == 0 for p in procs)
    return reads.value


@pytest.fixture
def keep_four(monkeypatch):
    monkeypatch.setenv("DEI_KEEP_RELEASES", "4")


def test_parquet_readers_resolving_latest_once_never_see_a_mixed_release(lake, variants, keep_four, monkeypatch):
    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)
    _run(lake, variants, ["parquet"] * 3, lambda kind: str(lake.published))


def test_catalog_readers_never_see_a_partial_release(lake, variants, keep_four, monkeypatch):
    monkeypatch.delenv("DEI_POSTGRES_DSN", raising=False)
    _run(lake, variants, ["catalog"] * 3, lambda kind: str(lake.published))


def test_postgres_readers_never_see_a_partial_release_nor_block_a_publish(lake, variants, keep_four, pg_on):
    _run(lake, variants, ["pg_rr", "pg_rr", "pg_rc"], lambda kind: pg_on)
    with psycopg.connect(pg_on) as conn:
        kept = {r for (r,) in conn.execute("select release_id from dei_store.loaded_releases").fetchall()}
        on_disk = set(releases.list_releases(lake).query("status != 'pruned'")["release_id"])
        assert kept == on_disk  # rows of pruned releases are deleted, nothing else
        assert conn.execute("select count(*) from pg_namespace where nspname like 'dei\\_%'").fetchall() == [(1,)]
