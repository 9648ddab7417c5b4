"""Real full and read-only filesystems for tests: a small tmpfs mounted for one test.

Mounting needs root (or CAP_SYS_ADMIN); where it is not permitted the test is skipped and
says why. ``fill`` leaves the filesystem with no free block, so the next write gets ENOSPC.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}): the full-disk test needs mount permission")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}): needs root")


def _unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


@contextlib.contextmanager
def small_fs(where: Path, size: str = "256k") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` for the block's life."""
    _mount(where, f"size={size},mode=0700")
    try:
        yield where
    finally:
        _unmount(where)


@contextlib.contextmanager
def read_only_dir(where: Path) -> Iterator[Path]:
    """A directory nobody can write to, root included (a read-only tmpfs; 0500 when not root)."""
    if os.geteuid() != 0:
        where.mkdir(parents=True, exist_ok=True)
        where.chmod(0o500)
        try:
            yield where
        finally:
            where.chmod(0o700)
        return
    _mount(where, "ro,size=64k")
    try:
        yield where
    finally:
        _unmount(where)


def fill(fs: Path, leave: int = 0) -> None:
    """Write a filler file until the filesystem is full (then give back about ``leave`` bytes)."""
    filler = fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        block = b"\0" * 4096
        while True:
            try:
                if os.write(fd, block) == 0:
                    break
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))


def free_bytes(fs: Path) -> int:
    st = os.statvfs(fs)
    return st.f_bavail * st.f_frsize
