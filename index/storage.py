"""The lake on object storage: ``DEI_LAKE=s3://bucket/prefix`` instead of a directory.

A path in DEI_LAKE keeps the lake on the filesystem exactly as before. An ``s3://`` URL puts every layer in that
bucket: landing/, raw/, curated/ and quarantine/ (ingest and validation run in a :class:`Workspace`, compute
reads curated through :func:`reading`; docs/architecture.md) and, under ``<prefix>/published/``:

    published/releases/<id>/...        the immutable release files, ``release.json`` uploaded last
    published/history/<ts>-<uuid>.json one object per event (S3 cannot append)
    published/releases.parquet         the releases table
    published/catalog.duckdb           the DuckDB catalog (built locally, uploaded; views name s3:// URLs)
    published/latest.json              the POINTER {release_id, published_at}, written LAST by a publish: one PUT
                                       is atomic, so a reader resolving it always finds a complete release
    published/.publish.lock            the writer lock (index/locks.py, create-only PUT with a lease)
    published/.staging/<name>/...      staged releases handed from compute to publish (stage_release/open_staged)

The client is obstore (Rust object_store), configured from the URL and the standard variables AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION (default us-east-1); an http:// endpoint is allowed
(a data centre's own store). Settings.lake is then a local cache directory (DEI_LAKE_CACHE, default
~/.cache/dei/lake/<bucket>/<prefix>): readers get a resolved release downloaded there once (release directories
never change, so a cached copy never goes stale), compute stages into it before stage_release uploads, and
the steps' workspaces live under it.
A store that cannot be reached, or a missing bucket, is a ConfigError naming the URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from index.errors import ConfigError, StoreUnavailable

SCHEMES = ("s3",)
CACHE_ENV = "DEI_LAKE_CACHE"
PUBLISHED = "published"
STAGING = ".staging"
OWNER_FILE = ".owner"  # compute's note inside a staged directory; never uploaded
MANIFEST = "release.json"


@dataclass(frozen=True)
class LakeURL:
    scheme: str
    bucket: str
    prefix: str  # no leading or trailing slash; "" for the bucket's root

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.prefix}".rstrip("/")


def parse_lake(value: str) -> LakeURL | None:
    """The object-storage URL in DEI_LAKE, or None when it is a path."""
    if "://" not in value:
        return None
    scheme, rest = value.split("://", 1)
    if scheme not in SCHEMES:
        raise ConfigError(f"DEI_LAKE={value!r}: only a path or an s3://bucket/prefix URL is supported")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ConfigError(f"DEI_LAKE={value!r} names no bucket (s3://bucket/prefix)")
    return LakeURL(scheme, bucket, prefix.strip("/"))


def default_cache(url: LakeURL) -> Path:
    raw = os.environ.get(CACHE_ENV, "").strip()
    if raw:
        return Path(raw).expanduser()
    return Path.home() / ".cache" / "dei" / "lake" / url.bucket / (url.prefix.replace("/", "_") or "_root")


def is_object_lake(cfg) -> bool:
    return getattr(cfg, "lake_url", None) is not None


# ------------------------------------------------------------------------------------------ the store


class Exists(Exception):
    """A create-only PUT found the key there already."""


class Changed(Exception):
    """A conditional PUT found the object changed (another writer got there first)."""


_STORES: dict[tuple, ObjectStore] = {}


def lake_store(cfg) -> ObjectStore:
    """The store of an object lake (one per URL and endpoint, reused within a process)."""
    if not is_object_lake(cfg):
        raise ConfigError(f"the lake {cfg.lake} is a directory, not object storage")
    url = parse_lake(cfg.lake_url)
    key = (str(url), *(os.environ.get(v) for v in _ENV_VARS), os.getpid())
    if key not in _STORES:
        _STORES[key] = ObjectStore(url)
    return _STORES[key]


_ENV_VARS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")


class ObjectStore:
    """Bytes by key under the lake's prefix; keys are '/'-separated and relative to it ("published/latest.json")."""

    def __init__(self, url: LakeURL):
        from obstore.store import S3Store

        self.url = url
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
        self._options = dict(
            access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or None,
            secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            region=os.environ.get("AWS_REGION") or "us-east-1",
        )
        if self.endpoint:
            self._options["endpoint"] = self.endpoint
        self._options = {k: v for k, v in self._options.items() if v is not None}
        # an unreachable store must fail in seconds with a clear message, not retry for minutes
        self._client = dict(
            allow_http=bool(self.endpoint and self.endpoint.startswith("http://")), connect_timeout="5s", timeout="60s"
        )
        self._retry = dict(max_retries=3, retry_timeout=timedelta(seconds=15))
        self._store = S3Store(
            url.bucket,
            prefix=url.prefix or None,
            client_options=self._client,
            retry_config=self._retry,
            **self._options,
        )

    # ---- errors: every failure that is not "no such key" / "exists" / "changed" names the URL

    def _fail(self, what: str, exc: BaseException):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = f"{self.url}" + (f" at {self.endpoint}" if self.endpoint else "")
        if "NoSuchBucket" in str(exc):
            raise ConfigError(f"object lake {where}: bucket {self.url.bucket!r} does not exist ({what})") from None
        raise StoreUnavailable(f"object lake {where}: cannot {what}: {first}") from None

    def _call(self, what: str, fn, *args, **kwargs):
        import obstore.exceptions as oe

        try:
            return fn(*args, **kwargs)
        except oe.AlreadyExistsError:
            raise Exists(what) from None
        except oe.PreconditionError:
            raise Changed(what) from None
        except FileNotFoundError as exc:
            if "NoSuchBucket" in str(exc):
                self._fail(what, exc)
            raise
        except (oe.BaseError, OSError) as exc:
            self._fail(what, exc)

    def key_url(self, key: str) -> str:
        """The s3:// URL of a key (what DuckDB reads through :meth:`register`)."""
        return f"{self.url}/{key}"

    # ---- the small API

    def get(self, key: str) -> bytes | None:
        got = self.get_with_tag(key)
        return None if got is None else got[0]

    def get_with_tag(self, key: str) -> tuple[bytes, str | None] | None:
        """(content, e_tag), or None when there is no such key."""
        import obstore

        try:
            result = self._call(f"read {key}", obstore.get, self._store, key)
            return bytes(result.bytes()), result.meta.get("e_tag")
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes, create: bool = False, e_tag: str | None = None) -> str | None:
        """Write ``key``; ``create``: only if absent (else :class:`Exists`); ``e_tag``: only if unchanged since
        (else :class:`Changed`). Returns the new e_tag."""
        import obstore

        mode = "create" if create else ({"e_tag": e_tag} if e_tag else "overwrite")
        result = self._call(f"write {key}", obstore.put, self._store, key, data, mode=mode)
        return result.get("e_tag")

    def head(self, key: str) -> dict | None:
        import obstore

        try:
            return self._call(f"look up {key}", obstore.head, self._store, key)
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def list(self, prefix: str) -> list[dict]:
        """Every object under ``prefix`` (a folder: "published/releases/"), each {path, size, e_tag, last_modified}."""
        import obstore

        def collect():
            return [meta for batch in obstore.list(self._store, prefix.rstrip("/") + "/") for meta in batch]

        return self._call(f"list {prefix}", collect)

    def folders(self, prefix: str) -> list[str]:
        """The names of the 'folders' directly under ``prefix``."""
        import obstore

        listed = self._call(f"list {prefix}", obstore.list_with_delimiter, self._store, prefix.rstrip("/") + "/")
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in listed["common_prefixes"])

    def delete(self, key: str) -> None:
        import obstore

        try:
            self._call(f"delete {key}", obstore.delete, self._store, key)
        except FileNotFoundError:
            pass

    def delete_prefix(self, prefix: str, first: str | None = None) -> int:
        """Delete every object under ``prefix``; ``first`` (a file name) goes before the others, so a half-done
        delete of a release leaves no release.json (an incomplete directory the next writer tidies)."""
        metas = self.list(prefix)
        keys = sorted((m["path"] for m in metas), key=lambda k: (first is None or not k.endswith("/" + first), k))
        for key in keys:
            self.delete(key)
        return len(keys)

    def upload_dir(self, local: Path, prefix: str, last: str | None = MANIFEST, skip_same: bool = False) -> list[str]:
        """Upload the files of ``local`` (recursively) under ``prefix``; ``last`` after all others (the marker of a
        complete upload). ``skip_same``: leave alone a file whose stored e_tag is its MD5 already."""
        local = Path(local)
        files = sorted(
            (p for p in local.rglob("*") if p.is_file() and p.name != OWNER_FILE),
            key=lambda p: (p.name == last, str(p)),
        )
        stored = {m["path"]: m.get("e_tag") for m in self.list(prefix)} if skip_same else {}
        sent = []
        for path in files:
            key = f"{prefix.rstrip('/')}/{path.relative_to(local).as_posix()}"
            data = path.read_bytes()
            if skip_same and (stored.get(key) or "").strip('"') == hashlib.md5(data).hexdigest():
                continue
            self.put(key, data)
            sent.append(key)
        return sent

    def download_prefix(self, prefix: str, local: Path, replace: bool = True) -> Path:
        """Copy every object under ``prefix`` into ``local`` (made whole in a temporary directory beside it, then
        renamed, so a reader of the cache never sees half a download). ``replace=False``: a ``local`` that
        appeared meanwhile (another reader's download of the same immutable release) is kept."""
        local = Path(local)
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.parent / f".download-{local.name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            base = prefix.rstrip("/") + "/"
            for meta in self.list(prefix):
                target = tmp / meta["path"][len(base) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.get(meta["path"]) or b"")
            if local.exists():
                if not replace:
                    return local
                shutil.rmtree(local)
            try:
                os.rename(tmp, local)
            except OSError:
                if replace or not local.is_dir():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return local

    def fsspec(self):
        """An fsspec filesystem (protocol "s3") for this store's bucket, for DuckDB and pandas."""
        from obstore.fsspec import FsspecStore

        return FsspecStore(self.url.scheme, client_options=self._client, retry_config=self._retry, **self._options)

    def register(self, con) -> None:
        """Let DuckDB connection ``con`` read s3:// URLs of this store (read_parquet('s3://bucket/...'))."""
        con.register_filesystem(self.fsspec())

    def check(self) -> None:
        """Fail now, clearly, if the store cannot be reached or the bucket is missing."""
        self.list(PUBLISHED)


