"""Landing, raw, curated and quarantine in the bucket (DEI_LAKE=s3://bucket/prefix), against the local S3 server
(moto, see conftest): each DAG task may run on another machine, simulated here by another DEI_LAKE_CACHE.

The landing files are committed sample submissions (SYNTHETIC, data_lake/landing/2023_*) and small SYNTHETIC
files written by the tests.
"""

from __future__ import annotations

import json
import threading

import duckdb
import pytest

from index import compute, pipeline, publish, storage
from index.config import settings
from index.errors import ConfigError

SAMPLES = (
    "2023_内蒙古通信管理局_通信业主要指标.xlsx",
    "2023_自治区统计局_国民经济和数字经济主要指标.xlsx",
    "2023_自治区商务厅_电子商务发展情况.csv",
    "2023_北京大学数字金融研究中心_数字普惠金融指数分项.csv",
)
# SYNTHETIC: a 5G penetration rate of 250 % breaks a validation rule (the bound is 200 %)
BAD_RANGE = "2024年各盟市通信业补充数据\n盟市,5G用户普及率（%）\n呼和浩特市,55.0\n包头市,250\n"
BAD_RANGE_NAME = "2024_内蒙古通信管理局_补充数据.csv"
# SYNTHETIC: no header ingest can read: rejected by ingest itself
UNREADABLE = "这不是报表\n1,2,3\n"
UNREADABLE_NAME = "2023_自治区商务厅_乱码.csv"


@pytest.fixture(autouse=True)
def _no_settle(monkeypatch):
    monkeypatch.setenv("DEI_LANDING_SETTLE_SECONDS", "0")


def machine(monkeypatch, tmp_path, name: str):
    """Settings of the same object lake as seen from another machine (its own cache directory)."""
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / f"machine-{name}"))
    return settings()


def drop(cfg, repo, names=SAMPLES) -> None:
    store = storage.lake_store(cfg)
    for name in names:
        store.put(f"landing/{name}", (repo / "data_lake" / "landing" / name).read_bytes())


def keys(cfg, layer: str) -> list[str]:
    return sorted(m["path"] for m in storage.lake_store(cfg).list(layer))


def scores(release_dir) -> list[tuple]:
    return duckdb.sql(
        f"select unit_code, year, node_id, score, rank from read_parquet('{release_dir}/index_scores.parquet')"
        " order by unit_code, year, node_id"
    ).fetchall()


def chain(cfgs: dict, replicates: int = 8) -> dict:
    """ingest on A, validate on B, compute on C, analyse on A, publish on B (each a fresh Settings)."""
    summary = pipeline.ingest_step(cfg=cfgs["A"]())
    pipeline.announce_raw(summary, cfg=cfgs["A"]())
    pipeline.validate_step(cfg=cfgs["B"]())
    staged = pipeline.compute_step(cfg=cfgs["C"](), replicates=replicates)
    staged = pipeline.analyse_step(staged, cfg=cfgs["A"]())
    return pipeline.publish_step(staged, cfg=cfgs["B"]())


def test_the_chain_across_machines_gives_the_release_of_a_path_lake(s3_lake, lake, repo, monkeypatch, tmp_path):
    every_2023 = sorted(p.name for p in (repo / "data_lake" / "landing").glob("2023_*"))
    for name in every_2023:
        (lake.landing / name).write_bytes((repo / "data_lake" / "landing" / name).read_bytes())
    url = s3_lake.lake_url
    monkeypatch.setenv("DEI_LAKE", str(lake.lake))
    on_path = pipeline.publish_step(
        pipeline.analyse_step(pipeline.compute_step(cfg=_validated(lake), replicates=8), cfg=lake), cfg=lake
    )

    monkeypatch.setenv("DEI_LAKE", url)
    drop(s3_lake, repo, every_2023)
    cfgs = {m: (lambda m=m: machine(monkeypatch, tmp_path, m)) for m in "ABC"}
    on_store = chain(cfgs)

    assert on_store["id"] == on_path["id"] and on_store["created"]
    reader = machine(monkeypatch, tmp_path, "D")
    assert publish.current_release_id(reader) == on_store["id"]
    assert scores(publish.current_release_dir(reader)) == scores(lake.published / "latest")
    # every layer lives in the bucket, none was left only in a machine's cache
    assert len([k for k in keys(reader, "raw") if k.endswith(".parquet")]) >= len(every_2023)
    assert {k.split("/")[-1] for k in keys(reader, "curated")} == {
        k.split("/")[-1] for k in keys(reader, "raw") if k.endswith(".parquet")
    }
    assert pipeline.pending_raw_batches(reader) == []
    assert not (tmp_path / "machine-A" / "raw").exists() or not any((tmp_path / "machine-A" / "raw").rglob("*.parquet"))


