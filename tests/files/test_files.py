"""index.files: atomic writes leave the old file or the new one, and no temporary file on failure."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from index import files


def test_sha256_file_is_the_hash_of_the_bytes(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"\x00abc" * 1000)
    assert files.sha256_file(path) == hashlib.sha256(b"\x00abc" * 1000).hexdigest()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    files.write_text_atomic(path, "old")

    def fail(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        files.write_with(path, fail)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_copy_and_bytes_land_whole(tmp_path):
    src = files.write_bytes_atomic(tmp_path / "src" / "x.bin", b"payload")
    dst = files.copy_atomic(src, tmp_path / "dst" / "x.bin")
    assert dst.read_bytes() == b"payload"


def test_sql_string_reads_a_path_with_a_quote(tmp_path):
    path = tmp_path / "it's here.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    assert duckdb.connect().execute(f"select a from read_csv({files.sql_string(path)})").fetchall() == [(1,)]


def test_read_toml_names_a_missing_or_broken_file(tmp_path):
    from index.errors import ConfigError

    with pytest.raises(ConfigError, match="spec file not found"):
        files.read_toml(tmp_path / "missing.toml", "spec")
    broken = tmp_path / "broken.toml"
    broken.write_text("[a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        files.read_toml(broken, "spec")


def test_replace_between_keeps_the_text_outside_the_markers(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("head\n<!-- s -->\nold\n<!-- e -->\ntail\n", encoding="utf-8")
    files.replace_between(path, "<!-- s -->", "<!-- e -->", "<!-- s -->\nnew\n<!-- e -->")
    assert path.read_text(encoding="utf-8") == "head\n<!-- s -->\nnew\n<!-- e -->\ntail\n"
