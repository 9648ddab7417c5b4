"""Interactive callers (the Data tab) check on every core at lowered priority: each worker
process runs at the caller's niceness + NICE, whichever way it was started."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from ftui.data import validate as validate_module
from ftui.data.validate import NICE, Validation

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads priorities from /proc")


def big_chat_file(path: Path) -> Path:
    """About 4 MB of chat lines: several ranges, so worker processes check it."""
    row = {"messages": [{"role": "user", "content": "word " * 200}, {"role": "assistant", "content": "ok"}]}
    line = json.dumps(row) + "\n"
    path.write_text(line * (4_000_000 // len(line)))
    return path


def worker_niceness() -> list[int]:
    """The niceness of every worker process of the pools running now (field 19 of /proc/PID/stat)."""
    out = []
    for pool in list(validate_module._POOLS):
        for pid in list((getattr(pool, "_processes", None) or {}).keys()):
            with contextlib.suppress(OSError, IndexError, ValueError):  # it may have just ended
                out.append(int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16]))
    return out


@pytest.mark.parametrize("started", ["forked", "spawned"])
def test_interactive_workers_run_at_lowered_priority(tmp_path: Path, started: str) -> None:
    path = big_chat_file(tmp_path / "big.jsonl")
    seen: list[int] = []
    hold = threading.Event()
    if started == "spawned":  # a thread is running: workers are spawned, not forked
        threading.Thread(target=hold.wait, daemon=True).start()
    try:
        validation = Validation(path, nice=True, processes=2)
        report = validation.run(on_chunk=lambda chunk, offset: seen.extend(worker_niceness()))
    finally:
        hold.set()
    assert report.examples > 1000
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen and all(n == min(mine + NICE, 19) for n in seen)
