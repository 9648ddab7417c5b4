"""What ftui remembers between runs (recent files, watched jobs), written atomically in the XDG data dir."""

from __future__ import annotations

import json
from pathlib import Path

from ftui.config import data_dir
from ftui.data.atomic import write_atomic

MAX_RECENT = 10


def state_path() -> Path:
    return data_dir() / "state.json"


def _load() -> dict:
    try:
        data = json.loads(state_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(data: dict) -> None:
    write_atomic(state_path(), json.dumps(data, indent=2).encode())


def recent_files() -> list[Path]:
    """Recently opened files that still exist, newest first."""
    return [Path(p) for p in _load().get("recent_files", []) if isinstance(p, str) and Path(p).is_file()]


def remember_file(path: Path) -> None:
    data = _load()
    entry = str(path.resolve())
    files = [p for p in data.get("recent_files", []) if p != entry]
    data["recent_files"] = [entry, *files][:MAX_RECENT]
    _save(data)


def watched_jobs() -> list[str]:
    """Jobs being watched when ftui last ran (their streams resume on start)."""
    return [j for j in _load().get("watched_jobs", []) if isinstance(j, str)]


def save_watched_jobs(job_ids: list[str]) -> None:
    data = _load()
    data["watched_jobs"] = list(dict.fromkeys(job_ids))
    _save(data)


def last_job() -> str | None:
    """The job that was open in the Jobs tab."""
    value = _load().get("last_job")
    return value if isinstance(value, str) else None


def remember_job(job_id: str | None) -> None:
    data = _load()
    data["last_job"] = job_id
    _save(data)
