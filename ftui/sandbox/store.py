"""The sandbox's state in SQLite: files, uploads, jobs, events, checkpoints, models.

Jobs advance with the wall clock: whenever a job is read, the events its timeline has
reached since the last read are written down (inside one IMMEDIATE transaction, so two
processes sharing a data dir never write an event twice). After a restart every job is
where it would have been.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ftui.sandbox.simulate import JobPlan

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, filename TEXT NOT NULL, purpose TEXT NOT NULL, bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL, status TEXT NOT NULL, path TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, filename TEXT NOT NULL, purpose TEXT NOT NULL, bytes INTEGER NOT NULL,
    mime_type TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, status TEXT NOT NULL,
    file_id TEXT
);
CREATE TABLE IF NOT EXISTS upload_parts (
    id TEXT PRIMARY KEY, upload_id TEXT NOT NULL, created_at INTEGER NOT NULL, path TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, created_real REAL NOT NULL, speed REAL NOT NULL, plan TEXT NOT NULL,
    static TEXT NOT NULL, paused_at REAL, paused_total REAL NOT NULL DEFAULT 0,
    cancelled_t REAL, emitted_t REAL NOT NULL DEFAULT -1, finished_at INTEGER, result_file TEXT
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL, type TEXT, data TEXT
);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
    id TEXT PRIMARY KEY, job_id TEXT NOT NULL, created_at INTEGER NOT NULL, step INTEGER NOT NULL,
    model TEXT NOT NULL, metrics TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deleted_models (id TEXT PRIMARY KEY);
"""

TERMINAL = ("succeeded", "failed", "cancelled")


