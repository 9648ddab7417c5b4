"""The sandbox on a full disk, and a database found damaged only by a query: each is one
sentence that says what it is (which disk, how much is needed; damaged, and how to keep every
file), never "internal error, try again", never a traceback, and no advice loses data."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from ftui.sandbox.store import Store
from tests.conftest import SAMPLES
from tests.fullfs import fill, small_fs
from tests.test_cli_headless import run

JOKES = SAMPLES / "weather_jokes.jsonl"


@pytest.fixture(autouse=True)
def fast_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "200")


def sandbox_dir() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "ftui" / "sandbox"


def big_dataset(path: Path) -> Path:
    row = {"messages": [{"role": "user", "content": "hello " * 20}, {"role": "assistant", "content": "hi"}]}
    path.write_text((json.dumps(row) + "\n") * 3000)  # about 500 KB: more than the whole disk
    return path


def plain(err: str) -> None:
    assert "Traceback" not in err and "Logging error" not in err, err
    assert "damaged" not in err and "internal error" not in err, err


def test_an_upload_onto_a_full_disk_names_the_disk_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    big = big_dataset(tmp_path / "big.jsonl")
    with small_fs(tmp_path / "fs") as fs:
        monkeypatch.setenv("XDG_DATA_HOME", str(fs))
        code, out, err = run(capsys, "files", "upload", str(JOKES))
        assert code == 0, err
        kept = out.split()[0]
        fill(fs)
        for debug in ([], ["--debug"]):  # --debug's log is elsewhere; the sandbox's own log is on the full disk
            code, out, err = run(capsys, "files", "upload", str(big), "--again", *debug)
            plain(err)
            assert code == 2, err
            (line,) = [x for x in err.splitlines() if x.startswith("ftui: ") and "debug log" not in x]
            assert f"the disk holding {sandbox_dir()} is full (0 bytes free, " in line
            assert "KB needed). Free some space there and try again." in line
        # whatever still starts on the full disk either works or says the disk is full
        code, out, err = run(capsys, "jobs", "list")
        plain(err)
        assert code == 0 or "is full" in err, err
        (fs / "filler").unlink()
        code, out, err = run(capsys, "files", "list", "--json")
        assert code == 0, err
        assert [f["id"] for f in json.loads(out)] == [kept]  # the earlier upload is all there
        monkeypatch.chdir(tmp_path)
        assert run(capsys, "files", "download", kept, "-o", str(tmp_path / "back.jsonl"))[0] == 0
        assert (tmp_path / "back.jsonl").read_bytes() == JOKES.read_bytes()
        assert [p.name for p in (sandbox_dir() / "files").iterdir()] == [kept]  # no temp file left


def test_a_sandbox_starting_on_a_full_disk_names_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_fs(tmp_path / "fs") as fs:
        monkeypatch.setenv("XDG_DATA_HOME", str(fs))
        fill(fs)
        code, _, err = run(capsys, "jobs", "list")
        plain(err)
        assert code == 2 and f"the disk holding {fs}" in err and "is full (0 bytes free, 1.0 MB needed)" in err, err


def test_a_fresh_database_never_deletes_files_it_did_not_write(tmp_path: Path) -> None:
    """The damaged-database advice was "move it away": the next start then deleted every
    uploaded file as an orphan. Files older than the database are another database's: kept."""
    store = Store(tmp_path / "sb")
    file_id = store.add_file("a.jsonl", "fine-tune", b'{"x": 1}\n')["id"]
    store.close()
    stored = tmp_path / "sb" / "files" / file_id
    an_hour_ago = time.time() - 3600
    os.utime(stored, (an_hour_ago, an_hour_ago))
    for suffix in ("", "-wal", "-shm"):
        db = tmp_path / "sb" / f"sandbox.sqlite3{suffix}"
        if db.exists():
            db.rename(tmp_path / f"moved{suffix}")
    orphan = tmp_path / "sb" / "files" / "file-written-but-never-recorded"
    fresh = Store(tmp_path / "sb")  # a new database in the same dir
    orphan.write_bytes(b"a killed writer's file")
    fresh.close()
    fresh = Store(tmp_path / "sb")
    fresh.close()
    assert stored.read_bytes() == b'{"x": 1}\n'  # kept
    assert not orphan.exists()  # a file of this database's own time that no row names: still tidied


def test_damage_found_only_by_a_query_is_named_as_damage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(JOKES), "--json")
    assert code == 0, err
    job = json.loads(out)["id"]
    assert run(capsys, "jobs", "watch", job)[0] == 0
    db_path = sandbox_dir() / "sandbox.sqlite3"
    with sqlite3.connect(db_path) as db:  # the events table's first page: start-up never reads it
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name='events'").fetchone()[0]
        page = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").stat().st_size == 0
    with open(db_path, "r+b") as fh:
        fh.seek((root - 1) * page)
        fh.write(b"\xa5" * page)
    code, out, err = run(capsys, "jobs", "events", job)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, err
    line = err.strip().splitlines()[-1]
    assert f"The sandbox database {db_path} is damaged" in line
    assert f"move the folder {sandbox_dir()} aside" in line and "keeps every file" in line


def test_a_store_write_on_a_full_disk_leaves_no_temp_file(tmp_path: Path) -> None:
    with small_fs(tmp_path / "fs") as fs:
        store = Store(fs / "sb")
        fill(fs)
        with pytest.raises(OSError) as caught:
            store.add_file("big.jsonl", "fine-tune", b"x" * 100_000)
        store.close()
        assert caught.value.errno == 28  # ENOSPC, which the server answers as a full disk
        assert list((fs / "sb" / "files").iterdir()) == []
