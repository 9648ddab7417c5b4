"""Fixtures for the local trainer: a tiny model built offline, toy data, the worker as a process.

Every test here needs the ``ftui[train]`` extra (``make test`` installs it); without it the
whole folder is skipped with one reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

try:
    import ftui.local  # noqa: F401
except ImportError as exc:
    pytest.skip(f"the train extra is not installed ({exc})", allow_module_level=True)

from ftui.local.callbacks import read_events
from ftui.local.tiny import build_tiny_model, corpus_lines

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
CITIES = ("London", "Paris", "Rome", "Oslo", "Madrid", "Berlin", "Dublin", "Vienna")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer Llama with a BPE tokenizer trained on sample_data (a few seconds)."""
    folder = tmp_path_factory.mktemp("models") / "tiny-llama"
    return build_tiny_model(folder, corpus_lines(sorted(SAMPLES.glob("*.jsonl"))))


def toy_rows(n: int = 16) -> list[dict[str, Any]]:
    """A learnable task: the answer repeats the city asked about in a fixed sentence."""
    return [
        {
            "messages": [
                {"role": "user", "content": f"Weather in {CITIES[i % len(CITIES)]}?"},
                {"role": "assistant", "content": f"{CITIES[i % len(CITIES)]}: sunny, 20 degrees."},
            ]
        }
        for i in range(n)
    ]


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def make_spec(tmp_path: Path, tiny_model: Path) -> Callable[..., Path]:
    """Write a SFT spec on the toy data (fields overridable) and return its path."""

    def make(name: str = "job", rows: int = 16, validation: bool = False, **fields: Any) -> Path:
        train = write_rows(tmp_path / f"{name}-train.jsonl", toy_rows(rows))
        spec: dict[str, Any] = {
            "base_model": str(tiny_model),
            "training_file": str(train),
            "output_dir": str(tmp_path / name),
            "hyperparameters": {"n_epochs": 3, "batch_size": 4, "learning_rate_multiplier": 20},
            "seed": 7,
            "device": "cpu",
            "max_length": 64,
        }
        if validation:
            spec["validation_file"] = str(write_rows(tmp_path / f"{name}-valid.jsonl", toy_rows(4)))
        spec |= fields
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        return path

    return make


def worker_env() -> dict[str, str]:
    """One thread per process: the test machines have two cores shared by many runs."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def start_worker(spec: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ftui.local.worker", str(spec), *extra],
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def events(spec: Path) -> list[dict[str, Any]]:
    out = Path(json.loads(spec.read_text())["output_dir"])
    return list(read_events(out / "events.jsonl"))


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 180.0) -> Any:
    """Poll until ``condition`` is truthy (bounded: a stuck run fails instead of hanging)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def steps(evs: list[dict[str, Any]]) -> list[int]:
    return [e["step"] for e in evs if e["type"] == "step"]


@pytest.fixture(scope="session")
def trained_adapter(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    """A LoRA adapter trained in this process on the toy task (a few seconds): ``final/``."""
    from ftui.local.spec import Spec
    from ftui.local.train import run

    folder = tmp_path_factory.mktemp("trained")
    train = write_rows(folder / "train.jsonl", toy_rows(16))
    spec = Spec(
        base_model=str(tiny_model),
        training_file=str(train),
        output_dir=str(folder / "job"),
        hyperparameters={"n_epochs": 4, "batch_size": 4, "learning_rate_multiplier": 30},
        seed=3,
        device="cpu",
        max_length=64,
    )
    outcome = run(spec)
    assert outcome.status == "succeeded" and outcome.adapter is not None
    return outcome.adapter
