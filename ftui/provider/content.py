"""A file's bytes streamed to a sink piece by piece (never whole in memory), and a file's object
by id: what ``ftui export`` needs of the provider besides the listers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai import AsyncOpenAI

CHUNK = 1 << 20


async def stream_content(client: AsyncOpenAI, file_id: str, sink: Callable[[bytes], None]) -> int:
    """Hand the file's content to ``sink`` in pieces as it arrives; returns the number of bytes.
    The SDK's errors propagate (``openai.NotFoundError`` for a file the provider no longer has);
    a connection lost mid-body is an ``openai.APIConnectionError`` too, as one lost before it."""
    import httpx2
    import openai

    total = 0
    async with client.files.with_streaming_response.content(file_id) as response:
        try:
            async for piece in response.iter_bytes(CHUNK):
                sink(piece)
                total += len(piece)
        except httpx2.TransportError as exc:
            raise openai.APIConnectionError(request=response.http_request) from exc
    return total


async def retrieve_file(client: AsyncOpenAI, file_id: str) -> Any:
    """The provider's object for one file (``openai.NotFoundError`` when it has none)."""
    return await client.files.retrieve(file_id)


async def list_models(client: AsyncOpenAI) -> list[Any]:
    """Every model the provider lists (one page: ``/models`` is not paged)."""
    import asyncio

    raw = await client.models.with_raw_response.list()
    page = await asyncio.to_thread(raw.parse)
    return list(page.data)


_DOT_SEGMENT = re.compile(r"^(?:\.|%2e){1,2}$", re.IGNORECASE)


def requestable(object_id: str) -> bool:
    """False for an id no request path can carry (``.``, ``..``, empty): the SDK refuses to build
    such a path, and a server that sends one gets its object reported as missing instead."""
    return bool(object_id) and not _DOT_SEGMENT.match(object_id)


def is_not_found(exc: BaseException) -> bool:
    """True for the provider's 404 (the thing is gone, or never was)."""
    import openai

    return isinstance(exc, openai.NotFoundError)


def is_refusal(exc: BaseException) -> bool:
    """True for a 4xx answer about this one thing (400, 404, 409, 422): the rest can go on."""
    import openai

    return isinstance(exc, openai.APIStatusError) and exc.status_code in (400, 404, 409, 410, 422)
