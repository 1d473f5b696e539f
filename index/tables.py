"""Terminal tables: every `dei` table (ranking, moves, diff, compare, weights suggest, audit, lists) is a
rich.table.Table rendered by a rich Console, so display width (East Asian wide and full-width characters take two
columns, combining marks none) is the library's: "5G用户普及率" and "IPv6 活跃用户占比" line up. Names are never cut
(the console is as wide as the table needs, cells never wrap) and the text is plain, TTY or not: no colour, no
markup, no ANSI codes, so captured output and pipes read the same as the terminal.
"""

from __future__ import annotations


def width(text) -> int:
    """Columns ``text`` takes in a monospaced terminal (rich's measure)."""
    from rich.cells import cell_len

    return cell_len(str(text))


def render(
    headers: list[str],
    rows: list[list],
    align: str | None = None,
    indent: str = "",
    gap: str = "  ",
    rule: bool = False,
) -> list[str]:
    """Lines of a table: headers, an optional rule of dashes, then rows. ``align`` has one "<" or ">" per column
    (default: first column left, the rest right). ``None`` cells print empty; cells are text, never markup."""
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    align = align or ("<" + ">" * (len(headers) - 1))
    cells = [[Text("" if cell is None else str(cell)) for cell in row] for row in rows]
    # columns are separated by ``gap`` (the right padding of each cell); the rule, when asked for, is a first row
    # of dashes exactly as wide as its column
    table = Table(box=None, show_edge=False, pad_edge=False, expand=False, padding=(0, len(gap), 0, 0))
    for header_text, how in zip(headers, align):
        table.add_column(
            Text(str(header_text)), justify="right" if how == ">" else "left", no_wrap=True, overflow="fold"
        )
    if rule:
        sizes = [max([width(h)] + [r[i].cell_len for r in cells]) for i, h in enumerate(headers)]
        table.add_row(*(Text("-" * size) for size in sizes))
    for row in cells:
        table.add_row(*row)
    out = io.StringIO()
    console = Console(
        file=out,
        width=100_000,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        legacy_windows=False,
        no_color=True,
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(table)
    return [(indent + line).rstrip() for line in out.getvalue().splitlines()]


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