def new_id(prefix: str, n: int = 24) -> str:
    """An OpenAI-looking id such as ``file-3kLz...``."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


class Store:
    """All sandbox state; one instance per process, safe to share a data dir across processes."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.db = sqlite3.connect(self.data_dir / "sandbox.sqlite3", isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

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

    # -- files -------------------------------------------------------------------------
    def add_file(self, filename: str, purpose: str, data: bytes | None = None, src: Path | None = None) -> dict:
        file_id = new_id("file-")
        path = self.files_dir / file_id
        if src is not None:
            src.replace(path)
        else:
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data or b"")
            tmp.replace(path)
        size = path.stat().st_size
        now = int(self.clock())
        self.db.execute(
            "INSERT INTO files VALUES (?,?,?,?,?,?,?)", (file_id, filename, purpose, size, now, "processed", str(path))
        )
        return self.get_file(file_id) or {}

    def get_file(self, file_id: str) -> dict | None:
        row = self.db.execute("SELECT * FROM files WHERE id=?", (file_id,)).fetchone()
        return _file_obj(row) if row else None

    def file_path(self, file_id: str) -> Path | None:
        row = self.db.execute("SELECT path FROM files WHERE id=?", (file_id,)).fetchone()
        return Path(row["path"]) if row else None

    def list_files(self, purpose: str | None = None) -> list[dict]:
        if purpose:
            rows = self.db.execute(
                "SELECT * FROM files WHERE purpose=? ORDER BY created_at DESC, rowid DESC", (purpose,)
            )
        else:
            rows = self.db.execute("SELECT * FROM files ORDER BY created_at DESC, rowid DESC")
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
            "INSERT INTO uploads VALUES (?,?,?,?,?,?,?,?,?)",
            (upload_id, filename, purpose, size, mime_type, now, now + 3600, "pending", None),
        )
        return self.get_upload(upload_id) or {}

    def get_upload(self, upload_id: str) -> dict | None:
        row = self.db.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
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

    def add_part(self, upload_id: str, data: bytes) -> dict:
        part_id = new_id("part_")
        path = self.files_dir / part_id
        path.write_bytes(data)
        now = int(self.clock())
        self.db.execute("INSERT INTO upload_parts VALUES (?,?,?,?,?)", (part_id, upload_id, now, str(path), len(data)))
        return {"id": part_id, "object": "upload.part", "created_at": now, "upload_id": upload_id}

    def part_sizes(self, upload_id: str) -> dict[str, tuple[Path, int]]:
        rows = self.db.execute("SELECT id, path, size FROM upload_parts WHERE upload_id=?", (upload_id,))
        return {r["id"]: (Path(r["path"]), r["size"]) for r in rows}

    def finish_upload(self, upload_id: str, status: str, file_id: str | None = None) -> None:
        self.db.execute("UPDATE uploads SET status=?, file_id=? WHERE id=?", (status, file_id, upload_id))
        for path, _ in self.part_sizes(upload_id).values():
            path.unlink(missing_ok=True)

    # -- jobs --------------------------------------------------------------------------
    def add_job(self, plan: JobPlan, static: dict[str, Any], speed: float) -> None:
        self.db.execute(
            "INSERT INTO jobs (id, created_real, speed, plan, static) VALUES (?,?,?,?,?)",
            (plan.job_id, self.clock(), speed, json.dumps(asdict(plan)), json.dumps(static)),
        )

    def job_ids(self) -> list[str]:
        return [r["id"] for r in self.db.execute("SELECT id FROM jobs ORDER BY created_real DESC, rowid DESC")]

    def _row(self, job_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()

    @staticmethod
    def _sim_t(row: sqlite3.Row, now: float) -> float:
        paused_extra = (now - row["paused_at"]) if row["paused_at"] is not None else 0.0
        t = (now - row["created_real"] - row["paused_total"] - paused_extra) * row["speed"]
        if row["cancelled_t"] is not None:
            t = min(t, row["cancelled_t"])
        return t

    def _real_time(self, row: sqlite3.Row, t: float) -> int:
        return int(row["created_real"] + row["paused_total"] + t / row["speed"])

    @staticmethod
    def _settled(row: sqlite3.Row) -> bool:
        """True when nothing more can happen to the job (its last event is written)."""
        if row["finished_at"] is not None:
            return True
        return row["cancelled_t"] is not None and row["emitted_t"] >= row["cancelled_t"]

    def advance(self, job_id: str) -> dict | None:
        """Write down what the job's timeline reached by now; return the job object."""
        row = self._row(job_id)
        if row is None:
            return None
        if self._settled(row):  # ended jobs need no write lock
            plan = JobPlan(**json.loads(row["plan"]))
            now = self.clock()
            return self._job_obj(row, plan, self._sim_t(row, now), now)
        with self.tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None:
                return None
            plan = JobPlan(**json.loads(row["plan"]))
            now = self.clock()
            t = self._sim_t(row, now)
            if t > row["emitted_t"]:
                self._emit(db, row, plan, row["emitted_t"], t)
                db.execute("UPDATE jobs SET emitted_t=? WHERE id=?", (t, job_id))
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return self._job_obj(row, plan, t, now)

    def _emit(self, db: sqlite3.Connection, row: sqlite3.Row, plan: JobPlan, t0: float, t1: float) -> None:
        for ev in plan.events_between(t0, t1):
            created = self._real_time(row, ev.t)
            self._insert_event(db, plan.job_id, created, ev.level, ev.message, ev.type, ev.data)
            if ev.checkpoint_step is not None:
                metrics = plan.metrics(ev.checkpoint_step)
                metrics.pop("total_steps", None)
                db.execute(
                    "INSERT OR IGNORE INTO checkpoints VALUES (?,?,?,?,?,?)",
                    (
                        new_id("ftckpt_"),
                        plan.job_id,
                        created,
                        ev.checkpoint_step,
                        plan.checkpoint_model(ev.checkpoint_step),
                        json.dumps(metrics),
                    ),
                )
            if ev.final:
                result = None
                if not plan.invalid_reason:
                    result = self._write_results(db, plan, created)
                db.execute("UPDATE jobs SET finished_at=?, result_file=? WHERE id=?", (created, result, plan.job_id))

    def _write_results(self, db: sqlite3.Connection, plan: JobPlan, created: int) -> str:
        file_id = new_id("file-")
        path = self.files_dir / file_id
        path.write_text(plan.results_csv())
        db.execute(
            "INSERT INTO files VALUES (?,?,?,?,?,?,?)",
            (
                file_id,
                f"step_metrics_{plan.job_id}.csv",
                "fine-tune-results",
                path.stat().st_size,
                created,
                "processed",
                str(path),
            ),
        )
        return file_id

    @staticmethod
    def _insert_event(
        db: sqlite3.Connection, job_id: str, created: int, level: str, message: str, type_: str | None, data: Any
    ) -> None:
        db.execute(
            "INSERT INTO events (id, job_id, created_at, level, message, type, data) VALUES (?,?,?,?,?,?,?)",
            (
                new_id("ftevent-"),
                job_id,
                created,
                level,
                message,
                type_,
                json.dumps(data) if data is not None else None,
            ),
        )

    def _status(self, row: sqlite3.Row, plan: JobPlan, t: float) -> str:
        if row["cancelled_t"] is not None:
            return "cancelled"
        status = plan.status_at(t)
        if row["paused_at"] is not None and status == "running":
            return "paused"
        return status

    def _job_obj(self, row: sqlite3.Row, plan: JobPlan, t: float, now: float) -> dict:
        static = json.loads(row["static"])
        status = self._status(row, plan, t)
        obj = {k: v for k, v in static.items() if not k.startswith("_") and k != "hyperparameters_requested"}
        obj["status"] = status
        obj["finished_at"] = row["finished_at"] if status in TERMINAL else None
        if status == "cancelled":
            obj["finished_at"] = self._real_time(row, row["cancelled_t"])
        obj["fine_tuned_model"] = plan.fine_tuned_model if status == "succeeded" else None
        obj["result_files"] = [row["result_file"]] if row["result_file"] else []
        obj["trained_tokens"] = static.get("_trained_tokens") if status == "succeeded" else None
        if status in ("validating_files", "queued"):
            obj["hyperparameters"] = static["hyperparameters_requested"]
        if status == "failed":
            obj["error"] = {"code": "invalid_training_file", "message": plan.invalid_reason, "param": "training_file"}
        if status in ("running", "queued", "validating_files"):
            remaining = max(0.0, plan.end_t - t) / row["speed"]
            obj["estimated_finish"] = int(now + remaining)
        else:
            obj["estimated_finish"] = None
        return obj

    def job_plan(self, job_id: str) -> JobPlan | None:
        row = self._row(job_id)
        return JobPlan(**json.loads(row["plan"])) if row else None

    def control(self, job_id: str, action: str) -> tuple[dict | None, str | None]:
        """cancel / pause / resume; returns (job, error sentence)."""
        job = self.advance(job_id)
        if job is None:
            return None, None
        status = job["status"]
        now = self.clock()
        with self.tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            if action == "cancel":
                if status in TERMINAL:
                    return job, f"Job {job_id} has already {'ended' if status != 'cancelled' else 'been cancelled'}."
                t = self._sim_t(row, now)
                if row["paused_at"] is not None:
                    db.execute(
                        "UPDATE jobs SET paused_total=paused_total+?, paused_at=NULL WHERE id=?",
                        (now - row["paused_at"], job_id),
                    )
                db.execute("UPDATE jobs SET cancelled_t=? WHERE id=?", (t, job_id))
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
        return self.advance(job_id), None

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
        """(model id, created, job id) of fine-tuned models and checkpoints that exist now."""
        out: list[tuple[str, int, str]] = []
        deleted = {r["id"] for r in self.db.execute("SELECT id FROM deleted_models")}
        for job_id in self.job_ids():
            job = self.advance(job_id)
            if job and job["status"] == "succeeded" and job["fine_tuned_model"] not in deleted:
                out.append((job["fine_tuned_model"], job["finished_at"] or 0, job_id))
        for r in self.db.execute("SELECT model, created_at, job_id FROM checkpoints ORDER BY created_at DESC"):
            if r["model"] not in deleted:
                out.append((r["model"], r["created_at"], r["job_id"]))
        return out

    def delete_model(self, model: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO deleted_models VALUES (?)", (model,))


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
