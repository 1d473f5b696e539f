"""Fixtures for the uncertainty analysis: COINr's ASEM example (tests/fixtures/asem, MIT licence) as inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

ASEM = Path(__file__).resolve().parent.parent / "fixtures" / "asem"


@pytest.fixture(scope="session")
def asem_dir() -> Path:
    return ASEM


@pytest.fixture(scope="session")
def asem_inputs():
    from index.uncertainty import analysis

    return analysis.coinr_inputs(ASEM, ASEM / "method.toml")
