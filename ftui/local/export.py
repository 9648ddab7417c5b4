"""Export a trained adapter: the adapter folder as it is, or merged into the base weights.

``python -m ftui.local.export ADAPTER OUT [--base BASE] [--merge]``: without ``--merge`` OUT
is a PEFT adapter folder (load it over the base model); with it, a complete Hugging Face model
folder (weights, config, tokenizer, chat template) that ``AutoModelForCausalLM`` loads alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


class ExportError(ValueError):
    """An adapter folder that cannot be exported; the message names it."""


def adapter_base(adapter: Path) -> str:
    """The base model the adapter was trained on (its ``base_model_name_or_path``)."""
    config_path = Path(adapter) / "adapter_config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ExportError(f"{adapter} is not a LoRA adapter folder (no readable adapter_config.json).") from None
    base = config.get("base_model_name_or_path")
    if not isinstance(base, str) or not base:
        raise ExportError(f"{config_path} does not name its base model; give --base.")
    return base


def export_adapter(adapter: Path, out: Path) -> Path:
    """Copy the adapter's own files (weights, config, tokenizer) to ``out``."""
    adapter, out = Path(adapter), Path(out)
    adapter_base(adapter)
    out.mkdir(parents=True, exist_ok=True)
    for item in adapter.iterdir():
        if item.is_file() and item.name not in ("optimizer.pt", "scheduler.pt", "rng_state.pth", "training_args.bin"):
            shutil.copy2(item, out / item.name)
    return out


def export_merged(adapter: Path, out: Path, base: Path | str | None = None) -> Path:
    """Fold the LoRA weights into the base model and save a standalone Hugging Face folder."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter, out = Path(adapter), Path(out)
    base = base or adapter_base(adapter)
    model = AutoModelForCausalLM.from_pretrained(base)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp)
    tokenizer_dir = adapter if (adapter / "tokenizer_config.json").is_file() else base
    AutoTokenizer.from_pretrained(tokenizer_dir).save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ftui.local.export", description=__doc__.splitlines()[0])
    parser.add_argument("adapter", type=Path, help="an adapter folder (a checkpoint or final/)")
    parser.add_argument("out", type=Path, help="the folder to write")
    parser.add_argument("--merge", action="store_true", help="write merged weights, not the adapter")
    parser.add_argument("--base", help="the base model folder (default: the one the adapter names)")
    args = parser.parse_args(argv)
    try:
        path = (
            export_merged(args.adapter, args.out, args.base) if args.merge else export_adapter(args.adapter, args.out)
        )
    except (ExportError, OSError) as exc:
        print(f"ftui.local.export: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
