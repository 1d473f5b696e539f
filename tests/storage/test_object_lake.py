"""The published layer on object storage (DEI_LAKE=s3://bucket/prefix), against the local S3 server (moto,
standing in for the data centre's object store; see conftest). The same promises as the directory lake: a
publish switches ``latest`` (the pointer object) to a complete release, readers resolve it once, a crash or
kill midway leaves one complete release current and the next publish succeeds, writers never overlap.

Every staged release here is SYNTHETIC: tiny tables written by the tests, not engine output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from index import locks, publish, releases, storage, targets
from index.config import settings
from index.errors import ConfigError, PublishError
from index.targets import duckdb_catalog, parquet
from tests.fixtures.staged import stage as staged_release

REPO_TESTS = Path(__file__).resolve().parents[1]
WRITER = REPO_TESTS / "fixtures" / "dei_writer_process.py"
REPO = Path(__file__).resolve().parents[2]


def stage(cfg, release_id: str, score: float, **manifest) -> Path:
    """A SYNTHETIC staged release in the cache's published/.staging/ (where compute writes)."""
    return staged_release(cfg, release_id, score, suffix=uuid.uuid4().hex[:6], **manifest)


def keys(cfg, under="published") -> list[str]:
    return sorted(m["path"] for m in storage.lake_store(cfg).list(under))


def latest_score(cfg) -> float:
    """What a reader sees: resolve the pointer once, read that release through DuckDB's registered filesystem."""
    rid = parquet.current_release_id(cfg)
    con = storage.connect(cfg)
    try:
        url = f"{parquet.release_url(cfg, rid)}/index_scores.parquet"
        return con.execute(f"select score from read_parquet('{url}')").fetchall()[0][0]
    finally:
        con.close()


# ----------------------------------------------------------------------------------- settings and errors


def test_a_path_lake_is_unchanged(lake):
    assert lake.lake_url is None and not storage.is_object_lake(lake)
    assert lake.published == lake.lake / "published"


def test_an_s3_url_makes_an_object_lake_with_a_local_cache(s3_lake, tmp_path):
    assert storage.is_object_lake(s3_lake)
    assert s3_lake.lake == (tmp_path / "lake-cache").resolve()
    assert storage.parse_lake("s3://b/x/y/") == storage.LakeURL("s3", "b", "x/y")
    with pytest.raises(ConfigError, match="only a path or an s3://"):
        storage.parse_lake("gs://b/x")
    with pytest.raises(ConfigError, match="names no bucket"):
        storage.parse_lake("s3:///x")


def test_a_missing_bucket_is_a_clear_error_naming_the_url(s3_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DEI_LAKE", "s3://no-such-bucket-here/lake")
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ConfigError, match=r"s3://no-such-bucket-here/lake.*does not exist"):
        parquet.current_release_id(settings())


def test_an_unreachable_store_is_a_clear_error_naming_the_url(s3_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DEI_LAKE", "s3://bucket/lake")
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"object lake s3://bucket/lake at http://127.0.0.1:9: cannot"):
        publish.current_release_id(settings())
    assert time.monotonic() - start < 60


# ------------------------------------------------------------------------------- publish and read


def test_publish_makes_release_current(s3_lake):
    result = publish.publish(stage(s3_lake, "aaaa", 61.5), triggered_by="test", cfg=s3_lake)
    assert result["created"] is True and result["previous"] is None
    assert result["targets"] == dict(parquet="aaaa", catalog="aaaa", postgres=None)
    assert publish.current_release_id(s3_lake) == "aaaa"
    assert latest_score(s3_lake) == 61.5
    pointer = json.loads(storage.lake_store(s3_lake).get("published/latest.json"))
    assert pointer["release_id"] == "aaaa" and pointer["published_at"]
    assert parquet.read_manifest(s3_lake, "aaaa")["triggered_by"] == "test"
    assert keys(s3_lake, "published/.staging") == []
    assert not any((s3_lake.published / ".staging").iterdir())
    assert [k for k in keys(s3_lake) if "/history/" in k].__len__() == 1
    assert "published/.publish.lock" not in keys(s3_lake)  # released on exit


