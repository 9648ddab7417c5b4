"""`ftui jobs create`: everything checked locally before any upload, the cost for the epochs
asked, and the "may have been created" outcome (exit 3). Run in-process against the sandbox."""

from __future__ import annotations

import asyncio

import pytest

from ftui.api_facts import epochs_word
from ftui.cli import main
from ftui.data.catalog import load_catalog
from ftui.data.validate import validate_file
from ftui.provider.jobs import JobMayExist
from ftui.sandbox.server import SandboxServer, default_data_dir
from tests.conftest import SAMPLES, sandbox_client

JOKES = str(SAMPLES / "weather_jokes.jsonl")
DPO = str(SAMPLES / "dpo.jsonl")
COMPLETION = str(SAMPLES / "completion.jsonl")


@pytest.fixture(autouse=True)
def fast_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "200")


def uploaded_files() -> list[str]:
    async def go() -> list[str]:
        server = SandboxServer(default_data_dir())
        await server.start()
        client = sandbox_client(server)
        try:
            return [f.id for f in (await client.files.list()).data]
        finally:
            await client.close()
            await server.stop()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--training-file", JOKES, "--epochs", "0"], "--epochs: 0 is out of range; it must be a whole number from 1"),
        (["--training-file", JOKES, "--epochs", "51"], "--epochs: 51 is out of range"),
        (["--training-file", JOKES, "--epochs", "two"], "--epochs: 'two' is not a whole number"),
        (["--training-file", JOKES, "--batch-size", "257"], "--batch-size: 257 is out of range"),
        (["--training-file", JOKES, "--lr-multiplier", "0"], "--lr-multiplier: 0 is out of range"),
        (["--training-file", DPO, "--method", "dpo", "--beta", "2.5"], "--beta: 2.5 is out of range"),
        (["--training-file", JOKES, "--beta", "0.1"], "--beta: only DPO uses beta"),
        (["--training-file", JOKES, "--suffix", "x" * 65], "--suffix: 65 characters; at most 64"),
        (["--training-file", JOKES, "--suffix", "bad name!"], "--suffix: 'bad name!' has characters"),
        (["--training-file", JOKES, "--seed", "-1"], "--seed: it must be a whole number from 0 to 2147483647"),
        (["--training-file", JOKES, "--seed", "2147483648"], "--seed: it must be a whole number"),
        (
            ["--training-file", JOKES, "--method", "dpo"],
            "--training-file: the file is in chat format, but DPO needs preference pairs",
        ),
        (
            ["--training-file", COMPLETION, "--method", "dpo"],
            "--training-file: the file is in completion format, but DPO",
        ),
        (["--training-file", DPO], "--training-file: the file holds DPO preference pairs, but supervised"),
        (
            ["--training-file", DPO, "--method", "dpo", "--validation-file", JOKES],
            "--validation-file: the file is in chat format, but DPO needs preference pairs",
        ),
    ],
)
def test_create_refuses_before_uploading_anything(
    extra: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["jobs", "create", "--model", "gpt-4o-mini", *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    problem = [line for line in err.splitlines() if line.startswith("ftui: ")]
    assert len(problem) == 1 and problem[0].startswith(f"ftui: {said}"), err
    assert "Nothing was uploaded" in problem[0]
    assert uploaded_files() == []


def test_azure_suffix_limit_is_18(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
    code = main(["jobs", "create", "--model", "gpt-4o-mini", "--training-file", JOKES, "--suffix", "s" * 19])
    assert code == 2
    assert "--suffix: 19 characters; at most 18 are allowed on Azure" in capsys.readouterr().err


def test_cost_uses_the_epochs_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    report = validate_file(SAMPLES / "weather_jokes.jsonl", "gpt-4o-mini")
    billing = report.estimate.billing_tokens
    price = load_catalog().lookup("gpt-4o-mini").training_price
    assert price

    def cost_line(*extra: str) -> str:
        code = main(["jobs", "create", "--model", "gpt-4o-mini", "--training-file", JOKES, *extra])
        err = capsys.readouterr().err
        assert code == 0, err
        return next(line for line in err.splitlines() if line.startswith("weather_jokes.jsonl:"))

    two = cost_line("--epochs", "2", "--batch-size", "auto", "--lr-multiplier", "auto")
    assert f"2 epochs × {billing:,} tokens = {2 * billing:,} training tokens" in two
    assert f"${2 * billing * price / 1e6:.4f}" in two
    one = cost_line("--epochs", "1")
    assert "1 epoch ×" in one and f"= {billing:,} training tokens" in one and "1 epochs" not in one
    auto = cost_line("--epochs", "auto")
    n = report.estimate.epochs
    assert f"{epochs_word(n)} (auto) × {billing:,} tokens = {n * billing:,} training tokens" in auto


def test_dpo_with_beta_auto_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--training-file", DPO, "--method", "dpo", "--beta", "auto"]
    code = main(["jobs", "create", "--model", "gpt-4o-mini", *args])
    assert code == 0, capsys.readouterr().err


def test_every_option_says_its_range_and_the_tui_usage_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["jobs", "create", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for fact in ("from 1 to 50", "from 1 to 256", "above 0, or auto", "at most 2", "up to 64", "18 on Azure"):
        assert fact in text, fact
    assert "0 to 2147483647" in text and text.count("default:") >= 8
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "ftui [FILE] [--profile NAME] [--base-url URL]" in capsys.readouterr().out


def test_a_job_that_may_exist_exits_3_and_never_says_failed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def lost(*args: object, **kwargs: object) -> None:
        raise JobMayExist("A fine-tuning job may have been created. Check with `ftui jobs list`.", "file-abc")

    monkeypatch.setattr("ftui.provider.jobs.create_job", lost)
    code = main(
        [
            "jobs",
            "create",
            "--model",
            "gpt-4o-mini",
            "--training-file",
            "file-abc",
            "--base-url",
            "http://127.0.0.1:9/v1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert "may have been created" in err and "ftui jobs list" in err and "failed" not in err