def key(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p)


def connect(cfg, database: str = ":memory:", read_only: bool = False):
    """A DuckDB connection that can read the lake's s3:// URLs (for a path lake a plain connection)."""
    import duckdb

    con = duckdb.connect(database, read_only=read_only)
    if is_object_lake(cfg):
        lake_store(cfg).register(con)
    return con


# --------------------------------------------------------------- staged releases handed between workers


def staging_key(name: str) -> str:
    return key(PUBLISHED, STAGING, name)


def _check_name(name: str) -> str:
    if not name or "/" in name or name.startswith(".") or name in ("..",):
        raise ConfigError(f"{name!r} is not the name of a staged release")
    return name


def stage_release(cfg, local_dir: Path) -> str:
    """Hand a staged release over to other workers; returns its name (what :func:`open_staged` takes).

    Path lake: ``local_dir`` must be a directory under published/.staging/ (where compute writes); its name is
    returned, nothing is copied. Object lake: its files are uploaded under published/.staging/<name>/ with
    release.json last; calling it again uploads only the files added or changed since (e.g. the uncertainty
    tables written into the directory later)."""
    local_dir = Path(local_dir)
    if not local_dir.is_dir():
        raise ConfigError(f"{local_dir} is not a staged release directory")
    name = _check_name(local_dir.name)
    if not is_object_lake(cfg):
        if local_dir.resolve().parent != (cfg.published / STAGING).resolve():
            raise ConfigError(f"{local_dir} is not under {cfg.published / STAGING}: stage it there")
        return name
    lake_store(cfg).upload_dir(local_dir, staging_key(name), skip_same=True)
    return name


