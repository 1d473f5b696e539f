"""index.tables: columns line up by display width whatever mix of Chinese and ASCII a name holds, names are never
cut, and the output is plain text. The names below are the framework's own (a few with ASCII inside)."""

from __future__ import annotations

from index.tables import arrow, render, width

NAMES = ["5G用户普及率", "移动网络IPv6流量占比", "数据中心PUE", "R&D经费投入强度", "包头市", "Hohhot"]


def test_width_counts_wide_characters_twice():
    assert width("abc") == 3
    assert width("包头市") == 6
    assert width("5G用户") == 6
    assert width("e\u0301") == 1  # a combining accent takes no column


def test_every_column_starts_at_the_same_display_column():
    rows = [[name, f"{i * 1.5:.2f}", "↑1"] for i, name in enumerate(NAMES)]
    lines = render(["指标", "得分", "名次变化"], rows, rule=True)
    assert lines[1].replace(" ", "").strip("-") == ""  # the rule under the headers
    body = lines[2:]
    for name, line in zip(NAMES, body):
        assert line.startswith(name)  # whole, never cut
    # the right-aligned score column ends at the same display column on every line
    ends = {width(line[: line.index(f"{i * 1.5:.2f}") + len(f"{i * 1.5:.2f}")]) for i, line in enumerate(body)}
    assert len(ends) == 1
    assert all("\x1b" not in line for line in lines)  # plain text, no colour codes


def test_arrow():
    assert [arrow(2), arrow(-3), arrow(0), arrow(None), arrow(float("nan"))] == ["↑2", "↓3", "=", "–", "–"]
