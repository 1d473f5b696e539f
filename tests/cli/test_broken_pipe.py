"""A reader that goes away (`dei ranking | head`) gets no error message from dei, and the exit code says SIGPIPE."""

from __future__ import annotations

import subprocess
import sys

from index.bench import synthetic_release


def test_a_closed_pipe_ends_dei_quietly(tmp_path):
    release = synthetic_release(tmp_path / "release")  # SYNTHETIC: 12 made-up units
    proc = subprocess.Popen(
        [sys.executable, "-m", "index.cli", "ranking", "--release", str(release), "--node", "SYN_INDEX"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=None,
    )
    proc.stdout.close()  # the reader is gone before dei writes (as `| head -0`, or a head that already quit)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141, err
    assert b"Broken pipe" not in err and b"nothing was published" not in err
