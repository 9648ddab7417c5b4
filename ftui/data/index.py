"""A line-offset index over a JSONL file: random access by line without loading the file.

Line numbers are 1-based physical lines. ``line_bytes`` returns a line without its
ending (``\\n`` or ``\\r\\n``); a missing final newline is fine; a UTF-8 BOM on line 1 is
kept in the bytes (the parser strips it) so offsets stay true to the file.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable
from pathlib import Path

BLOCK = 8 * 1024 * 1024


def line_boundaries(path: str | os.PathLike[str], parts: int, min_size: int = 1 << 20) -> list[tuple[int, int]]:
    """Split a file into about ``parts`` byte ranges that each start at a line start."""
    return range_boundaries(path, 0, os.path.getsize(path), parts, min_size)


def range_boundaries(
    path: str | os.PathLike[str], start: int, end: int, parts: int, min_size: int = 1 << 20
) -> list[tuple[int, int]]:
    """Split the bytes ``start``..``end`` of a file (``start`` at a line start) into about
    ``parts`` ranges that each start at a line start."""
    size = end - start
    if size <= 0:
        return []
    parts = max(1, min(parts, size // min_size or 1))
    bounds = [start]
    scanned = start  # no line start lies between bounds[-1] and here: a long line is read once
    with open(path, "rb") as fh:
        for k in range(1, parts):
            target = max(start + size * k // parts, scanned)
            if target <= bounds[-1]:
                continue
            pos = target - 1
            fh.seek(pos)
            cut = -1
            while pos < end:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                nl = chunk.find(b"\n")
                if nl >= 0:
                    cut = pos + nl + 1
                    break
                pos += len(chunk)
            if cut < 0:
                break
            scanned = cut
            if cut < end and cut > bounds[-1]:
                bounds.append(cut)
    bounds.append(end)
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


class LineIndex:
    """Offsets of every line start in one file, built by scanning in blocks."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._starts = array("q")
        self._size = 0
        self._ends_with_newline = True

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def size(self) -> int:
        """Bytes indexed so far."""
        return self._size

    def build(self, progress: Callable[[int, int], None] | None = None) -> LineIndex:
        """(Re)scan the whole file. ``progress(done_bytes, total_bytes)`` is called per block."""
        starts = array("q")
        total = os.path.getsize(self.path)
        pos = 0
        with open(self.path, "rb") as fh:
            pending_start = True
            while True:
                block = fh.read(BLOCK)
                if not block:
                    break
                find = block.find
                i = 0
                n = len(block)
                while i < n:
                    if pending_start:
                        starts.append(pos + i)
                        pending_start = False
                    nl = find(b"\n", i)
                    if nl < 0:
                        break
                    i = nl + 1
                    pending_start = True
                pos += n
                if progress:
                    progress(pos, total)
        self._starts = starts
        self._size = pos
        return self

    def span(self, line: int) -> tuple[int, int]:
        """Byte range of a 1-based line, excluding its line ending."""
        if not 1 <= line <= len(self._starts):
            raise IndexError(f"line {line} is outside 1..{len(self._starts)}")
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else self._size
        return start, end

    def line_bytes(self, line: int) -> bytes:
        """The raw bytes of a 1-based line, without ``\\n`` / ``\\r\\n``."""
        start, end = self.span(line)
        with open(self.path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        if data.endswith(b"\n"):
            data = data[:-1]
        if data.endswith(b"\r"):
            data = data[:-1]
        return data

    def lines_bytes(self, first: int, count: int) -> list[bytes]:
        """Several consecutive lines with one read (for drawing a screenful)."""
        last = min(len(self._starts), first + count - 1)
        if first > last:
            return []
        start, _ = self.span(first)
        _, end = self.span(last)
        with open(self.path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        out = data.split(b"\n")
        return [line[:-1] if line.endswith(b"\r") else line for line in out[: last - first + 1]]

    def line_text(self, line: int) -> str:
        """A line decoded as UTF-8 (bad bytes replaced), BOM removed."""
        return self.line_bytes(line).decode("utf-8", errors="replace").removeprefix("\ufeff")
