"""state.json written by many real ftui processes at once keeps every record (lock, re-read, merge)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ftui import state

WRITER = """
import os, sys, time
from pathlib import Path
from ftui import state
who, n, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:  # every writer starts at the same moment
    time.sleep(0.005)
for i in range(n):
    state.remember_upload(f"file-{who}-{i}", f"{who}{i:062d}", i, None)
    if i % 5 == 0:
        state.save_watched_jobs([f"ftjob-{who}"])
"""


def test_many_processes_writing_state_at_once_lose_no_upload(tmp_path: Path) -> None:
    go = tmp_path / "go"
    writers, per = 8, 25
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, f"w{k}", str(per), str(go)], env=dict(os.environ))
        for k in range(writers)
    ]
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=240) == 0
    uploads = state.uploaded_files()
    expected = {f"file-w{k}-{i}" for k in range(writers) for i in range(per)}
    assert set(uploads) == expected, f"{len(expected - set(uploads))} of {len(expected)} uploads were lost"
    assert uploads["file-w3-7"] == f"w3{7:062d}"
    assert len(state.watched_jobs()) == 1  # a whole-list setting: the last writer's list, never a mix
    assert not [p for p in state.state_path().parent.iterdir() if ".ftui-tmp-" in p.name]
