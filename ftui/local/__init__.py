"""The local trainer: real LoRA fine-tuning (TRL + PEFT) and chat on this machine's own device.

Needs the optional extra (``pip install 'ftui[train]'``, after a torch build of your choice);
importing this package without it fails with one sentence saying what to install. Nothing here
imports Textual or the openai SDK: the sandbox's route groups reach this engine through a
trainer seam (``ftui.local.worker``, its own process) and a chat seam (``ftui.local.chat``).

Modules: ``models`` (base model discovery), ``data`` (chat JSONL to tokens with an
assistant-only loss mask; DPO pairs), ``spec`` (a job's settings and their resolution),
``train`` + ``callbacks`` (the TRL run and its metrics protocol), ``worker`` (the process entry
point), ``chat`` (generation), ``export`` (adapter or merged weights), ``tiny`` (a tiny model
built offline, for tests and benchmarks).
"""

from __future__ import annotations

import importlib.util

TRAIN_EXTRA_MODULES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets")


class TrainExtraMissing(ImportError):
    """The ``ftui[train]`` extra is not installed."""


def require_train_extra() -> None:
    """Raise TrainExtraMissing (one sentence) unless every package of ``ftui[train]`` is importable."""
    missing = [name for name in TRAIN_EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise TrainExtraMissing(
            f"The local trainer needs the train extra ({', '.join(missing)} missing): "
            "install torch for your device, then run pip install 'ftui[train]'."
        )


require_train_extra()
