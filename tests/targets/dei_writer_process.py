"""A writer process for the lock tests: ``python dei_writer_process.py '<json>'`` runs the given operations
(publish a staged directory, roll back, hold the lock) against DEI_LAKE and appends to ``log`` one line per
lock entry and exit and per publish checkpoint: "<pid> <what>". The lines about the lock are written while
it is held, so their order in the file is the order in which the holders ran."""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager


def main(spec: dict) -> int:
    from index import locks, publish, releases, targets
    from index.config import settings

    log_path = spec["log"]

    def log(what: str) -> None:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\n")

    real_lock = locks.publish_lock

    @contextmanager
    def logged_lock(published, action="publish", timeout=None):
        outer = not locks.holding(published)
        with real_lock(published, action, timeout):
            if outer:
                log(f"enter {action}")
            try:
                yield
            finally:
                if outer:
                    log(f"exit {action}")

    locks.publish_lock = logged_lock
    targets.checkpoint = lambda step: log(f"step {step}")
    cfg = settings()
    for op, arg in spec["ops"]:
        if op == "publish":
            publish.publish(arg, triggered_by=f"test:{os.getpid()}")
        elif op == "rollback":
            releases.rollback(arg, triggered_by=f"test:{os.getpid()}")
        elif op == "hold":
            with locks.publish_lock(cfg.published, "publish"):
                open(spec["ready"], "w").close()
                time.sleep(arg)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
