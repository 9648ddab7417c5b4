"""How sandbox models answer: base models plainly generic, fine-tuned ones in the trained style.

A fine-tuned model (or one of its checkpoints) replies with the assistant turn of the training
example whose user message shares the most words with the last user message.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")


def words(text: str) -> set[str]:
    """Lower-cased words; CJK text counts each character, so Chinese matches too."""
    out: set[str] = set()
    for w in _WORD.findall(text.lower()):
        if _CJK.search(w):
            out.update(ch for ch in w if _CJK.match(ch))
        else:
            out.add(w)
    return out


@dataclass(frozen=True, slots=True)
class Pair:
    """One (user prompt, assistant reply) from a training file."""

    prompt_words: frozenset[str]
    reply: str


def load_pairs(path: Path, limit: int = 20_000) -> list[Pair]:
    """Read (last user message, next assistant reply) pairs from a JSONL training file."""
    pairs: list[Pair] = []
    with open(path, "rb") as fh:
        for raw in fh:
            if len(pairs) >= limit:
                break
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            messages = obj.get("messages")
            if isinstance(obj.get("input"), dict):  # DPO: the preferred answer
                messages = [*obj["input"].get("messages", []), *(obj.get("preferred_output") or [])]
            if not isinstance(messages, list):
                continue
            last_user = None
            for m in messages:
                if not isinstance(m, dict):
                    continue
                content = m.get("content")
                if isinstance(content, list):
                    content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
                if m.get("role") == "user" and isinstance(content, str):
                    last_user = content
                elif m.get("role") == "assistant" and isinstance(content, str) and content and last_user is not None:
                    pairs.append(Pair(frozenset(words(last_user)), content))
                    last_user = None
    return pairs


def best_reply(pairs: list[Pair], prompt: str) -> str | None:
    """The reply whose prompt overlaps most with ``prompt``: Jaccard over IDF-weighted words,
    so a shared city name counts for more than a shared "it"."""
    if not pairs:
        return None
    df: dict[str, int] = {}
    for pair in pairs:
        for w in pair.prompt_words:
            df[w] = df.get(w, 0) + 1
    n = len(pairs)

    def weight(w: str) -> float:
        return math.log(1 + n / df.get(w, 0.5))

    asked = words(prompt)
    best, best_score = pairs[0], -1.0
    for pair in pairs:
        union = sum(weight(w) for w in asked | pair.prompt_words) or 1.0
        score = sum(weight(w) for w in asked & pair.prompt_words) / union
        if score > best_score:
            best, best_score = pair, score
    return best.reply


def generic_reply(model: str, prompt: str) -> str:
    """What a base model says in the sandbox: plainly labelled, never pretending."""
    snippet = " ".join(prompt.split())[:80]
    return (
        f"[sandbox: {model}, a base model] This is the sandbox's generic reply; a real {model} "
        f'would answer your message ("{snippet}") here. Fine-tune it to hear the trained style.'
    )