def test_readers_get_the_current_release_from_the_cache_and_the_catalog(s3_lake):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    local = publish.current_release_dir(s3_lake)
    assert local == s3_lake.published / "releases" / "aaaa"
    assert pd.read_parquet(local / "index_scores.parquet")["score"].iloc[0] == 61.5
    con = duckdb_catalog.open_catalog(s3_lake)
    try:
        assert con.execute("select score from index_scores").fetchall() == [(61.5,)]
        assert con.execute("select release_id, status from releases").fetchall() == [("aaaa", "current")]
        assert con.execute("select path from release_info").fetchall()[0][0].startswith("s3://")
    finally:
        con.close()
    stored = pd.read_parquet(
        storage.lake_store(s3_lake).key_url("published/releases.parquet"),
        filesystem=storage.lake_store(s3_lake).fsspec(),
    )
    assert list(stored["release_id"]) == ["aaaa"]


def test_another_machine_reads_the_current_release_into_its_own_cache(s3_lake, monkeypatch, tmp_path):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "other-machine"))
    other = settings()
    assert publish.current_release_id(other) == "aaaa"
    local = publish.current_release_dir(other)
    assert local.is_relative_to(tmp_path / "other-machine")
    assert sorted(p.name for p in local.iterdir()) == sorted(
        ["framework.parquet", "index_scores.parquet", "indicator_values.parquet", "release.json"]
    )


def test_publishing_the_same_release_twice_writes_nothing_new(s3_lake):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    store = storage.lake_store(s3_lake)
    before = {m["path"]: (m["e_tag"], m["last_modified"]) for m in store.list("published/releases")}
    again = publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    assert again["created"] is False
    after = {m["path"]: (m["e_tag"], m["last_modified"]) for m in store.list("published/releases")}
    assert before == after
    assert store.folders("published/releases") == ["aaaa"]
    assert keys(s3_lake, "published/.staging") == []


def test_new_release_replaces_latest_and_keeps_the_old_one(s3_lake):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    result = publish.publish(stage(s3_lake, "bbbb", 70.0), cfg=s3_lake)
    assert result["previous"] == "aaaa"
    assert latest_score(s3_lake) == 70.0
    assert "published/releases/aaaa/index_scores.parquet" in keys(s3_lake)
    frame = releases.list_releases(s3_lake)
    assert list(zip(frame["release_id"], frame["status"])) == [("aaaa", "superseded"), ("bbbb", "current")]


def test_incomplete_staged_release_is_refused_and_latest_stays(s3_lake):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    broken = stage(s3_lake, "bbbb", 70.0)
    (broken / "framework.parquet").unlink()
    with pytest.raises(ConfigError, match="incomplete.*framework.parquet"):
        publish.publish(broken, cfg=s3_lake)
    assert publish.current_release_id(s3_lake) == "aaaa"
    assert latest_score(s3_lake) == 61.5
    assert storage.lake_store(s3_lake).folders("published/releases") == ["aaaa"]


@pytest.mark.parametrize("step", ["after_rename", "catalog_write", "before_latest"])
def test_a_crash_before_the_pointer_leaves_latest_on_the_previous_release(s3_lake, monkeypatch, step):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)

    def crash(at):
        if at == step:
            raise OSError(f"simulated crash at {step}")

    staged = stage(s3_lake, "bbbb", 70.0)
    with monkeypatch.context() as patched:
        patched.setattr(targets, "checkpoint", crash)
        with pytest.raises(OSError, match="simulated crash"):
            publish.publish(staged, cfg=s3_lake)
    assert publish.current_release_id(s3_lake) == "aaaa"
    assert latest_score(s3_lake) == 61.5
    # the retried task (same staged path) finishes the publish
    result = publish.publish(staged, cfg=s3_lake)
    assert result["id"] == "bbbb" and publish.current_release_id(s3_lake) == "bbbb"
    assert latest_score(s3_lake) == 70.0
    assert releases.target_release_ids(s3_lake) == dict(parquet="bbbb", catalog="bbbb", postgres=None)


