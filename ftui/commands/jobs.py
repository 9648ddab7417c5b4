"""`ftui jobs ...`: list, show, create, control, watch, events, checkpoints."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftui.api_facts import HYPERPARAMETERS, HyperparameterError, check_seed, check_suffix
from ftui.commands.api import (
    EXIT_FAILED,
    EXIT_MISUSE,
    EXIT_OK,
    EXIT_PROVIDER,
    dump,
    dump_line,
    print_safe,
    print_table,
    when,
)
from ftui.commands.files import confirm, reused_note, upload_once
from ftui.commands.next_step import ftui_command
from ftui.data.stats import job_cost
from ftui.data.validate import DatasetReadError, validate_file
from ftui.job_intent import JobIntent, create_with_intent, find_repeat, intent_for, place
from ftui.job_options import JobOptionError, describe_integrations, describe_metadata, parse_metadata, wandb_integration
from ftui.provider.events import EventStream, WatchGaveUp, event_from_dict, fetch_events, metric_point
from ftui.provider.files import file_sha256
from ftui.provider.jobs import JobRequest, list_checkpoints, list_jobs
from ftui.term import fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider


async def jobs_list(p: Provider, args: argparse.Namespace) -> int:
    jobs = await list_jobs(p.client, args.limit)
    if args.json:
        dump(jobs)
        return EXIT_OK
    if not jobs:
        print("no jobs")
        return EXIT_OK
    rows = [(j.id, when(j.created_at), j.status, j.model, j.fine_tuned_model or "—") for j in jobs]
    print_table(("ID", "CREATED", "STATUS", "MODEL", "FINE-TUNED MODEL"), rows)
    return EXIT_OK


async def jobs_show(p: Provider, args: argparse.Namespace) -> int:
    job = await p.client.fine_tuning.jobs.retrieve(args.id)
    if args.json:
        dump(job)
        return EXIT_OK
    hp = job.hyperparameters
    print_safe(f"{job.id}  {job.status}")
    print_safe(f"  model            {job.model}")
    print_safe(f"  method           {job.method.type if job.method else 'supervised'}")
    print_safe(f"  training file    {job.training_file}")
    print_safe(f"  validation file  {job.validation_file or '—'}")
    print_safe(
        f"  hyperparameters  epochs {hp.n_epochs}, batch size {hp.batch_size}, lr x{hp.learning_rate_multiplier}"
    )
    print_safe(f"  created          {when(job.created_at)}")
    print_safe(f"  finished         {when(job.finished_at)}")
    if job.estimated_finish and job.status not in ("succeeded", "failed", "cancelled"):
        print_safe(f"  estimated finish {when(job.estimated_finish)}")
    print_safe(f"  fine-tuned model {job.fine_tuned_model or '—'}")
    print_safe(f"  trained tokens   {job.trained_tokens:,}" if job.trained_tokens else "  trained tokens   —")
    for line in describe_integrations(job.integrations):
        print_safe(f"  integration      {line}")
    if meta := describe_metadata(job.metadata):
        print_safe(f"  metadata         {meta}")
    if job.error and job.error.message:
        print_safe(f"  error            {job.error.message}")
    return EXIT_OK


_HP_OPTIONS = (  # (option, attribute, api_facts key)
    ("--epochs", "epochs", "n_epochs"),
    ("--batch-size", "batch_size", "batch_size"),
    ("--lr-multiplier", "lr_multiplier", "learning_rate_multiplier"),
    ("--beta", "beta", "beta"),
)


def _as_option(option: str, exc: ValueError) -> str:
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


def _checked_extras(args: argparse.Namespace, azure: bool) -> tuple[dict[str, Any], str | None]:
    """--wandb-* and --metadata checked: ({"integrations", "metadata"}, None) or ({}, a sentence)."""
    try:
        integrations = wandb_integration(
            args.wandb_project, args.wandb_entity, args.wandb_name, args.wandb_tag or (), label="--wandb"
        )
    except JobOptionError as exc:
        return {}, str(exc)
    try:
        metadata = parse_metadata(args.metadata or (), label="--metadata")
    except JobOptionError as exc:
        return {}, str(exc)
    if metadata and azure:
        return {}, "--metadata: Azure OpenAI keeps no job metadata; leave --metadata out on an Azure profile."
    return {"integrations": integrations, "metadata": metadata}, None


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
    extras, problem = _checked_extras(args, azure)
    if problem:
        return {}, problem
    values.update(extras)
    return values, None


def _cost_line(path: Path, report: Any, epochs: int | str) -> str:
    """'data.jsonl: 40 examples, 0 warnings, 2 epochs × 1,234 tokens = 2,468 training tokens, ~$0.01'."""
    cost = job_cost(report.estimate, epochs)
    counts = f"{report.examples:,} examples, {len(report.warnings)} warnings"
    return f"{safe(path.name, one_line=True)}: {counts}, {cost.words()}"


async def _intent(
    p: Provider, request: JobRequest, local: dict[str, Path], file_ids: dict[str, str | None]
) -> JobIntent:
    """The job's intent, its local files named by their sha256 (file ids given stand for themselves)."""
    named: dict[str, str | None] = dict(file_ids)
    for kind, path in local.items():
        named[kind] = "sha256:" + await asyncio.to_thread(file_sha256, path)
    assert named["training"] is not None
    return intent_for(request, named["training"], named["validation"], where=place(p.profile))


