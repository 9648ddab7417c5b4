"""`ftui jobs create --like JOB [--from-profile P | --from DIR] [--profile Q] [--model M]`: the same
job again on profile Q: the original's bytes (downloaded, or from an export), method, resolved
hyperparameters, suffix and seed, on its base model as Q names it. Everything is checked as
`jobs create` checks it (options for Q, then the files for Q's model) before anything is uploaded;
the upload reuses Q's copy of the same bytes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ftui.commands.api import EXIT_FAILED
from ftui.config import ConfigError
from ftui.provider.rerun import HP_OPTIONS, RerunError, fetch_inputs, read_export_job, source_from_job, target_model
from ftui.term import fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider
    from ftui.provider.rerun import RerunSource

_ATTRS = {"n_epochs": "epochs", "batch_size": "batch_size", "learning_rate_multiplier": "lr_multiplier", "beta": "beta"}


async def _source(q: Provider, args: argparse.Namespace) -> tuple[RerunSource, Provider | None, bool]:
    """The original job; the provider that holds its files (None for an export); whether it runs
    again where it came from (then its model keeps its name)."""
    if args.from_dir:
        return await asyncio.to_thread(read_export_job, Path(args.from_dir), args.like), None, False
    same = args.from_profile is None or args.from_profile == q.profile.name
    if same:
        src = q
    else:
        from ftui.connect import open_provider

        try:
            src = await open_provider(args.from_profile)
        except ConfigError as exc:
            raise RerunError(f"--from-profile: {exc}") from None
    try:
        job = await src.client.fine_tuning.jobs.retrieve(args.like)
    except BaseException:
        if src is not q:
            await src.close()
        raise
    return source_from_job(job, f"profile {src.profile.name}"), src, same


def _fill_args(args: argparse.Namespace, source: RerunSource, model: str) -> str | None:
    """Put the original's settings where `jobs create` reads them (options given win); a sentence
    when a hyperparameter is still ``auto`` on the original and no option gives it."""
    args.model = model
    args.method = source.method
    for key, attr in _ATTRS.items():
        if key == "beta" and source.method != "dpo":
            continue
        if getattr(args, attr) is not None:
            continue  # given on the command line: that value
        value = source.hyperparameters.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return (
                f"--like: {source.job_id} has not resolved {key} yet (it says {safe(str(value), one_line=True)}: "
                f"it has not started training); wait for it, or give {HP_OPTIONS[key]}."
            )
        args.__dict__[attr] = str(value)
    if args.suffix is None:
        args.suffix = source.suffix
    if args.seed is None and source.seed is not None:
        args.seed = str(source.seed)
    return None


def _summary(source: RerunSource, args: argparse.Namespace, target: str) -> str:
    """'ftjob-… (profile oa) again on az: gpt-35-turbo-0125, supervised, epochs 3, batch 1, lr x1.8, …'."""
    parts = [
        args.model,
        source.method,
        f"epochs {args.epochs}",
        f"batch {args.batch_size}",
        f"lr x{args.lr_multiplier}",
    ]
    if source.method == "dpo":
        parts.append(f"beta {args.beta}")
    parts.append(f"suffix {args.suffix}" if args.suffix else "no suffix")
    parts.append(f"seed {args.seed}" if args.seed is not None else "seed random")
    return f"{source.job_id} ({source.where}) again on {target}: " + ", ".join(parts)


async def jobs_create_like(q: Provider, args: argparse.Namespace) -> int:
    """Run ``args.like`` again on the profile ``q`` (see the module's docstring)."""
    from ftui.commands.jobs import _checked_options, jobs_create

    if args.training_file or args.validation_file:
        return fail("--like takes the original job's files; leave --training-file and --validation-file out.")
    if args.from_dir and args.from_profile:
        return fail("--from and --from-profile both name where the job is; give one of them.")
    try:
        source, src, same = await _source(q, args)
    except RerunError as exc:
        return fail(str(exc))
    try:
        try:
            model = target_model(source, q.profile.provider, args.model, same_place=same, target=q.profile.name)
        except RerunError as exc:
            return fail(f"{exc} Nothing was uploaded.")
        if problem := _fill_args(args, source, model):
            return fail(f"{problem} Nothing was uploaded.")
        _, problem = _checked_options(args, q.profile.provider == "azure")
        if problem:
            whose = " (the original's suffix; give --suffix to change it)" if problem.startswith("--suffix") else ""
            return fail(f"{problem}{whose} Nothing was uploaded.")
        if not args.json:
            print(safe(_summary(source, args, q.profile.name), one_line=True), file=sys.stderr)
        if not source.files.get("training"):
            return fail(f"--like: {source.job_id} names no training file.", EXIT_FAILED)
        with tempfile.TemporaryDirectory(prefix="ftui-like-") as tmp:
            paths = await fetch_inputs(src.client if src else q.client, source, Path(tmp))
            args.training_file = str(paths["training"])
            args.validation_file = str(paths["validation"]) if "validation" in paths else None
            args.like = None  # from here on, a plain `jobs create` of these files
            return await jobs_create(q, args)
    finally:
        if src is not None and src is not q:
            with contextlib.suppress(Exception):
                await src.close()
