"""Chat completions: ``/v1/chat/completions``, whole or streamed as server-sent events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ftui.data.tokens import TokenCounter
from ftui.sandbox.replies import Pair, best_reply, generic_reply, load_pairs
from ftui.sandbox.routes.common import (
    DEPLOYED_MODEL,
    DROP,
    ApiError,
    Context,
    expect,
    json_body,
    opt,
    opt_count,
    opt_number,
    required_str,
)
from ftui.sandbox.routes.models import ModelRoutes
from ftui.sandbox.store import new_id

CHUNK_DELAY = 0.03


def _check_messages(messages: Any) -> list[dict]:
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", param="messages")
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        expect(m, dict, where, "an object")
        expect(m.get("role"), str, f"{where}.role", "a string")
        content = m.get("content")
        if content is None or isinstance(content, str):
            continue
        expect(content, list, f"{where}.content", "a string or an array of content parts")
        for j, part in enumerate(content):
            expect(part, dict, f"{where}.content[{j}]", "an object")
            expect(part.get("type"), str, f"{where}.content[{j}].type", "a string")
            if part["type"] == "text":
                expect(part.get("text"), str, f"{where}.content[{j}].text", "a string")
    return messages


def _response_format(body: dict, messages: list[dict]) -> dict | None:
    """``response_format`` as the API checks it: None for text, else the json_object / json_schema
    request (json_object needs the word "json" in the messages, as on the API)."""
    fmt = opt(body, "response_format", dict, "an object")
    if fmt is None:
        return None
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        said = json.dumps([m.get("content") for m in messages], ensure_ascii=False).lower()
        if "json" not in said:
            raise ApiError(
                400,
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                param="messages",
            )
        return fmt
    if kind == "json_schema":
        schema = opt(fmt, "json_schema", dict, "an object", "response_format.json_schema")
        if schema is None or not isinstance(schema.get("name"), str):
            raise ApiError(400, "response_format.json_schema.name is required.", param="response_format.json_schema")
        return fmt
    raise ApiError(
        400,
        f"Invalid value for 'response_format.type': {kind!r}; use text, json_object or json_schema.",
        param="response_format.type",
    )


def _as_json_reply(reply: str, fmt: dict) -> str:
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


def _last_user_text(messages: list[dict]) -> str:
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


class ChatRoutes:
    """The chat route over a server's context (``models`` says which models exist)."""

    def __init__(self, ctx: Context, models: ModelRoutes) -> None:
        self.ctx = ctx
        self.models = models
        self._pairs: dict[str, list[Pair]] = {}

    def register(self, app: web.Application) -> None:
        """Add the route to ``app``."""
        app.router.add_post("/v1/chat/completions", self.chat)

    def forget_job(self, job_id: str) -> None:
        """Drop what was kept of a deleted job's training file."""
        self._pairs.pop(job_id, None)

    # -- chat ------------------------------------------------------------------------------
    async def _reply_for(self, model: str, job_id: str | None, prompt: str) -> str:
        if job_id is None:
            return generic_reply(model, prompt)
        if job_id not in self._pairs:
            plan = self.ctx.store.job_plan(job_id)
            path = self.ctx.store.file_path(plan.training_file) if plan else None
            self._pairs[job_id] = await asyncio.to_thread(load_pairs, path) if path else []
        return best_reply(self._pairs[job_id], prompt) or generic_reply(model, prompt)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await json_body(request)
        model = request.get(DEPLOYED_MODEL) or required_str(body, "model")
        messages = _check_messages(body.get("messages"))
        stream = bool(opt(body, "stream", bool, "a boolean"))
        stream_options = opt(body, "stream_options", dict, "an object") or {}
        include_usage = bool(opt(stream_options, "include_usage", bool, "a boolean", "stream_options.include_usage"))
        max_tokens = opt_count(body, "max_completion_tokens") or opt_count(body, "max_tokens")
        opt_number(body, "temperature", 0, 2)
        opt_number(body, "top_p", 0, 1)
        n = opt_count(body, "n") or 1
        if n > 128:
            raise ApiError(400, "'n' must be at most 128.", param="n")
        response_format = _response_format(body, messages)
        _, job_id = self.models.model_or_404(model)
        prompt = _last_user_text(messages)
        reply = await self._reply_for(model, job_id, prompt)
        if response_format is not None:
            reply = _as_json_reply(reply, response_format)
        encoding = self.ctx.catalog.lookup(model).encoding
        finish = "stop"
        if max_tokens is not None:
            reply, cut = await asyncio.to_thread(TokenCounter(encoding).truncate, reply, max_tokens)
            if cut:
                finish = "length"

        def usage() -> dict[str, int]:  # tokenizing is blocking work: callers run it in a thread
            counter = TokenCounter(encoding)
            prompt_tokens = counter.count_messages(messages)[0]
            completion = counter.count(reply) * n
            return {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion,
                "total_tokens": prompt_tokens + completion,
            }

        cid = new_id("chatcmpl-")
        created = int(time.time())
        if not stream:
            return web.json_response(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": i,
                            "message": {"role": "assistant", "content": reply, "refusal": None},
                            "finish_reason": finish,
                            "logprobs": None,
                        }
                        for i in range(n)
                    ],
                    "usage": await asyncio.to_thread(usage),
                    "system_fingerprint": "fp_sandbox",
                }
            )
        return await self._stream(request, cid, created, model, reply, finish, usage if include_usage else None, n)

    async def _stream(
        self,
        request: web.Request,
        cid: str,
        created: int,
        model: str,
        reply: str,
        finish: str,
        usage: Callable[[], dict] | None,
        n: int = 1,
    ) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)

        def chunk(
            delta: dict, finish_reason: str | None = None, with_usage: dict | None = None, index: int = 0
        ) -> bytes:
            obj = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_sandbox",
                "choices": []
                if with_usage
                else [{"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
            }
            if with_usage:
                obj["usage"] = with_usage
            return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode()

        pieces = [p for p in _split_keep_spaces(reply)]
        drop_at = len(pieces) // 2 if request.get(DROP) else None
        choices = range(n)  # n > 1: each choice's chunks carry its index, interleaved
        await resp.write(b"".join(chunk({"role": "assistant", "content": ""}, index=c) for c in choices))
        for i, piece in enumerate(pieces):
            if drop_at is not None and i == drop_at:
                if request.transport is not None:
                    request.transport.close()
                return resp
            await resp.write(b"".join(chunk({"content": piece}, index=c) for c in choices))
            await asyncio.sleep(CHUNK_DELAY / self.ctx.speed)
        await resp.write(b"".join(chunk({}, finish, index=c) for c in choices))
        if usage:
            await resp.write(chunk({}, with_usage=await asyncio.to_thread(usage)))
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp
