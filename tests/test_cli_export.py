"""`ftui export DIR`: complete, idempotent (a second run rewrites nothing), resumed after a real
`ftui export` process is killed with SIGKILL, hostile names kept inside DIR, a file the provider
deleted named with exit 1, an unreachable provider exit 3. Against a sandbox on loopback,
through the real command line."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from ftui.export.manifest import ExportDir
from ftui.sandbox.embedded import EmbeddedSandbox, start_in_thread
from ftui.sandbox.faults import Faults
from tests.conftest import ROOT, SAMPLES
from tests.test_cli_headless import run, write_profile

JOKES = SAMPLES / "weather_jokes.jsonl"
KEY = "export-test-key"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedSandbox]:
    """A sandbox on loopback and profile ``p`` pointing at it."""
    box = start_in_thread(tmp_path / "sb", api_key=KEY, speed=200)
    monkeypatch.setenv("FTUI_TEST_KEY", KEY)
    write_profile(box.base_url)
    yield box
    box.stop()


def sdk(box: EmbeddedSandbox) -> openai.OpenAI:
    return openai.OpenAI(base_url=box.base_url, api_key=KEY, max_retries=0)


def finished_job(capsys: pytest.CaptureFixture[str], training: str = str(JOKES)) -> dict:
    code, out, err = run(
        capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", training, "--suffix", "bot",
        "--seed", "7", "--epochs", "2", "--profile", "p", "--json",
    )  # fmt: skip
    assert code == 0, err
    job = json.loads(out)
    code, _, err = run(capsys, "jobs", "watch", job["id"], "--profile", "p")
    assert code == 0, err
    return job


def export(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run(capsys, "export", str(root), "--profile", "p", "--json", *extra)
    return code, (json.loads(out) if out.strip() else {}), err


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: (inode, mtime in ns)."""
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_export_is_complete_and_a_second_run_rewrites_nothing(sandbox, tmp_path: Path, capsys) -> None:
    job = finished_job(capsys)
    root = tmp_path / "backup"
    code, summary, err = export(capsys, root)
    assert code == 0, err
    assert summary["complete"] is True and summary["missing"] == [] and summary["jobs"] == 1
    assert "fetched at" in err and "/s" in err  # progress: items, bytes and a rate
    export_dir = ExportDir.open(root)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["profile"] == "p" and manifest["exported_at"]
    for entry in manifest["files"]:  # every download checked by size and sha256
        data = (root / entry["path"]).read_bytes()
        assert len(data) == entry["bytes"] and sha(data) == entry["sha256"]
    entry = export_dir.job(job["id"])
    assert entry is not None and entry.status == "succeeded"
    assert entry.training_file == job["training_file"] and entry.seed == 7 and entry.method == "supervised"
    assert entry.hyperparameters["n_epochs"] == 2 and "bot" in (entry.fine_tuned_model or "")
    training = export_dir.file_path(job["training_file"])
    assert training is not None and training.read_bytes() == JOKES.read_bytes()
    assert [export_dir.file(f) is not None for f in entry.result_files] == [True]
    events = export_dir.events(job["id"])
    assert len(events) == entry.events > 10 and events[0]["message"].startswith("Created fine-tuning job")
    assert events[-1]["message"] == "The job has successfully completed"  # oldest first, all of them
    checkpoints = json.loads((root / entry.checkpoints_path).read_text())
    assert len(checkpoints) == entry.checkpoints == 2
    assert any(m["id"] == entry.fine_tuned_model and m["shutdown_date"] for m in manifest["models"])

    before = stats(root)
    code, summary, err = export(capsys, root)
    assert code == 0, err
    assert summary["written"] == [] and summary["fetched_bytes"] == 0
    assert stats(root) == before  # no file rewritten: same inodes, same mtimes

    # Something new: only it is fetched and written.
    run(capsys, "files", "upload", str(SAMPLES / "dpo.jsonl"), "--profile", "p")
    code, summary, err = export(capsys, root)
    assert code == 0, err
    new_files = [w for w in summary["written"] if w.startswith("files/")]
    assert len(new_files) == 1 and new_files[0].endswith("/dpo.jsonl")
    assert summary["fetched_bytes"] == (SAMPLES / "dpo.jsonl").stat().st_size
    after = stats(root)
    assert {k: v for k, v in after.items() if k in before and k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }


