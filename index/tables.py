"""Plain-text tables that line up in a terminal whatever mix of Chinese and ASCII the cells hold.

The one helper every `dei` table goes through (ranking, moves, diff, compare, weights suggest, audit). Width is
the display width (East Asian wide and full-width characters take two columns, combining marks none), so
"5G用户普及率" and "IPv6 活跃用户占比" pad correctly; names are never cut. Output is plain text, TTY or not.
"""

from __future__ import annotations

import unicodedata


def width(text) -> int:
    """Columns ``text`` takes in a monospaced terminal."""
    total = 0
    for ch in str(text):
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def pad(text, size: int, align: str = "<") -> str:
    text = str(text)
    fill = " " * max(0, size - width(text))
    return fill + text if align == ">" else text + fill


def render(headers: list[str], rows: list[list], align: str | None = None, indent: str = "",
           gap: str = "  ", rule: bool = False) -> list[str]:
    """Lines of a table: headers, an optional rule of dashes, then rows. ``align`` has one "<" or ">" per column
    (default: first column left, the rest right). ``None`` cells print empty."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    align = align or ("<" + ">" * (len(headers) - 1))
    sizes = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(row: list[str]) -> str:
        return (indent + gap.join(pad(c, s, a) for c, s, a in zip(row, sizes, align))).rstrip()

    out = [line(list(headers))]
    if rule:
        out.append(line(["-" * s for s in sizes]))
    return out + [line(r) for r in cells]


def arrow(change) -> str:
    """A rank move as ↑n / ↓n / = (– when there is nothing to compare with)."""
    if change is None or change != change:  # None or NaN
        return "–"
    change = int(change)
    return f"↑{change}" if change > 0 else (f"↓{-change}" if change < 0 else "=")


def shown_path(path) -> str:
    """A path as a user typing commands from the repo reads it best: relative to the current directory when
    inside it (data_lake/scenarios/equal), else absolute."""
    import os
    from pathlib import Path

    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path(os.getcwd()).resolve()))
    except (ValueError, OSError):
        return str(path)