def open_staged(cfg, name: str) -> Path:
    """A local directory holding staged release ``name``: on a path lake the directory itself, on an object
    lake a fresh download into the cache (published/.staging/<name>/ there). Files added to it later are
    uploaded by calling :func:`stage_release` on it again."""
    name = _check_name(name)
    local = cfg.published / STAGING / name
    if not is_object_lake(cfg):
        if not local.is_dir():
            raise ConfigError(f"no staged release {name} under {cfg.published / STAGING}")
        return local
    store = lake_store(cfg)
    if not store.list(staging_key(name)):
        raise ConfigError(f"no staged release {name} under {store.key_url(staging_key(name))}")
    return store.download_prefix(staging_key(name), local)


def discard_staged(cfg, name: str) -> None:
    """Remove a staged release from the lake (after publishing it) and from the cache."""
    name = _check_name(name)
    if is_object_lake(cfg):
        lake_store(cfg).delete_prefix(staging_key(name), first=MANIFEST)
    shutil.rmtree(cfg.published / STAGING / name, ignore_errors=True)


# ------------------------------------------------------ landing, raw, curated and quarantine in the bucket

LAYERS = ("landing", "raw", "curated", "quarantine")
# raw batch files are named by the sha256 of their landing file: the first upload stands
CREATE_ONLY = ("raw",)
WORKSPACES = ".workspaces"
BATCHES = ".batches"  # raw/.batches/<sha16>.json: the files of a raw batch, written after them


