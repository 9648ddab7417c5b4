"""The run's record (``events.jsonl``) and the TrainerCallback that writes it; pause and cancel.

Only the main process writes. Each line is one JSON object with a ``type``; see
``ftui.local.worker`` for the protocol. Step lines come from the trainer's own logs
(``logging_steps=1``), full validation from its epoch-end evaluation, checkpoints from its
saves: nothing is measured twice.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from ftui.data.atomic import write_atomic

EVENTS_FILE = "events.jsonl"
RESULTS_FILE = "results.csv"
PAUSE_FLAG = "PAUSE"
CANCEL_FLAG = "CANCEL"
RESULTS_COLUMNS = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")
EXIT_CANCELLED = 4


def is_main_process() -> bool:
    """Rank 0 of a distributed launch, or a lone process."""
    return int(os.environ.get("RANK", "0")) == 0


class EventLog:
    """Appends protocol lines to ``events.jsonl`` (a no-op on other ranks)."""

    def __init__(self, job_dir: Path, main: bool = True) -> None:
        self.path = Path(job_dir) / EVENTS_FILE
        self.main = main
        self._lock = threading.Lock()

    def write(self, kind: str, **fields: Any) -> None:
        if not self.main:
            return
        line = json.dumps({"type": kind, "time": round(time.time(), 3), **fields}, separators=(",", ":"))
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()

    def read(self) -> list[dict[str, Any]]:
        return list(read_events(self.path))

    def forget_after(self, step: int) -> None:
        """Drop step, validation and checkpoint lines after ``step`` (before resuming from it)."""
        if not self.main or not self.path.exists():
            return
        keep = [
            json.dumps(e, separators=(",", ":"))
            for e in read_events(self.path)
            if e.get("type") not in ("step", "validation", "checkpoint") or int(e.get("step", 0)) <= step
        ]
        write_atomic(self.path, "".join(line + "\n" for line in keep).encode())

    def write_results(self, job_dir: Path) -> Path:
        """The results CSV in OpenAI's step-metrics columns, from the step lines."""
        rows = [",".join(RESULTS_COLUMNS)]
        for e in self.read():
            if e.get("type") == "step":
                values = (
                    e["step"],
                    e.get("train_loss"),
                    e.get("train_mean_token_accuracy"),
                    e.get("valid_loss"),
                    e.get("valid_mean_token_accuracy"),
                )
                rows.append(",".join("" if v is None else str(v) for v in values))
        path = Path(job_dir) / RESULTS_FILE
        if self.main:
            write_atomic(path, ("\n".join(rows) + "\n").encode())
        return path


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """The complete lines of an events file (a half-written last line is skipped)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for line in text.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            yield doc


class Control:
    """Pause and cancel requests, from flag files in the job folder or from signals."""

    def __init__(self, job_dir: Path) -> None:
        self.job_dir = Path(job_dir)
        self.pause = threading.Event()
        self.cancel = threading.Event()
        self.paused = False

    def pause_requested(self) -> bool:
        flag = self.job_dir / PAUSE_FLAG
        if flag.exists():
            self.pause.set()
        return self.pause.is_set()

    def consume_pause(self) -> None:
        self.paused = True
        if is_main_process():
            (self.job_dir / PAUSE_FLAG).unlink(missing_ok=True)

    def watch_cancel(self, on_cancel: Callable[[], None], every: float = 0.1) -> threading.Thread:
        """A daemon thread that calls ``on_cancel`` and ends the process once a cancel is asked for:
        torch releases the GIL in its kernels, so this acts within ``every`` seconds even mid-step."""

        def loop() -> None:
            flag = self.job_dir / CANCEL_FLAG
            while not self.cancel.wait(every):
                if flag.exists():
                    break
            try:
                on_cancel()
            finally:
                sys.stderr.flush()
                os._exit(EXIT_CANCELLED)

        thread = threading.Thread(target=loop, name="ftui-cancel-watch", daemon=True)
        thread.start()
        return thread


def device_memory_bytes(device: str) -> int:
    """Peak memory of the training device: CUDA's allocator, else this process's peak RSS."""
    if device == "cuda":
        import torch

        return int(torch.cuda.max_memory_allocated())
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _round(value: Any) -> float | None:
    return round(float(value), 6) if isinstance(value, int | float) and not isinstance(value, bool) else None


class MetricsCallback(TrainerCallback):
    """Turns the trainer's logs, evaluations and saves into protocol lines; acts on pause requests.

    ``valid_batches`` (optional) yields collated validation batches: each step's line gets the
    loss and token accuracy of the next one, like the API's per-step ``valid_loss``."""

    def __init__(
        self,
        log: EventLog,
        control: Control,
        device: str,
        metadata: dict[str, Any],
        valid_batches: Iterable[dict[str, Any]] | None = None,
        step_delay_s: float = 0.0,
    ) -> None:
        self.log = log
        self.control = control
        self.device = device
        self.metadata = metadata
        self.valid_batches = iter(valid_batches) if valid_batches is not None else None
        self.step_delay_s = step_delay_s
        self.last_step: dict[str, Any] = {}
        self.last_validation: dict[str, Any] = {}
        self._saved_step = -1
        self._tokens: tuple[float, float] | None = None  # (time, cumulative tokens) at the last log

    def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        model = kwargs.get("model")
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad) if model is not None else None
        self.log.write(
            "metadata",
            **self.metadata,
            total_steps=state.max_steps,
            trainable_parameters=trainable,
            processes=args.world_size,
        )
        self._tokens = (time.monotonic(), 0.0)

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if self.step_delay_s:
            time.sleep(self.step_delay_s)
        if self.control.pause_requested() and not control.should_training_stop:
            control.should_save = True
            control.should_training_stop = True
            self.control.consume_pause()

    def _valid_step(self, model: Any) -> dict[str, float | None]:
        if self.valid_batches is None or model is None:
            return {}
        import torch

        batch = next(self.valid_batches)
        device = next(model.parameters()).device
        batch = {k: v.to(device) for k, v in batch.items()}
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = model(**batch)
        if was_training:
            model.train()
        labels = batch["labels"][:, 1:]
        mask = labels != -100
        predicted = out.logits[:, :-1].argmax(-1)
        correct = ((predicted == labels) & mask).sum().item()
        return {
            "valid_loss": _round(out.loss.item()),
            "valid_mean_token_accuracy": _round(correct / max(1, mask.sum().item())),
        }

    def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
        logs = logs or {}
        if "eval_loss" in logs:
            self.last_validation = {
                "full_valid_loss": _round(logs["eval_loss"]),
                "full_valid_mean_token_accuracy": _round(logs.get("eval_mean_token_accuracy")),
            }
            if state.is_world_process_zero:
                self.log.write("validation", step=state.global_step, epoch=_round(state.epoch), **self.last_validation)
            return
        if "loss" not in logs:
            return  # the run's closing summary (train_runtime, ...)
        now = time.monotonic()
        tokens = float(logs.get("num_tokens", 0.0))
        rate = None
        if self._tokens is not None and now > self._tokens[0] and tokens:
            rate = round((tokens - self._tokens[1]) / (now - self._tokens[0]), 1)
        self._tokens = (now, tokens)
        if not state.is_world_process_zero:
            return
        self.last_step = {
            "step": state.global_step,
            "total_steps": state.max_steps,
            "epoch": _round(state.epoch),
            "train_loss": _round(logs["loss"]),
            "train_mean_token_accuracy": _round(logs.get("mean_token_accuracy")),
            **self._valid_step(kwargs.get("model")),
            "learning_rate": _round(logs.get("learning_rate")),
            "tokens_per_second": rate,
            "device_memory_bytes": device_memory_bytes(self.device),
        }
        if "rewards/accuracies" in logs:
            self.last_step["rewards_accuracy"] = _round(logs["rewards/accuracies"])
        self.log.write("step", **self.last_step)

    def on_save(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if not state.is_world_process_zero or state.global_step == self._saved_step:
            return  # a pause that lands on an epoch end saves the same checkpoint twice
        self._saved_step = state.global_step
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        metrics = {k: v for k, v in self.last_step.items() if k not in ("epoch",)}
        if self.last_validation:
            metrics |= self.last_validation
        self.log.write("checkpoint", step=state.global_step, epoch=_round(state.epoch), path=str(path), metrics=metrics)
        self.last_validation = {}
