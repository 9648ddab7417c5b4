"""`ftui files list|upload|download|delete` and `ftui models list|delete` against the built-in
sandbox: --json parsed, exit codes checked, duplicates reused, deletes asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.test_cli_headless import run

JOKES = SAMPLES / "weather_jokes.jsonl"


@pytest.fixture(autouse=True)
def fast_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "200")


def upload(capsys: pytest.CaptureFixture[str], *extra: str, path: Path = JOKES) -> dict:
    code, out, err = run(capsys, "files", "upload", str(path), "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    code, out, err = run(capsys, "files", "list", "--json")
    assert code == 0, err
    return {f["id"]: f for f in json.loads(out)}


def test_an_identical_upload_is_reused_unless_asked_again(tmp_path: Path, capsys) -> None:
    first = upload(capsys)
    assert first["reused"] is False and first["status"] == "processed"
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(JOKES.read_bytes())
    code, out, err = run(capsys, "files", "upload", str(copy))
    assert code == 0 and out.startswith(first["id"])
    assert f"copy.jsonl has the same content as {first['id']}" in err and "--again" in err
    again = upload(capsys, "--again", path=copy)
    assert again["reused"] is False and again["id"] != first["id"]
    files = listed(capsys)
    assert files[again["id"]]["duplicate_of"] == first["id"] and files[first["id"]]["duplicate_of"] is None
    code, out, _ = run(capsys, "files", "list")
    assert f"same content as {first['id']}" in out
    # jobs create reuses it too: no third copy
    code, out, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(JOKES), "--json")
    assert code == 0, err
    assert json.loads(out)["training_file"] == first["id"]
    assert len(listed(capsys)) == 2


def test_list_says_which_jobs_use_a_file(capsys) -> None:
    file = upload(capsys)
    code, out, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", file["id"], "--json")
    assert code == 0, err
    job = json.loads(out)
    (use,) = listed(capsys)[file["id"]]["used_by"]
    assert use["job_id"] == job["id"] and use["role"] == "training"
    _, out, _ = run(capsys, "files", "list")
    assert f"training file of {job['id']}" in out


def test_download_writes_the_content_and_never_overwrites_unasked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    file = upload(capsys)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "files", "download", file["id"], "--json")
    assert code == 0, err
    saved = json.loads(out)
    assert saved == {"id": file["id"], "path": "weather_jokes.jsonl", "bytes": JOKES.stat().st_size}
    assert (tmp_path / "weather_jokes.jsonl").read_bytes() == JOKES.read_bytes()
    code, _, err = run(capsys, "files", "download", file["id"])
    assert code == 2 and "already exists; add --force" in err
    (tmp_path / "weather_jokes.jsonl").write_text("old")
    assert run(capsys, "files", "download", file["id"], "--force")[0] == 0
    assert (tmp_path / "weather_jokes.jsonl").read_bytes() == JOKES.read_bytes()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert run(capsys, "files", "download", file["id"], "-o", str(out_dir))[0] == 0
    assert (out_dir / "weather_jokes.jsonl").read_bytes() == JOKES.read_bytes()
    code, _, err = run(capsys, "files", "download", file["id"], "-o", str(tmp_path / "missing" / "x.jsonl"))
    assert code == 2 and "does not exist" in err and not (tmp_path / "missing").exists()  # never made
    code, _, err = run(capsys, "files", "download", "file-nope")
    assert code == 1 and "not found (404)" in err


def test_delete_asks_and_refuses_while_a_job_needs_the_file(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "1")  # the job stays busy while we try
    file = upload(capsys)
    code, out, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", file["id"], "--json")
    job = json.loads(out)
    code, _, err = run(capsys, "files", "delete", file["id"], "--yes")
    assert code == 2 and f"training file of {job['id']}" in err and "--force" in err
    assert file["id"] in listed(capsys)
    code, out, err = run(capsys, "files", "delete", file["id"], "--yes", "--force", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["deleted"] is True and result["used_by"][0]["job_id"] == job["id"]
    assert file["id"] not in listed(capsys)


def test_delete_without_a_terminal_needs_yes(capsys) -> None:
    file = upload(capsys)
    code, _, err = run(capsys, "files", "delete", file["id"])  # pytest's stdin is no terminal
    assert code == 2 and "add --yes" in err
    assert file["id"] in listed(capsys)
    code, out, _ = run(capsys, "files", "delete", file["id"], "--yes")
    assert code == 0 and out.strip() == f"{file['id']} deleted"
    assert listed(capsys) == {}
    code, _, err = run(capsys, "files", "delete", file["id"], "--yes")
    assert code == 1 and "not found (404)" in err
    # Deleted, so no longer offered for reuse: the next upload is a new file
    assert upload(capsys)["reused"] is False


def test_models_list_fine_tuned_and_delete(capsys) -> None:
    code, out, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(JOKES), "--json")
    job_id = json.loads(out)["id"]
    assert run(capsys, "jobs", "watch", job_id)[0] == 0
    code, out, err = run(capsys, "models", "list", "--fine-tuned", "--json")
    assert code == 0, err
    models = json.loads(out)
    trained = [m for m in models if m["kind"] == "fine-tuned"]
    assert len(trained) == 1 and sum(m["kind"] == "checkpoint" for m in models) == 3
    model = trained[0]
    assert model["job_id"] == job_id and model["base_model"] == "gpt-4o-mini-2024-07-18"
    assert model["shutdown_date"] == "2027-01-14"
    code, out, _ = run(capsys, "models", "list", "--fine-tuned")
    header, *rows = out.splitlines()  # a header, then one line per model (grep sees whole records)
    assert header.split() == ["ID", "KIND", "BASE", "MODEL", "JOB", "CREATED", "STOPS", "SERVING"]
    assert len(rows) == 4 and rows[0].startswith(model["id"] + "  ") and job_id in rows[0]
    code, out, _ = run(capsys, "models", "list", "--json")
    assert any(m["id"] == "gpt-4o-mini-2024-07-18" for m in json.loads(out))  # every model without the flag

    code, _, err = run(capsys, "models", "delete", model["id"])
    assert code == 2 and "add --yes" in err
    code, _, err = run(capsys, "models", "delete", "gpt-4o-mini", "--yes")
    assert code == 2 and "not a fine-tuned model" in err
    code, out, err = run(capsys, "models", "delete", model["id"], "--yes", "--json")
    assert code == 0, err
    assert json.loads(out) == {"id": model["id"], "deleted": True}
    code, out, _ = run(capsys, "models", "list", "--fine-tuned", "--json")
    assert model["id"] not in {m["id"] for m in json.loads(out)}
    code, _, err = run(capsys, "models", "delete", model["id"], "--yes")
    assert code == 1 and "not found (404)" in err


def test_a_server_filename_never_picks_where_a_download_goes() -> None:
    from ftui.provider.files import local_name

    assert local_name("../../.bashrc", "file-1") == ".bashrc"
    assert local_name("/etc/passwd", "file-1") == "passwd"
    assert local_name("..\\..\\evil.jsonl", "file-1") == "evil.jsonl"
    assert local_name("a\x1b[2J\x07.jsonl", "file-1") == "a[2J.jsonl"
    assert local_name("b\u202e.jsonl", "file-1") == "b.jsonl"
    for empty in ("", "..", ".", None, "\x1b", "dir/"):
        assert local_name(empty, "file-1") == "file-1"


def test_upload_checks_what_needs_no_model_and_says_the_rest(tmp_path: Path, capsys) -> None:
    """The same rule as the Files tab (ftui.data.upload_check): a clean prompt/completion file is
    uploaded with a note (a model is chosen later), a broken one is refused with one sentence."""
    code, out, err = run(capsys, "files", "upload", str(SAMPLES / "completion.jsonl"))
    assert code == 0, err
    assert out.startswith("file-") and "not every model trains on them" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes((SAMPLES / "mistakes.jsonl").read_bytes())
    code, out, err = run(capsys, "files", "upload", str(bad))
    assert code == 2 and out == ""
    assert "bad.jsonl has" in err and f"`ftui validate {bad}` lists every finding. Nothing was uploaded." in err
