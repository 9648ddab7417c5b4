"""Broken configuration or sandbox state: one sentence naming the file or setting, exit 2, no traceback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ftui.cli import main
from ftui.sandbox import store as store_module
from tests.conftest import ROOT


def config_file() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def sandbox_dir() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "ftui" / "sandbox"


def one_sentence(code: int, err: str, *needles: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("ftui: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def jobs_list(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["jobs", "list"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe[sandbox]\nspeed = 2\n", "UTF-8"),
        (b"profiles = 5\n", "profiles"),
        (b"[profiles]\nwork = 5\n", "profiles.work"),
        (b'[sandbox]\nspeed = "fast"\n', "sandbox.speed"),
        (b"[sandbox]\nspeed = inf\n", "sandbox.speed"),
        (b"[sandbox]\nspeed = nan\n", "sandbox.speed"),
        (b"[sandbox]\nspeed = 0\n", "sandbox.speed"),
        (b"[sandbox]\nspeed = 1e-300\n", "sandbox.speed"),
        (b"[sandbox]\nspeed = 1e300\n", "sandbox.speed"),
        (b"sandbox = 5\n", "sandbox"),
        (b"default_profile = 5\n", "default_profile"),
    ],
)
def test_a_broken_config_file_is_one_sentence(capsys, content: bytes, needle: str) -> None:
    path = config_file()
    path.write_bytes(content)
    one_sentence(*jobs_list(capsys), str(path), needle)


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-2", "fast", "Infinity", "1e-300", "5e-324", "1e300"])
def test_a_bad_speed_from_the_environment_is_one_sentence(capsys, monkeypatch, value: str) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", value)
    one_sentence(*jobs_list(capsys), "FTUI_SANDBOX_SPEED")


def jobs_list_in_a_child(limit_memory: bool = False) -> subprocess.CompletedProcess[str]:
    """``ftui jobs list`` in a child process, bounded in time (and memory): a hang or a runaway
    read fails the test instead of stalling the suite or the machine."""

    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    return subprocess.run(
        [sys.executable, "-m", "ftui", "jobs", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap if limit_memory else None,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_config_file_that_is_a_fifo_is_one_sentence_not_a_hang() -> None:
    path = config_file()
    os.mkfifo(path)  # nobody ever writes: reading it would block forever
    proc = jobs_list_in_a_child()
    one_sentence(proc.returncode, proc.stderr, str(path), "not a regular file")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_a_config_file_linked_to_dev_zero_is_one_sentence_not_all_memory() -> None:
    path = config_file()
    path.symlink_to("/dev/zero")
    proc = jobs_list_in_a_child(limit_memory=True)
    one_sentence(proc.returncode, proc.stderr, str(path), "not a regular file")


def test_a_huge_config_file_is_one_sentence(capsys) -> None:
    path = config_file()
    with open(path, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: big on paper, nothing on disk
    one_sentence(*jobs_list(capsys), str(path), "bytes")


@pytest.mark.parametrize("spec", ["teapot=1", "429=lots", "429=2", "500=nan", "slow=0.5:-1"])
def test_bad_sandbox_faults_from_the_environment_is_one_sentence(capsys, monkeypatch, spec: str) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_FAULTS", spec)
    one_sentence(*jobs_list(capsys), "FTUI_SANDBOX_FAULTS")


@pytest.mark.parametrize("below", [False, True])
def test_a_data_dir_that_is_a_file_is_one_sentence(capsys, tmp_path: Path, below: bool) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    data = blocker / "sandbox" if below else blocker
    config_file().write_text(f'[sandbox]\ndata_dir = "{data}"\n')
    one_sentence(*jobs_list(capsys), str(data), "data_dir", "not a directory")


def test_a_damaged_database_is_one_sentence(capsys) -> None:
    db = sandbox_dir() / "sandbox.sqlite3"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database, just garbage " * 200)
    one_sentence(*jobs_list(capsys), str(db), "is damaged", f"move the folder {db.parent} aside")


def test_a_locked_database_is_one_sentence(capsys, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)
    db = sandbox_dir() / "sandbox.sqlite3"
    db.parent.mkdir(parents=True)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE other_program (x)")
    try:
        one_sentence(*jobs_list(capsys), str(db), "locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_read_only_data_dir_is_one_sentence(tmp_path: Path) -> None:
    """A data dir ftui cannot write: one sentence naming it. Root can write any dir whatever its
    mode, so as root the dir is a read-only mount (a tmpfs mounted ro); as anyone else, mode
    0555. ftui runs as this test's own user, so where the checkout lives does not matter."""
    data = tmp_path / "sandbox"
    data.mkdir()
    mounted = False
    if os.geteuid() == 0:
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(data)], capture_output=True)
        if mount.returncode != 0:
            pytest.skip(f"root cannot be denied a write without a read-only mount: {mount.stderr.decode().strip()}")
        mounted = True
    else:
        data.chmod(0o555)
    try:
        config = tmp_path / "config.toml"
        config.write_text(f'[sandbox]\ndata_dir = "{data}"\n')
        env = {**os.environ, "FTUI_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-m", "ftui", "jobs", "list"], capture_output=True, text=True, timeout=60, env=env
        )
        one_sentence(proc.returncode, proc.stderr, str(data), "data_dir")
    finally:
        if mounted:
            subprocess.run(["umount", str(data)], check=False)
        else:
            data.chmod(0o755)


