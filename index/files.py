"""One home for the small file operations every step needs: content hashes, atomic writes and copies.

A write goes to a temporary name beside its target and is renamed into place (``os.replace`` is atomic on one
file system), so a reader sees the old file or the new one, never half of one; a failed write (a full disk)
removes its temporary file. Temporary names start with "." and end in ".tmp-<pid>", which landing and cleanup
know to ignore.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    return write_with(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def copy_atomic(src: str | Path, dst: str | Path) -> Path:
    return write_with(dst, lambda tmp: shutil.copyfile(src, tmp))


def sql_string(value: str | Path) -> str:
    """A path or text as a DuckDB string literal (quotes doubled), for the few statements that must name a file."""
    return "'" + str(value).replace("'", "''") + "'"


def read_toml(path: str | Path, what: str) -> dict:
    """A TOML file (a method or uncertainty spec) as a dict; a missing or broken file is one ConfigError."""
    import tomllib

    from index.errors import ConfigError

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: {what} file not found")
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def replace_between(path: str | Path, start: str, end: str, block: str) -> Path:
    """Rewrite the text between two marker lines (a generated README table), the markers included in block."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        return path
    head, rest = text.split(start, 1)
    return write_text_atomic(path, head + block + rest.split(end, 1)[1])


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine: it exists (another user's counts) and is not a zombie, which
    has exited and only waits for its parent's wait()."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False  # gone between the two looks
    except IndexError:
        return True  # a /proc without the usual stat line: the signal said it exists