def layer_url(cfg, layer: str) -> str:
    """Where a layer is, for messages: its s3:// URL on an object lake, else its directory."""
    if is_object_lake(cfg):
        return lake_store(cfg).key_url(layer)
    return str(getattr(cfg, layer))


def layer_keys(cfg, layer: str) -> list[dict]:
    """The objects of one layer (each {path, size, e_tag, last_modified}), keys relative to the lake."""
    return lake_store(cfg).list(layer)


def curated_urls(cfg) -> list[tuple[int, str]]:
    """(year, s3:// URL) of every curated batch file (curated/year=<y>/<name>.parquet, no hidden temp file)."""
    store = lake_store(cfg)
    found = []
    for meta in store.list("curated"):
        parts = meta["path"].split("/")
        if len(parts) != 3 or not parts[1].startswith("year=") or not parts[1][5:].isdigit():
            continue
        if parts[2].startswith(".") or not parts[2].endswith(".parquet"):
            continue
        found.append((int(parts[1][5:]), store.key_url(meta["path"])))
    return sorted(found, key=lambda yu: yu[1])


def _signature(path: Path) -> tuple:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _files(root: Path) -> dict[str, tuple]:
    out = {}
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                out[path.relative_to(root).as_posix()] = _signature(path)
    return out


@dataclass
class Changes:
    """What one workspace step changed on the store (keys relative to the lake)."""

    uploaded: list[str]
    deleted: list[str]
    kept: list[str]  # created locally but already on the store (a create-only raw batch), or changed meanwhile


