"""The chat engine: a base model, or a base model with a LoRA adapter, answering chat messages.

``ChatEngine.complete`` returns whole choices; ``ChatEngine.stream`` yields text pieces as
transformers' ``TextIteratorStreamer`` produces them (generation runs on a thread). Both honour
``max_tokens``, ``temperature`` (0 = greedy), ``stop`` strings, ``n`` and ``seed``, and count
usage in tokens. Loaded models are kept in an LRU bounded by the bytes their weights take.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MEMORY_BYTES = 8 * 1024**3


@dataclass(slots=True)
class Choice:
    """One generated answer and why it ended (``stop`` or ``length``)."""

    text: str
    finish_reason: str


@dataclass(slots=True)
class Completion:
    """The answers to one request and its usage."""

    choices: list[Choice]
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(slots=True)
class Loaded:
    """A model ready to generate: weights (adapter applied), tokenizer, size in bytes."""

    model: Any
    tokenizer: Any
    nbytes: int
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    cuts = [text.find(s) for s in stop if s and s in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


class ChatEngine:
    """Generates with local models; ``(base, adapter)`` pairs stay loaded while memory allows."""

    def __init__(self, max_bytes: int = DEFAULT_MEMORY_BYTES, device: str = "cpu", dtype: str = "fp32") -> None:
        self.max_bytes = max_bytes
        self.device = device
        self.dtype = dtype
        self._models: OrderedDict[tuple[str, str | None], Loaded] = OrderedDict()
        self._lock = threading.Lock()

    # -- loading -------------------------------------------------------------------------
    def loaded(self) -> list[tuple[str, str | None]]:
        """The (base, adapter) pairs in memory, least recently used first."""
        return list(self._models)

    def load(self, base: Path | str, adapter: Path | str | None = None) -> Loaded:
        """The model for ``base`` (+ ``adapter``), loading it and evicting the least recently used."""
        key = (str(base), str(adapter) if adapter else None)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        loaded = self._load(Path(base), Path(adapter) if adapter else None)
        with self._lock:
            self._models[key] = loaded
            self._models.move_to_end(key)
            while len(self._models) > 1 and sum(m.nbytes for m in self._models.values()) > self.max_bytes:
                self._models.popitem(last=False)
        return loaded

    def _load(self, base: Path, adapter: Path | None) -> Loaded:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.dtype, torch.float32)
        model: Any = AutoModelForCausalLM.from_pretrained(base, dtype=dtype)  # a PeftModel once wrapped
        tokenizer_dir = adapter if adapter and (adapter / "tokenizer_config.json").is_file() else base
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter)
        model.to(self.device).eval()
        nbytes = sum(p.numel() * p.element_size() for p in model.parameters())
        return Loaded(model, tokenizer, nbytes)

    # -- generation ----------------------------------------------------------------------
    def _inputs(self, loaded: Loaded, messages: Sequence[dict[str, Any]], tools: Any = None) -> Any:
        kwargs: dict[str, Any] = {"add_generation_prompt": True, "return_tensors": "pt", "return_dict": True}
        if tools:
            kwargs["tools"] = tools
        enc = loaded.tokenizer.apply_chat_template(list(messages), **kwargs)
        return {k: v.to(self.device) for k, v in enc.items()}

    def _gen_kwargs(self, loaded: Loaded, max_tokens: int, temperature: float, stop: Sequence[str]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"max_new_tokens": max_tokens, "pad_token_id": loaded.tokenizer.pad_token_id}
        if temperature > 0:
            kwargs |= {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
        else:
            kwargs |= {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        if stop:
            kwargs |= {"stop_strings": list(stop), "tokenizer": loaded.tokenizer}
        return kwargs

    def complete(
        self,
        base: Path | str,
        messages: Sequence[dict[str, Any]],
        adapter: Path | str | None = None,
        *,
        max_tokens: int = 256,
        temperature: float = 1.0,
        stop: Sequence[str] = (),
        n: int = 1,
        seed: int | None = None,
        tools: Any = None,
    ) -> Completion:
        """``n`` answers to ``messages``, each cut at the first stop string."""
        import torch

        loaded = self.load(base, adapter)
        inputs = self._inputs(loaded, messages, tools)
        prompt_len = int(inputs["input_ids"].shape[1])
        choices, used = [], 0
        with loaded.lock, torch.no_grad():
            if seed is not None:
                torch.manual_seed(seed)
            for _ in range(n):
                out = loaded.model.generate(**inputs, **self._gen_kwargs(loaded, max_tokens, temperature, stop))
                new = out[0, prompt_len:]
                eos = loaded.tokenizer.eos_token_id
                ended = len(new) < max_tokens or (len(new) > 0 and int(new[-1]) == eos)
                used += len(new)
                text, stopped = _cut_at_stop(loaded.tokenizer.decode(new, skip_special_tokens=True), stop)
                choices.append(Choice(text, "stop" if stopped or ended else "length"))
        return Completion(choices, prompt_len, used)

    def stream(
        self,
        base: Path | str,
        messages: Sequence[dict[str, Any]],
        adapter: Path | str | None = None,
        *,
        max_tokens: int = 256,
        temperature: float = 1.0,
        stop: Sequence[str] = (),
        seed: int | None = None,
        tools: Any = None,
        usage: dict[str, int] | None = None,
    ) -> Iterator[str]:
        """Text pieces of one answer as they are generated; ``usage`` (if given) is filled at the end.

        Text that could begin a stop string is held back until it cannot, so no piece ever
        shows part of a stop string."""
        import torch
        from transformers import TextIteratorStreamer

        loaded = self.load(base, adapter)
        inputs = self._inputs(loaded, messages, tools)
        prompt_len = int(inputs["input_ids"].shape[1])
        streamer = TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
        result: dict[str, Any] = {}

        def generate() -> None:
            with loaded.lock, torch.no_grad():
                if seed is not None:
                    torch.manual_seed(seed)
                try:
                    kwargs = self._gen_kwargs(loaded, max_tokens, temperature, stop)
                    out = loaded.model.generate(**inputs, streamer=streamer, **kwargs)
                    result["tokens"] = int(out.shape[1]) - prompt_len
                except BaseException as exc:  # surfaced in the caller's thread below
                    result["error"] = exc
                    streamer.end()

        thread = threading.Thread(target=generate, name="ftui-chat-generate", daemon=True)
        thread.start()
        pending = ""
        longest = max((len(s) for s in stop), default=0)
        done = False
        for piece in streamer:
            if done:
                continue
            pending += piece
            text, stopped = _cut_at_stop(pending, stop)
            if stopped:
                if text:
                    yield text
                done, pending = True, ""
                continue
            keep = longest - 1 if longest else 0
            safe_len = len(pending) - keep
            if safe_len > 0:
                yield pending[:safe_len]
                pending = pending[safe_len:]
        thread.join()
        if "error" in result:
            raise result["error"]
        if pending and not done:
            yield pending
        if usage is not None:
            usage |= {"prompt_tokens": prompt_len, "completion_tokens": result.get("tokens", 0)}
