"""Another local user of a shared host gets nothing from my sandbox, whichever way it runs.

The other user is real: a second uid (4242) through ``setpriv``, as on a shared SSH host. CI
runs as root, so it can switch; elsewhere the test says why it cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftui.sandbox.child import ChildSandbox
from ftui.sandbox.embedded import start_in_thread
from tests.conftest import SAMPLES, sandbox_client, serve_output

OTHER = 4242

# Run as the other user, with the standard library only: every way it could try to get in.
PROBE = r"""
import json, sys, urllib.request, urllib.error
base, file_id, key_file = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
def status(path, **headers):
    req = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
for name, headers in {
    "none": {},
    "old default": {"Authorization": "Bearer sandbox"},
    "any": {"Authorization": "Bearer x"},
    "azure": {"api-key": "sandbox"},
}.items():
    paths = ("/files", "/files/" + file_id + "/content", "/models", "/fine_tuning/jobs")
    out[name] = [status(p, **headers) for p in paths]
try:
    open(key_file).read()
    out["key file"] = "read"
except OSError as exc:
    out["key file"] = type(exc).__name__
print(json.dumps(out))
"""


def _as_other_user() -> list[str]:
    """The command prefix that runs a python of the standard library as uid 4242 (skips if none can)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or not hasattr(os, "geteuid"):
        pytest.skip("setpriv is not installed: cannot act as a second local user")
    if os.geteuid() != 0:
        pytest.skip("switching to a second uid with setpriv needs root (CI runs as root)")
    prefix = [setpriv, "--reuid", str(OTHER), "--regid", str(OTHER), "--clear-groups"]
    for python in (os.path.realpath(sys.executable), "/usr/bin/python3", shutil.which("python3") or ""):
        if not python:
            continue
        probe = subprocess.run([*prefix, python, "-I", "-c", "pass"], capture_output=True, cwd="/", timeout=60)
        if probe.returncode == 0:
            return [*prefix, python, "-I"]
    pytest.skip(f"no python that uid {OTHER} may run (the interpreter lives in a private folder)")


def _probe(base_url: str, file_id: str, key_file: Path) -> dict:
    done = subprocess.run(
        [*_as_other_user(), "-c", PROBE, base_url, file_id, str(key_file)],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _upload(base_url: str, key: str) -> str:
    from openai import OpenAI

    with OpenAI(base_url=base_url, api_key=key) as client, open(SAMPLES / "weather_jokes.jsonl", "rb") as fh:
        return client.files.create(file=fh, purpose="fine-tune").id


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data dir in a folder the other user may pass through (pytest's own are 0700), so
    only the sandbox's own modes keep it out."""
    root = Path(tempfile.mkdtemp(prefix="ftui-other-user-"))
    root.chmod(0o711)
    try:
        yield root / "sandbox"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _serve(data_dir: Path) -> Iterator[tuple[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ftui", "sandbox", "serve", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield serve_output([proc.stdout.readline(), proc.stdout.readline()])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.mark.parametrize("how", ["embedded", "child", "serve"])
def test_another_local_user_gets_nothing(data_dir: Path, how: str) -> None:
    _as_other_user()  # skip early, before a sandbox starts, when no second user can be had
    if how == "embedded":
        sandbox = start_in_thread(data_dir, speed=200)
        started: Iterator[tuple[str, str]] = iter([(sandbox.base_url, sandbox.api_key)])
        stop = sandbox.stop
    elif how == "child":
        child = ChildSandbox(data_dir, speed=200)
        child.start()
        started, stop = iter([(child.base_url, child.api_key)]), child.stop
    else:
        started = _serve(data_dir)
        stop = started.close  # type: ignore[attr-defined]
    try:
        base_url, key = next(started)
        file_id = _upload(base_url, key)
        seen = _probe(base_url, file_id, data_dir / "sandbox.key")
        for name in ("none", "old default", "any", "azure"):
            assert seen[name] == [401, 401, 401, 401], (name, seen)
        assert seen["key file"] == "PermissionError", seen
    finally:
        stop()


async def test_the_owner_still_gets_in(tmp_path: Path) -> None:
    """The same sandbox answers its owner's client, which sends the key."""
    sandbox = start_in_thread(tmp_path / "s", speed=200)
    client = sandbox_client(sandbox, max_retries=0)
    try:
        assert (await client.models.list()).data
    finally:
        await client.close()
        sandbox.stop()
