"""The store's job rows: jobs (caught up through the store's trainer), events, checkpoints, models.

Mixed into ``ftui.sandbox.store.Store``, which holds the database, the clock and the trainer.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftui.api_facts import TERMINAL_STATUSES
from ftui.config import SPEED_RULE, speed_ok
from ftui.sandbox.problems import is_full
from ftui.sandbox.rows import _INSERT_FILE, FACE, face_id, new_id, private_open
from ftui.sandbox.simulate import JobPlan
from ftui.sandbox.trainer import Happening, JobRun, Trainer

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

log = logging.getLogger("ftui.sandbox")

TERMINAL = TERMINAL_STATUSES
_IN = 500  # ids per "IN (...)" query (SQLite's variable limit is higher; keep statements small)
_INSERT_EVENT = "INSERT INTO events (id, job_id, created_at, level, message, type, data, obj) VALUES (?,?,?,?,?,?,?,?)"


def _event_row(job_id: str, created: int, level: str, message: str, type_: str | None, data: Any) -> tuple[Any, ...]:
    """An events row, with the event's API JSON kept beside its fields (a page is then a join)."""
    event_id = face_id("ftevent-")
    obj = {"id": event_id, "object": "fine_tuning.job.event", "created_at": created, "level": level}
    obj |= {"message": message, "type": type_, "data": data if data is not None else {}}
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (event_id, job_id, created, level, message, type_, json.dumps(data) if data is not None else None, text)


class JobRows:
    """Jobs: created, caught up to now (what the trainer says happened is written down), controlled."""

    db: sqlite3.Connection
    data_dir: Path
    files_dir: Path
    clock: Callable[[], float]
    trainer: Trainer
    _broken: set[str]

    if TYPE_CHECKING:

        def tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _run(self, row: sqlite3.Row) -> JobRun: ...

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

    def advance(self, job_id: str) -> dict[str, Any] | None:
        """Write down what the job's timeline reached by now; return the job object."""
        return self.jobs([job_id]).get(job_id)

    def jobs(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The job objects of ``ids`` (unknown ids left out), caught up in one transaction.

        Settled jobs are read back as they were kept; only the others are advanced.
        """
        out: dict[str, dict[str, Any]] = {}
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
    ) -> tuple[list[dict[str, Any]], bool]:
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

    def _safe_catch_up(self, db: sqlite3.Connection, row: sqlite3.Row, now: float) -> dict[str, Any]:
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

    def _catch_up(self, db: sqlite3.Connection, row: sqlite3.Row, now: float) -> dict[str, Any]:
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

    def _job_obj(self, row: sqlite3.Row, run: JobRun, t: float, now: float) -> dict[str, Any]:
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

    def control(self, job_id: str, action: str) -> tuple[dict[str, Any] | None, str | None]:
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


class JobOutputs:
    """What jobs leave: events, checkpoints, models (read without advancing any job)."""

    db: sqlite3.Connection
    clock: Callable[[], float]
    trainer: Trainer
    _broken: set[str]

    if TYPE_CHECKING:

        def tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _run(self, row: sqlite3.Row) -> JobRun: ...

    # -- events and checkpoints ----------------------------------------------------------
    def events(self, job_id: str, after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
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

    def checkpoints(self, job_id: str) -> list[dict[str, Any]]:
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


def _broken_job(row: sqlite3.Row) -> dict[str, Any]:
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
