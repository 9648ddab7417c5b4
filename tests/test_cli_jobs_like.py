"""`ftui jobs create --like JOB` (the same job again on another profile) and `ftui jobs compare A B`,
in-process against two sandboxes: one seen through an OpenAI profile, one through an Azure profile
(its Azure face), each with its own state."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI

from ftui.cli import main
from ftui.data.catalog import load_catalog
from ftui.provider.rerun import job_suffix, resolved_hyperparameters
from ftui.sandbox.embedded import EmbeddedSandbox
from tests.conftest import SAMPLES, chat

KEY = "like-test-key-0123456789"
JOKES = SAMPLES / "weather_jokes.jsonl"
API_VERSION = "2025-04-01-preview"


@pytest.fixture
def sandboxes(tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Two sandboxes and a config.toml with the profiles `oa` (OpenAI face of the first), `az`
    (Azure face of the second) and `local` (a compatible server: the second's /v1)."""
    monkeypatch.setenv("FTUI_SANDBOX_KEY", KEY)
    first = EmbeddedSandbox(tmp_path / "sb-openai", speed=400, api_key=KEY, log_to_file=False)
    second = EmbeddedSandbox(tmp_path / "sb-azure", speed=400, api_key=KEY, log_to_file=False)
    oa, az = first.start(), second.start().removesuffix("/v1")
    config = isolated_env / "config" / "ftui"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        f"""
[profiles.oa]
provider = "openai"
base_url = "{oa}"
api_key_env = "FTUI_SANDBOX_KEY"

[profiles.az]
provider = "azure"
base_url = "{az}"
api_version = "{API_VERSION}"
api_key_env = "FTUI_SANDBOX_KEY"

[profiles.local]
provider = "compatible"
base_url = "{az}/v1"
api_key_env = "FTUI_SANDBOX_KEY"
""",
        encoding="utf-8",
    )
    try:
        yield {"oa": oa, "az": az, "local": f"{az}/v1"}
    finally:
        first.stop()
        second.stop()


def client_for(urls: dict[str, str], profile: str) -> AsyncOpenAI:
    if profile == "az":
        return AsyncAzureOpenAI(azure_endpoint=urls["az"], api_key=KEY, api_version=API_VERSION)
    return AsyncOpenAI(base_url=urls[profile], api_key=KEY)


def ask(urls: dict[str, str], profile: str, what: str, *args: Any) -> Any:
    """One read through the real SDK: ``job`` (by id), ``files`` (all), ``content`` (a file's bytes)."""

    async def go() -> Any:
        client = client_for(urls, profile)
        try:
            if what == "job":
                return await client.fine_tuning.jobs.retrieve(args[0])
            if what == "files":
                return [f async for f in client.files.list()]
            return (await client.files.content(args[0])).content
        finally:
            await client.close()

    return asyncio.run(go())


def uploads(urls: dict[str, str], profile: str) -> list[str]:
    """The names of the files uploaded to ``profile`` (not the results files its jobs write)."""
    return sorted(
        f.filename for f in ask(urls, profile, "files") if f.purpose == "fine-tune" and "metrics" not in f.filename
    )


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 and out.strip() else None), err


@pytest.fixture
def original(sandboxes: dict[str, str], tmp_path: Path, write_jsonl: Any, capsys: pytest.CaptureFixture[str]) -> Any:
    """A supervised job on `oa` (gpt-3.5-turbo, auto epochs/batch/lr, suffix, seed, validation file)."""
    valid = write_jsonl([chat(f"Weather in town {i}?", f"Cloudy {i}.") for i in range(12)], name="valid.jsonl")
    code, job, err = run_json(
        capsys,
        *("jobs", "create", "--profile", "oa", "--model", "gpt-3.5-turbo", "--training-file", str(JOKES)),
        *("--validation-file", str(valid), "--suffix", "weather", "--seed", "42", "--json"),
    )
    assert code == 0, err
    job = ask(sandboxes, "oa", "job", job["id"])
    _, hp = resolved_hyperparameters(job)
    assert all(isinstance(hp[k], int | float) for k in ("n_epochs", "batch_size", "learning_rate_multiplier"))
    return job, valid


