"""Fine-tuning jobs: create (never twice), list, control, checkpoints, models."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftui.provider.errors import ProviderError, is_transient
from ftui.provider.pages import collect, page_limit, walk

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.fine_tuning import FineTuningJob

TAG_KEY = "ftui_request"
CLOCK_SLACK = 120  # seconds: a lost job's created_at may be this much before our own clock said "started"
SNAPSHOT_SIZE = 50  # recent job ids listed before sending, so an older look-alike is never taken for ours
SCAN_LIMIT = 200  # at most this many recent jobs are read when looking for a lost one
HYPERPARAMETER_KEYS = ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")


class JobMayExist(ProviderError):
    """The create request may have reached the provider, but ftui could not confirm a job.

    Never report this as "failed": a job (and its bill) may exist. The message says how to check.
    """

    def __init__(self, message: str, training_file: str | None = None) -> None:
        super().__init__(message)
        self.training_file = training_file


@dataclass
class JobRequest:
    """What to train: supervised or DPO, with hyperparameters as 'auto' or numbers."""

    model: str
    training_file: str
    validation_file: str | None = None
    method: str = "supervised"
    n_epochs: int | str = "auto"
    batch_size: int | str = "auto"
    learning_rate_multiplier: float | str = "auto"
    beta: float | str = "auto"
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    integrations: list[dict[str, Any]] = field(default_factory=list)  # W&B (ftui.job_options)

    def hyperparameters(self) -> dict[str, Any]:
        """The method's hyperparameters as given ('auto' or numbers); beta only for DPO."""
        hp: dict[str, Any] = {
            "n_epochs": self.n_epochs,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
        }
        if self.method == "dpo":
            hp["beta"] = self.beta
        return hp

    def numeric_hyperparameters(self) -> dict[str, int | float]:
        """Only the hyperparameters given as numbers (what every server echoes back)."""
        return {
            k: v for k, v in self.hyperparameters().items() if isinstance(v, int | float) and not isinstance(v, bool)
        }

    def body(self, tag: str | None = None, *, azure: bool = False) -> dict[str, Any]:
        """The POST body. Azure: its FineTuningJobCreation (api-version 2024-10-21): no ``method``,
        ``metadata`` or ``integrations``, hyperparameters at the top and as numbers only."""
        if azure:
            hp = self.numeric_hyperparameters()
            body: dict[str, Any] = {
                "model": self.model,
                "training_file": self.training_file,
                **({"hyperparameters": hp} if hp else {}),
            }
            for key in ("validation_file", "suffix", "seed"):
                if getattr(self, key) is not None:
                    body[key] = getattr(self, key)
            return body
        hp = self.hyperparameters()
        method: dict[str, Any] = {"type": self.method}
        if hp:
            method[self.method] = {"hyperparameters": hp}
        body = {"model": self.model, "training_file": self.training_file, "method": method}
        if not azure:
            body["metadata"] = {**self.metadata, **({TAG_KEY: tag} if tag else {})}
        if self.integrations:
            body["integrations"] = self.integrations
        for key in ("validation_file", "suffix", "seed"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        return body


async def find_tagged_job(client: AsyncOpenAI, tag: str) -> FineTuningJob | None:
    """The job created by a request carrying ``tag``, by the metadata filter (one list call)."""
    page = await client.fine_tuning.jobs.list(metadata={TAG_KEY: tag}, limit=10)
    for job in page.data:
        if (job.metadata or {}).get(TAG_KEY) == tag:
            return job
    return None


# -- matching a lost job by what every server returns ------------------------------------
_VERSION_TAIL = re.compile(r"\d{4}(-\d{2}-\d{2})?|\d{4}-\d{2}|v\d+")


def same_model(asked: str, reported: str | None) -> bool:
    """True when ``reported`` is ``asked`` or the dated snapshot an alias resolved to.

    ``gpt-4o-mini`` matches ``gpt-4o-mini-2024-07-18`` (and the reverse), never ``gpt-4o-mini``
    for ``gpt-4o``: the part after the shared prefix must look like a date or version.
    """
    if not reported:
        return False
    a, r = asked.strip().lower(), reported.strip().lower()
    if a == r:
        return True
    short, long = (a, r) if len(a) < len(r) else (r, a)
    if not long.startswith(short):
        return False
    tail = long[len(short) :]
    return tail[:1] in ("-", ".", "@") and bool(_VERSION_TAIL.fullmatch(tail[1:]))


def _job_hyperparameters(job: FineTuningJob) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if job.hyperparameters is not None:
        out.update({k: v for k, v in job.hyperparameters.model_dump().items() if v is not None})
    method = job.method
    if method is not None and method.type:
        detail = getattr(method, method.type, None)
        hp = getattr(detail, "hyperparameters", None) if detail is not None else None
        if hp is not None:
            out.update({k: v for k, v in hp.model_dump().items() if v is not None})
    return out


def _suffix_matches(job: FineTuningJob, suffix: str | None) -> bool:
    given = getattr(job, "user_provided_suffix", None) or getattr(job, "suffix", None)  # Azure says suffix
    if suffix is None:
        return not given
    if given is not None:
        return bool(given == suffix)
    if job.fine_tuned_model:
        return suffix in job.fine_tuned_model
    return True  # not known yet: the other facts decide


def matches_request(job: FineTuningJob, request: JobRequest, started: float, tag: str | None) -> bool:
    """Could ``job`` be the one this request created? (By the facts every server returns.)"""
    theirs = (job.metadata or {}).get(TAG_KEY)
    if theirs is not None and theirs != tag:
        return False  # another ftui request's job
    if job.training_file != request.training_file or (job.validation_file or None) != request.validation_file:
        return False
    if not same_model(request.model, job.model):
        return False
    if job.method is not None and job.method.type and job.method.type != request.method:
        return False
    if not _suffix_matches(job, request.suffix):
        return False
    if request.seed is not None and job.seed is not None and job.seed != request.seed:
        return False
    reported = _job_hyperparameters(job)
    for key, value in request.numeric_hyperparameters().items():
        got = reported.get(key)
        if isinstance(got, int | float) and not isinstance(got, bool) and abs(float(got) - float(value)) > 1e-9:
            return False
    return job.created_at >= started - CLOCK_SLACK


async def recent_job_ids(client: AsyncOpenAI, limit: int = SNAPSHOT_SIZE) -> set[str]:
    """Ids of the newest jobs: taken before sending, so none of them is mistaken for ours."""
    page = await client.fine_tuning.jobs.list(limit=limit)
    return {job.id for job in page.data}


class _Unsure(Exception):
    """A look found no single job, but cannot rule one out (several candidates, a short list)."""


async def find_lost_job(
    client: AsyncOpenAI,
    request: JobRequest,
    *,
    started: float,
    before: set[str] | None,
    tag: str | None,
) -> FineTuningJob | None:
    """The job a lost create request made, or None when the provider surely has none.

    Reads the jobs created since ``started`` (minus the clock slack), newest first: a job with
    this request's tag is ours (servers that keep metadata); otherwise a job that matches the
    request's facts and was not in the ``before`` snapshot (servers that drop it, as Azure does).
    Raises ``_Unsure`` when it cannot tell, and the SDK's error when listing fails.
    """
    candidates: list[FineTuningJob] = []
    covered = False
    seen = 0
    job: FineTuningJob
    async for job in walk(client.fine_tuning.jobs.list(limit=min(SNAPSHOT_SIZE, SCAN_LIMIT)), "jobs"):
        seen += 1
        if tag is not None and (job.metadata or {}).get(TAG_KEY) == tag:
            return job
        if job.created_at < started - CLOCK_SLACK:
            covered = True  # newest first: nothing older can be ours
            break
        if (before is None or job.id not in before) and matches_request(job, request, started, tag):
            candidates.append(job)
        if seen >= SCAN_LIMIT:
            break
    else:
        covered = True  # the whole list was read
    if not covered and tag is not None:  # too many recent jobs to read: ask by the tag
        found = await find_tagged_job(client, tag)
        if found is not None:
            return found
    if len(candidates) == 1 and before is not None:
        return candidates[0]
    if candidates or not covered:
        raise _Unsure(f"{len(candidates)} look-alike jobs" if candidates else "too many recent jobs to read them all")
    return None


def _what_happened(cause: BaseException | None) -> str:
    import openai  # the SDK is loaded by whoever made the client; the TUI starts without it

    if isinstance(cause, openai.APITimeoutError):
        return "the provider did not answer in time"
    if isinstance(cause, openai.APIConnectionError):
        return "the connection dropped before the answer arrived"
    if isinstance(cause, openai.APIStatusError):
        return f"the provider answered with an internal error ({cause.status_code})"
    return "its answer was lost"


def _may_exist(request: JobRequest, cause: BaseException | None, why: str) -> JobMayExist:
    return JobMayExist(
        f"A fine-tuning job may have been created: the create request got no clear answer "
        f"({_what_happened(cause)}) and {why}. Check with `ftui jobs list` for a new job on training file "
        f"{request.training_file} before starting another, so you do not pay twice.",
        request.training_file,
    )


def _ambiguous(exc: BaseException) -> bool:
    """Failures after which the job may exist: no answer (timeout, dropped connection) or a 5xx."""
    import openai

    return isinstance(exc, openai.APIConnectionError | openai.InternalServerError)


LOOK_FOR = 30.0  # seconds: how long a lost create's job is looked for (Azure lists a new job late)
MAX_LOOK_GAP = 4.0  # seconds between two looks at most


def lost_answer_line(cause: BaseException | None, look_for: float) -> str:
    """What is said on screen while ftui looks for the job a lost create request made."""
    return f"The answer was lost ({_what_happened(cause)}); looking for the job (up to {look_for:.0f} s)…"


async def _look_for_lost_job(
    client: AsyncOpenAI,
    request: JobRequest,
    *,
    started: float,
    before: set[str] | None,
    tag: str | None,
    cause: BaseException,
    look_for: float,
    base_delay: float,
) -> FineTuningJob:
    """The job a lost create request made, looked for until ``look_for`` seconds have passed
    (a new job may be listed only a while after it was made); ``JobMayExist`` when not found."""
    deadline = time.monotonic() + look_for
    asked = False
    look = 0
    while True:
        await asyncio.sleep(max(0.0, min(base_delay * 2**look, MAX_LOOK_GAP, deadline - time.monotonic())))
        look += 1
        try:
            found = await find_lost_job(client, request, started=started, before=before, tag=tag)
        except _Unsure as unsure:
            raise _may_exist(request, cause, f"ftui cannot tell which job is yours ({unsure})") from cause
        except Exception as exc:
            if not is_transient(exc):
                raise _may_exist(request, cause, "ftui could not look it up") from exc
            found = None
        else:
            asked = True
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            break
    if not asked:
        raise _may_exist(request, cause, "the provider could not be asked whether it exists") from cause
    raise _may_exist(
        request, cause, f"no such job was listed after {look_for:.0f} s of looking (a new job can appear late)"
    ) from cause


async def create_job(
    client: AsyncOpenAI,
    request: JobRequest,
    *,
    azure: bool = False,
    attempts: int = 5,
    base_delay: float = 0.5,
    look_for: float = LOOK_FOR,
    on_wait: Callable[[str], None] | None = None,
) -> FineTuningJob:
    """Create a job exactly once, even when a request times out or its answer is lost.

    The SDK's own retries are off for this POST. Before sending, ftui notes the time and the
    ids of the newest jobs. After an answer that may hide a created job (timeout, connection
    error, 5xx), the request is never sent again: ftui looks for that job (by its metadata tag,
    or by the request's facts when the server keeps no metadata, as on Azure) for up to
    ``look_for`` seconds, saying so through ``on_wait``, and returns it. Not found, or when it
    cannot tell, it raises ``JobMayExist``, never "failed". Only a refusal that surely created
    nothing (429) is sent again. ``azure``: send no metadata and only numeric hyperparameters
    (REFERENCE §6).
    """
    if azure and request.method != "supervised":
        raise ProviderError(
            f"Azure's fine-tuning API (api-version 2024-10-21) trains supervised jobs only, not {request.method}: "
            "nothing was sent."
        )
    if azure and request.integrations:
        raise ProviderError("Azure's fine-tuning API has no integrations (W&B): remove them; nothing was sent.")
    tag = None if azure else uuid.uuid4().hex
    body = request.body(tag, azure=azure)
    once = client.with_options(max_retries=0)

    def delay(attempt: int) -> float:
        return min(8.0, base_delay * 2.0**attempt)

    before: set[str] | None = None
    for attempt in range(attempts):  # the snapshot: nothing is sent yet, so failing here is a plain failure
        try:
            before = await recent_job_ids(client)
            break
        except Exception as exc:
            if not is_transient(exc):
                break  # a server that cannot list: a lost answer then ends in JobMayExist
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay(attempt))

    started = time.time()
    last: BaseException | None = None
    for attempt in range(attempts):
        try:
            return await once.fine_tuning.jobs.create(**body)
        except Exception as exc:
            if not is_transient(exc):
                raise  # 4xx: refused, so nothing was created
            last = exc
            if not _ambiguous(exc):  # 429: refused for now, nothing was created
                await asyncio.sleep(delay(attempt))
                continue
        # The answer was lost: the request may have landed, so it is never sent again.
        if on_wait is not None:
            on_wait(lost_answer_line(last, look_for))
        return await _look_for_lost_job(
            client,
            request,
            started=started,
            before=before,
            tag=tag,
            cause=last,
            look_for=look_for,
            base_delay=base_delay,
        )
    assert last is not None
    raise last


