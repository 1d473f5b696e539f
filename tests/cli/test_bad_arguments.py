"""Every `dei` sub-command, given a bad value for each of its arguments (or missing a required one, or an argument
it does not have): one line on stderr, a non-zero exit, never a traceback.

The sub-commands and their arguments are read from build_parser(), so a new command or option is tested the
day it is added; an option that needs a good value to reach the bad one must be listed in GOOD. The lake is a
temporary one holding two SYNTHETIC releases and a SYNTHETIC scenario.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile

import pytest

from index import cli

# Good values for the arguments a bad one needs beside it: (command path, dest) -> value(s); "{tmp}" is a
# temporary directory, "{r1}" / "{r2}" the two releases, "{sql}" the private SQL tree.
GOOD = {
    ("releases diff", "a"): "{r1}",
    ("releases diff", "b"): "{r2}",
    ("releases rollback", "id"): "{r1}",
    ("compare", "ids"): ["{r1}", "{r2}"],
    ("report", "out"): "{tmp}/site",
    ("export", "xlsx"): "{tmp}/out.xlsx",
    ("weights suggest", "method"): "entropy",
    ("sensitivity", "uncertainty"): "{sql}/method/dei_uncertainty.toml",
    ("sensitivity", "out"): "{tmp}/sensitivity",
}


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) of every sub-command that takes no further sub-command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from leaves(child, path + (name,))


def bad_values(action: argparse.Action) -> list[str]:
    if action.choices:
        return ["no-such-choice"]
    if action.type is int:
        return ["not-a-number"]
    if getattr(action.type, "__name__", "") == "_year":
        return ["not-a-year", "1900"]
    # one value that is a nonexistent file, an unknown id, node or release folder, and cannot be written to
    return ["{tmp}/a-file.txt/no-such-" + action.dest]


def cases():
    for path, parser in leaves(cli.build_parser()):
        command = " ".join(path)
        actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
        yield pytest.param(command, [*path, "--no-such-option"], id=f"{command} --no-such-option")
        for action in actions:
            if action.nargs == 0:  # a flag has no value to get wrong
                continue
            good = _good_args(command, actions, skip=action)
            for value in bad_values(action):
                arg = [value] if not action.option_strings else [action.option_strings[0], value]
                yield pytest.param(command, [*path, *good, *arg], id=f"{command} {action.dest}={value.split('/')[-1]}")
            if action.required or (not action.option_strings and action.nargs not in ("*", "?")):
                yield pytest.param(command, [*path, *good], id=f"{command} without {action.dest}")


def _good_args(command: str, actions, skip) -> list[str]:
    out = []
    for action in actions:
        if action is skip:
            continue
        needed = action.required or (not action.option_strings and action.nargs not in ("*", "?"))
        if (command, action.dest) not in GOOD:
            assert not needed, f"`dei {command}` needs {action.dest}: add a good value for it to GOOD"
            continue
        if not needed and action.option_strings:
            continue
        value = GOOD[(command, action.dest)]
        values = value if isinstance(value, list) else [value]
        out += values if not action.option_strings else [action.option_strings[0], *values]
    return out


@pytest.fixture
def world(lake, sql_copy, publish_synthetic, make_scenario, tmp_path, monkeypatch):
    # sql_copy: a private SQL tree, so even a command that got through could not write into the repo's
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # a traceback log, if any, stays in tmp
    (tmp_path / "a-file.txt").write_text("SYNTHETIC: a file where a folder is expected\n", encoding="utf-8")
    r1 = publish_synthetic("aaaa1111", {150100: 60.0, 150200: 50.0}).name
    r2 = publish_synthetic("bbbb2222", {150100: 40.0, 150200: 55.0}).name
    make_scenario("equal", "cccc3333", {150100: 45.0, 150200: 52.0}, manifest={"weight_scheme": {"path": "equal.sql"}})
    return dict(tmp=str(tmp_path), r1=r1, r2=r2, sql=str(sql_copy))


@pytest.mark.parametrize(("command", "argv"), list(cases()))
def test_a_bad_argument_is_one_line_and_a_non_zero_exit(world, capsys, command, argv):
    argv = [a.format(**world) for a in argv]
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    out, err = capsys.readouterr()
    assert code not in (0, None), f"dei {' '.join(argv)} exited 0"
    assert err.strip(), f"dei {' '.join(argv)} said nothing on stderr"
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in out + err


def test_every_sub_command_is_covered():
    commands = {" ".join(path) for path, _ in leaves(cli.build_parser())}
    assert {"compare", "export", "scenarios list", "releases diff", "ranking", "weights suggest"} <= commands


@pytest.mark.parametrize("argv", [["no-such-command"], [], ["releases"], ["weights", "suggest", "--method", "x"]])
def test_the_real_process_says_one_line_with_the_choices(argv, lake, repo):
    done = subprocess.run([sys.executable, "-m", "index.cli", *argv], capture_output=True, text=True, cwd=repo)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stdout + done.stderr
    assert "choose" in done.stderr  # the valid choices are named
