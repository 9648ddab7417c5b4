"""The sandbox's state in SQLite: files, uploads, jobs, events, checkpoints, models.

Jobs advance with the wall clock: whenever a job is read, what its trainer
(``ftui.sandbox.trainer``; the sandbox's simulation by default) says happened since the
last read is written down (inside one IMMEDIATE transaction, so two
processes sharing a data dir never write an event twice). After a restart every job is
where it would have been.

Catching up costs O(new events): once a job has ended ("settled") its final object is kept
in the row and read back as it is, with no plan to decode and nothing to compute.

Everything on disk is private to the user: directories 0700, files 0600. Temporary files
carry the writer's pid, so a later start removes what a killed process left behind without
touching the uploads of a process that is still running.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from ftui.api_facts import TERMINAL_STATUSES
from ftui.config import SPEED_RULE, speed_ok
from ftui.sandbox.problems import db_problem, full_sentence, is_full
from ftui.sandbox.simulate import JobPlan
from ftui.sandbox.trainer import Happening, JobRun, SimulatedTrainer, Trainer

log = logging.getLogger("ftui.sandbox")

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
_INSERT_FILE = (
    "INSERT INTO files (id, filename, purpose, bytes, created_at, status, path, face) VALUES (?,?,?,?,?,?,?,?)"
)

_INSERT_EVENT = "INSERT INTO events (id, job_id, created_at, level, message, type, data, obj) VALUES (?,?,?,?,?,?,?,?)"


def _event_row(job_id: str, created: int, level: str, message: str, type_: str | None, data: Any) -> tuple:
    """An events row, with the event's API JSON kept beside its fields (a page is then a join)."""
    event_id = face_id("ftevent-")
    obj = {"id": event_id, "object": "fine_tuning.job.event", "created_at": created, "level": level}
    obj |= {"message": message, "type": type_, "data": data if data is not None else {}}
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (event_id, job_id, created, level, message, type_, json.dumps(data) if data is not None else None, text)


TERMINAL = TERMINAL_STATUSES
BUSY_TIMEOUT_MS = 5000
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
UPLOAD_SECONDS = 3600
_IN = 500  # ids per "IN (...)" query (SQLite's variable limit is higher; keep statements small)
_TMP_PID = re.compile(r"-(\d+)-[A-Za-z0-9]+\.tmp$")

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


