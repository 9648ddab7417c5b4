"""What went wrong with the sandbox's storage, as one sentence that loses no data.

A full disk is named as a full disk (which folder, how much is free, how much is needed),
whether the sandbox met it writing a file (ENOSPC) or SQLite did (SQLITE_FULL, or an I/O
error while the disk has no room left). A damaged database is named as damaged, with advice
that keeps everything: move the whole data dir aside (the files go with their database).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from ftui.data.atomic import free_bytes, full_disk_text, is_disk_full

MIN_FREE = 1 << 20  # about what SQLite needs to open, check and write a little (WAL, shared memory)

_SQLITE_IOERR, _SQLITE_FULL = 10, 13

Kind = Literal["full", "locked", "readonly", "damaged"]


def is_full(exc: BaseException, folder: Path) -> bool:
    """True when ``exc`` is what a full disk gives (the folder's filesystem is the one asked)."""
    if is_disk_full(exc):
        return True
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    if primary == _SQLITE_FULL or "database or disk is full" in text:
        return True
    if primary == _SQLITE_IOERR or "disk I/O error" in text:  # e.g. the shared-memory file cannot grow
        free = free_bytes(folder)
        return free is not None and free < MIN_FREE
    return False


def full_sentence(what: str, folder: Path, needed: int | None = None) -> str:
    """``<what>: the disk holding DIR is full (0 bytes free, 1.0 MB needed). Free some space ...``"""
    return f"{what}: {full_disk_text(folder, needed or MIN_FREE)}. Free some space there and try again."


def db_problem(exc: sqlite3.DatabaseError, db_path: Path, data_dir: Path) -> tuple[Kind, str]:
    """The kind of a database failure and its sentence for a person."""
    text = str(exc)
    if is_full(exc, data_dir):
        return "full", full_sentence(f"The sandbox cannot write its database {db_path}", data_dir)
    if "locked" in text or "busy" in text:
        return "locked", (
            f"The sandbox database {db_path} is locked by another program: close it (or the other ftui) and try again."
        )
    if "readonly" in text or "unable to open" in text or "permission" in text:
        return "readonly", (
            f"The sandbox database {db_path} cannot be written ({text}): check the permissions of "
            f"{data_dir} or choose another data dir."
        )
    return "damaged", (
        f"The sandbox database {db_path} is damaged ({text}): move the folder {data_dir} aside (for example to "
        f"{data_dir.name}.damaged) and try again; ftui then starts a fresh sandbox, and the moved folder keeps "
        "every file with its database."
    )


__all__ = ["MIN_FREE", "db_problem", "full_sentence", "is_full"]
