"""The sandbox's key: every request must carry it, so another user of a shared host gets nothing.

The key is ``$FTUI_SANDBOX_KEY`` when that is set; otherwise a random one made at start and
kept in ``<data dir>/sandbox.key`` (0600, in the 0700 data dir) for ftui's own processes and
scripts. Several sandboxes may share one data dir (the TUI's, a command's, ``sandbox serve``);
they share one key, so the file always holds the key of every sandbox running there:

- each running sandbox holds a shared ``flock`` on the key file for as long as it serves;
- a sandbox that starts while none runs there makes a fresh key (a key seen before dies with
  the sandboxes that used it); one that starts beside a running one reads the file's key.

The decision is made under a short exclusive lock on ``sandbox.key.lock``. Where ``flock`` is
missing (Windows) every start makes a fresh key and writes the file.

    held = claim_key(data_dir)     # HeldKey: .value, .release()
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from ftui.sandbox.store import SandboxStateError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

ENV = "FTUI_SANDBOX_KEY"
KEY_FILE = "sandbox.key"
LOCK_FILE = "sandbox.key.lock"
PREFIX = "sk-sandbox-"  # looks like a key, so even text ftui does not know is redacted
_MAX_KEY = 512


def new_key() -> str:
    """A fresh random key (192 bits)."""
    return PREFIX + secrets.token_hex(24)


def key_path(data_dir: Path) -> Path:
    """Where the sandbox of ``data_dir`` keeps its random key."""
    return Path(data_dir) / KEY_FILE


def env_key() -> str | None:
    """``$FTUI_SANDBOX_KEY`` when it is set to something (surrounding blanks removed)."""
    value = os.environ.get(ENV, "").strip()
    return value or None


@dataclass
class HeldKey:
    """A key in use by one sandbox; ``release`` when it stops (closing its file drops its lock)."""

    value: str
    _fd: int | None = None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def _open_private(path: Path) -> int:
    """Open (creating 0600) a file of ours for reading and writing; never through a link."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise SandboxStateError(f"The sandbox key file {path} cannot be opened ({exc.strerror or exc}).") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (hasattr(os, "geteuid") and info.st_uid != os.geteuid()):
        os.close(fd)
        raise SandboxStateError(f"The sandbox key file {path} is not a file of yours: remove it and start again.")
    if stat.S_IMODE(info.st_mode) & 0o077 and hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)
    return fd


def _write(fd: int, key: str) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, (key + "\n").encode(), 0)
    os.fsync(fd)


def _read(fd: int) -> str | None:
    raw = os.pread(fd, _MAX_KEY + 2, 0).decode("utf-8", errors="replace").strip()
    return raw if raw and len(raw) <= _MAX_KEY and raw.isprintable() and " " not in raw else None


def claim_key(data_dir: Path) -> HeldKey:
    """The key for a sandbox starting on ``data_dir`` (see the module's note); hold it until it stops."""
    path = key_path(data_dir)
    if fcntl is None:
        fd = _open_private(path)
        try:
            fresh = new_key()
            _write(fd, fresh)
        finally:
            os.close(fd)
        return HeldKey(fresh)
    lock = _open_private(Path(data_dir) / LOCK_FILE)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held only while deciding: a few milliseconds
        fd = _open_private(path)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alone = True
            except BlockingIOError:
                alone = False  # a sandbox serves on this data dir: use its key
            key = None if alone else _read(fd)
            if key is None:
                key = new_key()
                _write(fd, key)
            fcntl.flock(fd, fcntl.LOCK_SH)  # released when fd closes (HeldKey.release)
        except BaseException:
            os.close(fd)
            raise
        return HeldKey(key, fd)
    finally:
        os.close(lock)


def read_key(data_dir: Path) -> str | None:
    """The key in ``data_dir``'s key file (None if there is none), for ftui's own processes."""
    path = key_path(data_dir)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        return _read(fd)
    finally:
        os.close(fd)


__all__ = ["ENV", "HeldKey", "claim_key", "env_key", "key_path", "new_key", "read_key"]
