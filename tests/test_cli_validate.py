"""`ftui validate`: exit codes, the JSON contract and the human report, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES


def ftui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftui", *args], capture_output=True, text=True, timeout=120)


def test_clean_file_exits_zero_with_a_ready_verdict() -> None:
    proc = ftui("validate", str(SAMPLES / "weather_jokes.jsonl"))
    assert proc.returncode == 0, proc.stderr
    assert "Ready to upload: no errors." in proc.stdout
    assert "14 examples" in proc.stdout
    assert "shuts down on 2027-01-14" in proc.stdout


def test_file_with_errors_exits_one_and_names_lines() -> None:
    proc = ftui("validate", str(SAMPLES / "mistakes.jsonl"))
    assert proc.returncode == 1
    assert "invalid_json ×1 — line 2" in proc.stdout
    assert "line 11 [messages[2].weight]: Weight must be 0 or 1, not 0.5." in proc.stdout
    assert "Not ready: fix the" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_json_output_has_the_contract_shape() -> None:
    proc = ftui("validate", str(SAMPLES / "mistakes.jsonl"), "--json", "--model", "gpt-4.1-mini")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert list(data) == ["path", "format", "model", "encoding", "examples", "errors", "warnings", "stats", "estimate"]
    assert data["model"] == "gpt-4.1-mini" and data["encoding"] == "o200k_base"
    assert data["examples"] == 23
    finding = data["errors"][2]
    assert set(finding) == {"line", "code", "message", "field"}
    assert {"line": 2, "code": "invalid_json"}.items() <= finding.items()
    assert data["errors"][0]["line"] is None  # file-level first
    assert set(data["stats"]) == {"messages_per_example", "tokens_per_example", "assistant_tokens_per_example"}
    assert set(data["stats"]["tokens_per_example"]) == {"min", "max", "mean", "median", "p5", "p95"}
    assert set(data["estimate"]) == {"epochs", "billing_tokens", "charged_tokens", "price_per_1m", "cost_usd"}
    assert data["estimate"]["price_per_1m"] == 5.0


@pytest.mark.parametrize("target", ["missing.jsonl", "."])
def test_unreadable_input_exits_two_with_one_sentence(target: str, tmp_path: Path) -> None:
    proc = ftui("validate", str(tmp_path / target))
    assert proc.returncode == 2
    assert proc.stderr.startswith("ftui: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


def test_bad_usage_exits_two() -> None:
    assert ftui("validate").returncode == 2
