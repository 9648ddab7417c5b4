"""A job's intent: what one `jobs create` (or the new-job form) set out to make, kept in
state.json from before its create request is sent until the job id is known.

Killed mid-request (``kill -9``) or left without an answer, ftui cannot know whether the job
exists. The intent remembers: the same intent again within a day finds the job it made (its
recorded id, or by time, training file and model) and the caller asks before creating another.
The intent is the provider (profile kind, URL, organization, project), the training and
validation content (sha256 of a local file, or the file id given), model, method,
hyperparameters, suffix and seed; metadata and integrations are not part
of it (a rerun with another W&B run name is still the same training).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftui import state
from ftui.provider import jobs as provider_jobs
from ftui.provider.jobs import JobMayExist, JobRequest

if TYPE_CHECKING:
    from ftui.config import Profile


@dataclass(frozen=True)
class JobIntent:
    """The facts that make two creates the same job; ``key`` is their sha256."""

    key: str
    model: str
    training: str  # "sha256:<hex>" of a local file, or the file id given


def place(profile: Profile) -> str:
    """Which provider an intent is for: the same job on another provider is another intent."""
    return "|".join((profile.provider, profile.base_url or "", profile.organization or "", profile.project or ""))


def intent_for(request: JobRequest, training: str, validation: str | None = None, *, where: str) -> JobIntent:
    """The intent of ``request`` on the provider ``where`` (see ``place``) with its files named by
    content (``training``/``validation``: "sha256:<hex>" of a local file, or the provider file id
    when no local file was given)."""
    facts = {
        "where": where,
        "training": training,
        "validation": validation,
        "model": request.model,
        "method": request.method,
        "hyperparameters": request.hyperparameters(),
        "suffix": request.suffix,
        "seed": request.seed,
    }
    key = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()
    return JobIntent(key, request.model, training)


@dataclass
class Repeat:
    """The same intent was recorded before: when, and the job(s) it made as far as ftui can tell."""

    started: float
    jobs: list[Any] = field(default_factory=list)  # the provider's job objects
    job_id: str | None = None  # recorded, when the create's answer arrived
    asked: bool = True  # False when the provider could not be asked

    def describe(self) -> str:
        """One or two sentences for the screen."""
        at = _when(self.started)
        what = "The same job (same training data, model, method, hyperparameters, suffix and seed)"
        if self.job_id is not None:
            status = next((j.status for j in self.jobs if j.id == self.job_id), None)
            return f"{what} was created {at}: {self.job_id}{f' ({status})' if status else ''}."
        if self.jobs:
            names = ", ".join(f"{j.id} ({j.status})" for j in self.jobs)
            one = len(self.jobs) == 1
            return f"{what} was requested {at} without an answer; the provider has {'it' if one else 'these'}: {names}."
        if not self.asked:
            return (
                f"{what} was requested {at} without an answer, and the provider could not be asked whether it "
                "exists: check with `ftui jobs list`."
            )
        return (
            f"{what} was requested {at} without an answer; the provider lists no such job yet, but a new job "
            "can appear late: check with `ftui jobs list`."
        )


def _when(stamp: float) -> str:
    local = time.localtime(stamp)
    if time.strftime("%Y-%m-%d", local) == time.strftime("%Y-%m-%d"):
        return f"at {time.strftime('%H:%M', local)}"
    return f"on {time.strftime('%Y-%m-%d at %H:%M', local)}"


async def find_repeat(client: Any, intent: JobIntent, now: float | None = None) -> Repeat | None:
    """The newest earlier create of ``intent`` within a day, with the job it made; None if none.

    A recorded job id is shown with its status; without one (the process was killed, or the
    answer was lost), the provider's jobs on the same training file and model made since then are
    looked up, and a single one is recorded as the intent's job."""
    entries = await asyncio.to_thread(state.recent_intents, intent.key, time.time() if now is None else now)
    if not entries:
        return None
    last = entries[-1]
    started = float(last["started"])
    repeat = Repeat(started)
    job_id = last.get("job_id")
    if isinstance(job_id, str):
        repeat.job_id = job_id
        with contextlib.suppress(Exception):  # the status is a nicety: the id says enough
            repeat.jobs = [await client.fine_tuning.jobs.retrieve(job_id)]
        return repeat
    training_file = last.get("training_file")
    if not isinstance(training_file, str):
        return repeat
    try:
        repeat.jobs = await provider_jobs.jobs_made_since(client, training_file, intent.model, started)
    except Exception:
        repeat.asked = False
        return repeat
    if len(repeat.jobs) == 1:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(state.intent_made, intent.key, started, repeat.jobs[0].id)
    return repeat


async def create_with_intent(
    client: Any,
    request: JobRequest,
    intent: JobIntent,
    *,
    azure: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> Any:
    """Create the job for ``request`` once, with ``intent`` recorded (atomically) before the
    request is sent and marked with the job's id after. A refusal that surely made nothing
    forgets the intent; an unknown outcome (``JobMayExist``, a kill) keeps it for the next try."""
    started = time.time()
    entry = {"key": intent.key, "started": started, "training_file": request.training_file, "model": request.model}
    await asyncio.to_thread(state.record_intent, entry)  # on disk (fsynced) before anything is sent
    try:
        job = await provider_jobs.create_job(client, request, azure=azure, on_wait=on_wait)
    except JobMayExist:
        raise
    except Exception:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(state.drop_intent, intent.key, started)
        raise
    with contextlib.suppress(OSError):
        await asyncio.to_thread(state.intent_made, intent.key, started, job.id)
    return job
