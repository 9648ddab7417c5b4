"""Training data: OpenAI chat JSONL to token ids with an assistant-only loss mask; DPO pairs.

The mask is built by rendering the chat template prefix by prefix, so it works for templates
without ``{% generation %}`` markers: for assistant message ``i``, the text the template adds
between ``messages[:i]`` with a generation prompt and ``messages[:i+1]`` is that turn (its
content, tool calls and end-of-turn token). Tokens whose characters start inside a trained
turn get loss; everything else (system, user, tool results, role headers, turns with
``"weight": 0``) does not. Examples are truncated to a maximum length (keeping the start).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

IGNORE = -100


class DataError(ValueError):
    """A training file that cannot be used; the message names the path and line."""


@dataclass(slots=True)
class Tokenized:
    """One example: its token ids and labels (the id where trained, -100 elsewhere)."""

    input_ids: list[int]
    labels: list[int]

    @property
    def trained(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


@dataclass(slots=True)
class TokenizedSet:
    """A tokenized file: the examples kept and how many were dropped (nothing left to train)."""

    examples: list[Tokenized] = field(default_factory=list)
    dropped: int = 0
    truncated: int = 0

    def as_columns(self) -> dict[str, list[list[int]]]:
        return {"input_ids": [e.input_ids for e in self.examples], "labels": [e.labels for e in self.examples]}


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; DataError naming path:line otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc.__class__.__name__}).") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            raise DataError(f"{path}:{number}: the line is not JSON.") from None
        if not isinstance(doc, dict):
            raise DataError(f"{path}:{number}: the line is not a JSON object.")
        yield number, doc


def _template_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as templates expect them: without ftui/OpenAI-only keys such as ``weight``."""
    return [{k: v for k, v in m.items() if k != "weight"} for m in messages]


def _render(tokenizer: Any, messages: list[dict[str, Any]], tools: Any, generation_prompt: bool) -> str:
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": generation_prompt}
    if tools:
        kwargs["tools"] = tools
    return tokenizer.apply_chat_template(messages, **kwargs)


def trained_spans(tokenizer: Any, messages: Sequence[dict[str, Any]], tools: Any = None) -> tuple[str, list[range]]:
    """The rendered conversation and the character ranges of the assistant turns to train on."""
    clean = _template_messages(messages)
    full = _render(tokenizer, clean, tools, False)
    spans: list[range] = []
    for i, message in enumerate(messages):
        if message.get("role") != "assistant" or message.get("weight", 1) == 0:
            continue
        before = _render(tokenizer, clean[:i], tools, True) if i else _render(tokenizer, [], tools, True)
        upto = _render(tokenizer, clean[: i + 1], tools, False)
        if not full.startswith(upto) or not upto.startswith(before):
            raise DataError("the chat template does not render a conversation prefix by prefix")
        if len(upto) > len(before):
            spans.append(range(len(before), len(upto)))
    return full, spans


def tokenize_chat(
    tokenizer: Any, messages: Sequence[dict[str, Any]], tools: Any = None, max_length: int | None = None
) -> tuple[Tokenized, bool]:
    """Token ids and assistant-only labels for one conversation, and whether it was truncated."""
    text, spans = trained_spans(tokenizer, messages, tools)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = list(enc["input_ids"])
    labels = [IGNORE] * len(ids)
    for pos, (start, _end) in enumerate(enc["offset_mapping"]):
        if any(start in span for span in spans):
            labels[pos] = ids[pos]
    truncated = max_length is not None and len(ids) > max_length
    if truncated:
        ids, labels = ids[:max_length], labels[:max_length]
    return Tokenized(ids, labels), truncated


def load_chat(path: Path, tokenizer: Any, max_length: int | None = None) -> TokenizedSet:
    """Tokenize a chat JSONL file (``messages``, optional ``tools``); drop examples left with no loss."""
    out = TokenizedSet()
    for number, doc in read_jsonl(path):
        messages = doc.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise DataError(f"{path}:{number}: messages must be a list of message objects.")
        try:
            example, truncated = tokenize_chat(tokenizer, messages, doc.get("tools"), max_length)
        except DataError as exc:
            raise DataError(f"{path}:{number}: {exc}.") from None
        except Exception as exc:  # the template raised: the example does not fit the model's format
            raise DataError(f"{path}:{number}: the model's chat template rejects the example ({exc}).") from None
        out.truncated += truncated
        if example.trained:
            out.examples.append(example)
        else:
            out.dropped += 1
    if not out.examples:
        raise DataError(f"{path}: no example has an assistant message to train on.")
    return out


def load_preferences(path: Path) -> list[dict[str, Any]]:
    """OpenAI preference rows as TRL's conversational ``prompt`` / ``chosen`` / ``rejected``."""
    rows = []
    for number, doc in read_jsonl(path):
        prompt = (doc.get("input") or {}).get("messages") if isinstance(doc.get("input"), dict) else None
        chosen, rejected = doc.get("preferred_output"), doc.get("non_preferred_output")
        for name, value in (
            ("input.messages", prompt),
            ("preferred_output", chosen),
            ("non_preferred_output", rejected),
        ):
            if not isinstance(value, list) or not value or not all(isinstance(m, dict) for m in value):
                raise DataError(f"{path}:{number}: {name} must be a non-empty list of messages.")
        rows.append(
            {
                "prompt": _template_messages(cast(list[dict[str, Any]], prompt)),  # checked just above
                "chosen": _template_messages(cast(list[dict[str, Any]], chosen)),
                "rejected": _template_messages(cast(list[dict[str, Any]], rejected)),
            }
        )
    if not rows:
        raise DataError(f"{path}: the file has no preference pairs.")
    return rows


def count_examples(path: Path) -> int:
    """How many examples (non-blank lines) a JSONL file holds."""
    return sum(1 for _ in read_jsonl(path))
