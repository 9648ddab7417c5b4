"""The ``ftui`` command line (a stable contract: scripts and CI depend on it).

Start-up is kept small: building the parser imports argparse and ``ftui.commands.parsers``
only; a command's module (and the openai SDK, aiohttp, the sandbox) is imported when that
command runs (see ``ftui.commands.parsers`` for how a command names its handler)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ftui import __version__

SUBCOMMANDS = (
    "validate",
    "sandbox",
    "files",
    "jobs",
    "chat",
    "models",
    "deployments",
    "export",
    "completion",
    "config",
)
TUI_USAGE = """open the TUI:
  ftui [FILE] [--profile NAME] [--base-url URL]
      FILE          a JSONL dataset to open in the Data tab
      --profile     a provider profile from config.toml (none: the built-in sandbox)
      --base-url    an OpenAI-compatible server to use

Each COMMAND has its own --help, e.g. `ftui jobs create --help`.
Shell completion: `ftui completion bash|zsh|tcsh|fish` prints the script.
Exit codes: 0 ok; 1 the thing failed (a job failed, a file has errors, the provider said no to the
request); 2 misuse or unreadable input; 3 the provider could not be reached or refused (network,
key, rate limit, 5xx after retries), or a job may exist that ftui could not confirm."""


def _validate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a JSONL training file and estimate its cost")
    p.add_argument("file", help="the JSONL training file").complete = {"bash": "_shtab_compgen_files", "zsh": "_files"}  # type: ignore[attr-defined]
    p.add_argument("--model", help="target base model (default gpt-4o-mini-2024-07-18)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")


def build_parser(only_validate: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftui",
        description="Fine-tune chat models from the terminal. Run without a subcommand to open the TUI.",
        epilog=TUI_USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ftui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _validate_parser(sub)
    if only_validate:  # `ftui validate` starts like a small tool: no provider modules imported
        return parser
    sandbox = sub.add_parser("sandbox", help="the built-in OpenAI-compatible sandbox").add_subparsers(
        dest="sandbox_command", metavar="COMMAND", required=True
    )
    serve = sandbox.add_parser(
        "serve",
        help="serve the sandbox until Ctrl+C",
        epilog="exit codes: 0 stopped by Ctrl+C, SIGINT or SIGTERM; 2 bad options, the address cannot be"
        " listened on, or the data dir cannot be used",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--data-dir", help="where state lives (default: the XDG data dir)")
    serve.add_argument("--speed", type=float, default=1.0, help="simulated time per real second")
    serve.add_argument("--faults", help="e.g. 429=0.2,500=0.1,drop=0.05,slow=0.1:2.0,streak=3,seed=7")
    serve.add_argument(
        "--api-key-env",
        help="the key every request must carry is in this environment variable (default: $FTUI_SANDBOX_KEY, "
        "else a random one, printed as 'key: KEY')",
    )
    serve.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)  # stop when this process is gone
    serve.add_argument(
        "--azure",
        action="store_true",
        help="also print an Azure profile for config.toml that points at this sandbox (it always speaks Azure too)",
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host with a random key (it travels over plain HTTP)",
    )
    config = sub.add_parser("config", help="the settings in effect").add_subparsers(
        dest="config_command", metavar="COMMAND", required=True
    )
    check = config.add_parser(
        "check",
        help="print the settings in effect and where each came from; name unknown keys",
        epilog="exit codes: 0 ok; 1 config.toml has keys ftui does not know (named); 2 it cannot be used",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    from ftui.commands.parsers import add_parsers

    add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ftui`` console script."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # Output piped into e.g. `head` that closed early: not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


GLOBAL_OPTIONS = ("--profile", "--base-url")  # each takes a value; accepted before the command too
GLOBAL_FLAGS = ("--debug",)  # ... and this one takes none
NESTED = ("sandbox", "files", "jobs", "models", "deployments", "config")  # `ftui jobs list`: two words


def hoist_global_options(args: list[str]) -> list[str]:
    """``ftui --base-url URL jobs list`` means ``ftui jobs list --base-url URL``: options that every
    provider command takes, given before the command, move to just after the command's words."""
    front: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in GLOBAL_FLAGS:
            front.append(arg)
            i += 1
        elif arg in GLOBAL_OPTIONS and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
        elif arg.split("=", 1)[0] in GLOBAL_OPTIONS and "=" in arg:
            front.append(arg)
            i += 1
        else:
            break
    rest = args[i:]
    if not front or not rest or rest[0] not in SUBCOMMANDS:
        return args  # the TUI's own options (ftui --profile P FILE), or nothing to move
    words = 2 if rest[0] in NESTED and len(rest) > 1 and not rest[1].startswith("-") else 1
    return [*rest[:words], *front, *rest[words:]]


def _main(argv: Sequence[str] | None = None) -> int:
    args_list = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    if not args_list or args_list[0] not in (*SUBCOMMANDS, "-h", "--help", "--version"):
        return _open_tui(args_list)
    parser = build_parser(only_validate=args_list[0] == "validate")
    args = parser.parse_args(args_list)
    if args.command == "validate":
        from ftui.commands.validate import run

        return run(args.file, args.model, args.json)
    if args.command == "sandbox":
        from ftui.commands.sandbox import serve

        return serve(
            args.host,
            args.port,
            args.data_dir,
            args.speed,
            args.faults,
            args.api_key_env,
            args.insecure,
            parent_pid=args.parent_pid,
            azure=args.azure,
        )
    if args.command == "config":
        from ftui.commands.config import check

        return check(args.json)
    if args.command == "completion":
        from ftui.commands.completion import script

        sys.stdout.write(script(parser, args.shell))
        return 0
    if hasattr(args, "handler"):
        import importlib

        from ftui.commands.api import run as run_api

        module, name = args.handler.split(":")
        args.handler = getattr(importlib.import_module(module), name)
        return run_api(args)
    parser.print_help()
    return 2


def _open_tui(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ftui", description="Open the ftui terminal UI.")
    parser.add_argument("file", nargs="?", help="a JSONL dataset to open")
    parser.add_argument("--profile", help="the provider profile to use")
    parser.add_argument("--base-url", help="an OpenAI-compatible server to use")
    args = parser.parse_args(argv)
    from ftui.tui.app import run_app

    return run_app(args.file, profile=args.profile, base_url=args.base_url)
