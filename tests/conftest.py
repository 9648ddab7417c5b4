"""Shared fixtures: every test runs with isolated XDG dirs and no provider credentials."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from openai import AsyncOpenAI

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"

_CREDENTIAL_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "OPENAI_API_VERSION",
    "FTUI_PROFILE",
    "FTUI_SANDBOX_FAULTS",
    "FTUI_SANDBOX_KEY",
)


def sandbox_client(sandbox: Any, **kwargs: Any) -> AsyncOpenAI:
    """An SDK client for a running sandbox (a SandboxServer, EmbeddedSandbox or ChildSandbox)
    that sends its key: the sandbox refuses every request without it."""
    from openai import AsyncOpenAI

    return AsyncOpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key, **kwargs)


def serve_output(lines: Iterable[str]) -> tuple[str, str]:
    """The base URL and the key from ``ftui sandbox serve``'s first two lines of output."""
    it = iter(lines)
    first, second = next(it).strip(), next(it).strip()
    assert first.startswith("ftui sandbox listening on "), first
    assert second.startswith("key: "), second
    return first.rsplit(" ", 1)[1], second.removeprefix("key: ")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config/data dirs at a temp folder and drop any real credentials."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    for var in _CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write examples (dicts are JSON-encoded, bytes/str written as they are) to a file."""

    def write(rows: Iterable[object], name: str = "data.jsonl", newline: bytes = b"\n") -> Path:
        out = []
        for row in rows:
            if isinstance(row, bytes):
                out.append(row)
            elif isinstance(row, str):
                out.append(row.encode())
            else:
                out.append(json.dumps(row, ensure_ascii=False).encode())
        path = tmp_path / name
        path.write_bytes(newline.join(out) + newline)
        return path

    return write


def chat(user: str = "What is the weather?", answer: str = "Sunny.", system: str | None = "You are helpful.") -> dict:
    """A minimal valid chat example."""
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return {"messages": messages}


def _starts_a_sandbox_child(function: Callable[..., object]) -> bool:
    """Whether a test opens the app on a provider (the TUI then starts its sandbox in a child
    process, ~2 s): it builds the app without ``connect=False``, or with sandbox settings."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return "sandbox_settings(" in source or ("FtuiApp(" in source and "connect=False" not in source)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that start a sandbox child (``sandbox_child``), so ``make test-fast``
    can leave them and the tmux tests (``e2e``) out of the inner loop."""
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and _starts_a_sandbox_child(function):
            item.add_marker(pytest.mark.sandbox_child)