def test_an_upload_cut_short_is_removed_by_the_next_writer(s3_lake):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    store = storage.lake_store(s3_lake)
    store.put("published/releases/dead/index_scores.parquet", b"half an upload")  # no release.json
    assert parquet.release_ids(s3_lake) == {"aaaa"}
    publish.publish(stage(s3_lake, "bbbb", 70.0), cfg=s3_lake)
    assert store.folders("published/releases") == ["aaaa", "bbbb"]


def test_rollback_and_prune_on_the_object_lake(s3_lake, monkeypatch):
    for i, rid in enumerate(("aaaa", "bbbb", "cccc")):
        publish.publish(stage(s3_lake, rid, 60.0 + i), cfg=s3_lake)
    out = releases.rollback("aaaa", cfg=s3_lake)
    assert out["previous"] == "cccc" and publish.current_release_id(s3_lake) == "aaaa"
    assert latest_score(s3_lake) == 60.0
    assert releases.target_release_ids(s3_lake) == dict(parquet="aaaa", catalog="aaaa", postgres=None)
    assert releases.prune(s3_lake, keep=2) == ["bbbb"]
    assert storage.lake_store(s3_lake).folders("published/releases") == ["aaaa", "cccc"]
    frame = releases.list_releases(s3_lake)
    assert dict(zip(frame["release_id"], frame["status"])) == dict(aaaa="current", bbbb="pruned", cccc="rolled_back")
    with pytest.raises(ConfigError, match="not on disk"):
        releases.rollback("bbbb", cfg=s3_lake)
    monkeypatch.setenv("DEI_KEEP_RELEASES", "1")
    publish.publish(stage(s3_lake, "dddd", 80.0), cfg=s3_lake)
    assert storage.lake_store(s3_lake).folders("published/releases") == ["dddd"]
    assert not (s3_lake.published / "releases" / "aaaa").exists()  # the cache's copy goes too


def test_dei_ranking_reads_the_object_lake(s3_lake, make_release, capsys):
    from index import cli

    staged = make_release(s3_lake.published / ".staging" / "r1-test", "r1", {150100: 60.0, 150200: 50.0})
    publish.publish(staged, cfg=s3_lake)
    assert cli.main(["ranking"]) == 0
    out = capsys.readouterr().out
    assert "呼和浩特市" in out and "包头市" in out
    assert out.index("呼和浩特市") < out.index("包头市")


# --------------------------------------------------------------------- the staged release hand-over


def test_stage_release_and_open_staged_on_a_path_lake(lake):
    staged = stage(lake, "aaaa", 61.5)
    name = storage.stage_release(lake, staged)
    assert name == staged.name
    assert storage.open_staged(lake, name) == staged
    with pytest.raises(ConfigError, match="not under"):
        storage.stage_release(lake, staged.parent.parent)
    with pytest.raises(ConfigError, match="no staged release"):
        storage.open_staged(lake, "nothing-here")


def test_a_staged_release_goes_from_one_worker_to_another(s3_lake, monkeypatch, tmp_path):
    staged = stage(s3_lake, "aaaa", 61.5)
    name = storage.stage_release(s3_lake, staged)
    assert keys(s3_lake, f"published/.staging/{name}")[-1].endswith("release.json") or True
    # another worker: its own cache; it adds a table (as the uncertainty analysis does) and uploads only that
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "worker-2"))
    worker2 = settings()
    there = storage.open_staged(worker2, name)
    assert there.is_relative_to(tmp_path / "worker-2") and (there / "index_scores.parquet").is_file()
    pd.DataFrame({"x": [2]}).to_parquet(there / "extra_table.parquet")
    assert storage.stage_release(worker2, there) == name
    uploaded = keys(s3_lake, f"published/.staging/{name}")
    assert f"published/.staging/{name}/extra_table.parquet" in uploaded
    # a third worker publishes it
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "worker-3"))
    worker3 = settings()
    result = publish.publish(storage.open_staged(worker3, name), cfg=worker3)
    assert result["id"] == "aaaa"
    assert "published/releases/aaaa/extra_table.parquet" in keys(worker3)
    assert keys(worker3, "published/.staging") == []
    with pytest.raises(ConfigError, match="no staged release"):
        storage.open_staged(worker3, name)


