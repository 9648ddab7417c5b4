"""`ftui validate` on what is not a regular file, on a file that shrinks, and on hostile text."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ftui.commands.validate import run
from ftui.data.catalog import load_catalog
from ftui.data.validate import DatasetChanged, DatasetReadError, check_readable, make_checker, scan_range
from tests.conftest import chat


def _validate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftui", "validate", *args], capture_output=True, text=True, timeout=timeout
    )


def test_a_fifo_is_refused_at_once_not_read_forever(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    done = _validate(str(fifo), timeout=30)  # before: hung forever opening the FIFO
    assert done.returncode == 2
    assert "FIFO" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "/proc/self/status"])
def test_devices_and_proc_files_are_refused(target: str) -> None:
    if not Path(target).exists():
        pytest.skip(f"{target} is not on this system")
    done = _validate(target, timeout=30)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("ftui: ") and "Traceback" not in done.stderr


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetReadError, match="directory"):
        check_readable(tmp_path)


def test_a_file_that_shrinks_while_read_is_reported(write_jsonl) -> None:
    path = write_jsonl([chat(f"q{i}") for i in range(200)])
    size = path.stat().st_size
    checker = make_checker(load_catalog().lookup("gpt-4o-mini"), "gpt-4o-mini")
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)  # another program cut it after the ranges were planned
    with pytest.raises(DatasetChanged, match="changed while it was being read"):
        scan_range(path, 0, size, checker)


def test_the_text_report_shows_control_characters_escaped(write_jsonl) -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;aGk=\x07"
    rows = [chat(f"q{i}") for i in range(12)]
    rows.append({"messages": [{"role": evil, "content": "x"}, {"role": "assistant", "content": "y"}]})
    rows.append({"messages": [{"role": "user", "content": "x", evil: 1}, {"role": "assistant", "content": "y"}]})
    path = write_jsonl(rows, name=f"data{chr(0x1B)}[2J.jsonl")
    buf = io.StringIO()
    assert run(str(path), None, as_json=False, out=buf) == 1
    out = buf.getvalue()
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07" in out  # shown, not obeyed
    buf = io.StringIO()
    assert run(str(path), None, as_json=True, out=buf) == 1
    raw = buf.getvalue()
    assert "\x1b" not in raw and "\x07" not in raw
    assert json.loads(raw)["errors"]


def test_a_role_that_is_a_list_or_an_object_is_a_finding_not_a_crash(write_jsonl) -> None:
    """Such a role could not go in a set of roles: validate crashed with a traceback."""
    from ftui.data.validate import validate_file

    path = write_jsonl(
        [
            {"messages": [{"role": ["user"], "content": "hi"}, {"role": "assistant", "content": "yo"}]},
            {"messages": [{"role": {"a": 1}, "content": "hi"}]},
        ]
    )
    report = validate_file(path)
    assert {f.line for f in report.errors if f.code == "unrecognized_role"} == {1, 2}
