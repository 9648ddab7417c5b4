"""Where the sandbox's log goes: a size-capped file in its data dir, never the user's terminal.

While the sandbox runs inside ftui, its logger (``ftui.sandbox``) and aiohttp's loggers write
to ``<data_dir>/sandbox.log`` (0600, rotated at 1 MB, one old file kept) and nowhere else:
no traceback ever lands on the TUI's screen or in a CLI command's output. The standalone
``ftui sandbox serve`` also prints each warning or error as one line on stderr.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ftui.credentials import redact
from ftui.data.atomic import full_disk_text, is_disk_full

LOG_NAME = "sandbox.log"
MAX_BYTES = 1 << 20
BACKUPS = 1
LOGGERS = ("ftui.sandbox", "aiohttp")

_lock = threading.Lock()
_attached: dict[str, list[logging.Handler]] = {name: [] for name in LOGGERS}
_saved: dict[str, tuple[bool, int]] = {}


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log file that only its owner can read (0600), also after a rotation.

    A record that cannot be written (the disk filled up, the file was made read-only) is
    dropped: logging's own report of it is a traceback on stderr, which would land on the
    user's screen."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass

    def _open(self):  # type: ignore[no-untyped-def]
        return open(
            self.baseFilename,
            self.mode,
            encoding=self.encoding,
            errors=self.errors,
            opener=lambda path, flags: os.open(path, flags, 0o600),
        )


class RedactingFormatter(logging.Formatter):
    """The log file's lines, with every credential ftui knows of (the sandbox's key) redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class OneLineFormatter(logging.Formatter):
    """``ftui sandbox: message: ValueError: detail``, never a traceback (credentials redacted)."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            text += f": {type(exc).__name__}: {exc}"
        return "ftui sandbox: " + " ".join(redact(text).split())


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_NAME


def log_problem(data_dir: Path) -> str | None:
    """Why the sandbox cannot write its log (one sentence naming the file), or None."""
    path = log_path(data_dir)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    except OSError as exc:
        if is_disk_full(exc):
            return f"The sandbox cannot write its log {path}: {full_disk_text(path)}; it runs without one."
        return f"The sandbox cannot write its log {path} ({exc.strerror or exc}); it runs without one."
    return None


def attach(
    data_dir: Path, *, stderr: bool = False, on_problem: Callable[[str], None] | None = None
) -> Callable[[], None]:
    """Send the sandbox's logging to its file (and, with ``stderr``, one line per problem).

    While attached the loggers do not propagate, so nothing reaches Python's last-resort
    handler (which prints tracebacks on stderr). A log file that cannot be written is one
    sentence, given to ``on_problem`` (and printed with ``stderr``); the sandbox runs without
    it. Returns the function that undoes it.
    """
    handlers: list[logging.Handler] = []
    path = log_path(data_dir)
    problem = log_problem(data_dir)
    file_handler: logging.Handler
    if problem is None:
        file_handler = PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        file_handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    else:
        file_handler = logging.NullHandler()  # still silent on the terminal
        if on_problem is not None:
            on_problem(problem)
        if stderr:
            print(f"ftui sandbox: {problem}", file=sys.stderr)
    handlers.append(file_handler)
    if stderr:
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console.setFormatter(OneLineFormatter())
        handlers.append(console)
    with _lock:
        for name in LOGGERS:
            logger = logging.getLogger(name)
            if not _attached[name]:
                _saved[name] = (logger.propagate, logger.level)
                logger.propagate = False
                if logger.level == logging.NOTSET or logger.level > logging.INFO:
                    logger.setLevel(logging.INFO)
            for h in handlers:
                logger.addHandler(h)
            _attached[name].extend(handlers)

    def detach() -> None:
        with _lock:
            for name in LOGGERS:
                logger = logging.getLogger(name)
                for h in handlers:
                    logger.removeHandler(h)
                    if h in _attached[name]:
                        _attached[name].remove(h)
                if not _attached[name] and name in _saved:
                    logger.propagate, level = _saved.pop(name)
                    logger.setLevel(level)
        for h in handlers:
            h.close()

    return detach


__all__ = ["LOG_NAME", "OneLineFormatter", "attach", "log_path", "log_problem"]