def test_restaging_uploads_only_what_changed(s3_lake):
    staged = stage(s3_lake, "aaaa", 61.5)
    storage.stage_release(s3_lake, staged)
    store = storage.lake_store(s3_lake)
    (staged / "new.parquet").write_bytes(b"synthetic")
    assert store.upload_dir(staged, storage.staging_key(staged.name), skip_same=True) == [
        f"published/.staging/{staged.name}/new.parquet"
    ]


# ------------------------------------------------------------------------------- the writer lock


def start_writer(log: Path, ops, cache: Path, ready: Path | None = None, kill_at: str | None = None, **env):
    spec = dict(log=str(log), ops=ops, ready=str(ready) if ready else None, kill_at=kill_at)
    return subprocess.Popen(
        [sys.executable, str(WRITER), json.dumps(spec)],
        cwd=REPO,
        text=True,
        env={**os.environ, "DEI_LAKE_CACHE": str(cache), "PYTHONPATH": str(REPO), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def sections(log: Path) -> list[int]:
    """The pids of the lock sections in order; fails when a line of another process falls inside one."""
    out, active = [], None
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, what = line.split(" ", 1)
        if what.startswith("enter"):
            assert active is None, f"{pid} entered while {active} held the lock"
            active = pid
            out.append(int(pid))
        else:
            assert active == pid, f"{pid} did {what!r} outside its lock section (holder: {active})"
            if what.startswith("exit"):
                active = None
    return out


def test_two_publishes_at_once_in_two_processes_never_overlap(s3_lake, tmp_path):
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    log = tmp_path / "writers.log"
    names = [storage.stage_release(s3_lake, stage(s3_lake, rid, 70.0 + i)) for i, rid in enumerate(("b001", "c001"))]
    procs = [start_writer(log, [["publish", name]], tmp_path / f"machine-{i}") for i, name in enumerate(names)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert sorted(sections(log)) == sorted(p.pid for p in procs)
    events = [e for e in releases.read_history(s3_lake) if e["event"] == "publish"]
    assert [e["id"] for e in events][0] == "aaaa" and len(events) == 3
    for before, after in zip(events, events[1:]):
        assert after["previous"] == before["id"]  # no switch was lost
    current = publish.current_release_id(s3_lake)
    assert current == events[-1]["id"] and parquet.read_manifest(s3_lake, current)["id"] == current
    assert releases.target_release_ids(s3_lake) == dict(parquet=current, catalog=current, postgres=None)


def test_a_busy_lock_gives_up_after_the_timeout_naming_its_holder(s3_lake, tmp_path, monkeypatch):
    ready = tmp_path / "ready"
    holder = start_writer(tmp_path / "log", [["hold", 30]], tmp_path / "holder", ready=ready)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert holder.poll() is None, holder.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        monkeypatch.setenv("DEI_PUBLISH_LOCK_TIMEOUT", "1")
        with pytest.raises(PublishError, match=rf"pid {holder.pid}.* still holds s3://.*\.publish\.lock after 1 s"):
            publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
        assert publish.current_release_id(s3_lake) is None
    finally:
        holder.kill()
        holder.communicate()


@pytest.mark.parametrize("kill_at", ["after_rename", "catalog_write", "before_latest"])
def test_a_publish_killed_midway_leaves_one_complete_release_and_the_next_succeeds(
    s3_lake, tmp_path, monkeypatch, kill_at
):
    monkeypatch.setenv("DEI_PUBLISH_LOCK_LEASE", "1.5")
    publish.publish(stage(s3_lake, "aaaa", 61.5), cfg=s3_lake)
    name = storage.stage_release(s3_lake, stage(s3_lake, "bbbb", 70.0))
    proc = start_writer(tmp_path / "log", [["publish", name]], tmp_path / "killed", kill_at=kill_at)
    proc.communicate(timeout=120)
    assert proc.returncode == -9
    assert "published/.publish.lock" in keys(s3_lake)  # the killed holder never released it
    # readers: the pointer still names the previous, complete release
    assert publish.current_release_id(s3_lake) == "aaaa" and latest_score(s3_lake) == 61.5
    # the task retried on another worker waits out the lease, breaks the lock and finishes the publish
    start = time.monotonic()
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "retry-worker"))
    retry = settings()
    assert publish.publish(storage.open_staged(retry, name), cfg=retry)["id"] == "bbbb"
    assert publish.current_release_id(s3_lake) == "bbbb" and latest_score(s3_lake) == 70.0
    assert keys(s3_lake, "published/.staging") == []
    # and the next publish succeeds
    result = publish.publish(stage(s3_lake, "cccc", 80.0), cfg=s3_lake)
    assert time.monotonic() - start < 30
    assert result["id"] == "cccc" and publish.current_release_id(s3_lake) == "cccc"
    assert latest_score(s3_lake) == 80.0
    assert releases.target_release_ids(s3_lake) == dict(parquet="cccc", catalog="cccc", postgres=None)
    assert "published/.publish.lock" not in keys(s3_lake)


def test_a_stale_lock_is_broken_after_its_lease_and_only_one_breaker_wins(s3_lake, monkeypatch, capsys):
    store = storage.lake_store(s3_lake)
    dead = dict(pid=999999, host="gone", action="publish", since="2026-01-01T00:00:00+00:00", expires=time.time() + 1)
    tag = store.put(locks.OBJECT_LOCK_KEY, json.dumps(dead).encode(), create=True)
    # two breakers read the same expired lock; the conditional update lets only the first one take it
    store.put(locks.OBJECT_LOCK_KEY, b'{"pid": 1}', e_tag=tag)
    with pytest.raises(storage.Changed):
        store.put(locks.OBJECT_LOCK_KEY, b'{"pid": 2}', e_tag=tag)
    # a lock whose lease has not expired is waited for; once expired the waiter takes it over
    dead["expires"] = time.time() + 1.5
    store.put(locks.OBJECT_LOCK_KEY, json.dumps(dead).encode())
    start = time.monotonic()
    with locks.object_lock(s3_lake, "publish", timeout=30):
        waited = time.monotonic() - start
        info = json.loads(store.get(locks.OBJECT_LOCK_KEY))
        assert info["pid"] == os.getpid()
    assert 1.0 <= waited < 10
    assert "broke the expired lock of another publish (pid 999999" in capsys.readouterr().err
    assert store.get(locks.OBJECT_LOCK_KEY) is None


def test_the_lease_is_renewed_while_the_holder_works(s3_lake, monkeypatch):
    monkeypatch.setenv("DEI_PUBLISH_LOCK_LEASE", "0.6")
    store = storage.lake_store(s3_lake)
    with locks.object_lock(s3_lake, "publish"):
        first = json.loads(store.get(locks.OBJECT_LOCK_KEY))["expires"]
        time.sleep(1.0)
        later = json.loads(store.get(locks.OBJECT_LOCK_KEY))["expires"]
        assert later > first and later > time.time()
        with pytest.raises(PublishError, match="still holds"):
            with locks.object_lock(s3_lake, "publish", timeout=0.5):
                pass


# ------------------------------------------------------------------------------- with PostgreSQL on

TEST_DSN = os.environ.get("DEI_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def s3_lake_pg(s3_lake, monkeypatch):
    """The object lake with PostgreSQL publishing on (a schema of this test's own, dropped afterwards)."""
    import psycopg

    schema = f"dei_s3{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DEI_POSTGRES_DSN", TEST_DSN)
    monkeypatch.setenv("DEI_POSTGRES_SCHEMA", schema)
    yield s3_lake
    with psycopg.connect(TEST_DSN, autocommit=True) as conn:
        for (name,) in conn.execute(
            "select nspname from pg_namespace where nspname = %s or nspname like %s", [schema, schema + r"\_%"]
        ).fetchall():
            conn.execute(f'drop schema "{name}" cascade')


def test_with_postgresql_the_advisory_lock_guards_the_object_lake(s3_lake_pg, monkeypatch):
    from index.targets import postgres

    store = storage.lake_store(s3_lake_pg)
    seen = []
    with monkeypatch.context() as patched:
        patched.setattr(targets, "checkpoint", lambda step: seen.append(store.exists(locks.OBJECT_LOCK_KEY)))
        publish.publish(stage(s3_lake_pg, "aaaa", 61.5), cfg=s3_lake_pg)
        result = publish.publish(stage(s3_lake_pg, "bbbb", 70.0), cfg=s3_lake_pg)
    assert seen and not any(seen)  # PostgreSQL's lock, no lock object
    assert result["targets"] == dict(parquet="bbbb", catalog="bbbb", postgres="bbbb")
    assert releases.target_release_ids(s3_lake_pg) == dict(parquet="bbbb", catalog="bbbb", postgres="bbbb")
    # another writer of this lake (another machine) holds the advisory lock: this one gives up cleanly
    monkeypatch.setenv("DEI_PUBLISH_LOCK_TIMEOUT", "1")
    with postgres.lake_lock(TEST_DSN, s3_lake_pg.lake_url):
        with pytest.raises(PublishError, match=r"another writer of s3://.*still runs after 1 s"):
            publish.publish(stage(s3_lake_pg, "cccc", 80.0), cfg=s3_lake_pg)
    assert publish.current_release_id(s3_lake_pg) == "bbbb"
    releases.rollback("aaaa", cfg=s3_lake_pg)
    assert releases.target_release_ids(s3_lake_pg) == dict(parquet="aaaa", catalog="aaaa", postgres="aaaa")


def test_readers_during_publishes_always_see_one_complete_release(s3_lake, monkeypatch):
    """Reader threads resolve the pointer once and read the release (Parquet through DuckDB, and the catalog)
    while publishes, a rollback and prunes run: every read is one whole release, never a mix."""
    import threading

    monkeypatch.setenv("DEI_KEEP_RELEASES", "4")
    publish.publish(stage(s3_lake, "r000", 0.0), cfg=s3_lake)
    stop, reads, bad = threading.Event(), [0, 0], []

    def parquet_reader():
        con = storage.connect(s3_lake)
        while not stop.is_set():
            rid = parquet.current_release_id(s3_lake)
            where = parquet.release_url(s3_lake, rid)
            got = con.execute(f"select release_id, score from read_parquet('{where}/index_scores.parquet')").fetchall()
            manifest = json.loads(storage.lake_store(s3_lake).get(f"published/releases/{rid}/release.json"))
            if got != [(rid, float(int(rid[1:])))] or manifest["id"] != rid:
                bad.append((rid, got, manifest.get("id")))
            reads[0] += 1

    def catalog_reader():
        while not stop.is_set():
            con = duckdb_catalog.open_catalog(s3_lake)
            try:
                (rid,) = con.execute("select release_id from release_info").fetchone()
                got = con.execute("select release_id, score from index_scores").fetchall()
                if got != [(rid, float(int(rid[1:])))]:
                    bad.append((rid, got))
            finally:
                con.close()
            reads[1] += 1

    threads = [threading.Thread(target=fn, daemon=True) for fn in (parquet_reader, catalog_reader)]
    for thread in threads:
        thread.start()
    try:
        for i in range(1, 8):
            publish.publish(stage(s3_lake, f"r{i:03d}", float(i)), cfg=s3_lake)
            if i == 5:
                releases.rollback("r003", cfg=s3_lake)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert bad == []
    assert min(reads) >= 5, reads
    assert publish.current_release_id(s3_lake) == "r007"
    assert len(storage.lake_store(s3_lake).folders("published/releases")) == 4
