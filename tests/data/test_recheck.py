"""Re-checking a file after it changed: only from the first changed range, with the same report
as checking the whole file again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ftui.data import scan as scan_module
from ftui.data import validate as v
from ftui.data.atomic import append_line
from ftui.data.validate import Validation, validate_file
from tests.conftest import chat


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Cut files into ~2 KB ranges (so a small file has many) and record every range scanned."""
    monkeypatch.setattr(v, "RANGE_BYTES", 2048)
    monkeypatch.setattr(v, "MIN_RANGE_BYTES", 512)
    scanned: list[tuple[int, int]] = []
    scan_range = scan_module.scan_range

    def spy(path, start, end, checker):
        scanned.append((start, end))
        return scan_range(path, start, end, checker)

    monkeypatch.setattr(v, "scan_range", spy)
    return scanned


def _write(path: Path, n: int, start: int = 0) -> None:
    rows = [chat(user=f"question {i} " + "word " * (i % 7)) for i in range(start, start + n)]
    rows[3] = rows[1]  # a duplicate of line 2
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_an_append_rechecks_only_the_tail(tmp_path: Path, small_ranges: list[tuple[int, int]]) -> None:
    path = tmp_path / "d.jsonl"
    _write(path, 400)
    check = Validation(path, "gpt-4o-mini", processes=1)
    first = check.run()
    assert len(small_ranges) > 10
    old_size = path.stat().st_size
    small_ranges.clear()
    append_line(path, json.dumps(chat(user="question 1 word ")))  # line 2 again: found across old and new
    append_line(path, "{broken")
    seen: list[int] = []
    again = check.recheck(on_chunk=lambda chunk, offset: seen.append(offset))
    assert small_ranges, "the tail was scanned"
    assert all(start >= old_size - 4096 for start, _ in small_ranges)  # only the last old range and the tail
    assert check.rechecked_from > 0 and seen[0] > 300  # line offsets carry on from the kept ranges
    fresh = validate_file(path, "gpt-4o-mini", processes=1)
    assert again.to_json() == fresh.to_json()
    assert again.examples == first.examples + 2
    assert [f.line for f in again.findings if f.code == "duplicate_example"] == [4, 401]
    assert len(check.line_tokens()) == 402 and check.line_tokens()[-1] == -1


def test_a_change_in_the_middle_rechecks_from_there(tmp_path: Path, small_ranges: list[tuple[int, int]]) -> None:
    path = tmp_path / "d.jsonl"
    _write(path, 400)
    check = Validation(path, processes=1)
    check.run()
    data = bytearray(path.read_bytes())
    middle = data.index(b"question 200")
    data[middle : middle + 12] = b"QUESTION 200"  # same size, same inode: only the bytes say so
    with open(path, "r+b") as fh:
        fh.write(data)
    small_ranges.clear()
    again = check.recheck()
    assert 0 < min(start for start, _ in small_ranges) <= middle
    assert again.to_json() == validate_file(path, processes=1).to_json()


def test_a_replaced_or_shorter_file_is_checked_whole(tmp_path: Path, small_ranges: list[tuple[int, int]]) -> None:
    path = tmp_path / "d.jsonl"
    _write(path, 300)
    check = Validation(path, processes=1)
    check.run()
    replacement = tmp_path / "new.jsonl"
    _write(replacement, 300, start=1000)
    os.replace(replacement, path)  # an editor's save: a new inode
    small_ranges.clear()
    again = check.recheck()
    assert min(start for start, _ in small_ranges) == 0
    assert again.to_json() == validate_file(path, processes=1).to_json()
    _write(path, 100)  # shorter, in place
    small_ranges.clear()
    assert check.recheck().examples == 100
    assert min(start for start, _ in small_ranges) == 0


def test_parallel_recheck_after_append_matches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v, "RANGE_BYTES", 4096)
    monkeypatch.setattr(v, "MIN_RANGE_BYTES", 1024)
    path = tmp_path / "d.jsonl"
    _write(path, 600)
    check = Validation(path, processes=2)
    check.run()
    for i in range(30):
        append_line(path, json.dumps(chat(user=f"late {i}")))
    again = check.recheck()
    assert check.rechecked_from > 0
    assert again.to_json() == validate_file(path, processes=1).to_json()
