"""A training job's settings (the worker's SPEC.json) and how ``auto`` hyperparameters resolve.

The spec is what the server hands the worker: the API's hyperparameters (``auto`` allowed)
and the server-side knobs an OpenAI user never sees (LoRA rank and alpha, max length,
precision, device), all echoed into the run's ``metadata`` line.

Learning rate: ``learning_rate_multiplier`` x ``BASE_LEARNING_RATE`` (1e-4, a usual LoRA
rate). ``auto`` resolves as ftui's sandbox does: the multiplier to 1.8 (so 1.8e-4), epochs by
the cookbook rule (``ftui.data.stats.default_epochs``), batch size to 0.2% of the examples
(1 to 256), DPO's beta to 0.1.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ftui.data.stats import default_epochs

BASE_LEARNING_RATE = 1e-4
AUTO_LEARNING_RATE_MULTIPLIER = 1.8
AUTO_BETA = 0.1
METHODS = ("supervised", "dpo")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda", "mps")


class SpecError(ValueError):
    """A spec that cannot run; the message names the field."""


def auto_batch_size(n_examples: int) -> int:
    """0.2% of the examples, between 1 and 256 (the sandbox's rule)."""
    return max(1, min(256, math.ceil(n_examples * 0.002)))


@dataclass(slots=True)
class Spec:
    """Everything one training run needs; paths are absolute once loaded."""

    base_model: str
    training_file: str
    output_dir: str
    method: str = "supervised"
    validation_file: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    max_length: int = 1024
    precision: str = "auto"
    device: str = "auto"
    step_delay_s: float = 0.0  # slows each step (demos and tests of pause, cancel and resume)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Spec:
        """Check every field's type; SpecError naming the first bad one."""
        known = set(cls.__dataclass_fields__)
        for key in doc:
            if key not in known:
                raise SpecError(f"unknown spec field {key!r}.")
        for key in ("base_model", "training_file", "output_dir"):
            if not isinstance(doc.get(key), str) or not doc[key]:
                raise SpecError(f"{key} must be a non-empty string.")
        spec = cls(**doc)
        if spec.method not in METHODS:
            raise SpecError(f"method must be one of {', '.join(METHODS)}.")
        if spec.precision not in PRECISIONS:
            raise SpecError(f"precision must be one of {', '.join(PRECISIONS)}.")
        if spec.device not in DEVICES:
            raise SpecError(f"device must be one of {', '.join(DEVICES)}.")
        for key in ("seed", "lora_rank", "lora_alpha", "max_length"):
            value = getattr(spec, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "seed" else 1):
                raise SpecError(f"{key} must be a {'non-negative' if key == 'seed' else 'positive'} integer.")
        if not isinstance(spec.hyperparameters, dict):
            raise SpecError("hyperparameters must be an object.")
        return spec

    @classmethod
    def load(cls, path: Path) -> Spec:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SpecError(f"{path}: cannot read the spec ({exc.__class__.__name__}).") from None
        if not isinstance(doc, dict):
            raise SpecError(f"{path}: the spec is not a JSON object.")
        return cls.from_dict(doc)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _number(hp: dict[str, Any], key: str, default: Any, kind: type, low: float, high: float) -> Any:
    value = hp.get(key, "auto")
    if value == "auto":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not isinstance(value, int)):
        raise SpecError(f"hyperparameters.{key} must be 'auto' or a number.")
    if not low <= value <= high:
        raise SpecError(f"hyperparameters.{key} must be between {low} and {high}.")
    return kind(value)


def resolve_hyperparameters(hp: dict[str, Any], n_examples: int, method: str) -> dict[str, Any]:
    """The hyperparameters with every ``auto`` replaced, as the job reports them back."""
    out: dict[str, Any] = {
        "n_epochs": _number(hp, "n_epochs", default_epochs(n_examples), int, 1, 50),
        "batch_size": _number(hp, "batch_size", auto_batch_size(n_examples), int, 1, 256),
        "learning_rate_multiplier": _number(
            hp, "learning_rate_multiplier", AUTO_LEARNING_RATE_MULTIPLIER, float, 1e-6, 100
        ),
    }
    if method == "dpo":
        out["beta"] = _number(hp, "beta", AUTO_BETA, float, 1e-6, 2)
    return out
