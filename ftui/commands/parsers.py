"""The provider commands' arguments (files, jobs, chat, models): building them imports nothing
but argparse, so `ftui --help` starts like a small tool.

A command names its handler as ``"module:function"`` (``set_defaults(handler=...)``); the module
(and with it the openai SDK) is imported only when that command runs. A new command goes here,
with its handler in a module of its own under ``ftui/commands/``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

EXIT_CODES = """exit codes:
  0  ok
  1  the thing failed (a job failed or was cancelled, a file has errors, the provider said no: not found, invalid)
  2  misuse or unreadable input (options, config, local files, stdin; the sandbox's full disk or damaged database)
  3  the provider could not be reached or refused (network, key, permission, rate limit or 5xx after retries),
     or a job may exist that ftui could not confirm"""

# shtab's file completion, spelled out so building the parser never imports shtab.
FILE_COMPLETE = {"bash": "_shtab_compgen_files", "zsh": "_files", "tcsh": "f"}


def files_arg(action: argparse.Action) -> argparse.Action:
    """Mark an argument as a path for shell completion."""
    action.complete = FILE_COMPLETE  # type: ignore[attr-defined]
    return action


def temperature(text: str) -> float:
    """--temperature: a number from 0 to 2 (argparse says which argument on failure, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give one from 0 to 2") from None
    if not math.isfinite(value) or not 0 <= value <= 2:
        raise argparse.ArgumentTypeError(f"{text} is out of range; give a number from 0 to 2")
    return value


def count(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is too small; give a whole number of at least 1")
    return value


def limit(text: str) -> int:
    """``--limit N``, the same everywhere: at most the newest N items; 0 means no limit (all of them)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is below 0; give a whole number (0 for all)")
    return value


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register files / jobs / chat / models / completion on the top-level parser."""

    def add(parent: argparse._SubParsersAction, name: str, help_text: str, **kw: Any) -> argparse.ArgumentParser:
        return parent.add_parser(
            name, help=help_text, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter, **kw
        )

    def common(p: argparse.ArgumentParser, json_flag: bool = True, json_help: str = "print JSON") -> None:
        p.add_argument("--profile", help="provider profile from config.toml")
        p.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
        if json_flag:
            p.add_argument("--json", action="store_true", help=json_help)
        p.add_argument(
            "--debug",
            action="store_true",
            help="write a log of the requests (ids, status, timings; never keys) and print its path",
        )

    def handler(p: argparse.ArgumentParser, name: str, action: str) -> None:
        module, _, function = name.partition(":")
        p.set_defaults(handler=f"ftui.commands.{module}:{function}", action=action)

    files = sub.add_parser("files", help="upload, list, download and delete files").add_subparsers(
        dest="files_command", metavar="COMMAND", required=True
    )
    p = add(files, "upload", "upload a training file")
    files_arg(p.add_argument("file"))
    p.add_argument("--purpose", default="fine-tune")
    p.add_argument(
        "--again", action="store_true", help="upload even when ftui uploaded the same content before (default: reuse)"
    )
    common(p)
    handler(p, "files:files_upload", "Uploading the file")
    p = add(files, "list", "list uploaded files, newest first")
    common(p)
    handler(p, "files:files_list", "Listing files")
    p = add(files, "download", "save a file's content (written atomically)")
    p.add_argument("id", help="the file id (file-...)")
    files_arg(p.add_argument("-o", "--output", metavar="PATH", help="where to save it (default: its name, here)"))
    p.add_argument("--force", action="store_true", help="replace PATH when it exists")
    common(p)
    handler(p, "files:files_download", "Downloading the file")
    p = add(files, "delete", "delete an uploaded file (asks first; says which jobs used it)")
    p.add_argument("id", help="the file id (file-...)")
    p.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    p.add_argument("--force", action="store_true", help="delete even while a job that has not ended uses it")
    common(p)
    handler(p, "files:files_delete", "Deleting the file")

    jobs = sub.add_parser("jobs", help="create, watch and control fine-tuning jobs").add_subparsers(
        dest="jobs_command", metavar="COMMAND", required=True
    )
    p = add(jobs, "list", "list jobs, newest first")
    p.add_argument("--limit", type=limit, default=20, metavar="N", help="the newest N jobs (default 20; 0: all)")
    common(p)
    handler(p, "jobs:jobs_list", "Listing jobs")
    p = add(jobs, "show", "show one job")
    p.add_argument("id")
    common(p)
    handler(p, "jobs:jobs_show", "Fetching the job")
    p = add(
        jobs,
        "create",
        "validate, upload and start a job",
        description="Check every option and each local file, then upload and start a fine-tuning job. "
        "A refusal uploads nothing (exit 2). With --like JOB, the same job again on this profile (the model "
        "mapped to this provider's name, or --model). If the create request gets no clear answer and ftui "
        "cannot find the job, it says the job MAY have been created and exits 3: check `ftui jobs list`.",
    )
    p.add_argument(
        "--model",
        help="the base model, e.g. gpt-4o-mini (or a fine-tuned model); required, except with --like, "
        "where it is the original's model as this profile names it",
    )
    files_arg(
        p.add_argument(
            "--training-file", help="a file id or a local JSONL path (checked, then uploaded); required without --like"
        )
    )
    files_arg(p.add_argument("--validation-file", help="a file id or a local JSONL path (default: none)"))
    p.add_argument(
        "--method",
        choices=["supervised", "dpo"],
        default="supervised",
        help="supervised needs chat (or completion) examples, dpo needs preference pairs (default: supervised)",
    )
    p.add_argument("--epochs", type=str, metavar="N|auto", help="a whole number from 1 to 50, or auto (default: auto)")
    p.add_argument(
        "--batch-size", type=str, metavar="N|auto", help="a whole number from 1 to 256, or auto (default: auto)"
    )
    p.add_argument("--lr-multiplier", type=str, metavar="X|auto", help="a number above 0, or auto (default: auto)")
    p.add_argument(
        "--beta", type=str, metavar="X|auto", help="DPO only: a number above 0 and at most 2, or auto (default: auto)"
    )
    p.add_argument(
        "--suffix",
        help="added to the model name: up to 64 letters, digits, '.', '_' or '-' (18 on Azure; default: none)",
    )
    p.add_argument("--seed", type=str, metavar="N", help="a whole number from 0 to 2147483647 (default: random)")
    p.add_argument(
        "--like",
        metavar="JOB",
        help="run JOB again here: its training and validation bytes (uploaded once), method, resolved "
        "hyperparameters, suffix and seed; options given here win",
    )
    p.add_argument("--from-profile", metavar="P", help="with --like: the profile that holds JOB (default: --profile)")
    files_arg(
        p.add_argument(
            "--from",
            dest="from_dir",
            metavar="DIR",
            help="with --like: read JOB and its files from an `ftui export` DIR",
        )
    )
    p.add_argument("--wandb-project", metavar="P", help="send metrics to this Weights & Biases project (default: none)")
    p.add_argument("--wandb-entity", metavar="E", help="the W&B team or user (default: the key's own; needs a project)")
    p.add_argument("--wandb-name", metavar="N", help="the W&B run's display name (default: the job id)")
    p.add_argument("--wandb-tag", metavar="T", action="append", help="a W&B run tag, up to 64 characters (repeatable)")
    p.add_argument(
        "--metadata",
        metavar="KEY=VALUE",
        action="append",
        help="a label kept with the job (repeatable): up to 15 pairs, keys up to 64 and values up to 512 "
        "characters (not on Azure; default: none)",
    )
    p.add_argument(
        "--again",
        action="store_true",
        help="create it even when the same job (same data, model, method, hyperparameters, suffix and seed) was "
        "created or requested in the last day (default: say which job that was and ask; with no terminal to ask "
        "on, refuse, exit 2)",
    )
    common(p)
    handler(p, "jobs:jobs_create", "Creating the job")
    p = add(jobs, "watch", "print events as they happen until the job ends (exit 0 succeeded, 1 failed or cancelled)")
    p.add_argument("id")
    p.add_argument(
        "--give-up-after",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="stop (exit 3) when no answer at all comes from the provider for this long; errors between "
        "answers do not count (default 120; 0 never)",
    )
    common(p, json_help="one JSON object per line: each event, then the final job")
    handler(p, "jobs:jobs_watch", "Watching the job")
    p = add(jobs, "events", "print a job's events, oldest first")
    p.add_argument("id")
    p.add_argument("--limit", type=limit, default=20, metavar="N", help="the newest N events (default 20; 0: all)")
    common(p)
    handler(p, "jobs:jobs_events", "Listing the job's events")
    p = add(
        jobs,
        "compare",
        "two runs side by side: final and best losses, accuracy, steps, tokens, duration, cost",
    )
    p.add_argument("a", metavar="A", help="a job id (ftjob-...)")
    p.add_argument("b", metavar="B", help="another job id")
    common(p, json_help='print {"a": {...}, "b": {...}}, one object per job')
    handler(p, "compare:jobs_compare", "Comparing the jobs")
    p = add(jobs, "checkpoints", "list a job's checkpoints (each a model you can chat with)")
    p.add_argument("id")
    p.add_argument("--limit", type=limit, default=0, metavar="N", help="the newest N checkpoints (default 0: all)")
    common(p)
    handler(p, "jobs:jobs_checkpoints", "Listing the job's checkpoints")
    for name in ("cancel", "pause", "resume"):
        p = add(jobs, name, f"{name} a job")
        p.add_argument("id")
        common(p)
        handler(
            p,
            "jobs:jobs_control",
            {"cancel": "Cancelling", "pause": "Pausing", "resume": "Resuming"}[name] + " the job",
        )

    p = add(sub, "chat", "stream a reply from a model (or two, with --compare)")
    p.add_argument("prompt", nargs="?", help="the prompt; without one, or with -, it is read from stdin")
    p.add_argument("--model", required=True)
    p.add_argument("--compare", metavar="MODEL2", help="a second model to answer the same prompt")
    p.add_argument("--system", help="a system message")
    p.add_argument("--temperature", type=temperature, metavar="X", help="0 to 2 (default: the provider's)")
    p.add_argument("--max-tokens", type=count, metavar="N", help="at most N tokens in the reply (default: no limit)")
    common(p, json_help="print one JSON object with each reply, its tokens and timings (no streaming)")
    handler(p, "chat:chat", "The chat request")

    models = sub.add_parser("models", help="list and delete models").add_subparsers(
        dest="models_command", metavar="COMMAND", required=True
    )
    p = add(models, "list", "list models with their shutdown dates")
    p.add_argument(
        "--fine-tuned",
        action="store_true",
        help="only fine-tuned models and checkpoints, with their job, base model and created date",
    )
    common(p)
    handler(p, "models:models_list", "Listing models")
    p = add(models, "delete", "delete a fine-tuned model (asks first)")
    p.add_argument("model", help="the fine-tuned model (ft:... or, on Azure, <base>.ft-...)")
    p.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    common(p)
    handler(p, "models:models_delete", "Deleting the model")

    p = add(
        sub,
        "completion",
        "print a shell completion script",
        description="e.g. ftui completion bash > ~/.local/share/bash-completion/completions/ftui",
    )
    p.add_argument("shell", choices=["bash", "zsh", "tcsh", "fish"])

    _add_deployments(sub, common)

    p = add(
        sub,
        "export",
        "copy every file, job, event, checkpoint, model and deployment into a folder",
        description="Write every file's bytes, every job (its JSON, all its events as JSON Lines, its "
        "checkpoints), the fine-tuned models and, on Azure, the deployments into DIR, with DIR/manifest.json "
        "listing each item. Run it again to fetch only what is new or changed (nothing else is rewritten), or "
        "to finish an interrupted run. Exit 0 when everything is there, 1 when something is missing (listed "
        "on stderr, and in --json), 3 when the provider cannot be reached.",
    )
    files_arg(p.add_argument("dir", metavar="DIR", help="the export folder (made when missing)"))
    common(p, json_help="print a JSON summary (counts, what was written, what is missing)")
    handler(p, "export:export", "Exporting")


def _add_deployments(sub: argparse._SubParsersAction, common: Callable[..., None]) -> None:
    """``ftui deployments create | list | delete`` (Azure's control plane; handlers in deployments.py)."""
    dep = sub.add_parser(
        "deployments", help="deploy fine-tuned models on Azure, list and delete deployments"
    ).add_subparsers(dest="deployments_command", metavar="COMMAND", required=True)
    p = dep.add_parser(
        "create",
        help="deploy a fine-tuned model (or checkpoint) and wait until it serves",
        description="Deploy MODEL as NAME through the Azure control plane, then watch its provisioning until it is "
        "Succeeded. A deployment bills by the hour while it exists: ftui says its SKU and capacity and asks first "
        "(--yes answers for scripts; with no terminal and no --yes it refuses, exit 2). The profile names the "
        "resource: subscription_id, resource_group, account.",
    )
    p.add_argument("model", metavar="MODEL", help="a fine-tuned model id or a checkpoint id (ftchkpt-...)")
    p.add_argument("--name", required=True, help="the deployment name chat will use (2-64 letters, digits, _ . -)")
    p.add_argument(
        "--sku",
        choices=["developer", "standard", "globalstandard"],
        default="standard",
        help="the deployment type (default: standard)",
    )
    p.add_argument("--capacity", type=int, default=1, metavar="N", help="capacity units, 1-1000 (default: 1)")
    p.add_argument("--yes", action="store_true", help="do not ask: confirm the hourly charge")
    common(p)
    p.set_defaults(handler="ftui.commands.deployments:deployments_create", action="Creating the deployment")
    p = dep.add_parser("list", help="list deployments with their model, SKU and state")
    common(p)
    p.set_defaults(handler="ftui.commands.deployments:deployments_list", action="Listing deployments")
    p = dep.add_parser("delete", help="delete a deployment (asks first)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", action="store_true", help="do not ask")
    common(p)
    p.set_defaults(handler="ftui.commands.deployments:deployments_delete", action="Deleting the deployment")
