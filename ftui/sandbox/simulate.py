"""A fine-tuning job's timeline as a pure function of its plan and simulated time.

Simulated seconds = real seconds x speed. Nothing here touches a clock or a database: the
store asks for the events between two simulated times and writes them down.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VALIDATE_SECONDS = 3.0
QUEUE_SECONDS = 3.0
STEP_SECONDS = 1.0
MAX_METRIC_EVENTS = 1000
KEPT_CHECKPOINT_EPOCHS = 3


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event at simulated time ``t`` (``checkpoint`` set on checkpoint events)."""

    t: float
    message: str
    level: str = "info"
    type: str = "message"
    data: dict[str, Any] | None = None
    checkpoint_step: int | None = None
    final: bool = False


@dataclass(frozen=True, slots=True)
class JobPlan:
    """Everything that decides how a job unfolds."""

    job_id: str
    training_file: str
    validation_file: str | None
    fine_tuned_model: str
    seed: int
    n_examples: int
    batch_size: int
    epochs: int
    invalid_reason: str | None = None  # set when the training file failed validation

    @property
    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(self.n_examples / self.batch_size))

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    @property
    def start_t(self) -> float:
        return VALIDATE_SECONDS + QUEUE_SECONDS

    @property
    def end_t(self) -> float:
        """Simulated time at which the job succeeds (or fails, when invalid)."""
        if self.invalid_reason:
            return VALIDATE_SECONDS
        return self.start_t + self.total_steps * STEP_SECONDS + 1.0

    @property
    def metric_every(self) -> int:
        return max(1, math.ceil(self.total_steps / MAX_METRIC_EVENTS))

    def status_at(self, t: float) -> str:
        if t < VALIDATE_SECONDS:
            return "validating_files"
        if self.invalid_reason:
            return "failed"
        if t < self.start_t:
            return "queued"
        if t < self.end_t:
            return "running"
        return "succeeded"

    def step_at(self, t: float) -> int:
        if t <= self.start_t:
            return 0
        return min(self.total_steps, int((t - self.start_t) // STEP_SECONDS))

    def checkpoint_model(self, step: int) -> str:
        return f"{self.fine_tuned_model}:ckpt-step-{step}"

    def checkpoint_steps(self) -> list[int]:
        """The steps that leave a checkpoint: the ends of the last epochs kept."""
        spe = self.steps_per_epoch
        return [e * spe for e in range(max(1, self.epochs - KEPT_CHECKPOINT_EPOCHS + 1), self.epochs + 1)]

    def checkpoint_t(self, step: int) -> float:
        return self.start_t + step * STEP_SECONDS

    def is_checkpoint_step(self, step: int) -> bool:
        spe = self.steps_per_epoch
        return step % spe == 0 and step // spe > self.epochs - KEPT_CHECKPOINT_EPOCHS

    # -- metrics -----------------------------------------------------------------------
    def metrics(self, step: int) -> dict[str, float | int]:
        """Training metrics at a step: a seeded, noisy, decaying loss curve."""
        total = self.total_steps
        p = step / total
        rng = random.Random(f"{self.seed}:{step}")
        base = 0.25 + 2.2 * math.exp(-4.5 * p)
        loss = max(0.01, base + rng.gauss(0, 0.05 + 0.04 * base))
        acc = min(0.999, max(0.0, 0.35 + 0.6 * (1 - math.exp(-4 * p)) + rng.gauss(0, 0.02)))
        data: dict[str, float | int] = {
            "step": step,
            "total_steps": total,
            "train_loss": round(loss, 5),
            "train_mean_token_accuracy": round(acc, 5),
        }
        if self.validation_file:
            vloss = max(0.01, base * 1.08 + 0.03 + rng.gauss(0, 0.06))
            data["valid_loss"] = round(vloss, 5)
            data["valid_mean_token_accuracy"] = round(max(0.0, acc - 0.03 + rng.gauss(0, 0.02)), 5)
            if step % self.steps_per_epoch == 0:
                data["full_valid_loss"] = round(base * 1.06 + 0.03, 5)
                data["full_valid_mean_token_accuracy"] = round(max(0.0, acc - 0.025), 5)
        return data

    def results_csv(self, known: Mapping[int, dict[str, Any]] | None = None) -> str:
        """The results file written when the job succeeds (``known``: metrics already computed, by step)."""
        rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
        known = known or {}
        for step in range(1, self.total_steps + 1):
            m = known.get(step) or self.metrics(step)
            rows.append(
                f"{step},{m['train_loss']},{m['train_mean_token_accuracy']},"
                f"{m.get('valid_loss', '')},{m.get('valid_mean_token_accuracy', '')}"
            )
        return "\n".join(rows) + "\n"

    # -- the timeline --------------------------------------------------------------------
    def events_between(self, t0: float, t1: float) -> list[TimelineEvent]:
        """Timeline events with ``t0 < t <= t1``, in order."""
        out: list[TimelineEvent] = []

        def fixed(t: float, *events: TimelineEvent) -> None:
            if t0 < t <= t1:
                out.extend(events)

        fixed(
            0.0,
            TimelineEvent(0.0, f"Created fine-tuning job: {self.job_id}"),
            TimelineEvent(0.0, f"Validating training file: {self.training_file}"),
            *(
                [TimelineEvent(0.0, f"Validating validation file: {self.validation_file}")]
                if self.validation_file
                else []
            ),
        )
        if self.invalid_reason:
            fixed(
                VALIDATE_SECONDS,
                TimelineEvent(
                    VALIDATE_SECONDS,
                    f"Training file {self.training_file} failed validation: {self.invalid_reason}",
                    level="error",
                    final=True,
                ),
            )
            return out
        fixed(VALIDATE_SECONDS, TimelineEvent(VALIDATE_SECONDS, "Files validated, moving job to queued state"))
        fixed(self.start_t, TimelineEvent(self.start_t, "Fine-tuning job started"))
        start, total, every = self.start_t, self.total_steps, self.metric_every
        first = max(1, math.floor((max(t0, start) - start) / STEP_SECONDS) + 1)
        last = min(total, math.floor((t1 - start) / STEP_SECONDS)) if t1 > start else 0
        for step in range(first, last + 1):
            t = start + step * STEP_SECONDS
            if not t0 < t <= t1:
                continue
            checkpoint = self.is_checkpoint_step(step)
            if step % every == 0 or step == total or checkpoint:
                m = self.metrics(step)
                message = f"Step {step}/{total}: training loss={m['train_loss']:.2f}"
                out.append(TimelineEvent(t, message, type="metrics", data=m))
            if checkpoint:
                out.append(
                    TimelineEvent(
                        t,
                        f"Checkpoint created at step {step} with Snapshot ID: {self.checkpoint_model(step)}",
                        checkpoint_step=step,
                    )
                )
        end = self.end_t
        fixed(
            end,
            TimelineEvent(end, f"New fine-tuned model created: {self.fine_tuned_model}"),
            TimelineEvent(end, "The job has successfully completed", final=True),
        )
        return out
