"""The headless twin: jobs events/checkpoints/watch --json, chat (stdin, --json, limits),
W&B and metadata in `jobs create`, exit codes, shell completion and the --debug log.
Run in-process against the built-in sandbox (each command starts it, as a user's would)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ftui.cli import build_parser, main
from ftui.sandbox.embedded import start_in_thread
from tests.conftest import SAMPLES
from tests.test_cli_jobs_create import uploaded_files

JOKES = str(SAMPLES / "weather_jokes.jsonl")


@pytest.fixture(autouse=True)
def fast_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "200")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one command; argparse's refusals count as exit codes."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def write_profile(base_url: str) -> None:
    """Profile ``p``: the server at ``base_url`` with the key in $FTUI_TEST_KEY."""
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[profiles.p]\nprovider = "compatible"\nbase_url = "{base_url}"\napi_key_env = "FTUI_TEST_KEY"\n'
    )


@pytest.fixture
def finished_job(capsys: pytest.CaptureFixture[str]) -> dict:
    """A job run to the end, and what `jobs watch --json` printed for it."""
    code, out, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", JOKES, "--json")
    assert code == 0, err
    job = json.loads(out)
    code, out, err = run(capsys, "jobs", "watch", job["id"], "--json")
    assert code == 0, err
    return {"id": job["id"], "lines": json_lines(out)}


def test_watch_json_is_each_event_then_the_final_job(finished_job: dict) -> None:
    *events, job = finished_job["lines"]
    assert all(e["object"] == "fine_tuning.job.event" for e in events)
    assert len({e["id"] for e in events}) == len(events)  # each event once
    assert events[0]["message"].startswith("Created fine-tuning job")
    assert events[-1]["message"] == "The job has successfully completed"
    assert any(e["type"] == "metrics" and e["data"]["step"] == 98 for e in events)
    assert job["object"] == "fine_tuning.job" and job["id"] == finished_job["id"] and job["status"] == "succeeded"


def test_events_oldest_first_with_a_limit(finished_job: dict, capsys: pytest.CaptureFixture[str]) -> None:
    watched = [e["id"] for e in finished_job["lines"][:-1]]
    code, out, _ = run(capsys, "jobs", "events", finished_job["id"], "--limit", "5", "--json")
    assert code == 0
    assert [e["id"] for e in json.loads(out)] == watched[-5:]
    code, out, _ = run(capsys, "jobs", "events", finished_job["id"], "--limit", "0", "--json")
    assert [e["id"] for e in json.loads(out)] == watched  # every page walked
    code, out, _ = run(capsys, "jobs", "events", finished_job["id"], "--limit", "3")
    lines = out.splitlines()
    assert len(lines) == 3 and lines[-1].endswith("The job has successfully completed")
    assert run(capsys, "jobs", "events", finished_job["id"], "--limit", "-1")[0] == 2


def test_checkpoints_list_the_last_three_epochs(finished_job: dict, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "jobs", "checkpoints", finished_job["id"], "--json")
    assert code == 0
    checkpoints = json.loads(out)
    assert [c["step_number"] for c in checkpoints] == [98, 84, 70]
    assert checkpoints[0]["fine_tuned_model_checkpoint"].endswith(":ckpt-step-98")
    code, out, _ = run(capsys, "jobs", "checkpoints", finished_job["id"])
    assert out.splitlines()[0].startswith("step     98") and "ckpt-step-98" in out and "loss 0." in out


def test_watch_json_exits_one_when_the_job_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "files", "upload", JOKES, "--json")
    file_id = json.loads(out)["id"]
    code, out, _ = run(
        capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", file_id, "--method", "dpo", "--json"
    )
    code, out, _ = run(capsys, "jobs", "watch", json.loads(out)["id"], "--json")
    assert code == 1
    job = json_lines(out)[-1]
    assert job["status"] == "failed" and "DPO needs preference pairs" in job["error"]["message"]


def test_unknown_job_is_one_sentence_and_exit_one(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("events", "checkpoints", "show"):
        code, out, err = run(capsys, "jobs", command, "ftjob-nope", "--json")
        assert code == 1 and out == ""
        assert "not found (404)" in err and "Traceback" not in err


# -- chat ---------------------------------------------------------------------------------
def test_chat_reads_the_prompt_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, b"Will it rain in Paris?\n")
    code, out, err = run(capsys, "chat", "--model", "gpt-4o-mini", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["prompt"] == "Will it rain in Paris?"  # the line ending is not part of the prompt
    (reply,) = data["replies"]
    assert reply["model"] == "gpt-4o-mini" and reply["text"] and reply["finish_reason"] == "stop"
    assert reply["completion_tokens"] > 0 and reply["total_ms"] >= reply["first_token_ms"] >= 0
    stdin(monkeypatch, b"Will it rain in Paris?")
    code, out, err = run(capsys, "chat", "--model", "gpt-4o-mini", "-")  # `-` reads stdin too
    assert code == 0 and "Paris" in out and "first token" in err


def test_chat_json_compares_two_models_with_limits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "chat",
        "--model",
        "gpt-4o-mini",
        "--compare",
        "gpt-4.1-mini",
        "--system",
        "Be brief.",
        "--temperature",
        "0.2",
        "--max-tokens",
        "3",
        "--json",
        "Will it snow tomorrow?",
    )
    assert code == 0, err
    data = json.loads(out)
    assert [r["model"] for r in data["replies"]] == ["gpt-4o-mini", "gpt-4.1-mini"]
    assert (data["system"], data["temperature"], data["max_tokens"]) == ("Be brief.", 0.2, 3)
    for reply in data["replies"]:
        assert reply["completion_tokens"] <= 3 and reply["finish_reason"] == "length"


@pytest.mark.parametrize(
    ("argv", "data", "said"),
    [
        (["--temperature", "3", "hi"], b"", "--temperature: 3 is out of range"),
        (["--temperature", "warm", "hi"], b"", "--temperature: 'warm' is not a number"),
        (["--max-tokens", "0", "hi"], b"", "--max-tokens: 0 is too small"),
        ([], b"  \n", "the prompt is empty"),
        (["-"], b"\xff\xfe rain", "stdin is not UTF-8 text"),
    ],
)
def test_chat_misuse_exits_two(
    argv: list[str], data: bytes, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, data)
    code, out, err = run(capsys, "chat", "--model", "gpt-4o-mini", *argv)
    assert code == 2 and out == ""
    assert said in err and "Traceback" not in err


def test_chat_with_an_unknown_model_exits_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "chat", "--model", "gpt-nope", "hi")
    assert code == 1 and "not found (404)" in err


# -- W&B and metadata ---------------------------------------------------------------------
def test_create_sends_wandb_and_metadata_and_show_prints_them(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "jobs",
        "create",
        "--model",
        "gpt-4o-mini",
        "--training-file",
        JOKES,
        "--wandb-project",
        "weather",
        "--wandb-entity",
        "acme",
        "--wandb-name",
        "run 1",
        "--wandb-tag",
        "jokes",
        "--wandb-tag",
        "v2",
        "--metadata",
        "team=nlp",
        "--metadata",
        "note=a=b",
        "--json",
    )
    assert code == 0, err
    job = json.loads(out)
    assert job["integrations"] == [
        {"type": "wandb", "wandb": {"project": "weather", "entity": "acme", "name": "run 1", "tags": ["jokes", "v2"]}}
    ]
    assert job["metadata"]["team"] == "nlp" and job["metadata"]["note"] == "a=b"
    code, out, _ = run(capsys, "jobs", "show", job["id"])
    assert "W&B project weather (entity acme; run run 1; tags jokes, v2)" in out
    assert "metadata         team=nlp, note=a=b" in out and "ftui_request" not in out


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--metadata", "team"], "--metadata: 'team' is not key=value"),
        (["--metadata", "=x"], "--metadata: '=x' is not key=value"),
        (["--metadata", "a=1", "--metadata", "a=2"], "the key 'a' is given twice"),
        ([a for i in range(16) for a in ("--metadata", f"k{i}=v")], "16 pairs; at most 15"),
        (["--metadata", "k" * 65 + "=v"], "65 characters; at most 64"),
        (["--metadata", "k=" + "v" * 513], "the value of 'k' has 513 characters; at most 512"),
        (["--metadata", "ftui_request=x"], "the key 'ftui_request' is ftui's own"),
        (["--wandb-entity", "acme"], "--wandb: an entity, run name or tags need a project too"),
        (["--wandb-project", "p", "--wandb-tag", "t" * 65], "65 characters; at most 64"),
    ],
)
def test_bad_wandb_or_metadata_is_refused_before_uploading(
    extra: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", JOKES, *extra)
    assert code == 2, err
    assert said in err and "Nothing was uploaded" in err
    assert uploaded_files() == []


# -- exit codes ---------------------------------------------------------------------------
def test_exit_codes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "jobs", "list", "--base-url", "http://127.0.0.1:9/v1")
    assert code == 3 and "could not reach 127.0.0.1:9" in err
    assert run(capsys, "jobs", "list", "--profile", "missing")[0] == 2  # config
    assert run(capsys, "jobs", "frobnicate")[0] == 2  # misuse
    assert run(capsys, "jobs", "cancel", "ftjob-nope")[0] == 1  # the provider said no
    monkeypatch.setenv("FTUI_SANDBOX_FAULTS", "500=1.0")
    code, _, err = run(capsys, "models", "list")
    assert code == 3 and "internal error (500)" in err  # after the SDK's retries
    monkeypatch.setenv("FTUI_SANDBOX_FAULTS", "429=1.0")
    code, _, err = run(capsys, "models", "list")
    assert code == 3 and "rate limited (429)" in err


def test_a_refused_key_exits_three(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = start_in_thread(tmp_path / "sb", api_key="right-key")
    try:
        monkeypatch.setenv("FTUI_TEST_KEY", "wrong-key")
        write_profile(sandbox.base_url)
        code, _, err = run(capsys, "jobs", "list", "--profile", "p")
        assert code == 3 and "rejected the API key (401)" in err and "wrong-key" not in err
    finally:
        sandbox.stop()


def test_a_model_with_no_azure_deployment_is_a_config_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[profiles.az]\nprovider = "azure"\nbase_url = "http://127.0.0.1:9"\napi_version = "2025-04-01-preview"\n'
        'api_key_env = "FTUI_TEST_KEY"\n'
    )
    monkeypatch.setenv("FTUI_TEST_KEY", "k")
    code, _, err = run(capsys, "chat", "--profile", "az", "--model", "gpt-4.1-2025-04-14.ft-abc", "hi")
    assert code == 2 and "has no deployment in profile 'az'" in err


def test_every_command_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        [],
        ["jobs", "events"],
        ["jobs", "watch"],
        ["chat"],
        ["files", "list"],
        ["models", "list"],
        ["jobs", "create"],
    ):
        code, out, _ = run(capsys, *argv, "--help")
        text = " ".join(out.split())
        assert code == 0
        assert "0 ok" in text and "2 misuse or unreadable input" in text, argv
        assert "3 the provider could not be reached or refused" in text, argv


# -- --debug ------------------------------------------------------------------------------
def test_debug_log_has_request_ids_and_timings_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "sk-proj-" + "Z9" * 20
    sandbox = start_in_thread(tmp_path / "sb", api_key=key, speed=200)
    try:
        monkeypatch.setenv("FTUI_TEST_KEY", key)
        write_profile(sandbox.base_url)
        code, out, err = run(
            capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", JOKES, "--profile", "p", "--debug"
        )
        assert code == 0, err
        path = Path(re.search(r"debug log: (\S+)", err).group(1))
        log = path.read_text()
        assert (path.stat().st_mode & 0o777) == 0o600
        assert re.search(r"POST \S+/v1/files -> 200 in \d+ ms, request id req_[0-9a-f]+", log)
        assert re.search(r"POST \S+/v1/fine_tuning/jobs -> 200 in \d+ ms", log)
        assert "exit 0 after" in log
        # A refused key: the error is logged, the key (right or wrong) never.
        monkeypatch.setenv("FTUI_TEST_KEY", key + "x")
        code, _, err = run(capsys, "jobs", "list", "--profile", "p", "--debug")
        assert code == 3
        second = Path(re.search(r"debug log: (\S+)", err).group(1))
        assert second != path
        failed = second.read_text()
        assert "-> 401" in failed and "AuthenticationError" in failed and "exit 3" in failed
        for text in (log, failed, out, err):
            assert key not in text and "Z9Z9Z9" not in text
    finally:
        sandbox.stop()


# -- shell completion ---------------------------------------------------------------------
def complete_in_bash(script: str, words: list[str]) -> list[str]:
    """What bash offers after ``words`` (the last one being typed), with the generated script."""
    line = " ".join(words)
    probe = (
        f"{script}\n"
        f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n"
        "_shtab_ftui\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_bash_completion_knows_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, script, _ = run(capsys, "completion", "bash")
    assert code == 0
    assert complete_in_bash(script, ["ftui", "jobs", "ch"]) == ["checkpoints"]
    assert set(complete_in_bash(script, ["ftui", "jobs", "create", "--wandb-"])) == {
        "--wandb-project",
        "--wandb-entity",
        "--wandb-name",
        "--wandb-tag",
    }
    assert "completion" in complete_in_bash(script, ["ftui", "co"])


def test_zsh_tcsh_and_fish_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    code, zsh, _ = run(capsys, "completion", "zsh")
    assert code == 0 and zsh.startswith("#compdef ftui") and "checkpoints" in zsh
    assert run(capsys, "completion", "tcsh")[0] == 0
    code, fish, _ = run(capsys, "completion", "fish")
    assert code == 0
    assert "complete -c ftui -n '__ftui_at \\'jobs\\'' -a 'checkpoints'" in fish
    assert "complete -c ftui -n '__ftui_at \\'jobs create\\'' -l wandb-project -r" in fish
    assert "complete -c ftui -n '__ftui_at \\'completion\\'' -a 'bash zsh tcsh fish'" in fish
    assert "-l training-file -r -F" in fish  # paths complete as files
    if shutil.which("fish"):  # where fish is installed, ask it what it completes
        probe = f"{fish}\ncomplete -C 'ftui jobs ch'; complete -C 'ftui files download x --'"
        out = subprocess.run(["fish", "--no-config", "-c", probe], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        offered = [line.split("\t")[0] for line in out.stdout.splitlines()]
        assert offered[0] == "checkpoints" and {"--output", "--force", "--json"} <= set(offered[1:])
    assert run(capsys, "completion", "powershell")[0] == 2


def test_building_the_parser_does_not_load_shtab() -> None:
    probe = "import sys\nfrom ftui.cli import build_parser\nbuild_parser().format_help()\nprint('shtab' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"
    assert build_parser().prog == "ftui"
