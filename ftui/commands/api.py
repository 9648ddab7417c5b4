"""Headless provider commands: files, jobs, chat, models (for scripts and SSH sessions)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ftui.api_facts import HYPERPARAMETERS, HyperparameterError, check_seed, check_suffix, epochs_word
from ftui.config import ConfigError
from ftui.connect import open_provider
from ftui.data.validate import DatasetReadError, validate_file
from ftui.provider.chat import ChatResult, stream_chat
from ftui.provider.client import Provider
from ftui.provider.errors import ProviderError, describe
from ftui.provider.events import EventStream, WatchGaveUp, metric_point
from ftui.provider.files import upload_file
from ftui.provider.jobs import JobMayExist, JobRequest, create_job, list_jobs
from ftui.term import Style, fail
from ftui.textsafe import safe


def _when(ts: int | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"


def print_safe(text: str) -> None:
    """Print one line of text that may hold server or dataset text, control characters escaped."""
    print(safe(text, one_line=True))


def _dump(obj: Any) -> None:
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    elif isinstance(obj, list):
        obj = [o.model_dump(mode="json") if hasattr(o, "model_dump") else o for o in obj]
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


WRONG_SHAPE = (AttributeError, TypeError, KeyError, ValueError)  # pydantic's ValidationError is a ValueError


def run(args: argparse.Namespace) -> int:
    """Open the provider, run the chosen command, close; errors become one sentence."""
    handler: Callable[[Provider, argparse.Namespace], Awaitable[int]] = args.handler

    async def main() -> int:
        try:
            provider = await open_provider(args.profile, args.base_url)
        except ConfigError as exc:
            return fail(str(exc))
        try:
            if provider.local_server is not None and not getattr(args, "json", False):
                print(Style(sys.stderr)("using the local sandbox (no credentials configured)", "dim"), file=sys.stderr)
            return await handler(provider, args)
        except JobMayExist as exc:  # never "failed": a job may exist, and the sentence says how to check
            return fail(str(exc), 3)
        except (ProviderError, ConfigError) as exc:
            return fail(str(exc), 1)
        except Exception as exc:
            import openai

            if isinstance(exc, openai.OpenAIError):
                # DESIGN: 3 = the provider could not be reached or refused (key, permission); 1 = it failed.
                unreachable = (openai.APIConnectionError, openai.AuthenticationError, openai.PermissionDeniedError)
                unreachable += (openai.InternalServerError,)  # 5xx after the SDK's retries
                return fail(describe(exc, args.action, provider.secrets), 3 if isinstance(exc, unreachable) else 1)
            if isinstance(exc, WRONG_SHAPE):
                # The SDK hands back the body as text when it is not JSON (an HTML login page, a
                # proxy's error), and the code that reads it fails: say so, never a traceback.
                where = provider.client.base_url
                return fail(
                    f"{args.action} failed: the server at {where} answered with something that is not the "
                    f"OpenAI API's JSON ({type(exc).__name__}). Check the base URL and any proxy in between.",
                    3,
                )
            raise
        finally:
            await provider.close()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130


# -- files -----------------------------------------------------------------------------
async def files_upload(p: Provider, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        return fail(f"{path}: no such file.")
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            pct = 100 * done // total if total else 100
            sys.stderr.write("\r" + safe(f"uploading {path.name}: {pct}% ({done:,}/{total:,} bytes)", one_line=True))
            sys.stderr.flush()

    file = await upload_file(p.client, path, args.purpose, show)
    if tty:
        sys.stderr.write("\n")
    if args.json:
        _dump(file)
    else:
        print(safe(f"{file.id}  {file.filename}  {file.bytes:,} bytes  {file.status}", one_line=True))
    return 0


async def files_list(p: Provider, args: argparse.Namespace) -> int:
    page = await p.client.files.list()
    files = list(page.data)
    if args.json:
        _dump(files)
        return 0
    if not files:
        print("no files")
    for f in files:
        print(safe(f"{f.id}  {_when(f.created_at)}  {f.purpose:<18} {f.bytes:>12,}  {f.filename}", one_line=True))
    return 0


# -- jobs ------------------------------------------------------------------------------
async def jobs_list(p: Provider, args: argparse.Namespace) -> int:
    jobs = await list_jobs(p.client, args.limit)
    if args.json:
        _dump(jobs)
        return 0
    if not jobs:
        print("no jobs")
    for j in jobs:
        print(
            safe(
                f"{j.id}  {_when(j.created_at)}  {j.status:<16} {j.model:<28} {j.fine_tuned_model or ''}", one_line=True
            )
        )
    return 0


async def jobs_show(p: Provider, args: argparse.Namespace) -> int:
    job = await p.client.fine_tuning.jobs.retrieve(args.id)
    if args.json:
        _dump(job)
        return 0
    hp = job.hyperparameters
    print_safe(f"{job.id}  {job.status}")
    print_safe(f"  model            {job.model}")
    print_safe(f"  method           {job.method.type if job.method else 'supervised'}")
    print_safe(f"  training file    {job.training_file}")
    print_safe(f"  validation file  {job.validation_file or '—'}")
    print_safe(
        f"  hyperparameters  epochs {hp.n_epochs}, batch size {hp.batch_size}, lr x{hp.learning_rate_multiplier}"
    )
    print_safe(f"  created          {_when(job.created_at)}")
    print_safe(f"  finished         {_when(job.finished_at)}")
    if job.estimated_finish and job.status not in ("succeeded", "failed", "cancelled"):
        print_safe(f"  estimated finish {_when(job.estimated_finish)}")
    print_safe(f"  fine-tuned model {job.fine_tuned_model or '—'}")
    print_safe(f"  trained tokens   {job.trained_tokens:,}" if job.trained_tokens else "  trained tokens   —")
    if job.error and job.error.message:
        print_safe(f"  error            {job.error.message}")
    return 0


_HP_OPTIONS = (  # (option, attribute, api_facts key)
    ("--epochs", "epochs", "n_epochs"),
    ("--batch-size", "batch_size", "batch_size"),
    ("--lr-multiplier", "lr_multiplier", "learning_rate_multiplier"),
    ("--beta", "beta", "beta"),
)


def _as_option(option: str, exc: HyperparameterError) -> str:
    """'Epochs: 0 is out of range; …' -> '--epochs: 0 is out of range; …'."""
    text = str(exc)
    return f"{option}: {text.split(': ', 1)[1] if ': ' in text else text}"


def _method_problem(fmt: str | None, method: str) -> str | None:
    """Why a file in ``fmt`` cannot train with ``method``, or None when it can."""
    if fmt is None:
        return None
    if method == "dpo" and fmt != "dpo":
        return f"the file is in {fmt} format, but DPO needs preference pairs"
    if method == "supervised" and fmt == "dpo":
        return "the file holds DPO preference pairs, but supervised fine-tuning needs chat examples; add --method dpo"
    if method == "supervised" and fmt not in ("chat", "completion"):
        return f"the file is in {fmt} format, but supervised fine-tuning needs chat examples"
    return None


def _checked_options(args: argparse.Namespace, azure: bool) -> tuple[dict[str, Any], str | None]:
    """Every option checked locally: (values, None) or ({}, one sentence naming the option)."""
    values: dict[str, Any] = {}
    if args.beta is not None and args.method != "dpo":
        return {}, "--beta: only DPO uses beta; add --method dpo or leave --beta out."
    for option, attr, key in _HP_OPTIONS:
        try:
            values[key] = HYPERPARAMETERS[key].check(getattr(args, attr))
        except HyperparameterError as exc:
            return {}, _as_option(option, exc)
    try:
        values["suffix"] = check_suffix(args.suffix, azure=azure)
    except HyperparameterError as exc:
        return {}, _as_option("--suffix", exc)
    try:
        values["seed"] = check_seed(args.seed)
    except HyperparameterError as exc:
        return {}, _as_option("--seed", exc)
    return values, None


def _cost_line(path: Path, report: Any, epochs: int | str) -> str:
    """'data.jsonl: 40 examples, 0 warnings, 2 epochs × 1,234 tokens = 2,468 training tokens, ~$0.01'."""
    est = report.estimate
    auto = epochs == "auto"
    n = est.epochs if auto else int(epochs)
    charged = n * est.billing_tokens
    price = est.price_per_1m
    if price is None:
        cost = "unknown cost"
    else:
        usd = charged * price / 1_000_000
        cost = f"~${usd:,.2f}" if usd >= 0.01 else f"~${usd:.4f}"
    return (
        f"{safe(path.name, one_line=True)}: {report.examples:,} examples, {len(report.warnings)} warnings, "
        f"{epochs_word(n)}{' (auto)' if auto else ''} × {est.billing_tokens:,} tokens = "
        f"{charged:,} training tokens, {cost}"
    )


async def jobs_create(p: Provider, args: argparse.Namespace) -> int:
    azure = p.profile.provider == "azure"
    values, problem = _checked_options(args, azure)
    if problem:
        return fail(f"{problem} Nothing was uploaded.")
    # Every local file is checked before anything is uploaded.
    local: dict[str, Path] = {}
    file_ids: dict[str, str | None] = {"training": None, "validation": None}
    for kind, value in (("training", args.training_file), ("validation", args.validation_file)):
        if value is None:
            continue
        path = Path(value)
        if not path.exists():
            file_ids[kind] = value  # a file id already uploaded
            continue
        try:
            report = await asyncio.to_thread(validate_file, path, args.model)
        except DatasetReadError as exc:
            return fail(str(exc))
        shown = safe(str(path), one_line=True)
        if why := _method_problem(report.format, args.method):  # the options' fault first: exit 2
            return fail(f"--{kind}-file: {why}. Nothing was uploaded.")
        if summary := report.error_summary():
            return fail(
                f"{shown} has {safe(summary)}. Run `ftui validate {shown}` for all of them. Nothing was uploaded.", 1
            )
        if kind == "training" and not args.json:
            print(_cost_line(path, report, values["n_epochs"]), file=sys.stderr)
        local[kind] = path
    for kind, path in local.items():
        file = await upload_file(p.client, path)
        file_ids[kind] = file.id
    assert file_ids["training"] is not None
    request = JobRequest(
        model=args.model,
        training_file=file_ids["training"],
        validation_file=file_ids["validation"],
        method=args.method,
        n_epochs=values["n_epochs"],
        batch_size=values["batch_size"],
        learning_rate_multiplier=values["learning_rate_multiplier"],
        beta=values["beta"],
        suffix=values["suffix"],
        seed=values["seed"],
    )
    job = await create_job(p.client, request, azure=azure)
    if args.json:
        _dump(job)
    else:
        print_safe(f"{job.id}  {job.status}")
        print(f"follow it with: ftui jobs watch {job.id}", file=sys.stderr)
    return 0


async def jobs_control(p: Provider, args: argparse.Namespace) -> int:
    jobs = p.client.fine_tuning.jobs
    action = {"cancel": jobs.cancel, "pause": jobs.pause, "resume": jobs.resume}[args.jobs_command]
    job = await action(args.id)
    if args.json:
        _dump(job)
    else:
        print_safe(f"{job.id}  {job.status}")
    return 0


def format_event(event: Any) -> str:
    """One line per event: time, level, message; metrics as a compact line."""
    when = _when(event.created_at)
    point = metric_point(event)
    if point is not None:
        return f"{when}  metric  " + point.summary("  ")
    return f"{when}  {safe(str(event.level), one_line=True):<6}  {safe(event.message or '', one_line=True)}"


async def jobs_watch(p: Provider, args: argparse.Namespace) -> int:
    reconnecting = False

    def on_state(state: Any) -> None:
        nonlocal reconnecting
        if state.reconnecting and not reconnecting:
            print(f"… {safe(state.reconnecting, one_line=True)}", file=sys.stderr, flush=True)
        reconnecting = bool(state.reconnecting)

    stream = EventStream(p.client, args.id, on_state=on_state, give_up_after=args.give_up_after or None)
    try:
        async for event in stream:
            print(format_event(event), flush=True)
    except WatchGaveUp as exc:
        return fail(str(exc), 3)
    status = stream.state.job.status if stream.state.job else "unknown"
    print(safe(f"job {args.id} {status}", one_line=True), flush=True)
    return 0 if status == "succeeded" else 1


# -- chat and models -----------------------------------------------------------------------
async def _one_reply(p: Provider, model: str, prompt: str, system: str | None, out: list[str] | None) -> ChatResult:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    result = ChatResult(model=model)
    async for piece in stream_chat(p.client, p.chat_model(model), messages, result, temperature=None, max_tokens=None):
        if out is None:
            sys.stdout.write(safe(piece))
            sys.stdout.flush()
        else:
            out.append(safe(piece))
    return result


def _numbers(r: ChatResult) -> str:
    ttft = f"{r.first_token_s * 1000:.0f} ms" if r.first_token_s is not None else "—"
    total = f"{r.total_s:.2f} s" if r.total_s is not None else "—"
    toks = f"{r.completion_tokens} tokens" if r.completion_tokens is not None else "? tokens"
    return f"[{toks} · first token {ttft} · total {total}]"


async def chat(p: Provider, args: argparse.Namespace) -> int:
    if not args.compare:
        result = await _one_reply(p, args.model, args.prompt, args.system, None)
        sys.stdout.write("\n")
        print(_numbers(result), file=sys.stderr)
        return 0
    bufs: tuple[list[str], list[str]] = ([], [])
    results = await asyncio.gather(
        _one_reply(p, args.model, args.prompt, args.system, bufs[0]),
        _one_reply(p, args.compare, args.prompt, args.system, bufs[1]),
    )
    for result, buf in zip(results, bufs, strict=True):
        print(f"── {safe(result.model, one_line=True)} ──")
        print("".join(buf))
        print(_numbers(result))
    return 0


async def models_list(p: Provider, args: argparse.Namespace) -> int:
    page = await p.client.models.list()
    models = list(page.data)
    if args.json:
        _dump(models)
        return 0
    width = max((len(m.id) for m in models), default=0)
    for m in models:
        shutdown = getattr(m, "shutdown_date", None)
        extra = f"{m.owned_by}" + (f", shuts down {shutdown}" if shutdown else "")
        if width + len(extra) + 2 <= 80:
            print_safe(f"{m.id:<{width}}  {extra}")
        else:  # long fine-tune names: attributes on their own line, so nothing wraps mid-word
            print_safe(f"{m.id}")
            print_safe(f"    {extra}")
    return 0


__all__ = ["format_event", "run"]
