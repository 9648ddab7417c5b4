"""What ftui remembers between runs (recent files, watched jobs, uploads, job intents), in the XDG
data dir's ``state.json``.

Several ftui processes may write it at once (a TUI, scripts running ``ftui files upload``): each
change is made under an exclusive ``flock`` on the sibling ``state.json.lock``, to the file as it
is on disk at that moment (re-read under the lock), and written by atomic replace. So no process
drops another's record, and readers, which take no lock, see the old file or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from ftui.config import data_dir
from ftui.data.atomic import cleanup_stale_temp, write_atomic

try:
    import fcntl
except ImportError:  # pragma: no cover (not on Windows)
    fcntl = None  # type: ignore[assignment]

MAX_RECENT = 10


def state_path() -> Path:
    return data_dir() / "state.json"


_cleaned = False


def _load() -> dict:
    """The state as a dict; a missing file is empty, and so is a damaged one (kept aside as
    ``state.json.bad`` so the next save does not silently destroy it)."""
    global _cleaned
    path = state_path()
    if not _cleaned:  # once per process: temp files a killed ftui left behind
        _cleaned = True
        cleanup_stale_temp(path.parent)
    try:
        raw = path.read_bytes()
    except OSError:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        with contextlib.suppress(OSError):
            path.replace(path.with_name(path.name + ".bad"))
        return {}
    return data


def _strings(data: dict, key: str) -> list[str]:
    """``data[key]`` as a list of strings; anything else there counts as empty."""
    value = data.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _save(data: dict) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2).encode())


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Hold the exclusive lock that every writer of state.json takes (released on exit, or
    by the kernel when a killed process's descriptor closes)."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _update(change: Callable[[dict], object]) -> None:
    """Apply ``change`` to the state as it is on disk now, under the lock, and save it;
    ``change`` returning False means nothing changed (nothing is written)."""
    with _locked():
        data = _load()
        if change(data) is not False:
            _save(data)


def recent_files() -> list[Path]:
    """Recently opened files that still exist, newest first."""
    return [Path(p) for p in _strings(_load(), "recent_files") if Path(p).is_file()]


def remember_file(path: Path) -> None:
    entry = str(path.resolve())

    def change(data: dict) -> None:
        files = [p for p in _strings(data, "recent_files") if p != entry]
        data["recent_files"] = [entry, *files][:MAX_RECENT]

    _update(change)


def watched_jobs() -> list[str]:
    """Jobs being watched when ftui last ran (their streams resume on start)."""
    return _strings(_load(), "watched_jobs")


def save_watched_jobs(job_ids: list[str]) -> None:
    _update(lambda data: data.__setitem__("watched_jobs", list(dict.fromkeys(job_ids))))


def last_job() -> str | None:
    """The job that was open in the Jobs tab."""
    value = _load().get("last_job")
    return value if isinstance(value, str) else None


def remember_job(job_id: str | None) -> None:
    _update(lambda data: data.__setitem__("last_job", job_id))


MAX_UPLOADS = 2000


def _uploads(data: dict) -> dict[str, dict]:
    value = data.get("uploads")
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)}


def remember_upload(file_id: str, sha256: str, size: int, path: Path | None = None) -> None:
    """Keep the sha256 (and size, and the local path) of a file ftui uploaded, to spot duplicates later."""
    entry = {"sha256": sha256, "bytes": size, "path": str(Path(path).resolve()) if path else None}

    def change(data: dict) -> None:
        uploads = _uploads(data)
        uploads.pop(file_id, None)
        uploads[file_id] = entry
        data["uploads"] = dict(list(uploads.items())[-MAX_UPLOADS:])

    _update(change)


def uploaded_files() -> dict[str, str]:
    """File id -> sha256 of the files ftui uploaded (oldest first)."""
    return {file_id: entry["sha256"] for file_id, entry in _uploads(_load()).items()}


def uploaded_path(file_id: str) -> Path | None:
    """The local file ftui uploaded as ``file_id``, when it still exists with the same size."""
    entry = _uploads(_load()).get(file_id)
    if not entry or not isinstance(entry.get("path"), str):
        return None
    path = Path(entry["path"])
    try:
        return path if path.is_file() and path.stat().st_size == entry.get("bytes") else None
    except OSError:
        return None


def forget_upload(file_id: str) -> None:
    """The file was deleted on the provider: drop what ftui kept about it."""

    def change(data: dict) -> bool:
        uploads = _uploads(data)
        if uploads.pop(file_id, None) is None:
            return False
        data["uploads"] = uploads
        return True

    _update(change)


# -- job intents: what a create set out to make, kept from before the request is sent ------------
INTENT_DAYS = 1.0  # a repeat of an intent younger than this is asked about
MAX_INTENTS = 500


def _intents(data: dict, now: float) -> list[dict]:
    """The intents younger than INTENT_DAYS, oldest first (anything malformed is dropped)."""
    value = data.get("job_intents")
    if not isinstance(value, list):
        return []
    keep = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            continue
        started = entry.get("started")
        if isinstance(started, int | float) and now - started < INTENT_DAYS * 86400:
            keep.append(entry)
    return keep[-MAX_INTENTS:]


def record_intent(entry: dict) -> None:
    """Keep ``entry`` (``key``, ``started`` and what finds its job) before its create is sent:
    written atomically, so it survives a ``kill -9`` a moment later. Old intents are dropped."""

    def change(data: dict) -> None:
        data["job_intents"] = [*_intents(data, entry["started"]), entry]

    _update(change)


def _mark_intent(key: str, started: float, **fields: object) -> None:
    def change(data: dict) -> bool:
        intents = _intents(data, started)
        found = False
        for entry in intents:
            if entry["key"] == key and entry.get("started") == started:
                entry.update(fields)
                found = True
        data["job_intents"] = [e for e in intents if not e.get("dropped")]
        return found

    _update(change)


def intent_made(key: str, started: float, job_id: str) -> None:
    """The intent recorded at ``started`` made ``job_id``."""
    _mark_intent(key, started, job_id=job_id)


def drop_intent(key: str, started: float) -> None:
    """The intent's create was refused outright: nothing was made, so it is forgotten."""
    _mark_intent(key, started, dropped=True)


def recent_intents(key: str, now: float) -> list[dict]:
    """The intents with ``key`` younger than INTENT_DAYS at ``now``, oldest first."""
    return [entry for entry in _intents(_load(), now) if entry["key"] == key]
