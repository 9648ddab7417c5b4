"""Safe file writes: whole-file replacement by rename, and appends that lose nothing.

- ``write_atomic`` writes a temp file in the same directory (named ``.<name>.ftui-tmp-…``),
  fsyncs it and renames it over the target: readers see the old file or the new one.
  It never creates directories: a missing folder is an error that names it.
- ``append_line`` appends one whole line with a single ``O_APPEND`` write under an
  exclusive lock, so two ftui processes appending to one file never lose or mix lines,
  and the file is never rewritten.
- ``cleanup_stale_temp`` removes temp files a killed writer left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover (not on Windows)
    fcntl = None  # type: ignore[assignment]

TEMP_MARK = ".ftui-tmp-"


def _parent_must_exist(path: Path) -> None:
    if not path.parent.is_dir():
        raise FileNotFoundError(2, f"the folder {path.parent} does not exist", str(path.parent))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``; readers see the old file or the new one, never half."""
    path = Path(path)
    _parent_must_exist(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{TEMP_MARK}")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_line(path: Path, line: str) -> int:
    """Append one line to a text file; returns its 1-based line number.

    One ``os.write`` of the whole line on an ``O_APPEND`` descriptor, under an exclusive
    ``flock`` (which also makes the returned line number exact when several processes append).
    """
    path = Path(path)
    _parent_must_exist(path)
    data = line.rstrip("\n").encode("utf-8") + b"\n"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        lines = 0
        if size:
            unfinished = os.pread(fd, 1, size - 1) != b"\n"
            if unfinished:
                data = b"\n" + data  # finish the last line first, in the same write
            offset = 0
            while offset < size:
                chunk = os.pread(fd, min(1 << 20, size - offset), offset)
                if not chunk:
                    break
                lines += chunk.count(b"\n")
                offset += len(chunk)
            lines += unfinished
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"only {written} of {len(data)} bytes could be written to {path}")
        os.fsync(fd)
        return lines + 1
    finally:
        os.close(fd)  # closing releases the lock


def append_line_atomic(path: Path, line: str) -> int:
    """Kept for callers of the old name: see ``append_line``."""
    return append_line(path, line)


def cleanup_stale_temp(directory: Path, older_than_s: float = 3600.0) -> int:
    """Remove ftui temp files older than ``older_than_s`` left in ``directory``; returns how many."""
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if TEMP_MARK not in entry.name or not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime >= older_than_s:
                    os.unlink(entry.path)
                    removed += 1
    return removed