async def ask_about_repeat(p: Provider, intent: JobIntent) -> int | None:
    """When the same job was created (or requested) in the last day: say so and ask. None to go
    on; otherwise the exit code (0: the user said no; 2: no terminal to ask on and no --again)."""
    repeat = await find_repeat(p.client, intent)
    if repeat is None:
        return None
    said = safe(repeat.describe(), one_line=True)  # ids and statuses come from the server
    if not sys.stdin or not sys.stdin.isatty():
        return fail(
            f"{said} Add --again to create another one anyway (there is no terminal to ask on). Nothing was created.",
            EXIT_MISUSE,
        )
    print(said, file=sys.stderr)
    if confirm("Create another one (billed again)?", False):
        return None
    print("nothing created", file=sys.stderr)
    return EXIT_OK


async def jobs_create(p: Provider, args: argparse.Namespace) -> int:
    if getattr(args, "like", None):
        from ftui.commands.like import jobs_create_like

        return await jobs_create_like(p, args)
    if not args.model or not args.training_file:
        missing = " and ".join(
            o for o, v in (("--model", args.model), ("--training-file", args.training_file)) if not v
        )
        return fail(
            f"{missing} {'is' if ' and ' not in missing else 'are'} required (or --like JOB to run a job again)."
        )
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
                f"{shown} has {safe(summary)}. Run `ftui validate {shown}` for all of them. Nothing was uploaded.",
                EXIT_FAILED,
            )
        if kind == "training" and not args.json:
            print(_cost_line(path, report, values["n_epochs"]), file=sys.stderr)
        local[kind] = path
    request = JobRequest(
        model=args.model,
        training_file=file_ids["training"] or "",
        validation_file=file_ids["validation"],
        method=args.method,
        n_epochs=values["n_epochs"],
        batch_size=values["batch_size"],
        learning_rate_multiplier=values["learning_rate_multiplier"],
        beta=values["beta"],
        suffix=values["suffix"],
        seed=values["seed"],
        metadata=values["metadata"],
        integrations=values["integrations"],
    )
    intent = await _intent(p, request, local, file_ids)
    if not args.again and (refused := await ask_about_repeat(p, intent)) is not None:
        return refused
    for kind, path in local.items():
        file, reused = await upload_once(p, path)
        if reused and not args.json:
            print(reused_note(file, path), file=sys.stderr)
        file_ids[kind] = file.id
    assert file_ids["training"] is not None
    request = dataclasses.replace(request, training_file=file_ids["training"], validation_file=file_ids["validation"])

    def waiting(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    job = await create_with_intent(p.client, request, intent, azure=azure, on_wait=waiting)
    if args.json:
        dump(job)
    else:
        print_safe(f"{job.id}  {job.status}")
        print(f"follow it with: {ftui_command(args, 'jobs', 'watch', job.id)}", file=sys.stderr)
    return EXIT_OK


async def jobs_control(p: Provider, args: argparse.Namespace) -> int:
    jobs = p.client.fine_tuning.jobs
    if p.profile.provider == "azure" and args.jobs_command in ("pause", "resume"):
        return fail(
            f"Azure's fine-tuning API (api-version 2024-10-21) cannot {args.jobs_command} a job; "
            f"only cancel it ({ftui_command(args, 'jobs', 'cancel', args.id)}). Nothing was sent.",
            1,
        )
    action = {"cancel": jobs.cancel, "pause": jobs.pause, "resume": jobs.resume}[args.jobs_command]
    job = await action(args.id)
    if args.json:
        dump(job)
    else:
        print_safe(f"{job.id}  {job.status}")
    return EXIT_OK


def format_event(event: Any) -> str:
    """One line per event: time, level, message; metrics as a compact line."""
    stamp = when(event.created_at)
    point = metric_point(event)
    if point is not None:
        return f"{stamp}  metric  " + point.summary("  ")
    return f"{stamp}  {safe(str(event.level), one_line=True):<6}  {safe(event.message or '', one_line=True)}"


async def jobs_watch(p: Provider, args: argparse.Namespace) -> int:
    """Each event once as it happens (a line, or with --json one JSON object per line), then the
    final job (--json: the job object as the last line). Exit 0 succeeded, 1 failed or cancelled."""
    reconnecting = False
    as_lines = getattr(args, "json", False)

    def on_state(state: Any) -> None:
        nonlocal reconnecting
        if state.reconnecting and not reconnecting:
            print(f"… {safe(state.reconnecting, one_line=True)}", file=sys.stderr, flush=True)
        reconnecting = bool(state.reconnecting)

    stream = EventStream(p.client, args.id, on_state=on_state, give_up_after=args.give_up_after or None)
    try:
        async for event in stream:
            if as_lines:
                dump_line(event)
            else:
                print(format_event(event), flush=True)
    except WatchGaveUp as exc:
        return fail(str(exc), EXIT_PROVIDER)
    job = stream.state.job
    status = job.status if job else "unknown"
    if as_lines:
        if job is not None:
            dump_line(job)
    else:
        print(safe(f"job {args.id} {status}", one_line=True), flush=True)
    return EXIT_OK if status == "succeeded" else EXIT_FAILED


async def jobs_events(p: Provider, args: argparse.Namespace) -> int:
    """The job's newest ``--limit`` events (0: all), printed oldest first."""
    if args.limit < 0:
        return fail("--limit: give a whole number of events, 0 for all of them.")
    events = [event_from_dict(item) for item in await fetch_events(p.client, args.id, args.limit)]
    events.reverse()  # the API sends newest first; people and scripts read oldest first
    if args.json:
        dump(events)
        return EXIT_OK
    if not events:
        print("no events")
    for event in events:
        print(format_event(event))
    return EXIT_OK


def _metrics_line(metrics: Any) -> str:
    if metrics is None:
        return ""
    parts = []
    for label, key in (("loss", "train_loss"), ("acc", "train_mean_token_accuracy"), ("val_loss", "valid_loss")):
        value = getattr(metrics, key, None)
        if isinstance(value, int | float):
            parts.append(f"{label} {value:.4f}")
    return "  ".join(parts)


async def jobs_checkpoints(p: Provider, args: argparse.Namespace) -> int:
    """The job's checkpoints, newest first: step, the model name to chat with, its metrics."""
    checkpoints = await list_checkpoints(p.client, args.id, args.limit)
    if args.json:
        dump(checkpoints)
        return EXIT_OK
    if not checkpoints:
        print("no checkpoints")
    for c in checkpoints:
        print_safe(f"step {c.step_number:>6}  {when(c.created_at)}  {c.fine_tuned_model_checkpoint}")
        if metrics := _metrics_line(c.metrics):
            print_safe(f"             {metrics}")
    return EXIT_OK
