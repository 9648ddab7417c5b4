"""``--debug``: a log file of one command's requests (method, URL, status, request id, time)
and the SDK's own debug lines (retries, request ids), with every secret redacted.

The file is ``$XDG_STATE_HOME/ftui/logs/debug-<time>-<pid>.log`` (0600, in a 0700 folder);
the command prints its path on stderr. Headers and bodies are never written, and every
line passes through ``redact`` with the profile's key before it reaches the file.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftui import __version__
from ftui.provider.errors import redact

if TYPE_CHECKING:
    from ftui.provider.client import Provider

_USERINFO = re.compile(r"(//)[^/@\s]+@")  # credentials in a URL: scheme://user:pass@host
LOGGERS = ("openai", "ftui.debug")
log = logging.getLogger("ftui.debug")


def logs_dir() -> Path:
    """Where debug logs go: $XDG_STATE_HOME/ftui/logs (ftui's own folder, made when missing)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ftui" / "logs"


class _Redacting(logging.Formatter):
    """Formats a record, then removes the secrets it knows and anything that looks like a key."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s", "%H:%M:%S")
        self.secrets: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return _USERINFO.sub(r"\1***@", redact(text, self.secrets))


class _QuietFileHandler(logging.FileHandler):
    """A line that cannot be written (a full disk) is dropped, never a traceback on stderr."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


class DebugLog:
    """One command's debug log: ``start`` it, ``attach`` it to the provider, ``finish`` it."""

    def __init__(self, path: Path, handler: logging.FileHandler, formatter: _Redacting) -> None:
        self.path, self._handler, self._formatter = path, handler, formatter
        self._started: dict[int, float] = {}
        self._t0 = time.perf_counter()

    @classmethod
    def start(cls, command: str) -> DebugLog:
        """Create the file (raises OSError when it cannot) and route the SDK's debug lines to it."""
        folder = logs_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = f"debug-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        for n in range(1, 1000):  # a new file for each command, even two in one second
            path = folder / (f"{stem}.log" if n == 1 else f"{stem}-{n}.log")
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"{folder} already holds 999 logs named {stem}")
        handler = _QuietFileHandler(path, encoding="utf-8")
        formatter = _Redacting()
        handler.setFormatter(formatter)
        for name in LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG if name == "ftui.debug" else logging.INFO)  # the SDK: retries
        self = cls(path, handler, formatter)
        log.info("ftui %s, Python %s, command: ftui %s", __version__, sys.version.split()[0], command)
        return self

    async def attach(self, provider: Provider) -> None:
        """Learn the provider's secrets and time each of its HTTP requests (event hooks on the
        SDK's HTTP client: the client is copied with one that carries them)."""
        from ftui.provider.client import with_event_hooks

        self._formatter.secrets = tuple(s for s in provider.secrets if s)
        log.info("provider %s at %s", provider.label, provider.client.base_url)
        old = provider.client
        provider.client = with_event_hooks(old, {"request": [self._request], "response": [self._response]})
        await old.close()

    async def _request(self, request: Any) -> None:
        self._started[id(request)] = time.perf_counter()
        log.debug("-> %s %s", request.method, request.url)

    async def _response(self, response: Any) -> None:
        request = response.request
        began = self._started.pop(id(request), None)
        took = f"{(time.perf_counter() - began) * 1000:.0f} ms" if began is not None else "? ms"
        rid = response.headers.get("x-request-id") or "none"
        kind = response.headers.get("content-type", "")
        streamed = " (headers; the body streams)" if "event-stream" in kind else ""
        log.info(
            "%s %s -> %s in %s%s, request id %s", request.method, request.url, response.status_code, took, streamed, rid
        )

    def note_error(self, exc: BaseException) -> None:
        """The error the command ended with (type and message, redacted like every line)."""
        log.error("%s: %s", type(exc).__name__, exc)

    def finish(self, code: int) -> None:
        """Write the exit code and total time, and close the file."""
        log.info("exit %d after %.2f s", code, time.perf_counter() - self._t0)
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self._handler)
        self._handler.close()