# -- ftui sandbox serve ------------------------------------------------------------------------
def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftui", "sandbox", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,  # a serve that starts when it should refuse fails the test here
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--port", "99999"], "--port"),
        (["--port", "-1"], "--port"),
        (["--speed", "inf"], "--speed"),
        (["--speed", "nan"], "--speed"),
        (["--speed", "0"], "--speed"),
        (["--speed", "1e-300"], "--speed"),
        (["--speed", "5e-324"], "--speed"),
        (["--host", "0.0.0.0"], "--insecure"),
        (["--faults", "429=2"], "--faults"),
    ],
)
def test_serve_refuses_bad_options_in_one_sentence(tmp_path: Path, args: list[str], needle: str) -> None:
    proc = serve("--data-dir", str(tmp_path / "s"), *args)
    one_sentence(proc.returncode, proc.stderr, needle)


def test_serve_refuses_bad_state_in_one_sentence(tmp_path: Path) -> None:
    proc = serve("--port", "0", env={"FTUI_SANDBOX_FAULTS": "teapot=1", "XDG_DATA_HOME": str(tmp_path)})
    one_sentence(proc.returncode, proc.stderr, "FTUI_SANDBOX_FAULTS")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = serve("--data-dir", str(blocker))
    one_sentence(proc.returncode, proc.stderr, str(blocker))
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "sandbox.sqlite3").write_bytes(b"garbage " * 1000)
    proc = serve("--data-dir", str(damaged))
    one_sentence(proc.returncode, proc.stderr, str(damaged / "sandbox.sqlite3"), f"move the folder {damaged} aside")


def test_serve_on_another_host_with_insecure(tmp_path: Path) -> None:
    args = ["sandbox", "serve", "--host", "0.0.0.0", "--insecure", "--data-dir", str(tmp_path), "--port", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ftui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("ftui sandbox listening on http://0.0.0.0:"), first or proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


# -- the embedded sandbox never writes on the user's terminal ----------------------------------
def test_embedded_sandbox_logs_to_its_file_not_the_terminal(tmp_path: Path) -> None:
    data = tmp_path / "s"
    script = f"""
import asyncio, logging
from ftui.config import Settings, SandboxSettings
from ftui.connect import open_provider

async def main():
    p = await open_provider(settings=Settings(sandbox=SandboxSettings(data_dir={str(data)!r})))
    assert logging.getLogger("ftui.sandbox").propagate is False
    assert logging.getLogger("aiohttp").propagate is False
    def boom(*args, **kwargs):
        raise RuntimeError("boom in the store")
    p.local_server.server.store.list_files = boom
    try:
        await p.client.with_options(max_retries=0).files.list()
    except Exception as exc:
        print("answered", type(exc).__name__, flush=True)
    await p.close()

asyncio.run(main())
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "answered InternalServerError"
    assert proc.stderr == ""
    log = (data / "sandbox.log").read_text()
    assert "Traceback" in log and "boom in the store" in log
