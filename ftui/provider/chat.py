"""Streaming chat replies with their numbers: tokens, time to first token, total time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.chat import ChatCompletionMessageParam


@dataclass
class ChatResult:
    """A finished (or stopped) reply."""

    model: str
    text: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first_token_s: float | None = None
    total_s: float | None = None
    finish_reason: str | None = None
    started: float = field(default_factory=time.perf_counter)


async def stream_chat(
    client: AsyncOpenAI,
    model: str,
    messages: list[dict[str, Any]],
    result: ChatResult,
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> AsyncIterator[str]:
    """Yield text pieces as they arrive; fills ``result`` with the text and numbers."""
    from openai import omit  # loaded already (the client is the SDK's): leaves a setting out of the request

    result.started = time.perf_counter()
    stream = await client.chat.completions.create(
        model=model,
        # plain dicts in the chat's shape; the SDK spells each role's shape as its own TypedDict
        messages=cast("list[ChatCompletionMessageParam]", messages),
        stream=True,
        stream_options={"include_usage": True},
        temperature=omit if temperature is None else temperature,
        max_completion_tokens=omit if max_tokens is None else max_tokens,
    )
    async for chunk in stream:
        if chunk.usage:
            result.prompt_tokens = chunk.usage.prompt_tokens
            result.completion_tokens = chunk.usage.completion_tokens
        for choice in chunk.choices:
            if choice.finish_reason:
                result.finish_reason = choice.finish_reason
            piece = choice.delta.content if choice.delta else None
            if piece:
                if result.first_token_s is None:
                    result.first_token_s = time.perf_counter() - result.started
                result.text += piece
                yield piece
    result.total_s = time.perf_counter() - result.started
