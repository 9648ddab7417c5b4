"""What ftui remembers between runs (recent files), written atomically in the XDG data dir."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ftui.config import data_dir

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
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)


def recent_files() -> list[Path]:
    """Recently opened files that still exist, newest first."""
    return [Path(p) for p in _load().get("recent_files", []) if isinstance(p, str) and Path(p).is_file()]


def remember_file(path: Path) -> None:
    data = _load()
    entry = str(path.resolve())
    files = [p for p in data.get("recent_files", []) if p != entry]
    data["recent_files"] = [entry, *files][:MAX_RECENT]
    _save(data)
