"""Training in this process: DPO with beta, and a seed that makes a run repeatable."""

from __future__ import annotations

from pathlib import Path

from ftui.local.callbacks import read_events
from ftui.local.spec import Spec
from ftui.local.train import run
from tests.local.conftest import SAMPLES, toy_rows, write_rows


def test_dpo_trains_on_openai_preference_pairs_with_beta(tiny_model: Path, tmp_path: Path) -> None:
    spec = Spec(
        base_model=str(tiny_model),
        training_file=str(SAMPLES / "dpo.jsonl"),
        output_dir=str(tmp_path / "dpo"),
        method="dpo",
        hyperparameters={"n_epochs": 1, "batch_size": 4, "beta": 0.2},
        device="cpu",
        max_length=128,
    )
    outcome = run(spec)
    assert outcome.status == "succeeded" and (outcome.adapter / "adapter_model.safetensors").is_file()
    evs = list(read_events(tmp_path / "dpo" / "events.jsonl"))
    meta = next(e for e in evs if e["type"] == "metadata")
    assert meta["hyperparameters"]["beta"] == 0.2 and meta["total_steps"] == 3  # 11 pairs / 4
    step_lines = [e for e in evs if e["type"] == "step"]
    assert [e["step"] for e in step_lines] == [1, 2, 3]
    assert all(e["train_loss"] is not None and "rewards_accuracy" in e for e in step_lines)


def _losses(tiny_model: Path, tmp_path: Path, name: str, seed: int) -> list[float]:
    train = write_rows(tmp_path / "train.jsonl", toy_rows(8))
    spec = Spec(
        base_model=str(tiny_model),
        training_file=str(train),
        output_dir=str(tmp_path / name),
        hyperparameters={"n_epochs": 1, "batch_size": 2, "learning_rate_multiplier": 20},
        seed=seed,
        device="cpu",
        max_length=64,
    )
    run(spec)
    return [e["train_loss"] for e in read_events(tmp_path / name / "events.jsonl") if e["type"] == "step"]


def test_the_same_seed_repeats_a_run(tiny_model: Path, tmp_path: Path) -> None:
    first = _losses(tiny_model, tmp_path, "a", seed=11)
    assert len(first) == 4
    assert _losses(tiny_model, tmp_path, "b", seed=11) == first
    assert _losses(tiny_model, tmp_path, "c", seed=12) != first
