"""The headless commands, run as a user would: separate processes sharing the sandbox state."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

import pytest
from openai import AuthenticationError, OpenAI

from tests.conftest import SAMPLES, serve_output


def ftui(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FTUI_SANDBOX_SPEED": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ftui", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def test_create_watch_show_chat_through_the_default_sandbox() -> None:
    created = ftui(
        "jobs",
        "create",
        "--model",
        "gpt-4o-mini",
        "--training-file",
        str(SAMPLES / "weather_jokes.jsonl"),
        "--suffix",
        "cli",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    job_id = json.loads(created.stdout)["id"]

    watched = ftui("jobs", "watch", job_id)
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert "Created fine-tuning job" in lines[0]
    assert any("metric  step 98/98  loss" in line for line in lines)
    assert lines[-1] == f"job {job_id} succeeded"
    assert len(lines) == len(set(lines))  # each event once

    shown = json.loads(ftui("jobs", "show", job_id, "--json").stdout)
    assert shown["status"] == "succeeded"
    listed = ftui("jobs", "list")
    assert job_id in listed.stdout and "succeeded" in listed.stdout

    chat = ftui("chat", "--model", shown["fine_tuned_model"], "Will it snow in Denver on Friday?")
    assert chat.returncode == 0
    assert "snowflake" in chat.stdout
    assert "first token" in chat.stderr

    compare = ftui("chat", "--model", "gpt-4o-mini", "--compare", shown["fine_tuned_model"], "上海明天会下雨吗？")
    assert compare.stdout.count("── ") == 2 and "雨滴" in compare.stdout and "base model" in compare.stdout


def test_create_refuses_a_broken_file_before_uploading() -> None:
    proc = ftui("jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(SAMPLES / "mistakes.jsonl"))
    assert proc.returncode == 1
    assert "line 2" in proc.stderr and "Nothing was uploaded" in proc.stderr
    assert "no files" in ftui("files", "list").stdout


def test_errors_are_one_sentence_with_exit_one() -> None:
    proc = ftui("jobs", "cancel", "ftjob-nope")
    assert proc.returncode == 1
    assert "Cancelling the job failed: not found (404)" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = ftui("jobs", "show", "x", "--profile", "missing")
    assert proc.returncode == 2 and "No profile named 'missing'" in proc.stderr


def test_watch_exits_one_when_the_job_fails() -> None:
    upload = ftui("files", "upload", str(SAMPLES / "weather_jokes.jsonl"), "--json")
    file_id = json.loads(upload.stdout)["id"]
    created = ftui("jobs", "create", "--model", "gpt-4o-mini", "--training-file", file_id, "--method", "dpo", "--json")
    job_id = json.loads(created.stdout)["id"]
    watched = ftui("jobs", "watch", job_id)
    assert watched.returncode == 1
    assert "DPO needs preference pairs" in watched.stdout


def test_sandbox_serve_prints_its_address_and_stops_on_sigterm(tmp_path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ftui", "sandbox", "serve", "--port", "0", "--data-dir", str(tmp_path), "--speed", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        url, key = serve_output([first, second])
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert stat.S_IMODE((tmp_path / "sandbox.key").stat().st_mode) == 0o600
        assert (tmp_path / "sandbox.key").read_text().strip() == key  # for ftui's own processes
        client = OpenAI(base_url=url, api_key=key)
        assert any(m.id == "gpt-4o-mini-2024-07-18" for m in client.models.list().data)
        client.close()
        with OpenAI(base_url=url, api_key="sandbox", max_retries=0) as stranger, pytest.raises(AuthenticationError):
            stranger.models.list()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
