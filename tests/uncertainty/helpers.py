"""Helpers of the uncertainty tests: ASEM method files with sections replaced, ranks from an aggregated.csv."""

from __future__ import annotations

from pathlib import Path

ASEM = Path(__file__).resolve().parent.parent / "fixtures" / "asem"


def write_method(path: Path, **sections) -> Path:
    """ASEM's method.toml with some sections replaced (``normalise={"method": "zscore", ...}``)."""
    import tomllib

    with (ASEM / "method.toml").open("rb") as handle:
        method = tomllib.load(handle)
    method.update(sections)
    lines = []
    for name, body in method.items():
        lines.append(f"[{name}]")
        for key, value in body.items():
            lines.append(f"{key} = {_toml(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + " }"
    return repr(value)


def coinr_ranks(aggregated: Path, nodes: list[str]):
    """Ranks from an aggregated.csv (COINr's or an engine build's): 1 = highest, ties share the min rank."""
    import pandas as pd

    frame = pd.read_csv(aggregated).set_index("uCode")
    return frame[nodes].rank(ascending=False, method="min")