def test_a_killed_export_leaves_no_torn_file_and_the_next_run_completes_it(
    sandbox: EmbeddedSandbox, tmp_path: Path, capsys
) -> None:
    client = sdk(sandbox)
    sources = {}
    for i in range(4):
        data = JOKES.read_bytes() * (i + 1)
        f = client.files.create(file=(f"part{i}.jsonl", data), purpose="fine-tune")
        sources[f.id] = data
    root = tmp_path / "backup"
    assert sandbox.server is not None
    sandbox.server.faults = Faults("slow=1:0.4")  # every answer late: the kill lands mid-download
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ftui", "export", str(root), "--profile", "p"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            placed = list((root / "files").glob("*/*")) if (root / "files").is_dir() else []
            in_flight = list((root / ".partial").glob("*.part")) if (root / ".partial").is_dir() else []
            if placed and in_flight:  # one file done, the next one half-way
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL  # it was killed, not finished
    assert not (root / "manifest.json").exists()
    placed = list((root / "files").glob("*/*"))
    assert placed and len(placed) < len(sources)
    for path in placed:  # what is in place is whole
        assert path.read_bytes() == sources[path.parent.name]
    assert list((root / ".partial").glob("*.part"))  # the torn download is only in .partial

    sandbox.server.faults = Faults(None)
    code, summary, err = export(capsys, root)
    assert code == 0, err
    assert summary["complete"] and summary["files"] == len(sources)
    assert sorted(p.name for p in (root / ".partial").iterdir()) == ["lock"]  # the leftover is gone
    export_dir = ExportDir.open(root)
    for file_id, data in sources.items():
        path = export_dir.file_path(file_id)
        assert path is not None and path.read_bytes() == data
    refetched = {w for w in summary["written"] if w.startswith("files/")}
    assert {str(p.relative_to(root)) for p in placed}.isdisjoint(refetched)  # what was whole is kept


def test_hostile_names_never_leave_the_folder(sandbox: EmbeddedSandbox, tmp_path: Path, capsys) -> None:
    client = sdk(sandbox)
    names = ["../../../outside.jsonl", "..", "/etc/passwd", "b\\..\\..\\c.jsonl", "é" * 300 + ".jsonl"]
    ids = [client.files.create(file=(name, b'{"a": 1}\n'), purpose="fine-tune").id for name in names]
    root = tmp_path / "inner" / "backup"
    code, _summary, err = export(capsys, root)
    assert code == 0, err
    assert "\x1b" not in err and "\x07" not in err
    assert sorted(p.name for p in (tmp_path / "inner").iterdir()) == ["backup"]  # nothing beside it
    export_dir = ExportDir.open(root)
    for file_id in ids:
        path = export_dir.file_path(file_id)
        assert path is not None and path.is_relative_to(root.resolve()) and path.read_bytes() == b'{"a": 1}\n'
        assert path.parent.parent == (root / "files").resolve()
        assert len(path.name.encode()) <= 255 and "\x1b" not in path.name and "/" not in path.name
    assert not (tmp_path / "outside.jsonl").exists()


def test_a_file_the_provider_deleted_is_named_and_exit_1(sandbox: EmbeddedSandbox, tmp_path: Path, capsys) -> None:
    job = finished_job(capsys)
    sdk(sandbox).files.delete(job["training_file"])
    root = tmp_path / "backup"
    code, summary, err = export(capsys, root)
    assert code == 1
    assert summary["complete"] is False
    (missing,) = summary["missing"]
    assert missing["kind"] == "file" and missing["id"] == job["training_file"]
    assert "deleted it (404)" in missing["reason"] and job["id"] in missing["reason"]
    assert f"missing: file {job['training_file']}: the provider has deleted it (404)" in err
    assert json.loads((root / "manifest.json").read_text())["complete"] is False
    # everything else is there: the job and its results
    assert ExportDir.open(root).job(job["id"]) is not None


def test_a_file_kept_by_an_earlier_export_still_stands_when_the_provider_deletes_it(
    sandbox: EmbeddedSandbox, tmp_path: Path, capsys
) -> None:
    job = finished_job(capsys)
    root = tmp_path / "backup"
    assert export(capsys, root)[0] == 0
    sdk(sandbox).files.delete(job["training_file"])
    code, _summary, err = export(capsys, root)
    assert code == 0, err
    entry = ExportDir.open(root).file(job["training_file"])
    assert entry is not None and entry.on_provider is False
    assert (root / entry.path).read_bytes() == JOKES.read_bytes()