class Store:
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
    def add_file(self, filename: str, purpose: str, data: bytes | None = None, src: Path | None = None) -> dict:
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

    def get_file(self, file_id: str) -> dict | None:
        row = self.db.execute("SELECT * FROM files WHERE id=? AND face=?", (file_id, FACE.get())).fetchone()
        return _file_obj(row) if row else None

    def file_path(self, file_id: str) -> Path | None:
        row = self.db.execute("SELECT path FROM files WHERE id=? AND face=?", (file_id, FACE.get())).fetchone()
        return self._local(row["path"]) if row else None

    def list_files(self, purpose: str | None = None) -> list[dict]:
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
    def create_upload(self, filename: str, purpose: str, size: int, mime_type: str | None) -> dict:
        upload_id = new_id("upload_")
        now = int(self.clock())
        self.db.execute(
            "INSERT INTO uploads (id, filename, purpose, bytes, mime_type, created_at, expires_at, status, file_id, "
            "owner_pid, face) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (upload_id, filename, purpose, size, mime_type, now, now + UPLOAD_SECONDS, "pending", None, os.getpid(),
             FACE.get()),
        )  # fmt: skip
        return self.get_upload(upload_id) or {}

    def get_upload(self, upload_id: str) -> dict | None:
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

    def add_part(self, upload_id: str, src: Path) -> dict:
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

    # -- jobs --------------------------------------------------------------------------
    def add_job(self, plan: JobPlan, static: dict[str, Any], speed: float) -> None:
        if not speed_ok(speed):
            raise ValueError(f"speed must be {SPEED_RULE}, not {speed!r}")
        meta = static.get("metadata")
        self.db.execute(
            "INSERT INTO jobs (id, created_real, speed, plan, static, metadata, face) VALUES (?,?,?,?,?,?,?)",
            (
                plan.job_id,
                self.clock(),
                speed,
                json.dumps(asdict(plan)),
                json.dumps(static),
                json.dumps(meta) if meta else None,
                FACE.get(),
            ),
        )

    def job_ids(self) -> list[str]:
        rows = self.db.execute("SELECT id FROM jobs WHERE face=? ORDER BY created_real DESC, rowid DESC", (FACE.get(),))
        return [r["id"] for r in rows]

    @staticmethod
    def _speed(row: sqlite3.Row) -> float:
        """The row's speed; a value no sandbox should have written (inf, 0, text) counts as 1."""
        speed = row["speed"]
        return float(speed) if speed_ok(speed) else 1.0

    def _run(self, row: sqlite3.Row) -> JobRun:
        """The job as its trainer sees it (its plan and the time it has had)."""
        plan = JobPlan(**json.loads(row["plan"]))
        return JobRun(
            plan, row["created_real"], self._speed(row), row["paused_at"], row["paused_total"], row["cancelled_t"]
        )

    @staticmethod
    def _settled(row: sqlite3.Row) -> bool:
        """True when nothing more can happen to the job (its last event is written)."""
        if row["finished_at"] is not None:
            return True
        return row["cancelled_t"] is not None and row["emitted_t"] >= row["cancelled_t"]

    def catch_up(self, job_id: str) -> bool:
        """Write down what the job's timeline reached by now (nothing to do once it settled);
        False when there is no such job. Cheaper than ``advance``: no job object is built."""
        row = self.db.execute(
            "SELECT settled AND obj IS NOT NULL FROM jobs WHERE id=? AND face=?", (job_id, FACE.get())
        ).fetchone()
        if row is None:
            return False
        if not row[0]:
            self.advance(job_id)
        return True

    def advance(self, job_id: str) -> dict | None:
        """Write down what the job's timeline reached by now; return the job object."""
        return self.jobs([job_id]).get(job_id)

    def jobs(self, ids: list[str]) -> dict[str, dict]:
        """The job objects of ``ids`` (unknown ids left out), caught up in one transaction.

        Settled jobs are read back as they were kept; only the others are advanced.
        """
        out: dict[str, dict] = {}
        pending: list[str] = []
        for i in range(0, len(ids), _IN):
            chunk = ids[i : i + _IN]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, settled, obj FROM jobs WHERE face=? AND id IN ({marks})"
            for r in self.db.execute(query, [FACE.get(), *chunk]):
                if r["settled"] and r["obj"]:
                    try:
                        out[r["id"]] = json.loads(r["obj"])
                        continue
                    except ValueError:
                        pass
                pending.append(r["id"])
        if pending:
            with self.tx() as db:
                now = self.clock()
                for job_id in pending:
                    row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
                    if row is not None:
                        out[job_id] = self._safe_catch_up(db, row, now)
        return out

    def list_jobs(
        self, after: str | None, limit: int, metadata: dict[str, str] | None = None
    ) -> tuple[list[dict], bool]:
        """One page of jobs, newest first; only the jobs on the page are read (and caught up)."""
        order = "ORDER BY created_real DESC, rowid DESC"
        here = FACE.get()
        if metadata:
            rows = self.db.execute(
                f"SELECT id, metadata FROM jobs WHERE metadata IS NOT NULL AND face=? {order}", (here,)
            )
            ids = [r["id"] for r in rows if _metadata_matches(r["metadata"], metadata)]
            if after:
                ids = ids[ids.index(after) + 1 :] if after in ids else []
            ids = ids[: limit + 1]
        elif after:
            anchor = self.db.execute(
                "SELECT created_real, rowid FROM jobs WHERE id=? AND face=?", (after, here)
            ).fetchone()
            if anchor is None:
                return [], False
            rows = self.db.execute(
                "SELECT id FROM jobs WHERE face=? AND (created_real < ? OR (created_real = ? AND rowid < ?)) "
                f"{order} LIMIT ?",
                (here, anchor[0], anchor[0], anchor[1], limit + 1),
            )
            ids = [r["id"] for r in rows]
        else:
            rows = self.db.execute(f"SELECT id FROM jobs WHERE face=? {order} LIMIT ?", (here, limit + 1))
            ids = [r["id"] for r in rows]
        page = ids[:limit]
        objs = self.jobs(page)
        return [objs[i] for i in page if i in objs], len(ids) > limit

    def _safe_catch_up(self, db: sqlite3.Connection, row: sqlite3.Row, now: float) -> dict:
        """Catch one job up; a row this code cannot read becomes a failed job, never an error."""
        db.execute("SAVEPOINT job")
        try:
            obj = self._catch_up(db, row, now)
        except Exception as exc:
            db.execute("ROLLBACK TO job")
            db.execute("RELEASE job")
            if is_full(exc, self.data_dir) or type(exc) in (sqlite3.DatabaseError, sqlite3.OperationalError):
                raise  # the disk or the database file, not this job's state: the request says which
            if row["id"] not in self._broken:
                self._broken.add(row["id"])
                log.exception("job %s: its saved state cannot be read", row["id"])
            return _broken_job(row)
        db.execute("RELEASE job")
        return obj

    def _catch_up(self, db: sqlite3.Connection, row: sqlite3.Row, now: float) -> dict:
        """Inside a write transaction: write the events up to ``now``; keep the object once settled."""
        job_id = row["id"]
        run = self._run(row)
        t = self.trainer.mark(run, now)
        if t > row["emitted_t"]:
            self._emit(db, job_id, row["face"], self.trainer.happenings(run, row["emitted_t"], t))
            db.execute("UPDATE jobs SET emitted_t=? WHERE id=?", (t, job_id))
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        obj = self._job_obj(row, run, t, now)  # its time fields are as they were: no second decode
        if self._settled(row) and obj["status"] in TERMINAL:
            db.execute(
                "UPDATE jobs SET settled=1, obj=?, status=?, ft_model=? WHERE id=?",
                (json.dumps(obj), obj["status"], obj["fine_tuned_model"], job_id),
            )
        return obj

    def _emit(self, db: sqlite3.Connection, job_id: str, face_name: str, happenings: list[Happening]) -> None:
        """Write down what the trainer says happened: events, checkpoints, the end and its results."""
        rows = []
        for h in happenings:
            rows.append(_event_row(job_id, h.created, h.level, h.message, h.type, h.data))
            if h.checkpoint is not None:
                db.execute(
                    "INSERT OR IGNORE INTO checkpoints VALUES (?,?,?,?,?,?)",
                    (
                        new_id("ftckpt_"),
                        job_id,
                        h.created,
                        h.checkpoint.step,
                        h.checkpoint.model,
                        json.dumps(h.checkpoint.metrics),
                    ),
                )
            if h.final:
                result = None
                if h.results_csv is not None:
                    result = self._write_results(db, job_id, h.created, h.results_csv, face_name)
                db.execute("UPDATE jobs SET finished_at=?, result_file=? WHERE id=?", (h.created, result, job_id))
        db.executemany(_INSERT_EVENT, rows)

    def _write_results(self, db: sqlite3.Connection, job_id: str, created: int, csv: str, face_name: str) -> str:
        file_id = face_id("file-", face_name)
        path = self.files_dir / file_id
        data = csv.encode()
        try:
            with private_open(path) as fh:
                fh.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        name = f"step_metrics_{job_id}.csv"
        row = (file_id, name, "fine-tune-results", len(data), created, "processed", str(path), face_name)
        db.execute(_INSERT_FILE, row)
        return file_id

    @staticmethod
    def _insert_event(
        db: sqlite3.Connection, job_id: str, created: int, level: str, message: str, type_: str | None, data: Any
    ) -> None:
        db.execute(_INSERT_EVENT, _event_row(job_id, created, level, message, type_, data))

    def _job_obj(self, row: sqlite3.Row, run: JobRun, t: float, now: float) -> dict:
        static = json.loads(row["static"])
        state = self.trainer.state(run, t, now)
        status = state.status
        obj = {k: v for k, v in static.items() if not k.startswith("_") and k != "hyperparameters_requested"}
        obj["status"] = status
        obj["finished_at"] = row["finished_at"] if status in TERMINAL else None
        if status == "cancelled":
            obj["finished_at"] = state.cancelled_at
        obj["fine_tuned_model"] = state.fine_tuned_model if status == "succeeded" else None
        obj["result_files"] = [row["result_file"]] if row["result_file"] else []
        obj["trained_tokens"] = static.get("_trained_tokens") if status == "succeeded" else None
        if status in ("validating_files", "queued"):  # resolved numbers only once the job starts
            obj["hyperparameters"] = static["hyperparameters_requested"]
            obj["method"] = static.get("_method_requested", obj.get("method"))
        if status == "failed":
            obj["error"] = state.error
        obj["estimated_finish"] = state.estimated_finish
        return obj

    def job_plan(self, job_id: str) -> JobPlan | None:
        row = self.db.execute("SELECT plan FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            return None
        try:
            return JobPlan(**json.loads(row["plan"]))
        except (ValueError, TypeError):
            return None

    def control(self, job_id: str, action: str) -> tuple[dict | None, str | None]:
        """cancel / pause / resume; returns (job, error sentence).

        The status is read inside the same write transaction that acts on it, so two
        processes can never both cancel, or pause a job that has just ended.
        """
        with self.tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=? AND face=?", (job_id, FACE.get())).fetchone()
            if row is None:
                return None, None
            now = self.clock()
            job = self._catch_up(db, row, now)  # events up to now are written before the action's
            status = job["status"]
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            if action == "cancel":
                if status in TERMINAL:
                    return job, f"Job {job_id} has already {'ended' if status != 'cancelled' else 'been cancelled'}."
                t = self.trainer.mark(self._run(row), now)
                if row["paused_at"] is not None:
                    db.execute(
                        "UPDATE jobs SET paused_total=paused_total+?, paused_at=NULL WHERE id=?",
                        (now - row["paused_at"], job_id),
                    )
                db.execute("UPDATE jobs SET cancelled_t=?, emitted_t=MAX(emitted_t, ?) WHERE id=?", (t, t, job_id))
                self._insert_event(db, job_id, int(now), "info", "Fine-tuning job cancelled", "message", None)
            elif action == "pause":
                if status != "running":
                    return job, f"Job {job_id} can only be paused while running (it is {status})."
                db.execute("UPDATE jobs SET paused_at=? WHERE id=?", (now, job_id))
                self._insert_event(db, job_id, int(now), "info", "Fine-tuning job paused", "message", None)
            elif action == "resume":
                if status != "paused":
                    return job, f"Job {job_id} is not paused (it is {status})."
                db.execute(
                    "UPDATE jobs SET paused_total=paused_total+?, paused_at=NULL WHERE id=?",
                    (now - row["paused_at"], job_id),
                )
                self._insert_event(db, job_id, int(now), "info", "Fine-tuning job resumed", "message", None)
            else:
                return job, f"Unknown action {action!r}."
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            return self._catch_up(db, row, now), None

    # -- events and checkpoints ----------------------------------------------------------
    def events(self, job_id: str, after: str | None, limit: int) -> tuple[list[dict], bool]:
        """Newest first; ``after`` is an event id: return the events older than it."""
        max_seq = 1 << 62
        if after:
            hit = self.db.execute("SELECT seq FROM events WHERE id=? AND job_id=?", (after, job_id)).fetchone()
            if hit:
                max_seq = hit["seq"]
        rows = self.db.execute(
            "SELECT * FROM events WHERE job_id=? AND seq<? ORDER BY seq DESC LIMIT ?", (job_id, max_seq, limit + 1)
        ).fetchall()
        out = [
            {
                "id": r["id"],
                "object": "fine_tuning.job.event",
                "created_at": r["created_at"],
                "level": r["level"],
                "message": r["message"],
                "type": r["type"],
                "data": json.loads(r["data"]) if r["data"] else {},
            }
            for r in rows[:limit]
        ]
        return out, len(rows) > limit

    def events_page(self, job_id: str, after: str | None, limit: int) -> bytes:
        """``events`` as the API's list body: each event's JSON text was written with it (older
        databases: SQLite builds it in the query), and the page is those texts joined."""
        max_seq = 1 << 62
        if after:
            hit = self.db.execute("SELECT seq FROM events WHERE id=? AND job_id=?", (after, job_id)).fetchone()
            if hit:
                max_seq = hit["seq"]
        rows = self.db.execute(
            "SELECT coalesce(obj, json_object('id', id, 'object', 'fine_tuning.job.event', 'created_at', "
            "created_at, 'level', level, 'message', message, 'type', type, "
            "'data', json(coalesce(nullif(data, ''), '{}')))) FROM events WHERE job_id=? AND seq<? "
            "ORDER BY seq DESC LIMIT ?",
            (job_id, max_seq, limit + 1),
        ).fetchall()
        more = "true" if len(rows) > limit else "false"
        data = ",".join(r[0] for r in rows[:limit])
        return f'{{"object":"list","data":[{data}],"has_more":{more}}}'.encode()

    def checkpoints(self, job_id: str) -> list[dict]:
        rows = self.db.execute("SELECT * FROM checkpoints WHERE job_id=? ORDER BY step DESC", (job_id,))
        return [
            {
                "id": r["id"],
                "object": "fine_tuning.job.checkpoint",
                "created_at": r["created_at"],
                "fine_tuned_model_checkpoint": r["model"],
                "fine_tuning_job_id": r["job_id"],
                "step_number": r["step"],
                "metrics": json.loads(r["metrics"]),
            }
            for r in rows
        ]

    # -- models --------------------------------------------------------------------------
    def trained_models(self) -> list[tuple[str, int, str]]:
        """(model id, created, job id) of fine-tuned models and checkpoints that exist now.

        Nothing is written and no job is advanced: ended jobs are a plain query, and for the
        others (running, or finished but not read yet) the plan tells which models exist by now.
        """
        deleted = {r["id"] for r in self.db.execute("SELECT id FROM deleted_models")}
        out: list[tuple[str, int, str]] = []
        here = FACE.get()
        rows = self.db.execute(
            "SELECT id, ft_model, finished_at FROM jobs WHERE settled=1 AND status='succeeded' AND face=? "
            "ORDER BY created_real DESC, rowid DESC",
            (here,),
        )
        for r in rows:
            if r["ft_model"]:
                out.append((r["ft_model"], r["finished_at"] or 0, r["id"]))
        now = self.clock()
        peeked: list[tuple[str, int, str]] = []
        for row in self.db.execute(
            "SELECT * FROM jobs WHERE settled=0 AND face=? ORDER BY created_real DESC, rowid DESC", (here,)
        ):
            peeked += self._peek_models(row, now)
        out += [m for m in peeked if ":ckpt-step-" not in m[0]]
        for r in self.db.execute(
            "SELECT c.model, c.created_at, c.job_id FROM checkpoints c JOIN jobs j ON j.id = c.job_id "
            "WHERE j.face=? ORDER BY c.created_at DESC",
            (here,),
        ):
            out.append((r["model"], r["created_at"], r["job_id"]))
        out += [m for m in peeked if ":ckpt-step-" in m[0]]
        seen: set[str] = set()
        unique = []
        for model, created, job_id in out:
            if model not in deleted and model not in seen:
                seen.add(model)
                unique.append((model, created, job_id))
        return unique

    def _peek_models(self, row: sqlite3.Row, now: float) -> list[tuple[str, int, str]]:
        """The models a job that has not ended in the database has made by ``now`` (read-only)."""
        try:
            return [(model, created, row["id"]) for model, created in self.trainer.models(self._run(row), now)]
        except Exception:
            if row["id"] not in self._broken:
                self._broken.add(row["id"])
                log.exception("job %s: its saved state cannot be read", row["id"])
            return []

    def delete_job(self, job_id: str) -> bool:
        """Remove a job of the current face with its events and checkpoints (Azure's DELETE of a job;
        its model and checkpoints go with it). False when there is no such job."""
        with self.tx() as db:
            gone = db.execute("DELETE FROM jobs WHERE id=? AND face=?", (job_id, FACE.get())).rowcount
            if gone:
                db.execute("DELETE FROM events WHERE job_id=?", (job_id,))
                db.execute("DELETE FROM checkpoints WHERE job_id=?", (job_id,))
        return bool(gone)

    def delete_model(self, model: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO deleted_models VALUES (?)", (model,))


def _metadata_matches(raw: str | None, wanted: dict[str, str]) -> bool:
    try:
        meta = json.loads(raw) if raw else {}
    except ValueError:
        return False
    return isinstance(meta, dict) and all(meta.get(k) == v for k, v in wanted.items())


def _broken_job(row: sqlite3.Row) -> dict:
    """A job whose saved state cannot be read, shown as failed (with what the row still tells)."""
    try:
        static = json.loads(row["static"])
    except (ValueError, TypeError):
        static = {}
    obj = {k: v for k, v in static.items() if not k.startswith("_")} if isinstance(static, dict) else {}
    obj.pop("hyperparameters_requested", None)
    for key, default in (
        ("created_at", 0),
        ("model", "unknown"),
        ("training_file", ""),
        ("validation_file", None),
        ("hyperparameters", {}),
        ("seed", 0),
        ("organization_id", "org-sandbox"),
    ):
        obj.setdefault(key, default)
    obj.update(
        id=row["id"],
        object="fine_tuning.job",
        status="failed",
        finished_at=None,
        fine_tuned_model=None,
        result_files=[],
        trained_tokens=None,
        estimated_finish=None,
        error={
            "code": "sandbox_state_damaged",
            "message": "The sandbox cannot read this job's saved state.",
            "param": None,
        },
    )
    return obj


def _file_obj(row: sqlite3.Row) -> dict:
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
