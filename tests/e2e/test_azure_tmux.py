"""The Azure loop end to end in a real terminal (tmux, 80x24), by keys only, against the sandbox
playing Azure in its own process: train, deploy (asked twice), chat through the deployment,
delete the deployment in the Files tab."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest

from ftui.sandbox.child import ChildSandbox
from tests.conftest import ROOT, SAMPLES
from tests.e2e.test_tmux import Tmux, save_exit_code, tmux  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]


def test_train_deploy_chat_and_delete_on_azure(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    sandbox = ChildSandbox(tmp_path / "azure-sandbox", speed=100)
    root = sandbox.start().removesuffix("/v1")
    try:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
default_profile = "az"

[profiles.az]
provider = "azure"
base_url = "{root}"
api_version = "2024-10-21"
api_key_env = "FTUI_AZ_TEST_KEY"
subscription_id = "sub-1"
resource_group = "rg-1"
account = "res"
management_url = "{root}/management"
"""
        )
        work = tmp_path / "work"
        work.mkdir()
        shutil.copy(SAMPLES / "weather_jokes.jsonl", work / "weather_jokes.jsonl")
        exit_file = tmp_path / "exit"
        env = " ".join(
            f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "PATH")
        )
        command = (
            f"cd {shlex.quote(str(work))} && env {env} FTUI_CONFIG={shlex.quote(str(config))} "
            f"FTUI_AZ_TEST_KEY={shlex.quote(sandbox.api_key)} PYTHONPATH={shlex.quote(str(ROOT))} TERM=xterm-256color "
            f"{shlex.quote(sys.executable)} -m ftui weather_jokes.jsonl; {save_exit_code(exit_file)}"
        )
        tmux.start(command)
        tmux.wait_for("azure · profile az")
        tmux.wait_for("✗ 0  ⚠ 0")
        tmux.keys("2")
        tmux.wait_for("No jobs yet")
        tmux.keys("n")
        tmux.wait_for("New fine-tuning job")
        tmux.keys("C-s")
        tmux.wait_for("Upload and start", timeout=30)
        tmux.keys("y")
        tmux.wait_for("✓ succeeded", timeout=60)
        tmux.wait_for("D Deploy")

        tmux.keys("D")
        tmux.wait_for("Deploy on res", "bills by the hour", "SKU Standard, capacity 1")
        # The offered name is selected: typing replaces it. (Not C-u first: Textual may run a
        # binding's action after the characters typed right behind it, which it then deletes.)
        for ch in "weather-bot":
            tmux.keys(ch)
        tmux.wait_for("weather-bot")
        tmux.keys("Enter")
        tmux.wait_for("It bills hourly")
        tmux.keys("y")
        tmux.wait_for("Deployed as weather-bot · Standard ×1 · Succeeded", timeout=30)

        tmux.keys("o")
        tmux.wait_for("Enter sends")
        for ch in "Will it snow in Denver on Friday?":
            tmux.keys("Space" if ch == " " else ch)
        tmux.keys("Enter")
        screen = tmux.wait_for("snowflake", timeout=30)
        assert sandbox.api_key not in screen

        tmux.keys("Escape")
        tmux.keys("M-4")
        tmux.wait_for("m: models")
        tmux.keys("m")
        tmux.wait_for("m: deployments")
        tmux.keys("m")
        tmux.wait_for("Azure deployments (1)", "weather-bot", "Succeeded")
        tmux.keys("x")
        tmux.wait_for("Delete this deployment?")
        tmux.keys("y")
        tmux.wait_for("No deployments")

        tmux.keys("q")
        deadline = time.monotonic() + 10
        while not exit_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "0"
    finally:
        sandbox.stop()
