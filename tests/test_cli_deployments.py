"""`ftui deployments create | list | delete` as a user runs them: an Azure profile pointed at the sandbox."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator

import pytest

from ftui.sandbox.child import ChildSandbox
from tests.conftest import SAMPLES, serve_output

ENV: dict[str, str] = {}  # the module's config file and private XDG dirs (set by the azure_model fixture)


def ftui(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV}  # AZ_TEST_KEY: the sandbox's key (set by the azure_model fixture)
    return subprocess.run(
        [sys.executable, "-m", "ftui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def azure_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A sandbox in its own process, and a fine-tuned model made through the Azure data plane."""
    home = tmp_path_factory.mktemp("azure")
    sandbox = ChildSandbox(home / "sandbox", speed=200)
    root = sandbox.start().removesuffix("/v1")
    config = home / "config.toml"
    config.write_text(
        f"""
[profiles.az]
provider = "azure"
base_url = "{root}"
api_version = "2025-04-01-preview"
api_key_env = "AZ_TEST_KEY"
subscription_id = "sub-1"
resource_group = "rg-1"
account = "res"
management_url = "{root}/management"

[profiles.half]
provider = "azure"
base_url = "{root}"
api_version = "2025-04-01-preview"
api_key_env = "AZ_TEST_KEY"
resource_group = "rg-1"
"""
    )
    ENV.update(
        FTUI_CONFIG=str(config),
        AZ_TEST_KEY=sandbox.api_key,
        **{f"XDG_{d}_HOME": str(home / d.lower()) for d in ("CONFIG", "DATA", "STATE")},
    )
    try:
        created = ftui(
            "jobs", "create", "--profile", "az", "--model", "gpt-4o-mini", "--training-file",
            str(SAMPLES / "weather_jokes.jsonl"), "--json",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        job_id = json.loads(created.stdout)["id"]
        assert ftui("jobs", "watch", job_id, "--profile", "az").returncode == 0
        model = json.loads(ftui("jobs", "show", job_id, "--profile", "az", "--json").stdout)["fine_tuned_model"]
        assert model
        yield root, model
    finally:
        ENV.clear()
        sandbox.stop()


def test_deploy_chat_list_delete_on_azure(azure_model: tuple[str, str]) -> None:
    _, model = azure_model
    refused = ftui("deployments", "create", model, "--name", "weather-bot", "--profile", "az")
    assert refused.returncode == 2
    assert "bills by the hour" in refused.stderr and "SKU Standard, capacity 1" in refused.stderr
    assert "add --yes" in refused.stderr
    assert json.loads(ftui("deployments", "list", "--profile", "az", "--json").stdout) == []  # nothing spent

    created = ftui(
        "deployments", "create", model, "--name", "weather-bot", "--sku", "globalstandard", "--capacity", "2",
        "--yes", "--json", "--profile", "az",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout) == {
        "name": "weather-bot",
        "model": model,
        "model_version": "1",
        "sku": "GlobalStandard",
        "capacity": 2,
        "state": "Succeeded",
        "created_at": json.loads(created.stdout)["created_at"],
    }

    chat = ftui("chat", "--profile", "az", "--model", "weather-bot", "Will it snow in Denver on Friday?")
    assert chat.returncode == 0, chat.stderr
    assert "snowflake" in chat.stdout  # the fine-tuned model answers through its deployment
    by_model = ftui("chat", "--profile", "az", "--model", model, "Will it snow in Denver on Friday?")
    assert by_model.returncode == 0, by_model.stderr  # the control plane says which deployment serves it
    assert "snowflake" in by_model.stdout

    again = ftui("deployments", "create", model, "--name", "weather-bot", "--yes", "--profile", "az")
    assert again.returncode == 2 and "already exists" in again.stderr

    listed = json.loads(ftui("deployments", "list", "--profile", "az", "--json").stdout)
    assert [(d["name"], d["model"], d["state"]) for d in listed] == [("weather-bot", model, "Succeeded")]
    text = ftui("deployments", "list", "--profile", "az")
    assert text.stdout.split() == ["weather-bot", "Succeeded", "GlobalStandard", "x2", model]

    kept = ftui("models", "delete", model, "--yes", "--profile", "az")
    assert kept.returncode == 1 and "is deployed as weather-bot" in kept.stderr
    assert "ftui deployments delete weather-bot" in kept.stderr and "Nothing was deleted" in kept.stderr

    printed = kept.stderr.split("the deployment first: ")[1].split(". Nothing")[0]
    assert printed == "ftui deployments delete weather-bot --profile az"  # runs as printed
    unconfirmed = ftui(*shlex.split(printed)[1:])
    assert unconfirmed.returncode == 2 and "Nothing was deleted" in unconfirmed.stderr
    deleted = ftui("deployments", "delete", "weather-bot", "--yes", "--json", "--profile", "az")
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {"name": "weather-bot", "deleted": True}
    assert json.loads(ftui("deployments", "list", "--profile", "az", "--json").stdout) == []
    gone = ftui("chat", "--profile", "az", "--model", "weather-bot", "hello")
    assert gone.returncode == 1 and "does not exist" in gone.stderr
    undeployed = ftui("chat", "--profile", "az", "--model", model, "hello")
    assert undeployed.returncode == 2 and "is not deployed on res" in undeployed.stderr
    assert "ftui deployments create" in undeployed.stderr and "Traceback" not in undeployed.stderr


def test_refusals_before_anything_is_spent(azure_model: tuple[str, str]) -> None:
    _, model = azure_model
    missing = ftui("deployments", "create", "nope-model", "--name", "bot", "--yes", "--profile", "az")
    assert missing.returncode == 2 and "nope-model is not a model" in missing.stderr
    bad_name = ftui("deployments", "create", model, "--name", "-bad name", "--yes", "--profile", "az")
    assert bad_name.returncode == 2 and "is not a deployment name" in bad_name.stderr
    half = ftui("deployments", "list", "--profile", "half")
    assert half.returncode == 2
    assert "needs subscription_id, account" in half.stderr and "[profiles.half]" in half.stderr
    assert "Traceback" not in half.stderr + missing.stderr + bad_name.stderr
    assert json.loads(ftui("deployments", "list", "--profile", "az", "--json").stdout) == []


def test_serve_azure_prints_a_profile_that_works(tmp_path) -> None:
    serve = subprocess.Popen(
        [sys.executable, "-m", "ftui", "sandbox", "serve", "--azure", "--port", "0", "--data-dir", str(tmp_path / "s")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert serve.stdout is not None
        lines = [serve.stdout.readline().rstrip("\n"), serve.stdout.readline().rstrip("\n")]
        _, key = serve_output(lines)
        while not lines or not lines[-1].startswith("management_url"):
            line = serve.stdout.readline()
            assert line, "serve ended before printing the profile"
            lines.append(line.rstrip("\n"))
        profile = "\n".join(lines[next(i for i, x in enumerate(lines) if x.startswith("[profiles.")) :])
        config = tmp_path / "config.toml"
        config.write_text(profile + "\n")
        env = {
            **os.environ,
            "FTUI_CONFIG": str(config),
            "SANDBOX_AZURE_KEY": key,  # the key: line, as the printed profile says
            **{f"XDG_{d}_HOME": str(tmp_path / d.lower()) for d in ("CONFIG", "DATA", "STATE")},
        }
        for args in (["deployments", "list"], ["jobs", "list"]):
            done = subprocess.run(
                [sys.executable, "-m", "ftui", *args, "--profile", "sandbox-azure", "--json"],
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
                stdin=subprocess.DEVNULL,
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout) == []
    finally:
        serve.terminate()
        serve.wait(timeout=10)


def test_every_printed_next_step_runs_as_printed(azure_model: tuple[str, str]) -> None:
    """The hints name the profile the command ran with: run as printed, they reach the same provider."""
    _, model = azure_model
    created = ftui("deployments", "create", model, "--name", "hint-bot", "--yes", "--profile", "az")
    assert created.returncode == 0, created.stderr
    hint = next(line for line in created.stderr.splitlines() if "chat with it:" in line)
    command = hint.split("chat with it: ")[1]
    assert command == "ftui chat --model hint-bot Hello --profile az"
    chat = ftui(*shlex.split(command)[1:])
    assert chat.returncode == 0, chat.stderr
    again = ftui("deployments", "create", model, "--name", "hint-bot", "--yes", "--profile", "az")
    assert again.returncode == 2 and "`ftui deployments delete hint-bot --profile az`" in again.stderr
    deleted = ftui("deployments", "delete", "hint-bot", "--yes", "--profile", "az")
    assert deleted.returncode == 0, deleted.stderr
