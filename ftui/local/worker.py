"""The trainer's process: ``python -m ftui.local.worker SPEC.json`` (or under ``accelerate launch``).

Protocol (all under the spec's ``output_dir``; only the main process writes):

``events.jsonl``, one JSON object per line, each with ``type`` and ``time`` (Unix seconds):

- ``started``: ``resumed_from_step`` (null on a fresh run).
- ``metadata``: the resolved ``hyperparameters`` (n_epochs, batch_size,
  learning_rate_multiplier, beta for DPO), ``learning_rate``, the server-side knobs
  (``lora_rank``, ``lora_alpha``, ``lora_dropout``, ``max_length``, ``precision``, ``device``),
  ``seed``, ``n_examples``, ``total_steps``, ``trainable_parameters``, ``processes``.
- ``step``: ``step``, ``total_steps``, ``epoch``, ``train_loss``,
  ``train_mean_token_accuracy``, ``valid_loss`` and ``valid_mean_token_accuracy`` (one
  validation batch, when there is a validation file), ``learning_rate``,
  ``tokens_per_second``, ``device_memory_bytes``. Once per step. The server turns it into the
  API's ``Step n/N: training loss=…`` metrics event, with these numbers as its ``data``.
- ``validation``: ``step``, ``epoch``, ``full_valid_loss``, ``full_valid_mean_token_accuracy``
  (the whole validation file, at each epoch end).
- ``checkpoint``: ``step``, ``epoch``, ``path`` (a LoRA adapter folder), ``metrics``.
- ``status``: ``status`` = succeeded (``adapter``, ``results_file``), paused
  (``checkpoint``), cancelled, or failed (``message``, one sentence). The last one is final.

Resuming (run the same spec again) starts from the last checkpoint; the lines after it are
removed first, so each step appears once. Control: create ``PAUSE`` in the folder (or send
SIGUSR1) to save a checkpoint and stop after the current step; create ``CANCEL`` (or send
SIGTERM) to stop within 0.1 s with nothing saved. ``results.csv`` has OpenAI's columns
(step, train_loss, train_accuracy, valid_loss, valid_mean_token_accuracy).

Exit status: 0 succeeded, 1 failed, 2 bad spec or data, 3 paused, 4 cancelled.
"""

from __future__ import annotations

import signal
import sys
import traceback
from pathlib import Path

EXIT_FAILED, EXIT_INPUT, EXIT_PAUSED = 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    """Run the spec named on the command line; the exit status says how it ended."""
    from ftui.local.callbacks import Control, EventLog, is_main_process
    from ftui.local.data import DataError
    from ftui.local.models import UnknownModel
    from ftui.local.spec import Spec, SpecError

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ftui.local.worker SPEC.json", file=sys.stderr)
        return EXIT_INPUT
    try:
        spec = Spec.load(Path(args[0]))
    except SpecError as exc:
        print(f"ftui.local.worker: {exc}", file=sys.stderr)
        return EXIT_INPUT
    job_dir = Path(spec.output_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    log = EventLog(job_dir, is_main_process())
    control = Control(job_dir)
    signal.signal(signal.SIGUSR1, lambda *_: control.pause.set())
    signal.signal(signal.SIGTERM, lambda *_: control.cancel.set())
    control.watch_cancel(lambda: log.write("status", status="cancelled"))
    try:
        from ftui.local.train import run

        outcome = run(spec, control)
    except (DataError, SpecError, UnknownModel, OSError) as exc:
        message = str(exc).rstrip(".") + "."
        log.write("status", status="failed", message=message)
        print(f"ftui.local.worker: {message}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:
        (job_dir / "error.log").write_text(traceback.format_exc(), encoding="utf-8")
        message = f"training failed: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(
            ": "
        )
        log.write("status", status="failed", message=message + ".")
        print(f"ftui.local.worker: {message} (details in {job_dir / 'error.log'}).", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_PAUSED if outcome.status == "paused" else 0


if __name__ == "__main__":
    sys.exit(main())
