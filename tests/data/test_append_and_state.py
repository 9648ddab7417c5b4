"""Appends from two processes lose nothing; writes never invent folders; state survives bad files."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from ftui import state
from ftui.data.atomic import TEMP_MARK, append_line, cleanup_stale_temp, write_atomic
from ftui.data.keep import append_example, exchange_example


def _append_many(path: str, who: str, n: int) -> None:
    for i in range(n):
        append_example(Path(path), exchange_example("sys", f"{who} question {i}", f"{who} answer {i}"), "gpt-4o-mini")


def test_two_processes_appending_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kept.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "first"}, {"role": "assistant", "content": "a"}]}')
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_many, args=(str(path), who, 150)) for who in ("A", "B")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 301  # the unfinished first line was completed, nothing lost or mixed
    users = {json.loads(line)["messages"][-2]["content"] for line in lines[1:]}
    assert users == {f"{who} question {i}" for who in "AB" for i in range(150)}


def test_append_returns_the_line_number_and_never_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("one\ntwo")  # no newline at the end
    inode = path.stat().st_ino
    assert append_line(path, "three") == 3
    assert append_line(path, "four") == 4
    assert path.read_text() == "one\ntwo\nthree\nfour\n"
    assert path.stat().st_ino == inode  # appended in place, not replaced


def test_writes_never_create_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.csv"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(target, b"step\n")
    with pytest.raises(FileNotFoundError):
        append_line(target, "x")
    assert not (tmp_path / "nonexistent").exists()


def test_stale_temp_files_are_removed(tmp_path: Path) -> None:
    old = tmp_path / f".state.json{TEMP_MARK}abc"
    fresh = tmp_path / f".other{TEMP_MARK}def"
    keep = tmp_path / "state.json"
    for p in (old, fresh, keep):
        p.write_text("x")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert cleanup_stale_temp(tmp_path) == 1
    assert not old.exists() and fresh.exists() and keep.exists()


@pytest.mark.parametrize(
    "content",
    [
        b'{"recent_files": 5, "watched_jobs": {"a": 1}, "last_job": 7}',
        b"[1, 2, 3]",
        b"not json at all",
        b"\xff\xfe\x00garbage",
    ],
)
def test_a_damaged_state_file_never_crashes(content: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(state, "_cleaned", False)
    path = state.state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert state.recent_files() == []
    assert state.watched_jobs() == []
    assert state.last_job() is None
    sample = tmp_path / "a.jsonl"
    sample.write_text("{}\n")
    state.remember_file(sample)
    assert state.recent_files() == [sample.resolve()]
    if not content.startswith(b"{"):
        assert path.with_name("state.json.bad").read_bytes() == content  # kept aside, not destroyed
