"""What the sandbox store's parts share: the face a request came in by, ids, private files.

Everything on disk is private to the user: directories 0700, files 0600.
"""

from __future__ import annotations

import base64
import os
import random
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from ftui.sandbox.problems import full_sentence, is_full

# Which face of the sandbox a request came in by: "openai" (``/v1``) or "azure" (``/openai/...``,
# set by ftui.sandbox.azure around its handlers). Each face keeps its own files, uploads and jobs
# (and so its own models): the store's reads and writes are scoped to the current face.
FACE: ContextVar[str] = ContextVar("ftui_sandbox_face", default="openai")


@contextmanager
def face(name: str) -> Iterator[None]:
    """Run the block as the ``name`` face ("openai" or "azure")."""
    token = FACE.set(name)
    try:
        yield
    finally:
        FACE.reset(token)


_INSERT_FILE = (
    "INSERT INTO files (id, filename, purpose, bytes, created_at, status, path, face) VALUES (?,?,?,?,?,?,?,?)"
)
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


_ids = random.Random()  # ids only need to be unique, not secret; seeded from os.urandom
if hasattr(os, "register_at_fork"):  # a forked child must not repeat its parent's ids
    os.register_at_fork(after_in_child=lambda: _ids.seed())
_ALNUM = bytes.maketrans(b"+/", b"xZ")  # base64 without its two signs: letters and digits only


class SandboxStateError(Exception):
    """The data dir or the database cannot be used; the message names the path and what to do."""


def new_id(prefix: str, n: int = 24) -> str:
    """An OpenAI-looking id such as ``file-3kLz...``."""
    raw = base64.b64encode(_ids.randbytes((n * 3 + 3) // 4)).translate(_ALNUM)
    return prefix + raw[:n].decode()


def face_id(prefix: str, face_name: str | None = None) -> str:
    """A new id as the face names them: OpenAI's ``file-3kLz...``, Azure's ``file-<32 hex digits>``
    (the Azure spec's examples: file-, ftjob-, ftevent- ids; 2024-10-21)."""
    if (face_name or FACE.get()) == "azure":
        return prefix + _ids.randbytes(16).hex()
    return new_id(prefix)


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, PRIVATE_FILE)


def private_open(path: Path, mode: str = "wb") -> IO[Any]:
    """Open a file for writing that only its owner can read (0600 when it is created here)."""
    return open(path, mode, opener=_private_opener)


def make_private(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Take group and other permissions away from an existing path (no error if it is not ours)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, mode)
    except OSError:
        pass


def private_dir(path: Path, what: str = "The sandbox data dir") -> None:
    """Create ``path`` (0700) or check that it is a writable directory; SandboxStateError if not."""
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise SandboxStateError(
            f"{what} {path} is not a directory ({exc.filename} is a file): choose a directory instead."
        ) from exc
    except PermissionError as exc:
        raise SandboxStateError(
            f"{what} {path} cannot be created (permission denied on {exc.filename}): choose a writable dir."
        ) from exc
    except OSError as exc:
        if is_full(exc, path.parent):
            raise SandboxStateError(full_sentence(f"{what} {path} cannot be created", path.parent)) from exc
        raise SandboxStateError(f"{what} {path} cannot be created ({exc.strerror or exc}).") from exc
    make_private(path, PRIVATE_DIR)
    if not os.access(path, os.W_OK | os.X_OK):
        raise SandboxStateError(f"{what} {path} is read-only for you: fix its permissions or choose another dir.")
