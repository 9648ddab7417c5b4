"""A sandbox server on loopback per test, and an SDK client talking to it over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from ftui.sandbox.server import SandboxServer


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[SandboxServer]:
    server = SandboxServer(tmp_path / "sandbox", speed=200)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[AsyncOpenAI]:
    c = AsyncOpenAI(base_url=sandbox.base_url, api_key="test", max_retries=2)
    yield c
    await c.close()
