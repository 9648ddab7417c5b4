"""Safe file writes: whole-file replacement by rename, and appends that lose nothing.

- ``write_atomic`` writes a temp file in the same directory (named ``.<name>.ftui-tmp-…``),
  fsyncs it and renames it over the target: readers see the old file or the new one.
  It never creates directories: a missing folder is an error that names it.
- ``append_line`` appends one whole line with a single ``O_APPEND`` write under an
  exclusive lock, so two ftui processes appending to one file never lose or mix lines,
  and the file is never rewritten; a write that fails part-way (a full disk) is cut back
  off, so the file never keeps a torn line.
- ``AtomicFile`` is the same for content that arrives in pieces (a download).
- ``cleanup_stale_temp`` removes temp files a killed writer left behind (each temp file
  names its writer's pid); every atomic write runs it on its folder first.
- ``fit_name`` shortens a name to what the filesystem takes (255 bytes).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover (not on Windows)
    fcntl = None  # type: ignore[assignment]

TEMP_MARK = ".ftui-tmp-"
_TEMP_PID = re.compile(re.escape(TEMP_MARK) + r"(\d+)-[0-9a-f]{10}$")
NAME_MAX = 255  # bytes in one file name on nearly every filesystem (ext4, xfs, btrfs, tmpfs, APFS)
_EXT_MAX = 16  # an extension up to this long survives a shortened name


def _parent_must_exist(path: Path) -> None:
    if not path.parent.is_dir():
        raise FileNotFoundError(2, f"the folder {path.parent} does not exist", str(path.parent))


def name_max(folder: Path) -> int:
    """The longest file name (in bytes) ``folder``'s filesystem takes (255 when it cannot say)."""
    try:
        return max(16, min(NAME_MAX, os.pathconf(folder, "PC_NAME_MAX")))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def fit_name(name: str, limit: int = NAME_MAX) -> str:
    """``name`` cut to at most ``limit`` bytes of UTF-8 (never inside a character), keeping a
    short extension such as ``.jsonl`` whole."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext.encode()) < _EXT_MAX else ""
    body = name[: len(name) - len(suffix)]
    budget = max(1, limit - len(suffix.encode()))
    return body.encode()[:budget].decode("utf-8", "ignore") + suffix


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there: assume it lives
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: it exists
        return True
    return True


def temp_name(path: Path) -> Path:
    """A temp file's name beside ``path``: ``.<name>.ftui-tmp-<pid>-<random>``, so a later run
    can tell a killed writer's leftovers (``cleanup_stale_temp``); always short enough for the
    filesystem, however long ``path``'s own name is."""
    path = Path(path)
    tail = f"{TEMP_MARK}{os.getpid()}-{os.urandom(5).hex()}"
    room = name_max(path.parent) - len(tail.encode()) - 1
    return path.with_name("." + fit_name(path.name, max(1, room)) + tail)


class AtomicFile:
    """A file written beside ``path`` under a temp name and renamed over it by ``commit``:
    readers see the old file or the whole new one. ``abort`` (or any failure) removes the temp.
    Opening it first removes what killed writers left in the folder. Blocking calls."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        _parent_must_exist(self.path)
        cleanup_stale_temp(self.path.parent)
        self.tmp = temp_name(self.path)
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        self._fh = os.fdopen(fd, "wb")
        self.size = 0

    def write(self, data: bytes) -> None:
        try:
            self._fh.write(data)
        except BaseException:
            self.abort()
            raise
        self.size += len(data)

    def commit(self) -> None:
        """Flush, fsync and rename over the target (keeping an existing target's mode)."""
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            if self.path.exists():
                shutil.copymode(self.path, self.tmp)
            os.replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._fh.close()
        self.tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``; readers see the old file or the new one, never half."""
    out = AtomicFile(path)
    out.write(data)
    out.commit()


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
    """Remove the temp files killed ftui writers left in ``directory``; returns how many.

    A temp file names its writer's pid: it goes as soon as that process is gone. Names
    without one (older versions) go once older than ``older_than_s``.
    """
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if TEMP_MARK not in entry.name or not entry.is_file(follow_symlinks=False):
                continue
            m = _TEMP_PID.search(entry.name)
            with contextlib.suppress(OSError):
                if m is not None:
                    stale = int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1)))
                else:
                    stale = now - entry.stat(follow_symlinks=False).st_mtime >= older_than_s
                if stale:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def cannot_write(path: Path) -> str | None:
    """Why ``path`` cannot be written, in a sentence for the user, or None: a folder, a missing
    folder (never created for the user), no permission, read-only, a name too long for the
    filesystem. Every save and download in the TUI asks this before it writes."""
    longest = name_max(path.parent) if path.parent.is_dir() else 255
    if len(path.name.encode()) > longest:
        return f"the name is {len(path.name.encode())} bytes long; this filesystem takes at most {longest}."
    try:
        return _cannot_write(path)
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}."


def _cannot_write(path: Path) -> str | None:
    if path.is_dir():
        return f"{path} is a folder; give a file name."
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist. Create it first, or pick another place."
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"ftui may not write in {path.parent}."
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is read-only."
    return None
