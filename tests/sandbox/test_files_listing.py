"""The sandbox's GET /files as the API sends it: first_id/last_id, after/limit pages, order,
purpose; file content and delete (a deleted file is gone from list, content and retrieve)."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI


async def test_pages_carry_first_and_last_id_and_walk_with_after(client: AsyncOpenAI) -> None:
    ids = [(await client.files.create(file=(f"{i}.jsonl", b"{}\n"), purpose="fine-tune")).id for i in range(5)]
    newest = ids[::-1]
    page = await client.files.list(limit=2)
    raw = page.model_dump()
    assert [f.id for f in page.data] == newest[:2] and page.has_more
    assert (raw["first_id"], raw["last_id"]) == (newest[0], newest[1])
    page = await client.files.list(limit=2, after=newest[1])
    assert [f.id for f in page.data] == newest[2:4] and page.has_more
    last = await client.files.list(limit=2, after=newest[3])
    assert [f.id for f in last.data] == newest[4:] and not last.has_more
    assert [f.id async for f in client.files.list(limit=2)] == newest  # the SDK's own paging
    asc = (await client.files.list(order="asc")).model_dump()
    assert [f["id"] for f in asc["data"]] == ids and asc["first_id"] == ids[0] and asc["last_id"] == ids[-1]
    empty = (await client.files.list(purpose="batch")).model_dump()
    assert empty["data"] == [] and empty["first_id"] is None and empty["last_id"] is None


async def test_content_then_delete(client: AsyncOpenAI) -> None:
    body = b'{"messages": []}\n' * 3
    file = await client.files.create(file=("x.jsonl", body), purpose="fine-tune")
    assert (await client.files.content(file.id)).content == body
    deleted = await client.files.delete(file.id)
    assert deleted.deleted and deleted.id == file.id
    for call in (client.files.content, client.files.retrieve, client.files.delete):
        with pytest.raises(openai.NotFoundError):
            await call(file.id)
    assert [f async for f in client.files.list()] == []
