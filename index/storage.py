"""The lake on object storage: ``DEI_LAKE=s3://bucket/prefix`` instead of a directory.

A path in DEI_LAKE keeps the lake on the filesystem exactly as before. An ``s3://`` URL puts the PUBLISHED layer
in that bucket under ``<prefix>/published/`` (landing, raw and curated stay on the local cache for now):

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
never change, so a cached copy never goes stale), and compute stages into it before stage_release uploads.
A store that cannot be reached, or a missing bucket, is a ConfigError naming the URL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from index.errors import ConfigError

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
        raise ConfigError(f"object lake {where}: cannot {what}: {first}") from None

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
