"""The sandbox's state in SQLite: files, uploads, jobs, events, checkpoints, models.

Jobs advance with the wall clock: whenever a job is read, what its trainer
(``ftui.sandbox.trainer``; the sandbox's simulation by default) says happened since the
last read is written down (inside one IMMEDIATE transaction, so two
processes sharing a data dir never write an event twice). After a restart every job is
where it would have been.

This module opens the database and holds files and uploads; the job rows (jobs, events,
checkpoints, models) are ``ftui.sandbox.job_rows``, mixed into ``Store``; faces, ids and
private files are ``ftui.sandbox.rows``.

Catching up costs O(new events): once a job has ended ("settled") its final object is kept
in the row and read back as it is, with no plan to decode and nothing to compute.

Everything on disk is private to the user: directories 0700, files 0600. Temporary files
carry the writer's pid, so a later start removes what a killed process left behind without
touching the uploads of a process that is still running.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ftui.api_facts import TERMINAL_STATUSES
from ftui.config import speed_ok
from ftui.sandbox.job_rows import JobOutputs, JobRows
from ftui.sandbox.problems import db_problem, full_sentence, is_full
from ftui.sandbox.rows import (
    _INSERT_FILE,
    FACE,
    PRIVATE_DIR,
    PRIVATE_FILE,
    SandboxStateError,
    face,
    face_id,
    make_private,
    new_id,
    private_dir,
    private_open,
)
from ftui.sandbox.simulate import JobPlan
from ftui.sandbox.trainer import JobRun, SimulatedTrainer, Trainer

__all__ = [
    "FACE",
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "SandboxStateError",
    "Store",
    "face",
    "face_id",
    "make_private",
    "new_id",
    "private_dir",
    "private_open",
]

log = logging.getLogger("ftui.sandbox")

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, filename TEXT NOT NULL, purpose TEXT NOT NULL, bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL, status TEXT NOT NULL, path TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, filename TEXT NOT NULL, purpose TEXT NOT NULL, bytes INTEGER NOT NULL,
    mime_type TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL,
    file_id TEXT, owner_pid INTEGER
);
CREATE TABLE IF NOT EXISTS upload_parts (
    id TEXT PRIMARY KEY, upload_id TEXT NOT NULL, created_at INTEGER NOT NULL, path TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, created_real REAL NOT NULL, speed REAL NOT NULL, plan TEXT NOT NULL,
    static TEXT NOT NULL, paused_at REAL, paused_total REAL NOT NULL DEFAULT 0,
    cancelled_t REAL, emitted_t REAL NOT NULL DEFAULT -1, finished_at INTEGER, result_file TEXT,
    settled INTEGER NOT NULL DEFAULT 0, obj TEXT, status TEXT, ft_model TEXT, metadata TEXT
);
CREATE INDEX IF NOT EXISTS jobs_order ON jobs (created_real);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL, type TEXT, data TEXT, obj TEXT
);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
    id TEXT PRIMARY KEY, job_id TEXT NOT NULL, created_at INTEGER NOT NULL, step INTEGER NOT NULL,
    model TEXT NOT NULL, metrics TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deleted_models (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Columns added after the first release: (table, column, declaration), added to older databases.
_ADDED_COLUMNS = (
    ("uploads", "owner_pid", "INTEGER"),
    ("jobs", "settled", "INTEGER NOT NULL DEFAULT 0"),
    ("jobs", "obj", "TEXT"),
    ("jobs", "status", "TEXT"),
    ("jobs", "ft_model", "TEXT"),
    ("jobs", "metadata", "TEXT"),
    ("events", "obj", "TEXT"),
    ("files", "face", "TEXT NOT NULL DEFAULT 'openai'"),
    ("uploads", "face", "TEXT NOT NULL DEFAULT 'openai'"),
    ("jobs", "face", "TEXT NOT NULL DEFAULT 'openai'"),
)

TERMINAL = TERMINAL_STATUSES
BUSY_TIMEOUT_MS = 5000
UPLOAD_SECONDS = 3600
_IN = 500  # ids per "IN (...)" query (SQLite's variable limit is higher; keep statements small)
_TMP_PID = re.compile(r"-(\d+)-[A-Za-z0-9]+\.tmp$")


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there: assume it lives
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. someone else's process: it exists
        return True
    return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class Store(JobRows, JobOutputs):
    """All sandbox state; one instance per process, safe to share a data dir across processes."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time, trainer: Trainer | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.trainer: Trainer = trainer or SimulatedTrainer()
        self.files_dir = self.data_dir / "files"
        self.db_path = self.data_dir / "sandbox.sqlite3"
        self.clock = clock
        private_dir(self.data_dir)
        private_dir(self.files_dir, "The sandbox files dir")
        self.db = self._open_db()
        self._broken: set[str] = set()  # jobs whose saved state cannot be read (logged once)
        try:
            self._tidy()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise SandboxStateError(self._db_problem(exc)) from exc

    # -- opening -----------------------------------------------------------------------
    def _open_db(self) -> sqlite3.Connection:
        path = self.db_path
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
        except IsADirectoryError as exc:
            raise SandboxStateError(f"The sandbox database {path} is a directory: move it away and try again.") from exc
        except PermissionError as exc:
            raise SandboxStateError(
                f"The sandbox database {path} cannot be opened for writing (permission denied): "
                "fix its permissions or choose another data dir."
            ) from exc
        except OSError as exc:
            if is_full(exc, self.data_dir):
                raise SandboxStateError(full_sentence(f"The sandbox cannot create {path}", self.data_dir)) from exc
            raise SandboxStateError(f"The sandbox database {path} cannot be opened ({exc.strerror or exc}).") from exc
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            fresh = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='files'").fetchone() is None
            db.executescript(SCHEMA)
            if fresh:  # when this database began: files older than that were never its own (see _tidy)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (repr(time.time()),))
            self._migrate(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise SandboxStateError(self._db_problem(exc)) from exc
        for suffix in ("", "-wal", "-shm"):
            make_private(Path(f"{path}{suffix}"))
        return db

    def _db_problem(self, exc: sqlite3.DatabaseError) -> str:
        return db_problem(exc, self.db_path, self.data_dir)[1]

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Add the columns newer versions use to a database an older version created."""

        def missing() -> list[tuple[str, str, str]]:
            have: dict[str, set[str]] = {}
            for table, _, _ in _ADDED_COLUMNS:
                if table not in have:
                    have[table] = {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}
            return [c for c in _ADDED_COLUMNS if c[1] not in have[c[0]]]

        if not missing():
            return
        db.execute("BEGIN IMMEDIATE")  # another process may be migrating right now
        try:
            added = missing()
            for table, column, decl in added:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            if any(c[1] == "metadata" for c in added):
                for r in db.execute("SELECT id, static FROM jobs").fetchall():
                    try:
                        meta = json.loads(r["static"]).get("metadata")
                    except (ValueError, AttributeError):
                        meta = None
                    if meta:
                        db.execute("UPDATE jobs SET metadata=? WHERE id=?", (json.dumps(meta), r["id"]))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _tidy(self) -> None:
        """Remove what killed processes left: temp files, parts of uploads that can never finish."""
        for path in self.files_dir.glob("*.tmp"):
            m = _TMP_PID.search(path.name)
            if m is None or not _pid_alive(int(m.group(1))):
                path.unlink(missing_ok=True)
        now = self.clock()
        with self.tx() as db:
            pending = db.execute("SELECT id, expires_at, owner_pid FROM uploads WHERE status='pending'").fetchall()
            for r in pending:
                if r["expires_at"] < now:
                    self.finish_upload(r["id"], "expired")
                elif r["owner_pid"] is not None and not _pid_alive(r["owner_pid"]):
                    self.finish_upload(r["id"], "cancelled")
            rows = db.execute("SELECT path FROM files UNION ALL SELECT path FROM upload_parts")
            known = {Path(r["path"]).name for r in rows}
            began = self._created_at(db)
            for path in self.files_dir.iterdir():
                name = path.name
                if name.endswith(".tmp"):
                    continue
                if name not in known and name.startswith(("file-", "part_")) and _mtime(path) >= began:
                    path.unlink(missing_ok=True)  # written, but its row never was (the writer died)
                else:  # older than this database: another database's file (moved away?): kept
                    make_private(path)

    @staticmethod
    def _created_at(db: sqlite3.Connection) -> float:
        """When this database was made (0 for one made before ftui noted it)."""
        row = db.execute("SELECT value FROM meta WHERE key='created_at'").fetchone()
        try:
            return float(row["value"]) - 2.0 if row else 0.0  # 2 s: file times can be coarse
        except ValueError:
            return 0.0

    @staticmethod
    def _speed(row: sqlite3.Row) -> float:
        """The row's speed; a value no sandbox should have written (inf, 0, text) counts as 1."""
        speed = row["speed"]
        return float(speed) if speed_ok(speed) else 1.0

    def _run(self, row: sqlite3.Row) -> JobRun:
        """The job as its trainer sees it: its plan and the time it has had (``JobRows`` asks)."""
        plan = JobPlan(**json.loads(row["plan"]))
        return JobRun(
            plan, row["created_real"], self._speed(row), row["paused_at"], row["paused_total"], row["cancelled_t"]
        )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction (a write lock across processes)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def temp_path(self, kind: str) -> Path:
        """A temp file name in the files dir that says which process writes it."""
        return self.files_dir / f"{kind}-{os.getpid()}-{new_id('', 12)}.tmp"

    def _local(self, stored: str) -> Path:
        """A stored path, resolved in this data dir (so a moved data dir keeps working)."""
        return self.files_dir / Path(stored).name

    # -- files -------------------------------------------------------------------------
    def add_file(
        self, filename: str, purpose: str, data: bytes | None = None, src: Path | None = None
    ) -> dict[str, Any]:
        """Store a file: from bytes, or by moving ``src`` (a temp file in the files dir) into place."""
        file_id = face_id("file-")
        path = self.files_dir / file_id
        try:
            if src is None:
                src = self.temp_path("write")
                with private_open(src) as fh:
                    fh.write(data or b"")
            size = src.stat().st_size
            now = int(self.clock())
            with self.tx() as db:  # the row and the file appear together (see _tidy)
                db.execute(_INSERT_FILE, (file_id, filename, purpose, size, now, "processed", str(path), FACE.get()))
                src.replace(path)
        finally:
            if src is not None:
                src.unlink(missing_ok=True)
        make_private(path)
        return self.get_file(file_id) or {}

    def get_file(self, file_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM files WHERE id=? AND face=?", (file_id, FACE.get())).fetchone()
        return _file_obj(row) if row else None

    def file_path(self, file_id: str) -> Path | None:
        row = self.db.execute("SELECT path FROM files WHERE id=? AND face=?", (file_id, FACE.get())).fetchone()
        return self._local(row["path"]) if row else None

    def list_files(self, purpose: str | None = None) -> list[dict[str, Any]]:
        if purpose:
            rows = self.db.execute(
                "SELECT * FROM files WHERE purpose=? AND face=? ORDER BY created_at DESC, rowid DESC",
                (purpose, FACE.get()),
            )
        else:
            rows = self.db.execute(
                "SELECT * FROM files WHERE face=? ORDER BY created_at DESC, rowid DESC", (FACE.get(),)
            )
        return [_file_obj(r) for r in rows]

    def delete_file(self, file_id: str) -> bool:
        path = self.file_path(file_id)
        if path is None:
            return False
        self.db.execute("DELETE FROM files WHERE id=?", (file_id,))
        path.unlink(missing_ok=True)
        return True

    # -- uploads -----------------------------------------------------------------------
    def create_upload(self, filename: str, purpose: str, size: int, mime_type: str | None) -> dict[str, Any]:
        upload_id = new_id("upload_")
        now = int(self.clock())
        self.db.execute(
            "INSERT INTO uploads (id, filename, purpose, bytes, mime_type, created_at, expires_at, status, file_id, "
            "owner_pid, face) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (upload_id, filename, purpose, size, mime_type, now, now + UPLOAD_SECONDS, "pending", None, os.getpid(),
             FACE.get()),
        )  # fmt: skip
        return self.get_upload(upload_id) or {}

    def get_upload(self, upload_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM uploads WHERE id=? AND face=?", (upload_id, FACE.get())).fetchone()
        if row is None:
            return None
        obj = {
            "id": row["id"],
            "object": "upload",
            "bytes": row["bytes"],
            "created_at": row["created_at"],
            "expires_at": row["expires_at"],
            "filename": row["filename"],
            "purpose": row["purpose"],
            "status": row["status"],
            "file": self.get_file(row["file_id"]) if row["file_id"] else None,
        }
        return obj

    def add_part(self, upload_id: str, src: Path) -> dict[str, Any]:
        """Keep a part: ``src`` (a temp file in the files dir) moves into place with its row."""
        part_id = new_id("part_")
        path = self.files_dir / part_id
        try:
            size = src.stat().st_size
            now = int(self.clock())
            with self.tx() as db:
                db.execute("INSERT INTO upload_parts VALUES (?,?,?,?,?)", (part_id, upload_id, now, str(path), size))
                src.replace(path)
        finally:
            src.unlink(missing_ok=True)
        return {"id": part_id, "object": "upload.part", "created_at": now, "upload_id": upload_id}

    def part_sizes(self, upload_id: str) -> dict[str, tuple[Path, int]]:
        rows = self.db.execute("SELECT id, path, size FROM upload_parts WHERE upload_id=?", (upload_id,))
        return {r["id"]: (self._local(r["path"]), r["size"]) for r in rows}

    def finish_upload(self, upload_id: str, status: str, file_id: str | None = None) -> None:
        self.db.execute("UPDATE uploads SET status=?, file_id=? WHERE id=?", (status, file_id, upload_id))
        for path, _ in self.part_sizes(upload_id).values():
            path.unlink(missing_ok=True)


def _file_obj(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "file",
        "bytes": row["bytes"],
        "created_at": row["created_at"],
        "filename": row["filename"],
        "purpose": row["purpose"],
        "status": row["status"],
        "status_details": None,
    }
