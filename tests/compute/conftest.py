"""Fixtures for compute."""

from __future__ import annotations


# curated_lake and sql_copy live in tests/conftest.py (the CLI tests use them too)
