"""Token counting with the bundled tiktoken encodings (never downloads anything).

The per-example count follows the OpenAI cookbook formula so numbers match what users
compute today: 3 tokens per message, the tokens of every value (+1 for ``name``), plus 3.
Unlike the cookbook, non-string values (tool calls, weights, tool definitions) are counted
as compact JSON, ``null`` content counts nothing, and text parts of a content list count
their text (image parts are billed separately by the API and count no text tokens here).
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from ftui.data.images import image_tokens

ENCODINGS_DIR = Path(__file__).with_name("encodings")

_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"

_PATTERNS = {
    "cl100k_base": (
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
        r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
    ),
    "o200k_base": "|".join(
        [
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]
    ),
}

_SPECIAL = {
    "cl100k_base": {
        _ENDOFTEXT: 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        _ENDOFPROMPT: 100276,
    },
    "o200k_base": {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
}

SUPPORTED_ENCODINGS = tuple(_SHA256)


_load_lock = threading.Lock()


MAX_TOKEN_BYTES = 128  # the longest token of the bundled vocabularies, in bytes (a test checks it)
LARGEST_CONTEXT = 65_536  # the largest per-example limit of any model in models.toml (a test checks it)
# Each character is at least one byte and each token at most MAX_TOKEN_BYTES bytes, so a string
# longer than this has more tokens than any model takes, whatever it holds.
CERTAINLY_OVER_CHARS = (LARGEST_CONTEXT + 1) * MAX_TOKEN_BYTES
PIECE_CHARS = 1 << 16


def get_encoding(name: str) -> tiktoken.Encoding:
    """Load a bundled encoding by name (once per process, thread-safe), checking its sha256."""
    with _load_lock:
        return _load_encoding(name)


@cache
def _load_encoding(name: str) -> tiktoken.Encoding:
    if name not in _SHA256:
        raise ValueError(f"unknown encoding {name!r}; ftui bundles {', '.join(_SHA256)}")
    path = ENCODINGS_DIR / f"{name}.tiktoken"
    ranks = load_tiktoken_bpe(str(path), expected_hash=_SHA256[name])
    return tiktoken.Encoding(
        name=name,
        pat_str=_PATTERNS[name],
        mergeable_ranks=ranks,
        special_tokens=_SPECIAL[name],
    )


def compact_json(value: Any) -> str:
    """Serialise a non-string value the way it would travel: compact JSON, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class TokenCounter:
    """Counts tokens of strings and examples with one encoding, caching repeated strings.

    Training files repeat system prompts, roles and tool definitions on every line, so
    a bounded cache of string -> count saves most of the encoding work on real data.
    """

    _CACHE_CHARS = 4_000_000  # budget for cached text; the cache restarts when full
    _CACHE_MAX_LEN = 4096

    def __init__(self, encoding_name: str, stop_over: int | None = None) -> None:
        self.encoding_name = encoding_name
        self.stop_over = stop_over  # a long string counted past this many tokens stops there
        self._encode = get_encoding(encoding_name).encode_ordinary
        self._cache: dict[str, int] = {}
        self._cached_chars = 0
        self.bounded = False  # set when a count was a lower bound, not a tokenization
        self.counted = 0  # how many messages the last count_messages covered

    def count(self, text: str) -> int:
        """Tokens in one string (special-token text is counted as ordinary text).

        Work per string is capped: a string so long that it must exceed every model's
        context is not tokenized at all (its count is the sound lower bound
        ``len // MAX_TOKEN_BYTES``, and ``bounded`` is set), and long strings are encoded in
        pieces (BPE on one huge unbroken run is quadratic; pieces can only add a token at
        each seam, a negligible overcount) that stop once past ``stop_over``."""
        cache = self._cache
        hit = cache.get(text)
        if hit is not None:
            return hit
        size = len(text)
        if size > CERTAINLY_OVER_CHARS:
            self.bounded = True
            return size // MAX_TOKEN_BYTES
        if size > PIECE_CHARS:
            encode = self._encode
            stop = self.stop_over
            n = 0
            for i in range(0, size, PIECE_CHARS):
                n += len(encode(text[i : i + PIECE_CHARS]))
                if stop is not None and n > stop and i + PIECE_CHARS < size:
                    self.bounded = True  # already past the limit: the rest need not be tokenized
                    break
            return n
        n = len(self._encode(text))
        if size <= self._CACHE_MAX_LEN:
            if self._cached_chars + size > self._CACHE_CHARS:
                cache.clear()
                self._cached_chars = 0
            cache[text] = n
            self._cached_chars += size
        return n

    def count_fresh(self, text: str) -> int:
        """``count`` for text that rarely repeats (user and assistant turns): the same number,
        without the cache's lookup and bookkeeping."""
        if len(text) > PIECE_CHARS:
            return self.count(text)
        return len(self._encode(text))

    def truncate(self, text: str, max_tokens: int) -> tuple[str, bool]:
        """The text cut to at most ``max_tokens`` tokens, and whether it was cut."""
        tokens = self._encode(text)
        if len(tokens) <= max_tokens:
            return text, False
        return get_encoding(self.encoding_name).decode(tokens[:max_tokens]), True

    def count_value(self, value: Any) -> int:
        """Tokens of a non-content value: strings as text, anything else as compact JSON."""
        if value is None:
            return 0
        if isinstance(value, str):
            return self.count(value)
        return self.count(compact_json(value))

    def count_content(self, value: Any) -> int:
        """Tokens of message content: a string, or a list of parts counted by their text."""
        if isinstance(value, list) and all(isinstance(p, dict) and "type" in p for p in value):
            total = 0
            for part in value:
                kind = part.get("type")
                if kind == "text":
                    text = part.get("text")
                    total += self.count(text) if isinstance(text, str) else 0
                elif kind == "image_url":  # images cost tokens too (ftui.data.images)
                    image = part.get("image_url")
                    if isinstance(image, dict):
                        total += image_tokens(image.get("url"), image.get("detail", "auto"))
            return total
        return self.count_value(value)

    def count_messages(self, messages: list[Any], limit: int | None = None) -> tuple[int, int]:
        """(total, assistant) tokens for a message list by the cookbook formula.

        With ``limit``, counting stops at the first message that takes the total past it:
        the total is then a lower bound (``bounded`` is set) and ``counted`` says how many
        messages it covers, so an example of millions of messages costs no more than one
        just over the limit."""
        total = 3
        assistant = 0
        self.counted = len(messages)
        for i, message in enumerate(messages):
            if limit is not None and total > limit:
                self.bounded = True
                self.counted = i
                break
            total += 3
            if not isinstance(message, dict):
                total += self.count(compact_json(message))
                continue
            for key, value in message.items():
                total += self.count_content(value) if key == "content" else self.count_value(value)
                if key == "name":
                    total += 1
            if message.get("role") == "assistant":
                assistant += self.count_content(message.get("content"))
                if message.get("tool_calls") is not None:
                    assistant += self.count_value(message.get("tool_calls"))
                if message.get("function_call") is not None:
                    assistant += self.count_value(message.get("function_call"))
        return total, assistant
