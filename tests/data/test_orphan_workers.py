"""``kill -9`` of a validating process: its worker processes end too (none is left holding its
memory forever), whether they were forked (``ftui validate``) or spawned (a threaded caller)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")

ROOT = Path(__file__).resolve().parent.parent.parent
SPAWNED = (
    "import sys, threading\n"
    "threading.Thread(target=threading.Event().wait, daemon=True).start()  # a thread: workers are spawned\n"
    "from ftui.data.validate import validate_file\n"
    "validate_file(sys.argv[1])\n"
)


def big_chat_file(path: Path, size: int = 40_000_000) -> Path:
    row = {"messages": [{"role": "user", "content": "word " * 200}, {"role": "assistant", "content": "ok"}]}
    line = json.dumps(row) + "\n"
    path.write_text(line * (size // len(line)))
    return path


def stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (state, ppid, ...); None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(int(entry.name))) and fields[1] == str(pid):
            out.add(int(entry.name))
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie holds no memory


def wait_for(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("started", ["forked", "spawned"])
def test_workers_end_when_their_parent_is_killed(tmp_path: Path, started: str) -> None:
    data = big_chat_file(tmp_path / "big.jsonl")
    command = [sys.executable, "-m", "ftui", "validate", str(data)]
    if started == "spawned":
        command = [sys.executable, "-c", SPAWNED, str(data)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        # the workers: children of the validating process, but for multiprocessing's resource
        # tracker (which ends by itself when its pipe closes)
        def started_workers() -> bool:
            workers.update(pid for pid in children(proc.pid) if "resource_tracker" not in cmdline(pid))
            return bool(workers) or proc.poll() is not None

        wait_for(started_workers, 120, "the validation's worker processes")
        assert proc.poll() is None, "the validation ended before its workers could be seen (make the file bigger)"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        wait_for(lambda: not any(alive(pid) for pid in workers), 60, f"workers {sorted(workers)} to end")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        for pid in workers:  # never leave one behind, even when the test fails
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