def _validated(cfg):
    pipeline.ingest_step(cfg=cfg)
    pipeline.validate_step(cfg=cfg)
    return cfg


def test_bad_files_end_up_in_the_s3_quarantine_with_their_problems_and_the_good_ones_go_on(
    s3_lake, repo, monkeypatch, tmp_path
):
    store = storage.lake_store(s3_lake)
    drop(s3_lake, repo, SAMPLES[:2])
    store.put(f"landing/{BAD_RANGE_NAME}", BAD_RANGE.encode())
    store.put(f"landing/{UNREADABLE_NAME}", UNREADABLE.encode())

    ingested = pipeline.ingest_step(cfg=machine(monkeypatch, tmp_path, "A"))
    assert sorted(ingested["new"]) == sorted([*SAMPLES[:2], BAD_RANGE_NAME])
    assert [q["file"] for q in ingested["quarantined"]] == [UNREADABLE_NAME]
    folder = ingested["quarantined"][0]["folder"]
    assert folder.startswith(s3_lake.lake_url + "/quarantine/"), folder  # named on the store, not a temp dir

    validated = pipeline.validate_step(cfg=machine(monkeypatch, tmp_path, "B"))
    assert validated["rejected"] == 1 and len(validated["promoted"]) == 2

    landing = keys(s3_lake, "landing")
    assert landing == sorted(f"landing/{n}" for n in SAMPLES[:2])  # the bad ones were moved out
    quarantine = keys(s3_lake, "quarantine")
    for name in (BAD_RANGE_NAME, UNREADABLE_NAME):
        [moved] = [k for k in quarantine if k.endswith("/" + name)]
        base = moved.rsplit("/", 1)[0]
        assert f"{base}/problems.txt" in quarantine and f"{base}/problems.json" in quarantine
    [report] = [
        k for k in quarantine if k.endswith("problems.json") and json.loads(store.get(k))["file"] == BAD_RANGE_NAME
    ]
    problem = json.loads(store.get(report))["problems"][0]
    assert problem["row"] == 4 and problem["column"] == "5G用户普及率（%）"
    # the failing batch's raw files went to quarantine with it; the good batches are curated
    assert any("/raw/year=" in k for k in quarantine if k.startswith(base.rsplit("/", 1)[0]))
    assert len([k for k in keys(s3_lake, "curated") if k.endswith(".parquet")]) >= 2
    assert pipeline.pending_raw_batches(s3_lake) == []
    # a third machine reads the curated lake straight from the store
    assert all(u.startswith("s3://") for u in compute.curated_files(machine(monkeypatch, tmp_path, "C")))


def count_writes(monkeypatch) -> list[str]:
    written = []
    real_put, real_delete = storage.ObjectStore.put, storage.ObjectStore.delete

    def put(self, key, *args, **kwargs):
        written.append(f"put {key}")
        return real_put(self, key, *args, **kwargs)

    def delete(self, key):
        written.append(f"delete {key}")
        return real_delete(self, key)

    monkeypatch.setattr(storage.ObjectStore, "put", put)
    monkeypatch.setattr(storage.ObjectStore, "delete", delete)
    return written


def test_a_poll_with_nothing_new_lists_and_uploads_nothing(s3_lake, repo, monkeypatch, tmp_path):
    drop(s3_lake, repo, SAMPLES[:1])
    a = machine(monkeypatch, tmp_path, "A")
    assert pipeline.landing_changed("scheduled", cfg=a)
    summary = pipeline.ingest_step(cfg=a)
    pipeline.announce_raw(summary, cfg=a)
    assert storage.lake_store(a).exists("raw/.landing-state.json")
    assert not storage.lake_store(a).exists("raw/.landing-state.pending.json")

    written = count_writes(monkeypatch)
    b = machine(monkeypatch, tmp_path, "B")  # another worker polls: the state is on the store
    assert not pipeline.landing_changed("scheduled", cfg=b)
    assert written == []
    # an ingest of what was ingested already writes no layer object (only its own pending state)
    again = pipeline.ingest_step(cfg=b)
    assert again["new"] == [] and again["skipped"] == [SAMPLES[0]]
    assert written == ["put raw/.landing-state.pending.json"]

    storage.lake_store(b).put(f"landing/{SAMPLES[1]}", (repo / "data_lake" / "landing" / SAMPLES[1]).read_bytes())
    assert pipeline.landing_changed("scheduled", cfg=b)


