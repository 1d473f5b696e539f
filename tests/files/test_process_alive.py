"""index.files.process_alive: the one pid probe of the release owner note and the local cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from index.files import process_alive


def test_a_running_process_is_alive():
    assert process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_a_reaped_process_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)


def test_a_zombie_is_not_alive():
    # exited, not yet waited for: os.kill(pid, 0) still succeeds, but it runs no more
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while process_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not process_alive(child.pid)
        os.kill(child.pid, 0)  # the zombie is still there to be signalled
    finally:
        child.wait()
