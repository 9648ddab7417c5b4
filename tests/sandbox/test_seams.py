"""The server's seams: the chat engine it is given answers chat requests (whole and streamed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest

from ftui.sandbox.chat_engine import ChatModel, ChatParams, Completion, Piece
from ftui.sandbox.server import SandboxServer
from tests.conftest import sandbox_client


class EchoEngine:
    """Replies with the last message in capitals, a word at a time; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[ChatModel, ChatParams]] = []
        self.forgotten: list[str] = []

    def _text(self, messages: list[dict]) -> str:
        return "ECHO " + str(messages[-1]["content"]).upper()

    async def complete(self, model: ChatModel, messages: list[dict], params: ChatParams) -> Completion:
        self.asked.append((model, params))
        return Completion(self._text(messages), "stop", {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})

    async def stream(self, model: ChatModel, messages: list[dict], params: ChatParams) -> AsyncIterator[Piece]:
        self.asked.append((model, params))
        for word in self._text(messages).split(" "):
            yield Piece(word + " ")
        yield Piece("", "length", {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})

    def forget(self, job_id: str) -> None:
        self.forgotten.append(job_id)


async def test_the_given_chat_engine_answers(tmp_path: Path) -> None:
    engine = EchoEngine()
    server = SandboxServer(tmp_path / "sb", chat_engine=engine)
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        whole = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}], n=2, max_tokens=7
        )
        assert [c.message.content for c in whole.choices] == ["ECHO HELLO THERE"] * 2
        assert whole.usage is not None and whole.usage.total_tokens == 5
        model, params = engine.asked[-1]
        assert (model.id, model.job_id, params.n, params.max_tokens) == ("gpt-4o-mini", None, 2, 7)

        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "one two"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "ECHO ONE TWO "
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 5

        with pytest.raises(openai.NotFoundError):  # the route finds the model; the engine is not asked
            await client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
        assert len(engine.asked) == 2
    finally:
        await client.close()
        await server.stop()
