"""A sandbox on its own thread per test (as ftui runs it), and an SDK client talking to it over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from ftui.sandbox.embedded import EmbeddedSandbox, start_in_thread
from tests.conftest import sandbox_client


class Clock:
    """An injectable clock: the wall clock plus an offset a test moves forward."""

    def __init__(self) -> None:
        import time

        self._time = time.time
        self.offset = 0.0

    def __call__(self) -> float:
        return self._time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[EmbeddedSandbox]:
    sb = start_in_thread(tmp_path / "sandbox", speed=200)
    yield sb
    sb.stop()


@pytest.fixture
async def client(sandbox: EmbeddedSandbox) -> AsyncIterator[AsyncOpenAI]:
    c = sandbox_client(sandbox, max_retries=2)
    yield c
    await c.close()