def spy_requests(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The JobRequests `jobs create` sends (and still sends them)."""
    from ftui.provider import jobs

    sent: list[Any] = []
    real = jobs.create_job  # job_intent sends through the provider module's create_job

    async def create_job(client: Any, request: Any, **kwargs: Any) -> Any:
        sent.append(request)
        return await real(client, request, **kwargs)

    monkeypatch.setattr(jobs, "create_job", create_job)
    return sent


def test_like_runs_the_same_job_on_azure_with_the_same_bytes_and_settings(
    sandboxes: dict[str, str], original: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    job, valid = original
    sent = spy_requests(monkeypatch)
    code, new, err = run_json(
        capsys, "jobs", "create", "--like", job.id, "--from-profile", "oa", "--profile", "az", "--json"
    )
    assert code == 0, err
    request = sent[-1]
    catalog = load_catalog()
    # The model as Azure names it (gpt-35-turbo-...), not OpenAI's snapshot name.
    assert request.model == catalog.lookup(job.model).azure_name and request.model != job.model
    created = ask(sandboxes, "az", "job", new["id"])
    assert catalog.lookup(created.model).name == catalog.lookup(job.model).name
    # The resolved hyperparameters of the original, never auto; its method, suffix and seed.
    _, before = resolved_hyperparameters(job)
    _, after = resolved_hyperparameters(created)
    for key in ("n_epochs", "batch_size", "learning_rate_multiplier"):
        assert getattr(request, key) == before[key]
        assert after[key] == before[key]
    assert (created.method.type if created.method else "supervised") == "supervised"
    assert request.suffix == "weather" == job_suffix(job)
    assert created.seed == job.seed == 42
    # The same training and validation bytes.
    assert ask(sandboxes, "az", "content", created.training_file) == JOKES.read_bytes()
    assert ask(sandboxes, "az", "content", created.validation_file) == valid.read_bytes()
    assert uploads(sandboxes, "az") == ["valid.jsonl", "weather_jokes.jsonl"]

    # Again: the same job on the same target within a day is a repeat (asked about; no terminal
    # here, so refused, nothing created) ...
    code = main(["jobs", "create", "--like", job.id, "--from-profile", "oa", "--profile", "az"])
    out, err = capsys.readouterr()
    assert code == 2 and "The same job" in err and "--again" in err, err
    # ... and with --again, Azure's copies (same sha256) are used, nothing is uploaded twice.
    code = main(["jobs", "create", "--like", job.id, "--from-profile", "oa", "--profile", "az", "--again"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("ftjob-") and "has the same content as" in err
    said = f"{job.id} (profile oa) again on az: {request.model}, supervised, epochs {before['n_epochs']}, "
    assert said in err and "suffix weather, seed 42" in err
    assert uploads(sandboxes, "az") == ["valid.jsonl", "weather_jokes.jsonl"]
    assert sent[-1].training_file == created.training_file and sent[-1].validation_file == created.validation_file


def test_like_to_a_server_with_no_mapping_needs_model(
    sandboxes: dict[str, str], original: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    job, _ = original
    before = uploads(sandboxes, "local")
    code = main(["jobs", "create", "--like", job.id, "--from-profile", "oa", "--profile", "local"])
    err = capsys.readouterr().err
    assert code == 2, err
    problem = [line for line in err.splitlines() if line.startswith("ftui: ")]
    assert len(problem) == 1 and "--model is required" in problem[0] and "Nothing was uploaded" in problem[0], err
    assert uploads(sandboxes, "local") == before
    # With --model it runs there.
    code, new, err = run_json(
        capsys,
        *("jobs", "create", "--like", job.id, "--from-profile", "oa", "--profile", "local"),
        *("--model", "gpt-4o-mini", "--json"),
    )
    assert code == 0, err
    assert new["seed"] == 42 and load_catalog().lookup(new["model"]).name == "gpt-4o-mini-2024-07-18"


def test_like_refuses_a_suffix_azure_would_refuse_before_uploading(
    sandboxes: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, job, err = run_json(
        capsys,
        *("jobs", "create", "--profile", "oa", "--model", "gpt-4o-mini", "--training-file", str(JOKES)),
        *("--suffix", "a-rather-long-suffix-name", "--json"),
    )
    assert code == 0, err
    code = main(["jobs", "create", "--like", job["id"], "--from-profile", "oa", "--profile", "az"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--suffix:" in err and "at most 18" in err and "give --suffix to change it" in err
    assert ask(sandboxes, "az", "files") == []


def write_export(folder: Path, job: Any, files: dict[str, bytes]) -> Path:
    """An `ftui export` folder in the manifest's shape, holding ``job`` and its files."""
    (folder / "files").mkdir(parents=True)
    (folder / "jobs").mkdir()
    entries = []
    for file_id, data in files.items():
        (folder / "files" / file_id).write_bytes(data)
        entries.append(
            {
                "id": file_id,
                "filename": f"{file_id}.jsonl",
                "purpose": "fine-tune",
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "path": f"files/{file_id}",
            }
        )
    (folder / "jobs" / f"{job.id}.json").write_text(json.dumps(job.model_dump(mode="json")), encoding="utf-8")
    manifest = {
        "profile": "oa",
        "exported_at": 0,
        "files": entries,
        "jobs": [{"id": job.id, "path": f"jobs/{job.id}.json", "events_path": None, "events": 0, "checkpoints": []}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_like_from_an_export_folder(
    sandboxes: dict[str, str],
    original: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    job, valid = original
    files = {job.training_file: JOKES.read_bytes(), job.validation_file: valid.read_bytes()}
    export = write_export(tmp_path / "export", job, files)
    sent = spy_requests(monkeypatch)
    code, new, err = run_json(
        capsys, "jobs", "create", "--like", job.id, "--from", str(export), "--profile", "az", "--json"
    )
    assert code == 0, err
    assert sent[-1].model == load_catalog().lookup(job.model).azure_name
    created = ask(sandboxes, "az", "job", new["id"])
    assert ask(sandboxes, "az", "content", created.training_file) == JOKES.read_bytes()
    assert uploads(sandboxes, "az") == sorted([f"{job.training_file}.jsonl", f"{job.validation_file}.jsonl"])
    assert created.seed == 42

    # A damaged export is refused with the file named, before anything is uploaded.
    (export / "files" / job.training_file).write_bytes(b"changed")
    code = main(["jobs", "create", "--like", job.id, "--from", str(export), "--profile", "az"])
    err = capsys.readouterr().err
    assert code == 2 and "damaged" in err and job.training_file in err
    code = main(["jobs", "create", "--like", "ftjob-nope", "--from", str(export), "--profile", "az"])
    assert code == 2 and "has no job ftjob-nope" in capsys.readouterr().err
    assert len(uploads(sandboxes, "az")) == 2


def test_compare_two_runs(sandboxes: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    ids = []
    for epochs in ("1", "2"):
        code, job, err = run_json(
            capsys,
            *("jobs", "create", "--profile", "oa", "--model", "gpt-4o-mini", "--training-file", str(JOKES)),
            *("--epochs", epochs, "--json"),
        )
        assert code == 0, err
        ids.append(job["id"])
    for job_id in ids:
        assert main(["jobs", "watch", job_id, "--profile", "oa"]) == 0
    capsys.readouterr()
    code, both, err = run_json(capsys, "jobs", "compare", *ids, "--profile", "oa", "--json")
    assert code == 0, err
    a, b = both["a"], both["b"]
    assert (a["id"], b["id"]) == tuple(ids)
    price = load_catalog().lookup("gpt-4o-mini").training_price
    for side, job_id in ((a, ids[0]), (b, ids[1])):
        code, events, _ = run_json(capsys, "jobs", "events", job_id, "--limit", "0", "--profile", "oa", "--json")
        metrics = [e["data"] for e in events if e.get("type") == "metrics"]
        job = ask(sandboxes, "oa", "job", job_id)
        assert side["final_train_loss"] == metrics[-1]["train_loss"]
        assert side["best_train_loss"] == min(m["train_loss"] for m in metrics)
        assert side["final_train_accuracy"] == metrics[-1]["train_mean_token_accuracy"]
        assert side["steps"] == side["total_steps"] == metrics[-1]["total_steps"]
        assert side["trained_tokens"] == job.trained_tokens
        assert side["cost_usd"] == pytest.approx(job.trained_tokens * price / 1e6)
        assert side["duration_s"] is not None and side["duration_s"] >= 0
    assert b["steps"] == 2 * a["steps"]

    code = main(["jobs", "compare", *ids, "--profile", "oa"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert ids[0] in out[0] and ids[1] in out[0]
    row = next(line for line in out if line.startswith("final train loss"))
    assert f"{a['final_train_loss']:.4f}" in row and f"{b['final_train_loss']:.4f}" in row
    steps = next(line for line in out if line.startswith("steps"))
    assert f"{a['steps']}/{a['total_steps']}" in steps and f"{b['steps']}/{b['total_steps']}" in steps
    assert any(line.startswith("cost") and "$" in line for line in out)


def test_like_on_its_own_profile_keeps_the_model_and_refuses_unresolved_hyperparameters(
    sandboxes: dict[str, str], original: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job, valid = original
    code, new, err = run_json(capsys, "jobs", "create", "--like", job.id, "--profile", "oa", "--json")
    assert code == 0, err
    assert new["model"] == job.model and new["seed"] == 42
    assert uploads(sandboxes, "oa") == ["valid.jsonl", "weather_jokes.jsonl"]  # oa's copies, reused

    # A job that has not started yet still says "auto": ftui will not guess what it would resolve to.
    waiting = job.model_copy(
        update={"hyperparameters": job.hyperparameters.model_copy(update={"n_epochs": "auto"}), "method": None}
    )
    files = {job.training_file: JOKES.read_bytes(), job.validation_file: valid.read_bytes()}
    export = write_export(tmp_path / "export", waiting, files)
    code = main(["jobs", "create", "--like", job.id, "--from", str(export), "--profile", "az"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "has not resolved n_epochs yet" in err and "give --epochs" in err and "Nothing was uploaded" in err
    assert uploads(sandboxes, "az") == []
    # Given on the command line, it goes ahead with the rest of the original's settings.
    code, new, err = run_json(
        capsys,
        *("jobs", "create", "--like", job.id, "--from", str(export), "--profile", "az", "--epochs", "2", "--json"),
    )
    assert code == 0, err
    _, hp = resolved_hyperparameters(ask(sandboxes, "az", "job", new["id"]))
    assert hp["n_epochs"] == 2 and hp["batch_size"] == job.hyperparameters.batch_size
