"""Base model discovery: which causal LMs on this machine can be trained and chatted with.

A base model is a Hugging Face folder holding ``config.json`` and a tokenizer with a chat
template. Three sources, first match wins: explicit ``NAME=PATH`` pairs; every such folder
directly under the given directories (named after its folder); the user's Hugging Face hub
cache (``models--org--name/snapshots/<rev>``, named ``org/name``), read from disk only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


class UnknownModel(LookupError):
    """No base model of that name; the message names the folders searched."""


@dataclass(frozen=True, slots=True)
class BaseModel:
    """One trainable base model: its name, folder, architecture and context length."""

    name: str
    path: Path
    architecture: str
    context_length: int | None
    source: str  # "explicit", "folder" or "hf-cache"


def hf_cache_dir() -> Path:
    """The hub cache transformers uses: $HF_HUB_CACHE, $HF_HOME/hub, or ~/.cache/huggingface/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "huggingface" / "hub"


def _read_json(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    config = _read_json(folder / "tokenizer_config.json") or {}
    return bool(config.get("chat_template"))


def context_length(config: Mapping[str, object]) -> int | None:
    """The longest sequence the model takes, from its config (text_config for multimodal ones)."""
    for doc in (config, config.get("text_config")):
        if isinstance(doc, Mapping):
            for key in _CONTEXT_KEYS:
                value = doc.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return value
    return None


def inspect_folder(folder: Path, name: str, source: str) -> BaseModel | None:
    """A BaseModel when ``folder`` holds a causal LM with a chat-templated tokenizer, else None."""
    config = _read_json(folder / "config.json")
    if config is None or not any((folder / f).is_file() for f in _TOKENIZER_FILES):
        return None
    architectures = config.get("architectures") or []
    arch = str(architectures[0]) if architectures else str(config.get("model_type", ""))
    if not arch.endswith("ForCausalLM") or not _has_chat_template(folder):
        return None
    return BaseModel(name, folder.resolve(), arch, context_length(config), source)


def _cache_models(cache: Path) -> Iterable[BaseModel]:
    if not cache.is_dir():
        return
    for repo in sorted(cache.glob("models--*")):
        name = repo.name.removeprefix("models--").replace("--", "/")
        ref = repo / "refs" / "main"
        snapshots = repo / "snapshots"
        candidates: list[Path] = []
        if ref.is_file():
            candidates.append(snapshots / ref.read_text().strip())
        if snapshots.is_dir():
            candidates += sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for snap in candidates:
            found = inspect_folder(snap, name, "hf-cache")
            if found:
                yield found
                break


def discover(
    dirs: Iterable[Path] = (), explicit: Mapping[str, Path] | None = None, hf_cache: Path | None = None
) -> dict[str, BaseModel]:
    """Every base model found, by name (explicit pairs, then folders, then the hub cache)."""
    found: dict[str, BaseModel] = {}
    for name, path in (explicit or {}).items():
        model = inspect_folder(Path(path), name, "explicit")
        if model is None:
            raise UnknownModel(f"{path} is not a causal language model folder with a chat template (for {name}).")
        found[name] = model
    for root in dirs:
        root = Path(root)
        if not root.is_dir():
            continue
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            model = inspect_folder(sub, sub.name, "folder")
            if model and model.name not in found:
                found[model.name] = model
    if hf_cache is not None:
        for model in _cache_models(hf_cache):
            found.setdefault(model.name, model)
    return found


def parse_pair(text: str) -> tuple[str, Path]:
    """``NAME=PATH`` as given on a command line; ValueError naming the text otherwise."""
    name, sep, path = text.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise ValueError(f"{text!r} is not NAME=PATH.")
    return name.strip(), Path(path.strip()).expanduser()


def resolve(
    name: str, dirs: Iterable[Path] = (), explicit: Mapping[str, Path] | None = None, hf_cache: Path | None = None
) -> BaseModel:
    """The base model called ``name``; UnknownModel naming every place searched otherwise."""
    dirs = [Path(d) for d in dirs]
    models = discover(dirs, explicit, hf_cache)
    if name in models:
        return models[name]
    searched = [str(d) for d in dirs] + ([str(hf_cache)] if hf_cache is not None else [])
    where = ", ".join(searched) if searched else "no folders"
    raise UnknownModel(f"No base model named {name!r}: searched {where}.")