class Workspace:
    """A private scratch copy of some layers of an object lake, and the diff of one step run on it.

    ``full`` layers are downloaded (landing files get the object's last_modified as mtime, which the settle
    wait and the delivery order read); ``names`` layers get empty placeholder files, enough for a step that
    only asks whether a batch is there. ``select(layer, rel, meta)`` decides per object instead: "full",
    "name" or None (left out). After the step only its own changes go back: files it created or
    rewrote are uploaded, objects whose copies it removed are deleted (uploads first: a crash between leaves a
    duplicate, never a loss), and nothing else, so two steps at once never undo each other's work."""

    def __init__(self, cfg, full=(), names=(), select=None):
        import dataclasses
        import tempfile

        self.cfg = cfg
        self.store = lake_store(cfg)
        base = Path(cfg.lake) / WORKSPACES
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="ws-", dir=base))
        self.local = dataclasses.replace(cfg, lake=self.root, lake_url=None)
        self.etags: dict[str, str | None] = {}
        self.stubs: set[str] = set()
        for layer in LAYERS:
            (self.root / layer).mkdir()
        try:
            self._fill(full, names, select)
        except BaseException:
            self.close()
            raise
        self.before = _files(self.root)

    def _fill(self, full, names, select) -> None:
        self.listed: dict[str, list[dict]] = {}
        for layer in (*full, *names):
            self.listed[layer] = self.store.list(layer)
            folders = {m["path"].rsplit("/", n)[0] for m in self.listed[layer] for n in range(1, m["path"].count("/"))}
            for meta in self.listed[layer]:
                key = meta["path"]
                rel = key[len(layer) + 1 :]
                parts = key.split("/")
                if key in folders or any(p in ("", ".", "..") for p in parts):
                    continue  # a console's folder marker, or a key no file name can hold inside the workspace
                how = ("full" if layer in full else "name") if select is None else select(layer, rel, meta)
                if how is None:
                    continue
                target = self.root / key
                target.parent.mkdir(parents=True, exist_ok=True)
                if how == "full":
                    self._fetch(layer, meta, target)
                else:
                    target.touch()
                    self.stubs.add(key)
                self.etags[key] = meta.get("e_tag")
            if layer in full:
                self._prune(layer)

    def _cached(self, layer: str, e_tag: str | None) -> Path | None:
        # a download kept by e_tag in the machine's cache: landing and raw objects are read by every run
        if not e_tag:
            return None
        return Path(self.cfg.lake) / WORKSPACES / ".objects" / layer / hashlib.sha256(e_tag.encode()).hexdigest()

    def _fetch(self, layer: str, meta: dict, target: Path) -> None:
        cached = self._cached(layer, meta.get("e_tag"))
        try:
            shutil.copyfile(cached, target)
        except (TypeError, OSError):
            data = self.store.get(meta["path"]) or b""
            target.write_bytes(data)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_name(f".{cached.name}.{uuid.uuid4().hex[:8]}")
                tmp.write_bytes(data)
                os.replace(tmp, cached)
        stamp = meta["last_modified"].timestamp()
        os.utime(target, (stamp, stamp))

    def _prune(self, layer: str) -> None:
        # the cache keeps only what the layer still holds
        keep = {self._cached(layer, m.get("e_tag")) for m in self.listed[layer]}
        folder = Path(self.cfg.lake) / WORKSPACES / ".objects" / layer
        for path in folder.glob("*") if folder.is_dir() else ():
            if path not in keep and not path.name.startswith("."):
                path.unlink(missing_ok=True)

    def shown(self, value):
        """``value`` (a summary: dicts, lists, strings) with workspace paths turned into the store's URLs."""
        if isinstance(value, str):
            return value.replace(str(self.root), str(self.store.url))
        if isinstance(value, dict):
            return {k: self.shown(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.shown(v) for v in value)
        return value

    def apply(self) -> Changes:
        after = _files(self.root)
        changes = Changes([], [], [])
        written = sorted(rel for rel, sig in after.items() if self.before.get(rel) != sig)
        # a quarantine folder's problems report before the file beside it, as the local code writes them
        written.sort(key=lambda rel: (not rel.endswith(("problems.txt", "problems.json")), rel))
        for rel in written:
            if rel.split("/", 1)[0] not in LAYERS:
                continue
            data = (self.root / rel).read_bytes()
            create = rel.split("/", 1)[0] in CREATE_ONLY and rel not in self.before
            try:
                self.store.put(rel, data, create=create)
                changes.uploaded.append(rel)
            except Exists:
                changes.kept.append(rel)
        # a raw batch (one file per year) is complete once its marker is there: validate reads no half batch
        batches: dict[str, list[str]] = {}
        for rel in written:
            sha16 = batch_of(rel)
            if sha16 is not None and rel not in self.before:
                batches.setdefault(sha16, []).append(rel)
        for sha16, rels in sorted(batches.items()):
            self.store.put(batch_marker(sha16), json.dumps(sorted(rels)).encode("utf-8"))
            changes.uploaded.append(batch_marker(sha16))
        for rel in sorted(set(self.before) - set(after)):
            # removed here: delete it unless someone replaced it meanwhile (a department sending a new version)
            now = self.store.head(rel)
            if now is None:
                continue
            if now.get("e_tag") != self.etags.get(rel):
                changes.kept.append(rel)
                continue
            self.store.delete(rel)
            changes.deleted.append(rel)
        return changes

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def batch_of(key: str) -> str | None:
    """The sha16 of a raw batch file key ("raw/year=2023/<sha16>.parquet"), else None."""
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == "raw" and parts[1].startswith("year=") and parts[2].endswith(".parquet"):
        stem = parts[2][: -len(".parquet")]
        return None if stem.startswith(".") else stem
    return None


def batch_marker(sha16: str) -> str:
    return key("raw", BATCHES, f"{sha16}.json")


BATCH_GRACE = timedelta(hours=1)


def complete_batches(metas: list[dict]) -> set[str]:
    """The sha16 of the complete raw batches in a listing of raw/: those with a marker, and those without one
    whose files are all older than BATCH_GRACE (a raw layer copied in from a directory lake)."""
    from datetime import UTC, datetime

    prefix = key("raw", BATCHES) + "/"
    marked = {m["path"][len(prefix) : -len(".json")] for m in metas if m["path"].startswith(prefix)}
    newest: dict[str, datetime] = {}
    for meta in metas:
        sha16 = batch_of(meta["path"])
        if sha16 is not None:
            newest[sha16] = max(newest.get(sha16, meta["last_modified"]), meta["last_modified"])
    old = {sha16 for sha16, when in newest.items() if datetime.now(UTC) - when > BATCH_GRACE}
    return (marked & set(newest)) | old


class _PathWorkspace:
    """A path lake is its own workspace: the step runs on it directly."""

    def __init__(self, cfg):
        self.local = cfg

    def shown(self, value):
        return value


def workspace(cfg, full=(), names=(), select=None):
    """``with storage.workspace(cfg, full=("landing",), names=("raw",)) as ws:`` run a step on ``ws.local``
    (Settings of a private local lake); on leaving without an error its changes are applied to the store
    (:class:`Workspace`). A path lake: ``ws.local`` is ``cfg`` itself and nothing is copied."""
    from contextlib import contextmanager

    @contextmanager
    def run():
        if not is_object_lake(cfg):
            yield _PathWorkspace(cfg)
            return
        ws = Workspace(cfg, full, names, select)
        try:
            yield ws
            ws.changes = ws.apply()
        finally:
            ws.close()

    return run()


def reading(cfg, con):
    """``with storage.reading(cfg, con):`` DuckDB connection ``con`` reads the lake's s3:// URLs inside the
    block only: the filesystem is unregistered after it, so a connection closed to external access
    afterwards (the engine's, index/sandbox.py) keeps no way to the store. A path lake: nothing to do."""
    from contextlib import contextmanager

    @contextmanager
    def run():
        if not is_object_lake(cfg):
            yield con
            return
        fs = lake_store(cfg).fsspec()
        names = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
        ours = not any(con.filesystem_is_registered(n) for n in names)  # storage.connect may have done it
        if ours:
            con.register_filesystem(fs)
        try:
            yield con
        except Exception as exc:
            if "duckdb" in type(exc).__module__ and lake_store(cfg).url.bucket in str(exc):
                first = str(exc).strip().splitlines()[0]
                raise ConfigError(f"object lake {lake_store(cfg).url}: cannot read: {first}") from None
            raise
        finally:
            if ours:
                for name in names:
                    if con.filesystem_is_registered(name):
                        con.unregister_filesystem(name)

    return run()
