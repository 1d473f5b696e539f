"""Every `dei` sub-command, given a bad value for each of its arguments (or missing a required one, or an argument
it does not have): one line on stderr, a non-zero exit, never a traceback.

The sub-commands and their arguments are read from the click group cli.dei, so a new command or option is tested the
day it is added; an option that needs a good value to reach the bad one must be listed in GOOD. The lake is a
temporary one holding two SYNTHETIC releases and a SYNTHETIC scenario.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

import click
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
    ("units resolve", "names"): "土默特左旗",
    ("analyse", "out"): "{tmp}/analyse",
}


def leaves(group: click.Group, path: tuple[str, ...] = ()):
    """(command path, command) of every sub-command that runs (a group that runs without a sub-command too)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        child = group.get_command(ctx, name)
        if not isinstance(child, click.Group) or child.invoke_without_command:
            yield path + (name,), child
        if isinstance(child, click.Group):
            yield from leaves(child, path + (name,))


def _is_flag(param: click.Parameter) -> bool:
    return isinstance(param, click.Option) and (param.is_flag or param.count)


def bad_values(param: click.Parameter) -> list[str]:
    if isinstance(param.type, click.Choice):
        return ["no-such-choice"]
    if isinstance(param.type, click.types.IntParamType):
        return ["not-a-number"]
    if param.type.name == "year":
        return ["not-a-year", "1900"]
    # one value that is a nonexistent file, an unknown id, node or release folder, and cannot be written to
    return ["{tmp}/a-file.txt/no-such-" + param.name]


def _needed(param: click.Parameter) -> bool:
    return param.required


def _spelling(param: click.Parameter, values: list[str]) -> list[str]:
    return list(values) if isinstance(param, click.Argument) else [param.opts[0], *values]


def cases():
    for path, command in leaves(cli.dei):
        name = " ".join(path)
        params = list(command.params)
        yield pytest.param(name, [*path, "--no-such-option"], id=f"{name} --no-such-option")
        for param in params:
            if _is_flag(param):  # a flag has no value to get wrong
                continue
            good = _good_args(name, params, skip=param)
            for value in bad_values(param):
                yield pytest.param(
                    name, [*path, *good, *_spelling(param, [value])], id=f"{name} {param.name}={value.split('/')[-1]}"
                )
            if _needed(param):
                yield pytest.param(name, [*path, *good], id=f"{name} without {param.name}")


def _good_args(command: str, params, skip) -> list[str]:
    out = []
    for param in params:
        if param is skip:
            continue
        needed = _needed(param)
        if (command, param.name) not in GOOD:
            assert not needed, f"`dei {command}` needs {param.name}: add a good value for it to GOOD"
            continue
        if not needed and isinstance(param, click.Option):
            continue
        value = GOOD[(command, param.name)]
        values = value if isinstance(value, list) else [value]
        out += _spelling(param, values)
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
    except SystemExit as exc:  # the parser's own refusals
        code = exc.code
    out, err = capsys.readouterr()
    assert code not in (0, None), f"dei {' '.join(argv)} exited 0"
    assert err.strip(), f"dei {' '.join(argv)} said nothing on stderr"
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in out + err


def test_every_sub_command_is_covered():
    commands = {" ".join(path) for path, _ in leaves(cli.dei)}
    assert {"compare", "export", "scenarios list", "releases diff", "ranking", "weights suggest"} <= commands


@pytest.mark.parametrize("argv", [["no-such-command"], [], ["releases"], ["weights", "suggest", "--method", "x"]])
def test_the_real_process_says_one_line_with_the_choices(argv, lake, repo):
    done = subprocess.run([sys.executable, "-m", "index.cli", *argv], capture_output=True, text=True, cwd=repo)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stdout + done.stderr
    assert "choose" in done.stderr  # the valid choices are named
