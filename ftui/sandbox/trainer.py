"""The trainer seam: what makes a fine-tuning job progress, apart from the rows that record it.

The store (``ftui.sandbox.store``) keeps the rows: jobs, events, checkpoints, result files,
in SQLite, and catches a job up whenever it is read (so a restart finds every job where it
would have been). What happened to the job by then it asks its ``Trainer``:

- ``mark(run, now)``: how far the job has got at wall-clock ``now`` (a number that only grows
  while the job runs; the store keeps the mark it has written events up to);
- ``happenings(run, t0, t1)``: what happened between two marks (events, each maybe with a
  checkpoint; the last one ``final``, with the results file's text when the job trained);
- ``state(run, t, now)``: the job's status and what goes with it (model, error, estimate);
- ``models(run, now)``: the models (fine-tuned model, checkpoints) the job has made by ``now``,
  read without writing anything.

Pause, resume and cancel are the store's bookkeeping (``JobRun.paused_at``, ``paused_total``,
``cancelled_t``), which a trainer reads. ``SimulatedTrainer``, the sandbox's, follows a job's
``JobPlan`` timeline (``ftui.sandbox.simulate``): the mark is simulated seconds, wall-clock
seconds since creation (less the paused time) times the sandbox speed. The server is given
its trainer (``SandboxServer(trainer=...)``, default the simulation), so another trainer (a
real one, a worker process per job) fits without touching the routes or the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ftui.sandbox.simulate import JobPlan


@dataclass(frozen=True, slots=True)
class JobRun:
    """A job as a trainer sees it: its plan and the store's record of its time (wall clock)."""

    plan: JobPlan
    created_real: float  # when it was created
    speed: float  # the sandbox speed it was created at (simulated seconds per second)
    paused_at: float | None = None  # when it was paused, while it is
    paused_total: float = 0.0  # seconds spent paused before
    cancelled_t: float | None = None  # the mark at which it was cancelled


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint a job left: its step, its model id, the metrics at that step."""

    step: int
    model: str
    metrics: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Happening:
    """An event of a job at wall-clock second ``created``, with what it leaves behind."""

    created: int
    message: str
    level: str = "info"
    type: str = "message"
    data: dict[str, Any] | None = None
    checkpoint: Checkpoint | None = None
    final: bool = False  # the job has ended (succeeded or failed)
    results_csv: str | None = None  # on a final event of a job that trained: its results file


@dataclass(frozen=True, slots=True)
class JobState:
    """A job's status at a mark, with what the job object shows along with it."""

    status: str
    fine_tuned_model: str | None = None  # once succeeded
    error: dict[str, Any] | None = None  # once failed
    estimated_finish: int | None = None  # while it has not ended
    cancelled_at: int | None = None  # when cancelled


class Trainer(Protocol):
    """What makes jobs progress (see the module docstring)."""

    def mark(self, run: JobRun, now: float) -> float:
        """How far the job has got at wall-clock ``now``."""
        ...

    def happenings(self, run: JobRun, t0: float, t1: float) -> list[Happening]:
        """What happened with ``t0 < mark <= t1``, in order."""
        ...

    def state(self, run: JobRun, t: float, now: float) -> JobState:
        """The job's status at mark ``t`` (``now``: the wall clock, for the estimate)."""
        ...

    def models(self, run: JobRun, now: float) -> list[tuple[str, int]]:
        """(model id, created) of the models the job has made by ``now``: its fine-tuned model first."""
        ...


class SimulatedTrainer:
    """The sandbox's trainer: each job follows its plan's timeline, ``speed`` times the wall clock."""

    def mark(self, run: JobRun, now: float) -> float:
        """Simulated seconds since creation, not counting paused time (stopped where cancelled)."""
        paused_extra = (now - run.paused_at) if run.paused_at is not None else 0.0
        t = (now - run.created_real - run.paused_total - paused_extra) * run.speed
        if run.cancelled_t is not None:
            t = min(t, run.cancelled_t)
        return t

    @staticmethod
    def real_time(run: JobRun, t: float) -> int:
        """The wall-clock second at which the job reaches simulated second ``t``."""
        return int(run.created_real + run.paused_total + t / run.speed)

    def happenings(self, run: JobRun, t0: float, t1: float) -> list[Happening]:
        """The plan's timeline events between two simulated times."""
        plan = run.plan
        events = plan.events_between(t0, t1)
        out: list[Happening] = []
        for ev in events:
            checkpoint = None
            if ev.checkpoint_step is not None:
                metrics = plan.metrics(ev.checkpoint_step)
                metrics.pop("total_steps", None)
                checkpoint = Checkpoint(ev.checkpoint_step, plan.checkpoint_model(ev.checkpoint_step), metrics)
            results = None
            if ev.final and not plan.invalid_reason:
                known = {e.data["step"]: e.data for e in events if e.type == "metrics" and e.data}
                results = plan.results_csv(known)
            created = self.real_time(run, ev.t)
            out.append(Happening(created, ev.message, ev.level, ev.type, ev.data, checkpoint, ev.final, results))
        return out

    def state(self, run: JobRun, t: float, now: float) -> JobState:
        """The plan's status at ``t``, cancelled or paused as the store recorded."""
        plan = run.plan
        if run.cancelled_t is not None:
            return JobState("cancelled", cancelled_at=self.real_time(run, run.cancelled_t))
        status = plan.status_at(t)
        if run.paused_at is not None and status == "running":
            status = "paused"
        state = JobState(status)
        if status == "succeeded":
            state = JobState(status, fine_tuned_model=plan.fine_tuned_model)
        elif status == "failed":
            error = {"code": "invalid_training_file", "message": plan.invalid_reason, "param": "training_file"}
            state = JobState(status, error=error)
        elif status in ("running", "queued", "validating_files"):
            remaining = max(0.0, plan.end_t - t) / run.speed
            state = JobState(status, estimated_finish=int(now + remaining))
        return state

    def models(self, run: JobRun, now: float) -> list[tuple[str, int]]:
        """The checkpoints reached by ``now`` and, once succeeded, the fine-tuned model."""
        plan = run.plan
        t = self.mark(run, now)
        out = [
            (plan.checkpoint_model(step), self.real_time(run, plan.checkpoint_t(step)))
            for step in plan.checkpoint_steps()
            if plan.checkpoint_t(step) <= t and not plan.invalid_reason
        ]
        if run.cancelled_t is None and plan.status_at(t) == "succeeded":
            out.insert(0, (plan.fine_tuned_model, self.real_time(run, plan.end_t)))
        return out