async def jobs_made_since(client: AsyncOpenAI, training_file: str, model: str, since: float) -> list[FineTuningJob]:
    """Jobs on ``training_file`` with ``model`` (or the snapshot it resolved to) created since
    ``since`` (less the clock slack), newest first: what an earlier create of the same job made."""
    found: list[FineTuningJob] = []
    seen = 0
    async for job in client.fine_tuning.jobs.list(limit=min(SNAPSHOT_SIZE, SCAN_LIMIT)):
        seen += 1
        if job.created_at < since - CLOCK_SLACK or seen > SCAN_LIMIT:
            break
        if job.training_file == training_file and same_model(model, job.model):
            found.append(job)
    return found


async def list_jobs(client: AsyncOpenAI, limit: int | None = 100) -> list[FineTuningJob]:
    """Jobs newest first, walking pages up to ``limit`` (0 or None: all of them)."""
    return await collect(client.fine_tuning.jobs.list(limit=page_limit(limit)), "jobs", limit)


def newest_first(checkpoints: list[Any]) -> list[Any]:
    """Checkpoints in the one order ftui shows them (TUI and CLI): the latest step first."""
    return sorted(checkpoints, key=lambda c: c.step_number or 0, reverse=True)


async def list_checkpoints(client: AsyncOpenAI, job_id: str, limit: int | None = None) -> list[Any]:
    """A job's checkpoints, newest first, every page (``limit``: at most that many; 0 or None: all)."""
    first = client.fine_tuning.jobs.checkpoints.list(job_id, limit=page_limit(limit))
    return newest_first(await collect(first, f"the checkpoints of {job_id}", limit))


async def fetch_results_csv(client: AsyncOpenAI, file_id: str) -> str:
    """The job's results CSV; some servers return it base64-encoded, so decode when needed."""
    raw = (await client.files.content(file_id)).content
    text = raw.decode("utf-8", errors="replace")
    if not text.lstrip().startswith("step"):
        with contextlib.suppress(ValueError):
            text = base64.b64decode(raw, validate=False).decode("utf-8", errors="replace")
    return text


async def list_model_ids(client: AsyncOpenAI) -> list[str]:
    """The ids of the provider's models, sorted.

    The SDK builds its objects in pure Python (hundreds of models cost most of a second): the
    answer is fetched here and turned into objects on a worker thread, so a UI's event loop
    keeps answering keys meanwhile."""
    raw = await client.models.with_raw_response.list()
    page = await asyncio.to_thread(raw.parse)
    return sorted(m.id for m in page.data)
