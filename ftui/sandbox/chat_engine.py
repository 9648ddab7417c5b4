"""The chat-engine seam: what answers ``/v1/chat/completions`` once the route has checked the request.

The route (``ftui.sandbox.routes.chat``) parses and checks the body, finds the model (a 404
otherwise) and frames the answer (a completion object, or server-sent chunks; ``n`` copies);
a ``ChatEngine`` says what the model replies. The server is given its engine
(``SandboxServer(chat_engine=...)``); the default is ``SandboxReplies``, the sandbox's canned
replies (``ftui.sandbox.replies``: a fine-tuned model answers in the style of its training
file). A real engine (a local model) fits the same two calls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ftui.data.catalog import Catalog
from ftui.data.tokens import TokenCounter
from ftui.sandbox.replies import Pair, best_reply, generic_reply, load_pairs

CHUNK_DELAY = 0.03


@dataclass(frozen=True, slots=True)
class ChatModel:
    """The model asked: its id and, for a fine-tuned model or checkpoint, the job that made it."""

    id: str
    job_id: str | None = None
    training_file: Path | None = None  # that job's training file, where the sandbox still has it


@dataclass(frozen=True, slots=True)
class ChatParams:
    """The sampling settings of a request, checked by the route."""

    n: int = 1
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    response_format: dict[str, Any] | None = None  # None for text, else json_object / json_schema
    include_usage: bool = True  # streams: whether the last piece carries the usage


@dataclass(frozen=True, slots=True)
class Piece:
    """A piece of a streamed reply; the last one has ``finish_reason`` (and ``usage`` when asked)."""

    text: str
    finish_reason: str | None = None
    usage: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    """A whole reply: its text (one choice; the route repeats it ``n`` times), why it ended, the usage."""

    text: str
    finish_reason: str
    usage: dict[str, int]


class ChatEngine(Protocol):
    """What answers chat requests (the sandbox's canned replies, or a real model)."""

    async def complete(self, model: ChatModel, messages: list[dict[str, Any]], params: ChatParams) -> Completion:
        """The whole reply; usage counts all ``params.n`` choices."""
        ...

    def stream(self, model: ChatModel, messages: list[dict[str, Any]], params: ChatParams) -> AsyncIterator[Piece]:
        """The reply in pieces as they come; the last piece says how it ended."""
        ...

    def forget(self, job_id: str) -> None:
        """The job is gone (deleted): drop anything kept for its models."""
        ...


class SandboxReplies:
    """The sandbox's engine: canned replies, paced by the sandbox's speed when streamed."""

    def __init__(self, catalog: Catalog, speed: float = 1.0) -> None:
        self.catalog = catalog
        self.speed = speed
        self._pairs: dict[str, list[Pair]] = {}

    def forget(self, job_id: str) -> None:
        """Drop what was kept of a deleted job's training file."""
        self._pairs.pop(job_id, None)

    async def _reply_for(self, model: ChatModel, prompt: str) -> str:
        if model.job_id is None:
            return generic_reply(model.id, prompt)
        if model.job_id not in self._pairs:
            path = model.training_file
            self._pairs[model.job_id] = await asyncio.to_thread(load_pairs, path) if path else []
        return best_reply(self._pairs[model.job_id], prompt) or generic_reply(model.id, prompt)

    async def _reply(self, model: ChatModel, messages: list[dict[str, Any]], params: ChatParams) -> tuple[str, str]:
        """The reply's text (formatted and cut to ``max_tokens``) and its finish reason."""
        reply = await self._reply_for(model, _last_user_text(messages))
        if params.response_format is not None:
            reply = _as_json_reply(reply, params.response_format)
        finish = "stop"
        if params.max_tokens is not None:
            counter = TokenCounter(self.catalog.lookup(model.id).encoding)
            reply, cut = await asyncio.to_thread(counter.truncate, reply, params.max_tokens)
            if cut:
                finish = "length"
        return reply, finish

    async def _usage(self, model: ChatModel, messages: list[dict[str, Any]], reply: str, n: int) -> dict[str, int]:
        def count() -> dict[str, int]:  # tokenizing is blocking work: in a thread
            counter = TokenCounter(self.catalog.lookup(model.id).encoding)
            prompt_tokens = counter.count_messages(messages)[0]
            completion = counter.count(reply) * n
            return {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion,
                "total_tokens": prompt_tokens + completion,
            }

        return await asyncio.to_thread(count)

    async def complete(self, model: ChatModel, messages: list[dict[str, Any]], params: ChatParams) -> Completion:
        """The canned reply, whole."""
        reply, finish = await self._reply(model, messages, params)
        return Completion(reply, finish, await self._usage(model, messages, reply, params.n))

    async def stream(
        self, model: ChatModel, messages: list[dict[str, Any]], params: ChatParams
    ) -> AsyncIterator[Piece]:
        """The canned reply a word at a time (CJK a character at a time), ``CHUNK_DELAY / speed`` apart."""
        reply, finish = await self._reply(model, messages, params)
        for piece in _split_keep_spaces(reply):
            yield Piece(piece)
            await asyncio.sleep(CHUNK_DELAY / self.speed)
        usage = await self._usage(model, messages, reply, params.n) if params.include_usage else None
        yield Piece("", finish, usage)


def _as_json_reply(reply: str, fmt: dict[str, Any]) -> str:
    """The reply as a JSON object: {"reply": text}, or for a schema each property filled by its type."""
    if fmt.get("type") != "json_schema":
        return json.dumps({"reply": reply}, ensure_ascii=False)
    schema = fmt["json_schema"].get("schema")
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or not props:
        return json.dumps({"reply": reply}, ensure_ascii=False)
    empty = {"number": 0, "integer": 0, "boolean": False, "array": [], "object": {}, "null": None}
    out = {}
    for key, spec in props.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        out[key] = reply if kind in (None, "string") or not isinstance(kind, str) else empty.get(kind)
    return json.dumps(out, ensure_ascii=False)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            return " ".join(p.get("text", "") for p in c or [] if p.get("type") == "text")
    return ""


def _split_keep_spaces(text: str) -> list[str]:
    """Split into word-ish pieces that join back to the text (CJK one character at a time)."""
    out: list[str] = []
    current = ""
    for ch in text:
        if "\u3400" <= ch <= "\u9fff":
            if current:
                out.append(current)
                current = ""
            out.append(ch)
        elif ch == " " and current.strip():
            out.append(current)
            current = ch
        else:
            current += ch
    if current:
        out.append(current)
    return out
