"""The line index: physical line numbers, odd line endings, byte ranges."""

from __future__ import annotations

from pathlib import Path

from ftui.data.index import LineIndex, line_boundaries
from ftui.data.validate import iter_range


def test_lines_with_crlf_bom_blank_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n\r\n{"b": 2}\n\xff\xfe\n{"c": 3}')
    index = LineIndex(path).build()
    assert len(index) == 5
    assert index.line_bytes(1) == b'\xef\xbb\xbf{"a": 1}'
    assert index.line_text(1) == '{"a": 1}'
    assert index.line_bytes(2) == b""
    assert index.line_bytes(3) == b'{"b": 2}'
    assert index.line_text(4) == "\ufffd\ufffd"
    assert index.line_bytes(5) == b'{"c": 3}'
    assert index.lines_bytes(2, 3) == [b"", b'{"b": 2}', b"\xff\xfe"]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert len(LineIndex(path).build()) == 0
    assert line_boundaries(path, 4) == []


def test_boundaries_fall_on_line_starts_and_cover_the_file(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    rows = [f'{{"n": {i}, "pad": "{"x" * (i % 50)}"}}'.encode() for i in range(5000)]
    path.write_bytes(b"\n".join(rows) + b"\n")
    ranges = line_boundaries(path, 7, min_size=1024)
    assert len(ranges) == 7
    assert ranges[0][0] == 0 and ranges[-1][1] == path.stat().st_size
    data = path.read_bytes()
    got = []
    for start, end in ranges:
        assert start == 0 or data[start - 1 : start] == b"\n"
        got.extend(raw for _, raw in iter_range(path, start, end))
    assert got == rows


def test_index_progress_reports_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"{}\n" * 10)
    seen: list[tuple[int, int]] = []
    LineIndex(path).build(progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (30, 30)
