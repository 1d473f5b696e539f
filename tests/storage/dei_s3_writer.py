"""A writer process for the object-lake tests: ``python dei_s3_writer.py '<json>'`` against DEI_LAKE (an s3://
URL) with its own DEI_LAKE_CACHE (another machine). Ops: ["publish", staged name] (fetched with
storage.open_staged, as a publish task on another worker would), ["hold", seconds] (the writer lock only).
``kill_at``: SIGKILL itself at that publish checkpoint (a publish killed midway). Appends "<pid> <what>" lines
to ``log`` on entering and leaving the lock and at each checkpoint, written while the lock is held."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from contextlib import contextmanager


def main(spec: dict) -> int:
    from index import locks, publish, storage, targets
    from index.config import settings

    def log(what: str) -> None:
        with open(spec["log"], "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\n")

    real = locks.publisher

    @contextmanager
    def logged(cfg, action="publish", timeout=None):
        outer = not locks.holding_lake(cfg)
        with real(cfg, action, timeout):
            if outer:
                log(f"enter {action}")
            try:
                yield
            finally:
                if outer:
                    log(f"exit {action}")

    def checkpoint(step: str) -> None:
        log(f"step {step}")
        if step == spec.get("kill_at"):
            os.kill(os.getpid(), signal.SIGKILL)

    locks.publisher = logged
    targets.checkpoint = checkpoint
    cfg = settings()
    for op, arg in spec["ops"]:
        if op == "publish":
            publish.publish(storage.open_staged(cfg, arg), triggered_by=f"test:{os.getpid()}", cfg=cfg)
        elif op == "hold":
            with locks.publisher(cfg, "publish"):
                open(spec["ready"], "w").close()
                time.sleep(arg)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
