"""Chat completions: ``/v1/chat/completions``, whole or streamed as server-sent events.

The route checks the request, finds the model and frames the answer; what the model says
comes from the server's chat engine (``ftui.sandbox.chat_engine``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, cast

from aiohttp import web

from ftui.sandbox.chat_engine import ChatModel, ChatParams, Piece
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


def _check_messages(messages: Any) -> list[dict[str, Any]]:
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


def _response_format(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any] | None:
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
        return cast(dict[str, Any], fmt)
    if kind == "json_schema":
        schema = opt(fmt, "json_schema", dict, "an object", "response_format.json_schema")
        if schema is None or not isinstance(schema.get("name"), str):
            raise ApiError(400, "response_format.json_schema.name is required.", param="response_format.json_schema")
        return cast(dict[str, Any], fmt)
    raise ApiError(
        400,
        f"Invalid value for 'response_format.type': {kind!r}; use text, json_object or json_schema.",
        param="response_format.type",
    )


class ChatRoutes:
    """The chat route over a server's context (``models`` says which models exist)."""

    def __init__(self, ctx: Context, models: ModelRoutes) -> None:
        self.ctx = ctx
        self.models = models

    def register(self, app: web.Application) -> None:
        """Add the route to ``app``."""
        app.router.add_post("/v1/chat/completions", self.chat)

    def forget_job(self, job_id: str) -> None:
        """A job is gone: the engine drops what it kept for its models."""
        self.ctx.chat.forget(job_id)

    def _chat_model(self, model: str) -> ChatModel:
        """The model asked (a 404 when there is none), with the job that made it and its training file."""
        _, job_id = self.models.model_or_404(model)
        path = None
        if job_id is not None:
            plan = self.ctx.store.job_plan(job_id)
            path = self.ctx.store.file_path(plan.training_file) if plan else None
        return ChatModel(model, job_id, path)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await json_body(request)
        model = request.get(DEPLOYED_MODEL) or required_str(body, "model")
        messages = _check_messages(body.get("messages"))
        stream = bool(opt(body, "stream", bool, "a boolean"))
        stream_options = opt(body, "stream_options", dict, "an object") or {}
        include_usage = bool(opt(stream_options, "include_usage", bool, "a boolean", "stream_options.include_usage"))
        max_tokens = opt_count(body, "max_completion_tokens") or opt_count(body, "max_tokens")
        temperature = opt_number(body, "temperature", 0, 2)
        top_p = opt_number(body, "top_p", 0, 1)
        n = opt_count(body, "n") or 1
        if n > 128:
            raise ApiError(400, "'n' must be at most 128.", param="n")
        response_format = _response_format(body, messages)
        asked = self._chat_model(model)
        params = ChatParams(n, max_tokens, temperature, top_p, response_format, include_usage if stream else True)
        cid = new_id("chatcmpl-")
        created = int(time.time())
        if stream:
            pieces = self.ctx.chat.stream(asked, messages, params)
            return await self._stream(request, cid, created, model, pieces, n)
        done = await self.ctx.chat.complete(asked, messages, params)
        return web.json_response(
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": done.text, "refusal": None},
                        "finish_reason": done.finish_reason,
                        "logprobs": None,
                    }
                    for i in range(n)
                ],
                "usage": done.usage,
                "system_fingerprint": "fp_sandbox",
            }
        )

    async def _stream(
        self, request: web.Request, cid: str, created: int, model: str, pieces: AsyncIterator[Piece], n: int = 1
    ) -> web.StreamResponse:
        """The pieces as server-sent chunks. A dropped response (an injected fault) is cut after
        its first piece of content, before its end."""
        first = await anext(pieces)  # the engine's own failures are still an error body
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)

        def chunk(
            delta: dict[str, Any],
            finish_reason: str | None = None,
            with_usage: dict[str, Any] | None = None,
            index: int = 0,
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

        drop = bool(request.get(DROP))
        written = 0
        choices = range(n)  # n > 1: each choice's chunks carry its index, interleaved
        await resp.write(b"".join(chunk({"role": "assistant", "content": ""}, index=c) for c in choices))
        piece: Piece | None = first
        try:
            while piece is not None:
                if drop and (written or piece.finish_reason is not None):
                    if request.transport is not None:
                        request.transport.close()
                    return resp
                if piece.text:
                    await resp.write(b"".join(chunk({"content": piece.text}, index=c) for c in choices))
                    written += 1
                if piece.finish_reason is not None:
                    break
                piece = await anext(pieces, None)
        finally:
            closing = getattr(pieces, "aclose", None)
            if closing is not None:
                await closing()
        finish = piece.finish_reason if piece is not None else "stop"  # an engine that ended without saying
        await resp.write(b"".join(chunk({}, finish, index=c) for c in choices))
        if piece is not None and piece.usage:
            await resp.write(chunk({}, with_usage=piece.usage))
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp
