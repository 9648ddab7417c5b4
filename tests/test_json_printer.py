"""Every command's ``--json`` goes through one printer: C1 controls and bidi overrides from a
dataset or a server come out as ``\\u`` escapes (the JSON still parses to the same text)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ftui.cli import main
from ftui.commands import deployments
from ftui.config import Profile
from ftui.provider.azure_deploy import Deployment

ROOT = Path(__file__).resolve().parent.parent
# C1 CSI, DEL, the bidi overrides and isolates, the marks, and the line/paragraph separators.
SNEAKY = "\x9b31m\x7f\u202eevil\u202c\u2066x\u2069\u200e\u200f\u061c\u2028\u2029"
RAW = ("\x9b", "\x7f", "\u202e", "\u202c", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u2028", "\u2029")


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def assert_escaped(out: str) -> Any:
    for raw in RAW:
        assert raw not in out, f"{raw!r} printed raw"
    value = json.loads(out)
    assert any("\u202eevil" in s for s in strings(value))  # the same text once parsed
    return value


def test_validate_json_escapes_c1_and_bidi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / f"data{SNEAKY}.jsonl"
    example = {"messages": [{"role": f"boss{SNEAKY}", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    data.write_text(json.dumps(example, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["validate", str(data), "--json"]) == 1
    report = assert_escaped(capsys.readouterr().out)
    assert report["path"] == str(data)
    assert "unrecognized_role" in {f["code"] for f in report["errors"]}


def test_deployments_list_json_escapes_c1_and_bidi(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Plane:
        async def list_deployments(self) -> list[Deployment]:
            return [Deployment(f"bot{SNEAKY}", "gpt-4o-mini", "1", "Standard", 1, "Succeeded")]

        async def aclose(self) -> None:
            pass

    monkeypatch.setattr(deployments.ControlPlane, "for_provider", classmethod(lambda cls, p: Plane()))
    provider: Any = argparse.Namespace(profile=Profile(name="az", provider="azure"))
    assert asyncio.run(deployments.deployments_list(provider, argparse.Namespace(json=True))) == 0
    assert assert_escaped(capsys.readouterr().out)[0]["name"] == f"bot{SNEAKY}"


def test_no_command_prints_json_but_through_the_one_printer() -> None:
    """Printing ``json.dump(s)`` in a command module would be a second printer (unescaped);
    JSON written to a file (a manifest) is not printing."""
    offenders = []
    for path in [*sorted((ROOT / "ftui" / "commands").glob("*.py")), ROOT / "ftui" / "cli.py"]:
        if path.name == "api.py":  # the printer itself
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"json\.dump\(.*(stdout|\bout\b)|(print|\.write)\(\s*json\.dumps", line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []
