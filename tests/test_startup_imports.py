"""Start-up stays small: what each entry point loads before it does its job (a behaviour
check on ``sys.modules`` in a fresh interpreter, not a timing test; timings live in
benchmarks/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("openai", "aiohttp", "httpx", "ftui.sandbox", "ftui.connect", "ftui.provider.client")


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (its stdout is dropped)."""
    probe = (
        "import io, json, sys, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_builds_every_command_without_the_sdk() -> None:
    modules = loaded_after("from ftui.cli import build_parser\nbuild_parser().format_help()")
    assert "ftui.commands.parsers" in modules  # every command's arguments were built
    assert heavy(modules) == []


def test_validate_runs_without_the_sdk() -> None:
    sample = str(SAMPLES / "weather_jokes.jsonl")
    code = f"from ftui.cli import main\nmain(['validate', {sample!r}])"
    modules = loaded_after(code)
    assert "ftui.data.validate" in modules
    assert heavy(modules) == []


def test_the_tui_module_loads_without_the_sdk() -> None:
    """The app draws its first screen before the provider (and the SDK) is loaded in a thread."""
    modules = loaded_after("import ftui.tui.app")
    assert heavy(modules) == []
    assert "numpy" not in modules  # ~0.1 s: loaded when a chart is first drawn
    assert "markdown_it" not in modules  # ~60 ms: loaded with the first chat reply
