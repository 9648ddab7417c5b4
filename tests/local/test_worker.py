"""The worker as its own process: a SFT job on the CPU, pause, kill -9 and resume, cancel, 2 processes."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from peft import PeftModel
from transformers import AutoModelForCausalLM

from tests.local.conftest import events, start_worker, steps, wait_for, worker_env

SANDBOX_RESULT_COLUMNS = ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"]


def _finish(proc: subprocess.Popen[bytes], timeout: float = 300) -> int:
    try:
        return proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_sft_job_records_each_step_once_and_its_loss_falls(make_spec, tiny_model: Path) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("sft", validation=True, lora_rank=4, lora_alpha=8)
    proc = start_worker(spec)
    assert _finish(proc) == 0, proc.stderr.read().decode() if proc.stderr else ""
    evs = events(spec)
    assert steps(evs) == list(range(1, 13))  # 16 examples / batch 4 x 3 epochs, one line each
    meta = next(e for e in evs if e["type"] == "metadata")
    assert meta["hyperparameters"] == {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 20.0}
    assert (meta["lora_rank"], meta["lora_alpha"], meta["max_length"], meta["device"]) == (4, 8, 64, "cpu")
    assert meta["precision"] == "fp32" and meta["total_steps"] == 12
    step_lines = [e for e in evs if e["type"] == "step"]
    assert all(e["valid_loss"] is not None and e["device_memory_bytes"] > 0 for e in step_lines)
    first, last = step_lines[0]["train_loss"], step_lines[-1]["train_loss"]
    assert last < first - 0.1, (first, last)
    full = [e["full_valid_loss"] for e in evs if e["type"] == "validation"]
    assert len(full) == 3 and full[2] < full[0]
    checkpoints = [e for e in evs if e["type"] == "checkpoint"]
    assert [c["step"] for c in checkpoints] == [4, 8, 12]
    assert checkpoints[0]["metrics"]["full_valid_loss"] == full[0]
    out = Path(json.loads(spec.read_text())["output_dir"])
    adapter = Path(checkpoints[0]["path"])
    assert (adapter / "adapter_model.safetensors").is_file()
    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), adapter)  # loads
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == SANDBOX_RESULT_COLUMNS and [int(r[0]) for r in rows[1:]] == list(range(1, 13))
    assert evs[-1]["type"] == "status" and evs[-1]["status"] == "succeeded"
    assert (out / "final" / "adapter_model.safetensors").is_file()


def test_a_paused_then_killed_run_resumes_from_its_last_checkpoint(make_spec) -> None:  # type: ignore[no-untyped-def]
    # 8 examples / batch 4 x 3 epochs = 6 steps; checkpoints at the epoch ends (2, 4, 6)
    spec = make_spec("resume", rows=8, step_delay_s=0.4)
    out = Path(json.loads(spec.read_text())["output_dir"])
    proc = start_worker(spec)
    wait_for(lambda: steps(events(spec)), "the first step")
    (out / "PAUSE").touch()
    assert _finish(proc) == 3  # paused
    evs = events(spec)
    paused_at = evs[-1]["step"]
    assert evs[-1]["status"] == "paused" and (out / "checkpoints" / f"checkpoint-{paused_at}").is_dir()
    assert not (out / "PAUSE").exists()

    proc = start_worker(spec)  # resumes from the pause, then dies hard after the epoch-2 checkpoint
    wait_for(lambda: [s for s in steps(events(spec)) if s >= 5], "a step after the second checkpoint")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    killed = events(spec)
    assert not [e for e in killed if e["type"] == "status" and e["status"] == "succeeded"]

    proc = start_worker(spec)
    assert _finish(proc) == 0
    evs = events(spec)
    starts = [e["resumed_from_step"] for e in evs if e["type"] == "started"]
    assert starts == [None, paused_at, 4]
    assert steps(evs) == [1, 2, 3, 4, 5, 6]  # each once: the lines after checkpoint 4 were redone
    assert [e["step"] for e in evs if e["type"] == "checkpoint"] == sorted({paused_at, 2, 4, 6})
    assert evs[-1]["status"] == "succeeded"


def test_cancel_stops_the_worker_within_two_seconds(make_spec) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("cancel", step_delay_s=1.5, hyperparameters={"n_epochs": 10, "batch_size": 4})
    out = Path(json.loads(spec.read_text())["output_dir"])
    proc = start_worker(spec)
    wait_for(lambda: steps(events(spec)), "the first step")
    asked = time.monotonic()
    (out / "CANCEL").touch()
    assert _finish(proc, timeout=30) == 4
    assert time.monotonic() - asked < 2.0
    evs = events(spec)
    assert evs[-1]["type"] == "status" and evs[-1]["status"] == "cancelled"
    assert not (out / "final").exists()


def test_two_cpu_processes_under_accelerate_write_one_record(make_spec) -> None:  # type: ignore[no-untyped-def]
    spec = make_spec("ddp", rows=8, hyperparameters={"n_epochs": 2, "batch_size": 4})
    out = Path(json.loads(spec.read_text())["output_dir"])
    # --multi_gpu makes accelerate start the processes through torchrun (its --cpu starts one unless
    # mpirun is installed); the spec's device "cpu" has each use the CPU and DDP over gloo.
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
    launch += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    launch += ["--main_process_port", str(29500 + os.getpid() % 1000), "-m", "ftui.local.worker", str(spec)]
    proc = subprocess.run(launch, env=worker_env(), capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    evs = events(spec)
    assert next(e for e in evs if e["type"] == "metadata")["processes"] == 2
    assert steps(evs) == [1, 2, 3, 4]  # global batch 4 = 2 per process: 8 / 4 x 2 epochs
    assert [e["step"] for e in evs if e["type"] == "checkpoint"] == [2, 4]
    assert [e["status"] for e in evs if e["type"] == "status"] == ["succeeded"]
    assert sorted(p.name for p in (out / "checkpoints").glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
