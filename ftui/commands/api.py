"""Running a headless provider command (files, jobs, chat, models, ...): open the provider, call
the command's handler, close, and turn every failure into one sentence and its exit code.

The commands live in a module per noun (``files.py``, ``jobs.py``, ``chat.py``, ``models.py``)
and share the printers here (``print_safe``, ``dump``, ``when``).

Exit codes (the stable contract, also in ``ftui --help`` and the README):
0 ok; 1 the thing failed (a job failed, a file has errors, the provider said no to this request:
not found, invalid); 2 misuse or unreadable input (options, config, local files; the sandbox's
full disk or damaged database); 3 the provider could not be reached or refused (network,
timeout, key, permission, rate limit or 5xx after the retries, an answer that is not the API's),
or a job may exist that ftui could not confirm.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from rich.cells import cell_len

from ftui.config import ConfigError, load_settings
from ftui.credentials import redact_known
from ftui.term import Style, fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider

EXIT_OK, EXIT_FAILED, EXIT_MISUSE, EXIT_PROVIDER = 0, 1, 2, 3


def when(ts: int | None) -> str:
    """A server timestamp as local 'YYYY-MM-DD HH:MM:SS' ('—' for none)."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"


_when = when  # the name other command modules used first


def print_safe(text: str) -> None:
    """Print one line of text that may hold server or dataset text, control characters escaped
    (and any credential ftui knows of redacted: a server may echo a key back)."""
    print(safe(redact_known(text), one_line=True))


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A header row, then one line per record, columns aligned and two spaces apart (so grep and
    ``awk -F'  +'`` see whole records); every cell with control characters escaped."""
    cells = [[safe(str(c), one_line=True) for c in row] for row in [header, *rows]]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        padded = [c + " " * (w - cell_len(c)) for c, w in zip(row[:-1], widths, strict=False)]
        print("  ".join([*padded, row[-1]]).rstrip())


def as_json(obj: Any) -> Any:
    """An SDK object (or a list of them) as plain JSON values."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, list):
        return [as_json(o) for o in obj]
    return obj


# JSON escapes C0 controls itself; these it would print raw (C1, DEL, bidi, line separators).
_JSON_UNSAFE = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029)}
_JSON_UNSAFE.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def json_text(obj: Any, indent: int | None = None) -> str:
    """``obj`` as JSON, readable (non-ASCII kept) yet safe for a terminal: every control character
    a terminal could act on is a ``\\uXXXX`` escape (the same value to any JSON reader)."""
    separators = (",", ":") if indent is None else None
    text = json.dumps(as_json(obj), indent=indent, ensure_ascii=False, separators=separators).translate(_JSON_UNSAFE)
    return redact_known(text)  # a credential ftui knows of, echoed by a server, is never printed


def dump(obj: Any, out: TextIO | None = None) -> None:
    """Print ``obj`` as one indented JSON document (``--json``): the one printer of every
    command's JSON, so control characters and bidi overrides are always ``\\u`` escapes."""
    (out or sys.stdout).write(json_text(obj, indent=2) + "\n")


_dump = dump


def dump_line(obj: Any) -> None:
    """Print ``obj`` as one JSON object on one line, flushed (JSON Lines for streams)."""
    sys.stdout.write(json_text(obj) + "\n")
    sys.stdout.flush()


WRONG_SHAPE = (AttributeError, TypeError, KeyError, ValueError)  # pydantic's ValidationError is a ValueError


def exit_code(exc: BaseException) -> int:
    """The exit code for an SDK error: 3 when the provider could not be reached or refused
    (network, timeout, 401, 403, 429 and 5xx after the SDK's retries), 1 when it said no to
    this request (404, 400, 409, 422); 2 when the sandbox's storage failed (a full disk, a
    damaged database: the same code as when the sandbox cannot start)."""
    from ftui.provider.errors import is_storage_error, is_unreachable

    if is_storage_error(exc):  # the sandbox's disk is full or its database damaged: as at its start
        return EXIT_MISUSE
    return EXIT_PROVIDER if is_unreachable(exc) else EXIT_FAILED


def run(args: argparse.Namespace) -> int:
    """Open the provider, run the chosen command, close; errors become one sentence."""
    handler: Callable[[Provider, argparse.Namespace], Awaitable[int]] = args.handler
    debug = None
    if getattr(args, "debug", False):
        from ftui.commands.debug import DebugLog

        try:
            words = [args.command, getattr(args, f"{args.command}_command", None)]
            debug = DebugLog.start(" ".join(w for w in words if w))
        except OSError as exc:
            return fail(f"--debug: cannot write the log file ({exc.strerror or exc}).")
        print(f"ftui: debug log: {debug.path}", file=sys.stderr)

    async def main() -> int:
        from ftui.connect import open_provider
        from ftui.provider.errors import ProviderError, describe
        from ftui.provider.events import WatchGaveUp
        from ftui.provider.jobs import JobMayExist
        from ftui.provider.pages import PagingStuck

        try:
            settings = load_settings()
            for warning in settings.warnings:  # a typo in config.toml says so, once, then the command runs
                print(f"ftui: warning: {safe(warning, one_line=True)}", file=sys.stderr)
            provider = await open_provider(args.profile, args.base_url, settings)
        except ConfigError as exc:
            return fail(str(exc))
        if debug is not None:
            await debug.attach(provider)
        try:
            if provider.local_server is not None and not getattr(args, "json", False):
                print(Style(sys.stderr)("using the local sandbox (no credentials configured)", "dim"), file=sys.stderr)
            if (problem := getattr(provider.local_server, "log_problem", None)) is not None:
                print(f"ftui: note: {safe(problem, one_line=True)}", file=sys.stderr)
            return await handler(provider, args)
        except (JobMayExist, WatchGaveUp, PagingStuck) as exc:  # a job may exist / the provider is gone or loops
            return fail(str(exc), EXIT_PROVIDER)
        except ConfigError as exc:  # e.g. a fine-tuned model with no Azure deployment in the profile
            return fail(str(exc), EXIT_MISUSE)
        except ProviderError as exc:
            return fail(str(exc), EXIT_FAILED)
        except Exception as exc:
            from ftui.provider.errors import is_sdk_error

            if debug is not None:
                debug.note_error(exc)
            if is_sdk_error(exc):
                return fail(describe(exc, args.action, provider.secrets), exit_code(exc))
            if isinstance(exc, WRONG_SHAPE):
                # The SDK hands back the body as text when it is not JSON (an HTML login page, a
                # proxy's error), and the code that reads it fails: say so, never a traceback.
                where = provider.client.base_url
                return fail(
                    f"{args.action} failed: the server at {where} answered with something that is not the "
                    f"OpenAI API's JSON ({type(exc).__name__}). Check the base URL and any proxy in between.",
                    EXIT_PROVIDER,
                )
            raise
        finally:
            await provider.close()

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    if debug is not None:
        debug.finish(code)
    return code


__all__ = ["as_json", "dump", "dump_line", "exit_code", "print_safe", "run", "when"]
