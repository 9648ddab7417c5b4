"""The sandbox in a child process: for the TUI, where even a thread would share the GIL.

Catching up hundreds of unread jobs is pure-Python work. On a thread of the TUI's process it
competes with the UI for the interpreter lock (seconds of sluggish keys with 200 unread
jobs); in a process of its own it runs on the other core and a key never waits for it.

    sandbox = ChildSandbox(data_dir, speed=50)
    url = sandbox.start()          # blocks until it listens; SandboxStartError says why not
    key = sandbox.api_key          # every request carries it
    ...
    await sandbox.aclose()         # SIGTERM, then SIGKILL after a grace period

The child is ``python -m ftui sandbox serve --port 0 --parent-pid PID``: it stops by itself
when this process goes away (even by SIGKILL). Its stdout and stderr go to a temporary
file (0600, already unlinked), never to the terminal; a start-up failure's one sentence is
raised here. The child's key ($FTUI_SANDBOX_KEY, else the data dir's random one) is read from
its ``key:`` line in that file: it never travels on a command line, where others could read it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

START_SECONDS = 60.0
STOP_SECONDS = 3.0
READY = "ftui sandbox listening on "
KEY = "key: "


class SandboxStartError(RuntimeError):
    """The child sandbox did not start; the message is its one sentence."""


class ChildSandbox:
    """``ftui sandbox serve`` in a child process on a free loopback port."""

    def __init__(self, data_dir: Path, *, speed: float = 1.0) -> None:
        self.data_dir = Path(data_dir)
        self.speed = speed
        self.base_url = ""
        self.api_key = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (for tools that watch it)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = START_SECONDS) -> str:
        """Start the child and wait until it listens; returns its base URL (ending in /v1)."""
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the child's life)
        command = [sys.executable, "-m", "ftui", "sandbox", "serve", "--port", "0"]
        command += ["--data-dir", str(self.data_dir), "--speed", repr(self.speed), "--parent-pid", str(os.getpid())]
        self._proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        delay = 0.01
        while time.monotonic() < deadline:
            text = self._output()
            lines = text.splitlines()
            for i, line in enumerate(lines[:-1]):  # the key's line is complete once a line follows it
                if line.startswith(READY) and lines[i + 1].startswith(KEY):
                    self.base_url = line[len(READY) :].strip()
                    self.api_key = lines[i + 1][len(KEY) :].strip()
                    return self.base_url
            if self._proc.poll() is not None:
                sentence = text.strip().splitlines()[-1] if text.strip() else "it exited at once"
                raise SandboxStartError(sentence.removeprefix("ftui: "))
            time.sleep(delay)
            delay = min(0.1, delay * 1.5)
        self.stop()
        raise SandboxStartError(f"the sandbox did not start within {timeout:.0f} s")

    def _output(self) -> str:
        assert self._out is not None
        self._out.seek(0)
        return self._out.read().decode("utf-8", errors="replace")

    def stop(self, timeout: float = STOP_SECONDS, *, wait: bool = True) -> None:
        """Stop the child (SIGTERM, then SIGKILL after ``timeout``; ``wait=False`` only asks)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            if not wait:
                return
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._out is not None:
            self._out.close()
            self._out = None

    async def aclose(self) -> None:
        """``stop`` without blocking the caller's loop."""
        await asyncio.to_thread(self.stop)


__all__ = ["ChildSandbox", "SandboxStartError"]
