"""The provider commands' arguments (files, jobs, chat, models): building them imports nothing
but argparse, so `ftui --help` starts like a small tool.

A command names its handler as ``"module:function"`` (``set_defaults(handler=...)``); the module
(and with it the openai SDK) is imported only when that command runs. A new command goes here,
with its handler in a module of its own under ``ftui/commands/``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register files / jobs / chat / models on the top-level parser."""

    def common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
        p.add_argument("--profile", help="provider profile from config.toml")
        p.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")

    files = sub.add_parser("files", help="upload and list files").add_subparsers(dest="files_command", required=True)
    p = files.add_parser("upload", help="upload a training file")
    p.add_argument("file")
    p.add_argument("--purpose", default="fine-tune")
    common(p)
    p.set_defaults(handler="ftui.commands.api:files_upload", action="Uploading the file")
    p = files.add_parser("list", help="list uploaded files")
    common(p)
    p.set_defaults(handler="ftui.commands.api:files_list", action="Listing files")

    jobs = sub.add_parser("jobs", help="create, watch and control fine-tuning jobs").add_subparsers(
        dest="jobs_command", required=True
    )
    p = jobs.add_parser("list", help="list jobs, newest first")
    p.add_argument("--limit", type=int, default=20)
    common(p)
    p.set_defaults(handler="ftui.commands.api:jobs_list", action="Listing jobs")
    p = jobs.add_parser("show", help="show one job")
    p.add_argument("id")
    common(p)
    p.set_defaults(handler="ftui.commands.api:jobs_show", action="Fetching the job")
    p = jobs.add_parser(
        "create",
        help="validate, upload and start a job",
        description="Check every option and each local file, then upload and start a fine-tuning job. "
        "A refusal uploads nothing (exit 2). If the create request gets no clear answer and ftui "
        "cannot find the job, it says the job MAY have been created and exits 3: check `ftui jobs list`.",
    )
    p.add_argument("--model", required=True, help="the base model, e.g. gpt-4o-mini (or a fine-tuned model)")
    p.add_argument("--training-file", required=True, help="a file id or a local JSONL path (checked, then uploaded)")
    p.add_argument("--validation-file", help="a file id or a local JSONL path (default: none)")
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
    common(p)
    p.set_defaults(handler="ftui.commands.api:jobs_create", action="Creating the job")
    for name, help_text in (("watch", "print events as they happen until the job ends"),):
        p = jobs.add_parser(name, help=help_text)
        p.add_argument("id")
        p.add_argument(
            "--give-up-after",
            type=float,
            default=120.0,
            metavar="SECONDS",
            help="stop (exit 3) when the provider cannot be reached for this long (default 120; 0 never)",
        )
        common(p, json_flag=False)
        p.set_defaults(handler="ftui.commands.api:jobs_watch", action="Watching the job")
    for name in ("cancel", "pause", "resume"):
        p = jobs.add_parser(name, help=f"{name} a job")
        p.add_argument("id")
        common(p)
        p.set_defaults(
            handler="ftui.commands.api:jobs_control",
            action={"cancel": "Cancelling", "pause": "Pausing", "resume": "Resuming"}[name] + " the job",
        )

    p = sub.add_parser("chat", help="stream a reply from a model")
    p.add_argument("prompt")
    p.add_argument("--model", required=True)
    p.add_argument("--compare", metavar="MODEL2", help="a second model to answer the same prompt")
    p.add_argument("--system", help="a system message")
    common(p, json_flag=False)
    p.set_defaults(handler="ftui.commands.api:chat", action="The chat request")

    p = sub.add_parser("models", help="list models").add_subparsers(dest="models_command", required=True)
    q = p.add_parser("list", help="list models with their shutdown dates")
    common(q)
    q.set_defaults(handler="ftui.commands.api:models_list", action="Listing models")

    _add_deployments(sub, common)


def _add_deployments(sub: argparse._SubParsersAction, common: Callable[..., None]) -> None:
    """``ftui deployments create | list | delete`` (Azure's control plane; handlers in deployments.py)."""
    dep = sub.add_parser(
        "deployments", help="deploy fine-tuned models on Azure, list and delete deployments"
    ).add_subparsers(dest="deployments_command", required=True)
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