def test_concurrent_ingest_and_validate_keep_each_others_files(s3_lake, repo, monkeypatch, tmp_path):
    """Validate (machine B) promotes and quarantines batches while ingest (machine A) writes new ones into raw:
    afterwards every batch is on the store where its own step put it."""
    store = storage.lake_store(s3_lake)
    drop(s3_lake, repo, SAMPLES[:1])
    store.put(f"landing/{BAD_RANGE_NAME}", BAD_RANGE.encode())
    pipeline.ingest_step(cfg=machine(monkeypatch, tmp_path, "A"))  # two raw batches wait: one good, one bad
    waiting = pipeline.pending_raw_batches(s3_lake)
    assert len(waiting) == 2
    drop(s3_lake, repo, SAMPLES[1:3])  # landing meanwhile, for the concurrent ingest
    cfg_a, cfg_b = machine(monkeypatch, tmp_path, "A"), machine(monkeypatch, tmp_path, "B")

    # both steps have made their workspace before either applies its changes
    both_ready = threading.Barrier(2, timeout=120)
    real_apply = storage.Workspace.apply

    def apply(self):
        both_ready.wait()
        return real_apply(self)

    monkeypatch.setattr(storage.Workspace, "apply", apply)
    results, errors = {}, []

    def run(name, fn):
        try:
            results[name] = fn()
        except BaseException as exc:  # reported below
            errors.append(exc)
            both_ready.abort()

    threads = [
        threading.Thread(target=run, args=("ingest", lambda: pipeline.ingest_step(cfg=cfg_a))),
        threading.Thread(target=run, args=("validate", lambda: pipeline.validate_step(cfg=cfg_b))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert sorted(results["ingest"]["new"]) == sorted(SAMPLES[1:3])
    assert results["validate"]["rejected"] == 1 and len(results["validate"]["promoted"]) == 1

    raw = {k.rsplit("/", 1)[-1][:-8] for k in keys(s3_lake, "raw") if k.endswith(".parquet")}
    curated = {k.rsplit("/", 1)[-1][:-8] for k in keys(s3_lake, "curated") if k.endswith(".parquet")}
    quarantined = set(store.folders("quarantine"))
    [bad] = quarantined
    assert bad in waiting and bad not in raw  # validate moved it out of raw; ingest did not bring it back
    assert curated == set(waiting) - {bad}
    # ingest's two new batches are in raw, waiting for the next validation, beside the promoted one
    assert pipeline.pending_raw_batches(s3_lake) == sorted(raw - curated)
    assert len(raw - curated) == 2
    assert keys(s3_lake, "landing") == sorted(f"landing/{n}" for n in SAMPLES[:3])


def test_compute_reads_the_curated_objects_and_the_engine_connection_stays_closed(s3_lake, repo, monkeypatch, tmp_path):
    drop(s3_lake, repo, SAMPLES[:2])
    pipeline.ingest_step(cfg=machine(monkeypatch, tmp_path, "A"))
    pipeline.validate_step(cfg=machine(monkeypatch, tmp_path, "B"))
    c = machine(monkeypatch, tmp_path, "C")
    assert not (c.curated).exists() or not any(c.curated.rglob("*.parquet"))  # nothing copied to C's cache
    run = compute.run_engine(cfg=c)
    try:
        assert run.con.execute("select count(*) from curated").fetchone()[0] > 0
        url = compute.curated_files(c)[0]
        with pytest.raises(duckdb.Error, match="disabled|Permission"):
            run.con.execute(f"select * from read_parquet('{url}')").fetchall()
        assert run.con.list_filesystems() == []
    finally:
        run.con.close()
    # history: the chosen years only
    from index import history

    assert compute.curated_files(history.settings_for(c, years="2023")) == compute.curated_files(c)
    assert compute.curated_files(history.settings_for(c, years="2019")) == []
    with pytest.raises(ConfigError, match=s3_lake.lake_url.replace("/", ".") + ".curated"):
        compute.run_engine(cfg=history.settings_for(c, years="2019"))


def test_an_unreachable_store_is_a_clear_error_for_every_layer_step(s3_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DEI_LAKE", "s3://no-such-bucket-dei/lake")
    monkeypatch.setenv("DEI_LAKE_CACHE", str(tmp_path / "cache"))
    cfg = settings()
    for step in (
        lambda: pipeline.landing_changed("scheduled", cfg=cfg),
        lambda: pipeline.ingest_step(cfg=cfg),
        lambda: pipeline.validate_step(cfg=cfg),
        lambda: pipeline.pending_raw_batches(cfg),
        lambda: compute.curated_files(cfg),
    ):
        with pytest.raises(ConfigError, match="s3://no-such-bucket-dei/lake"):
            step()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    storage._STORES.clear()
    with pytest.raises(ConfigError, match="s3://no-such-bucket-dei/lake"):
        pipeline.ingest_step(cfg=settings())


def test_a_raw_batch_cut_short_is_not_validated_and_the_next_ingest_completes_it(s3_lake, repo, monkeypatch, tmp_path):
    drop(s3_lake, repo, SAMPLES[:1])
    real_marker = storage.batch_marker

    def crash(sha16):
        raise RuntimeError("worker killed after uploading the raw files")

    monkeypatch.setattr(storage, "batch_marker", crash)
    with pytest.raises(RuntimeError):
        pipeline.ingest_step(cfg=machine(monkeypatch, tmp_path, "A"))
    monkeypatch.setattr(storage, "batch_marker", real_marker)
    assert [k for k in keys(s3_lake, "raw") if k.endswith(".parquet")]  # the files are there, the marker not
    assert pipeline.validate_step(cfg=machine(monkeypatch, tmp_path, "B"))["promoted"] == []
    assert keys(s3_lake, "curated") == []

    assert pipeline.landing_changed("scheduled", cfg=machine(monkeypatch, tmp_path, "A"))  # the poll retries
    again = pipeline.ingest_step(cfg=machine(monkeypatch, tmp_path, "A"))
    assert again["new"] == [SAMPLES[0]]
    assert [k for k in keys(s3_lake, "raw") if "/.batches/" in k]
    assert len(pipeline.validate_step(cfg=machine(monkeypatch, tmp_path, "B"))["promoted"]) == 1


def test_a_machine_downloads_each_landing_object_once(s3_lake, repo, monkeypatch, tmp_path):
    drop(s3_lake, repo, SAMPLES[:2])
    a = machine(monkeypatch, tmp_path, "A")
    pipeline.ingest_step(cfg=a)
    got = []
    real_get = storage.ObjectStore.get

    def get(self, key):
        got.append(key)
        return real_get(self, key)

    monkeypatch.setattr(storage.ObjectStore, "get", get)
    assert sorted(pipeline.ingest_step(cfg=a)["skipped"]) == sorted(SAMPLES[:2])
    assert [k for k in got if k.startswith("landing/")] == []
    # a landing object removed from the store leaves the cache too
    storage.lake_store(a).delete(f"landing/{SAMPLES[0]}")
    pipeline.ingest_step(cfg=a)
    assert len(list((a.lake / storage.WORKSPACES / ".objects" / "landing").iterdir())) == 1
    # no workspace is left behind
    assert [p.name for p in (a.lake / storage.WORKSPACES).iterdir()] == [".objects"]


def test_dei_samples_uploads_the_sample_files_into_the_buckets_landing(s3_lake, tmp_path, capsys):
    """`dei samples` on an object lake: the same SYNTHETIC files, byte for byte, as objects under landing/."""
    from index import cli, storage

    assert cli.main(["samples"]) == 0
    assert "s3://" in capsys.readouterr().out
    assert cli.main(["samples", "--out", str(tmp_path / "local")]) == 0
    local = {
        p.relative_to(tmp_path / "local").as_posix(): p.read_bytes()
        for p in (tmp_path / "local").rglob("*")
        if p.is_file()
    }
    store = storage.lake_store(s3_lake)
    uploaded = {m["path"].removeprefix("landing/"): store.get(m["path"]) for m in store.list("landing/")}
    assert uploaded == local and len(local) > 100
    assert not s3_lake.landing.exists() or not any(s3_lake.landing.iterdir())  # nothing written to the cache