def test_an_unreachable_provider_is_exit_3(tmp_path: Path, capsys) -> None:
    code, _out, err = run(capsys, "export", str(tmp_path / "b"), "--base-url", "http://127.0.0.1:9/v1", "--json")
    assert code == 3 and "could not reach" in err and "Traceback" not in err


def test_a_folder_that_cannot_be_written_is_exit_2(sandbox, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "export", str(blocker / "backup"), "--profile", "p")
    assert code == 2 and f"Cannot write to {blocker / 'backup'}" in err


def test_on_azure_the_deployments_are_exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    box = start_in_thread(tmp_path / "sb", api_key=KEY, speed=200)
    try:
        root = box.base_url.removesuffix("/v1")
        config = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'[profiles.p]\nprovider = "azure"\nbase_url = "{root}"\napi_version = "2025-04-01-preview"\n'
            f'api_key_env = "FTUI_TEST_KEY"\nsubscription_id = "sub-1"\nresource_group = "rg-1"\naccount = "res"\n'
            f'management_url = "{root}/management"\nmanagement_token_env = "FTUI_TEST_KEY"\n'
        )
        monkeypatch.setenv("FTUI_TEST_KEY", KEY)
        job = finished_job(capsys)
        model = json.loads(run(capsys, "jobs", "show", job["id"], "--profile", "p", "--json")[1])["fine_tuned_model"]
        code, _, err = run(capsys, "deployments", "create", model, "--name", "bot", "--yes", "--profile", "p")
        assert code == 0, err
        out = tmp_path / "backup"
        code, summary, err = export(capsys, out)
        assert code == 0, err
        assert summary["deployments"] == 1 and summary["jobs"] == 1
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["provider"] == "azure"
        assert [(d["name"], d["model"]) for d in manifest["deployments"]] == [("bot", model)]
        (saved,) = json.loads((out / "deployments.json").read_text())
        assert saved["name"] == "bot" and saved["properties"]["model"]["name"] == model
        assert ExportDir.open(out).job(job["id"]) is not None
    finally:
        box.stop()


def test_two_exports_never_write_one_folder_at_once(sandbox, tmp_path: Path, capsys) -> None:
    import fcntl

    root = tmp_path / "backup"
    (root / ".partial").mkdir(parents=True)
    with open(root / ".partial" / "lock", "w") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another export runs
        code, _, err = run(capsys, "export", str(root), "--profile", "p")
    assert code == 2 and "Another ftui export is writing to" in err
    assert run(capsys, "export", str(root), "--profile", "p")[0] == 0  # once it ended


def test_the_reader_refuses_what_is_not_an_export(tmp_path: Path) -> None:
    from ftui.export.manifest import ExportReadError

    with pytest.raises(ExportReadError, match="is not an ftui export"):
        ExportDir.open(tmp_path)
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(ExportReadError, match="not an ftui export manifest"):
        ExportDir.open(tmp_path)
    job = {"id": "ftjob-1", "path": "../../etc/passwd", "events_path": "e", "events": 0}
    (tmp_path / "manifest.json").write_text(json.dumps({"files": [], "jobs": [job]}))
    with pytest.raises(ExportReadError, match="names a path outside the export"):
        ExportDir.open(tmp_path).job("ftjob-1")


def test_the_reader_gives_the_suffix_from_the_model_name_when_the_job_lacks_it(tmp_path: Path) -> None:
    from ftui.export.manifest import JobEntry

    entry = JobEntry("j", "p", "e", 0, "c", 0, raw={"fine_tuned_model": "ft:gpt-4o-mini-2024-07-18:org:bot:abc"})
    assert entry.suffix == "bot" and entry.method == "supervised" and entry.hyperparameters == {}
    assert JobEntry("j", "p", "e", 0, "c", 0, raw={"fine_tuned_model": "ft:gpt-4o-mini:org::abc"}).suffix is None
    raw = {"user_provided_suffix": "x", "hyperparameters": {"n_epochs": 3, "batch_size": None},
           "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": 2}}}}  # fmt: skip
    dpo = JobEntry("j", "p", "e", 0, "c", 0, raw=raw)
    assert dpo.suffix == "x" and dpo.method == "dpo" and dpo.hyperparameters == {"n_epochs": 2, "beta": 0.1}
