"""Safe file writes: whole-file replacement by rename, and appends that lose nothing.

- ``write_atomic`` writes a temp file in the same directory (named ``.<name>.ftui-tmp-…``),
  fsyncs it and renames it over the target: readers see the old file or the new one.
  It never creates directories: a missing folder is an error that names it.
- ``append_line`` appends one whole line with a single ``O_APPEND`` write under an
  exclusive lock, so two ftui processes appending to one file never lose or mix lines,
  and the file is never rewritten; a write that fails part-way (a full disk) is cut back
  off, so the file never keeps a torn line.
- ``cleanup_stale_temp`` removes temp files a killed writer left behind.
"""

from __future__ import annotations

import contextlib
import errno
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
        try:
            written = os.write(fd, data)
            if written != len(data):  # a full disk takes what fits: the line would be torn
                raise OSError(errno.ENOSPC, f"only {written} of {len(data)} bytes fit", str(path))
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):  # give the file back as it was, no torn line
                os.ftruncate(fd, size)
            raise
        return lines + 1
    finally:
        os.close(fd)  # closing releases the lock


def free_bytes(path: Path) -> int | None:
    """The bytes a user may still write on the filesystem holding ``path`` (its nearest
    existing folder); None when that cannot be told."""
    path = Path(path)
    for folder in (path, *path.parents):
        try:
            st = os.statvfs(folder)
        except (OSError, AttributeError):
            continue
        return st.f_bavail * st.f_frsize
    return None


def size_text(n: int) -> str:
    """``n`` bytes for a person: ``512 bytes``, ``12.0 KB``, ``3.4 MB``."""
    if n < 1024:
        return f"{n:,} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1024  # type: ignore[assignment]
        if n < 1024 or unit == "GB":
            return f"{n:,.1f} {unit}"
    return f"{n:,.1f} GB"  # pragma: no cover


def is_disk_full(exc: BaseException) -> bool:
    """True for the errors a full disk (or an exhausted quota) gives."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def full_disk_text(path: Path, needed: int | None = None) -> str:
    """``the disk holding DIR is full (12 KB free, 40 KB needed)``: which disk, and how much."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    free = free_bytes(folder)
    parts = [f"{size_text(free)} free" if free is not None else None]
    parts.append(f"{size_text(needed)} needed" if needed else None)
    detail = ", ".join(p for p in parts if p)
    return f"the disk holding {folder} is full" + (f" ({detail})" if detail else "")


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
