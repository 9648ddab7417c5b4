"""The sandbox inside ftui: its own thread, its own asyncio loop, its log in its data dir.

The server does synchronous SQLite work and file copies in its handlers. On a thread of its
own that work can never delay the caller's loop (the TUI's keys, a CLI command's stream).

    sandbox = EmbeddedSandbox(data_dir, speed=50)
    url = sandbox.start()          # blocks until it listens; raises what stopped it
    key = sandbox.api_key          # every request carries it (see ftui.sandbox.key)
    ...
    sandbox.stop()                 # quick (about half a second at most), joins the thread

``start_in_thread(...)`` does the first two lines; ``await astart()`` / ``await aclose()``
are the same from async code without blocking its loop. The thread is a daemon, and so are
the threads that run the server's blocking work, so the sandbox can never hold up the
exit of the program that started it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftui.sandbox import logs
from ftui.sandbox.faults import Faults
from ftui.sandbox.server import SandboxServer, default_data_dir
from ftui.sandbox.store import SandboxStateError, private_dir

log = logging.getLogger("ftui.sandbox")

START_SECONDS = 60.0
STOP_SECONDS = 3.0


class _DaemonThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each call on a new daemon thread: a long validation never blocks the process's exit.

    (A ThreadPoolExecutor only because asyncio insists on one; its pool is never used.)
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=work, name="ftui-sandbox-work", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


def _loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    log.error("sandbox loop: %s", context.get("message", "error"), exc_info=exc if exc is not None else None)


class EmbeddedSandbox:
    """A SandboxServer on a daemon thread with its own event loop."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        speed: float = 1.0,
        faults: Faults | str | None = None,
        api_key: str | None = None,
        clock: Callable[[], float] = time.time,
        log_to_file: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.speed, self.faults, self.api_key, self.clock = speed, faults, api_key, clock
        self.log_to_file = log_to_file
        self.server: SandboxServer | None = None
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._detach_log: Callable[[], None] | None = None
        self.log_problem: str | None = None  # why its log file cannot be written (one sentence)

    def _log_problem(self, sentence: str) -> None:
        self.log_problem = sentence

    @property
    def log_path(self) -> Path:
        return logs.log_path(self.data_dir)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- starting ------------------------------------------------------------------------
    def start(self, timeout: float = START_SECONDS) -> str:
        """Start the thread; return the base URL once the server listens.

        Raises SandboxStateError (data dir or database unusable), ValueError (bad speed),
        FaultSpecError ($FTUI_SANDBOX_FAULTS malformed) or OSError (cannot listen).
        """
        if self._thread is not None:
            return self.base_url
        if self.log_to_file:
            private_dir(self.data_dir)
            self._detach_log = logs.attach(self.data_dir, on_problem=self._log_problem)
        self._thread = threading.Thread(target=self._run, name="ftui-sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop(wait=False)
            raise SandboxStateError(f"The sandbox in {self.data_dir} did not start within {timeout:g} s.")
        if self._error is not None:
            self._thread.join(STOP_SECONDS)
            self._release_log()
            raise self._error
        return self.base_url

    async def astart(self) -> str:
        """``start`` without blocking the caller's loop."""
        return await asyncio.to_thread(self.start)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            asyncio.set_event_loop(loop)
            loop.set_default_executor(_DaemonThreadExecutor())
            loop.set_exception_handler(_loop_error)
            self.server = SandboxServer(
                self.data_dir, speed=self.speed, faults=self.faults, api_key=self.api_key, clock=self.clock
            )
            self.base_url = loop.run_until_complete(self.server.start())
            self.api_key = self.server.api_key  # the key its clients send ($FTUI_SANDBOX_KEY or a random one)
        except BaseException as exc:
            self._error = exc
            if self.server is not None:
                self._stop_server(loop)
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        except BaseException:
            log.exception("the sandbox's loop stopped")
        finally:
            self._stop_server(loop)
            loop.close()

    def _stop_server(self, loop: asyncio.AbstractEventLoop) -> None:
        server = self.server
        try:
            if server is not None:
                loop.run_until_complete(asyncio.wait_for(server.stop(), STOP_SECONDS))
        except BaseException:
            log.exception("stopping the sandbox")
            if server is not None:
                server.store.close()
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            loop.run_until_complete(asyncio.wait(tasks, timeout=STOP_SECONDS))
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        except BaseException:
            log.exception("stopping the sandbox")

    # -- stopping ------------------------------------------------------------------------
    def stop(self, timeout: float = STOP_SECONDS + 2, *, wait: bool = True) -> None:
        """Stop serving and close the database; with ``wait``, join the thread (bounded by ``timeout``)."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                loop.call_soon_threadsafe(loop.stop)
        if wait and thread is not None:
            thread.join(timeout)
            if not thread.is_alive():
                self._release_log()

    async def aclose(self) -> None:
        """``stop`` without blocking the caller's loop."""
        await asyncio.to_thread(self.stop)

    def _release_log(self) -> None:
        if self._detach_log is not None:
            self._detach_log()
            self._detach_log = None


def start_in_thread(data_dir: Path | None = None, **kwargs: Any) -> EmbeddedSandbox:
    """Start a sandbox on its own thread; returns it listening (``.base_url``, ``.stop()``)."""
    sandbox = EmbeddedSandbox(data_dir, **kwargs)
    sandbox.start()
    return sandbox


__all__ = ["EmbeddedSandbox", "start_in_thread"]
