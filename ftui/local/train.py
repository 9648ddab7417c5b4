"""One training run: TRL's SFTTrainer or DPOTrainer with a PEFT LoRA adapter, on a spec.

The run writes under ``spec.output_dir``: ``events.jsonl`` (the protocol, see
``ftui.local.worker``), ``checkpoints/checkpoint-<step>/`` (a LoRA adapter folder plus the
optimizer state to resume from; one per epoch end and one on pause), ``final/`` (the adapter)
and ``results.csv``. A run started on a folder that already holds checkpoints resumes from the
last one; its record forgets the steps after it, so every step appears once.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.local.callbacks import Control, EventLog, MetricsCallback, is_main_process
from ftui.local.data import load_chat, load_preferences
from ftui.local.spec import BASE_LEARNING_RATE, Spec, resolve_hyperparameters

CHECKPOINTS = "checkpoints"
FINAL = "final"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: succeeded or paused, at which step, with which adapter."""

    status: str
    step: int
    adapter: Path | None


def pick_device(requested: str) -> str:
    """``auto``: CUDA when present, else Apple's MPS, else the CPU."""
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_precision(requested: str, device: str) -> str:
    """``auto``: bf16 on a CUDA device that has it, else fp32."""
    import torch

    if requested != "auto":
        return requested
    return "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp32"


def last_checkpoint(job_dir: Path) -> Path | None:
    """The newest complete checkpoint folder (one the trainer finished writing), if any."""
    folder = Path(job_dir) / CHECKPOINTS
    done = [p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    return max(done, key=lambda p: int(p.name.rsplit("-", 1)[1]), default=None)


def _valid_batches(rows: dict[str, list[list[int]]], batch_size: int, pad_id: int) -> Any:
    """Padded validation batches, round and round (one per training step)."""
    import torch

    n = len(rows["input_ids"])

    def batch(start: int) -> dict[str, Any]:
        idx = [(start + i) % n for i in range(min(batch_size, n))]
        width = max(len(rows["input_ids"][i]) for i in idx)
        ids = [rows["input_ids"][i] + [pad_id] * (width - len(rows["input_ids"][i])) for i in idx]
        labels = [rows["labels"][i] + [-100] * (width - len(rows["labels"][i])) for i in idx]
        mask = [[1] * len(rows["input_ids"][i]) + [0] * (width - len(rows["input_ids"][i])) for i in idx]
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}

    return (batch(start) for start in itertools.count(0, batch_size))


def run(spec: Spec, control: Control | None = None) -> Outcome:
    """Train per ``spec`` (resuming when it can); DataError / SpecError on bad input."""
    import datasets
    import torch
    import transformers
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    job_dir = Path(spec.output_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    main = is_main_process()
    log = EventLog(job_dir, main)
    control = control or Control(job_dir)
    resume = last_checkpoint(job_dir)
    resume_step = int(resume.name.rsplit("-", 1)[1]) if resume else None
    if resume_step is not None:
        log.forget_after(resume_step)
    log.write("started", resumed_from_step=resume_step)

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    set_seed(spec.seed)
    device = pick_device(spec.device)
    precision = pick_precision(spec.precision, device)
    tokenizer = AutoTokenizer.from_pretrained(spec.base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token

    valid_rows = None
    if spec.method == "supervised":
        train_set = load_chat(Path(spec.training_file), tokenizer, spec.max_length)
        train_ds = Dataset.from_dict(train_set.as_columns())
        n_examples, extra = (
            len(train_set.examples),
            {"dropped_examples": train_set.dropped, "truncated_examples": train_set.truncated},
        )
        eval_ds = None
        if spec.validation_file:
            valid_rows = load_chat(Path(spec.validation_file), tokenizer, spec.max_length).as_columns()
            eval_ds = Dataset.from_dict(valid_rows)
    else:
        pairs = load_preferences(Path(spec.training_file))
        train_ds, n_examples, extra = Dataset.from_list(pairs), len(pairs), {}
        eval_ds = Dataset.from_list(load_preferences(Path(spec.validation_file))) if spec.validation_file else None

    hp = resolve_hyperparameters(spec.hyperparameters, n_examples, spec.method)
    world = max(1, int(__import__("os").environ.get("WORLD_SIZE", "1")))
    per_device = max(1, math.ceil(hp["batch_size"] / world))
    learning_rate = BASE_LEARNING_RATE * hp["learning_rate_multiplier"]
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    model = AutoModelForCausalLM.from_pretrained(spec.base_model, dtype=dtype)
    lora = LoraConfig(
        r=spec.lora_rank,
        lora_alpha=spec.lora_alpha,
        lora_dropout=spec.lora_dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    common: dict[str, Any] = {
        "output_dir": str(job_dir / CHECKPOINTS),
        "num_train_epochs": hp["n_epochs"],
        "per_device_train_batch_size": per_device,
        "per_device_eval_batch_size": per_device,
        "learning_rate": learning_rate,
        "lr_scheduler_type": "linear",
        "logging_steps": 1,
        "save_strategy": "epoch",
        "eval_strategy": "epoch" if eval_ds is not None else "no",
        "report_to": [],
        "seed": spec.seed,
        "data_seed": spec.seed,
        "use_cpu": device == "cpu",
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "max_length": spec.max_length,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "save_only_model": False,
        "ddp_find_unused_parameters": False,  # LoRA trains every adapter weight it adds
    }
    metadata = {
        "base_model": spec.base_model,
        "method": spec.method,
        "hyperparameters": hp,
        "learning_rate": learning_rate,
        "base_learning_rate": BASE_LEARNING_RATE,
        "seed": spec.seed,
        "lora_rank": spec.lora_rank,
        "lora_alpha": spec.lora_alpha,
        "lora_dropout": spec.lora_dropout,
        "max_length": spec.max_length,
        "precision": precision,
        "device": device,
        "n_examples": n_examples,
        **extra,
    }
    batches = _valid_batches(valid_rows, per_device, tokenizer.pad_token_id) if valid_rows else None
    callback = MetricsCallback(log, control, device, metadata, batches, spec.step_delay_s)
    if spec.method == "supervised":
        from trl import SFTConfig, SFTTrainer

        trainer: Any = SFTTrainer(  # or a DPOTrainer: what follows uses what both have
            model=model,
            args=SFTConfig(**common, packing=False),
            train_dataset=train_ds,
            eval_dataset=eval_ds,
            processing_class=tokenizer,
            peft_config=lora,
            callbacks=[callback],
        )
    else:
        from trl import DPOConfig, DPOTrainer

        trainer = DPOTrainer(
            model=model,
            args=DPOConfig(**common, beta=hp["beta"]),
            train_dataset=train_ds,
            eval_dataset=eval_ds,
            processing_class=tokenizer,
            peft_config=lora,
            callbacks=[callback],
        )
    from transformers import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # the record is events.jsonl; stdout stays quiet
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    step = trainer.state.global_step
    if control.paused:
        log.write("status", status="paused", step=step, checkpoint=str(job_dir / CHECKPOINTS / f"checkpoint-{step}"))
        return Outcome("paused", step, None)
    final = job_dir / FINAL
    trainer.save_model(str(final))
    if main:
        tokenizer.save_pretrained(str(final))
    results = log.write_results(job_dir)
    log.write("status", status="succeeded", step=step, adapter=str(final), results_file=str(results))
    return Outcome("succeeded", step, final)
