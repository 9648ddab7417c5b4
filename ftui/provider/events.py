"""Following a job: poll its events, yield each once in time order, survive flaky networks."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from ftui.api_facts import TERMINAL_STATUSES
from ftui.provider.errors import ProviderError, is_transient
from ftui.provider.pages import PagingStuck

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent

_STEP_MESSAGE = re.compile(r"Step (\d+)(?:/(\d+))?: training loss=([0-9.eE+-]+)")
_METRIC_KEYS = (
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
)


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One metrics event as numbers; every value but the step may be missing."""

    step: int
    total_steps: int | None = None
    train_loss: float | None = None
    train_mean_token_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None

    def summary(self, sep: str = " ") -> str:
        """'step 5/100 loss 0.4211 acc 0.8810 val_loss …': what a log line says about the point."""
        parts = [f"step {self.step}" + (f"/{self.total_steps}" if self.total_steps else "")]
        for label, value in (
            ("loss", self.train_loss),
            ("acc", self.train_mean_token_accuracy),
            ("val_loss", self.valid_loss),
            ("val_acc", self.valid_mean_token_accuracy),
            ("full_val_loss", self.full_valid_loss),
        ):
            if value is not None:
                parts.append(f"{label} {value:.4f}")
        return sep.join(parts)


def _num(value: object) -> float | None:
    if value is None:
        return None
    if type(value) is float:  # the usual case, checked first: metrics arrive by the hundred thousand
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass(slots=True)
class JobEvent:
    """One event of a job, as the API sent it. Pages are read from their JSON directly: the
    SDK's model layer costs about 0.1 ms per event on the UI loop, and a back-fill brings
    hundreds of thousands of them. Reads like the SDK's FineTuningJobEvent."""

    id: str
    created_at: int
    level: str
    message: str
    type: str | None = None
    data: Any = None
    object: str = "fine_tuning.job.event"

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """The event as the API sent it (what ``--json`` prints)."""
        out = {"id": self.id, "object": self.object, "created_at": self.created_at, "level": self.level}
        return out | {"message": self.message, "type": self.type, "data": self.data}


def parse_event_page(body: bytes | str) -> tuple[list[JobEvent], bool]:
    """The events of one ``GET .../events`` page (newest first) and its ``has_more``.

    Lenient as the SDK is: a missing field reads as empty, and an entry without a string id
    (which could not be told apart from the others) is left out. ValueError when the body is
    not an event list at all (an HTML page from a proxy, say)."""
    items, more = raw_event_page(body)
    return [event_from_dict(item) for item in items], more


def raw_event_page(body: bytes | str) -> tuple[list[dict[str, Any]], bool]:
    """The entries of one events page as the server sent them (those with a string id), and ``has_more``."""
    doc = json.loads(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise ValueError("the events page is not a list object")
    items = [item for item in doc["data"] if isinstance(item, dict) and isinstance(item.get("id"), str)]
    return items, bool(doc.get("has_more"))


def event_from_dict(item: dict[str, Any]) -> JobEvent:
    """A JobEvent from one entry of a page (an entry with a string id)."""
    created = item.get("created_at")
    message = item.get("message")
    return JobEvent(
        item["id"],
        created if isinstance(created, int) else 0,
        str(item.get("level") or "info"),
        message if isinstance(message, str) else "",
        item.get("type"),
        item.get("data"),
    )


async def fetch_events(client: AsyncOpenAI, job_id: str, limit: int | None = None) -> list[dict[str, Any]]:
    """A job's events as the server sent them, newest first: every page (``limit``: the newest
    that many; 0 or None: all). Stops with ``PagingStuck`` when a page repeats or the cursor
    never advances, instead of looping."""
    from ftui.provider.pages import page_limit, stuck_sentence

    what = f"the events of {job_id}"
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    cursors: set[str] = set()
    after: str | None = None
    while True:
        kwargs: dict[str, Any] = {"limit": page_limit(limit)}
        if after:
            kwargs["after"] = after
        raw = await client.fine_tuning.jobs.with_raw_response.list_events(job_id, **kwargs)
        items, more = raw_event_page(raw.content)
        new = 0
        for item in items:
            if item["id"] in seen:
                continue
            seen.add(item["id"])
            out.append(item)
            new += 1
            if limit and len(out) >= limit:
                return out
        if not more or not items:
            return out
        if not new:
            raise PagingStuck(stuck_sentence(what, len(out), "sent the same page again"))
        after = items[-1]["id"]
        if after in cursors:
            raise PagingStuck(stuck_sentence(what, len(out), "led back to a page it had sent before"))
        cursors.add(after)


def metric_point(event: JobEvent | FineTuningJobEvent) -> MetricPoint | None:
    """The metrics in an event, from ``data`` or, failing that, from the message text."""
    data = event.data if isinstance(event.data, dict) else {}
    step = data.get("step")
    if isinstance(step, int | float) and not isinstance(step, bool):
        total = data.get("total_steps")
        get = data.get
        return MetricPoint(
            int(step),
            int(total) if isinstance(total, int | float) and not isinstance(total, bool) else None,
            *[_num(get(k)) for k in _METRIC_KEYS],
        )
    match = _STEP_MESSAGE.search(event.message or "")
    if match and (event.type in (None, "metrics")):
        return MetricPoint(
            step=int(match.group(1)),
            total_steps=int(match.group(2)) if match.group(2) else None,
            train_loss=_num(match.group(3)),
        )
    return None


class EventKind(IntEnum):
    """What an event is, decided once when it arrives: views style by it, handlers act on it."""

    INFO = 0
    WARN = 1
    ERROR = 2
    METRICS = 3
    CHECKPOINT = 4


_CHECKPOINT_MESSAGE = re.compile(r"^\s*Checkpoint created at step \d+")


def event_kind(event: JobEvent | FineTuningJobEvent, point: MetricPoint | None = None) -> EventKind:
    """The kind of an event: metrics, a new checkpoint (the API says so only in words), or its level."""
    if point is not None:
        return EventKind.METRICS
    level = getattr(event, "level", None)
    if level == "error":
        return EventKind.ERROR
    if isinstance(event.message, str) and _CHECKPOINT_MESSAGE.match(event.message):
        return EventKind.CHECKPOINT
    return EventKind.WARN if level == "warn" else EventKind.INFO


MAX_PAGES = 50  # pages fetched back in one poll at most


class WatchGaveUp(ProviderError):
    """No answer came from the provider for longer than ``give_up_after`` (silence, not errors:
    any answer in between, an events page or the job, starts the count again)."""


@dataclass
class StreamState:
    """What a watcher shows besides events: the job, and whether we are reconnecting."""

    job: FineTuningJob | None = None
    reconnecting: str | None = None


class EventStream:
    """Async iterator over a job's events, oldest first, each exactly once.

    Polls the newest page; when every event on it is new, pages back with ``after`` until
    it meets one already seen. Polls fast while events flow, backs off while nothing
    changes, retries transient errors (429, 5xx, dropped connections) forever, and stops
    once the job has ended and its last events are out.
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        job_id: str,
        *,
        seen: set[str] | None = None,
        min_interval: float = 0.5,
        max_interval: float = 10.0,
        running_interval: float = 2.0,
        page_size: int = 100,
        on_state: Callable[[StreamState], None] | None = None,
        give_up_after: float | None = None,
        max_backoff: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.job_id = job_id
        self.seen: set[str] = set(seen or ())
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.running_interval = running_interval
        self.page_size = page_size
        self.on_state = on_state
        self.state = StreamState()
        self._pending: list[JobEvent] = []  # fetched newest first, not yet yielded
        self._cursor: str | None = None
        self._failures = 0
        self._failing_since: float | None = None
        self.backfilling = False  # a long history is being paged back over several polls
        self.give_up_after = give_up_after
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._clock = clock

    def _notify(self) -> None:
        if self.on_state:
            self.on_state(self.state)

    async def _new_events(self) -> list[JobEvent]:
        """Events not yet seen, oldest first. Resumable: if a page request fails, the pages
        already fetched and the ``after`` cursor are kept, and the next call carries on.

        Never spins: paging back stops at an event already seen, at a page that brings nothing
        new (a server that ignores ``after`` answers the same page again), at a cursor already
        used, and after MAX_PAGES pages in one poll (the rest comes on the next poll)."""
        fetched = {e.id for e in self._pending}
        cursors: set[str] = set()
        self.backfilling = False
        for _ in range(MAX_PAGES):
            kwargs: dict[str, Any] = {"limit": self.page_size}
            if self._cursor:
                kwargs["after"] = self._cursor
                cursors.add(self._cursor)
            raw = await self.client.fine_tuning.jobs.with_raw_response.list_events(self.job_id, **kwargs)
            data, has_more = parse_event_page(raw.content)
            self._recovered()  # an answer: the provider is not silent, whatever fails next
            done = not has_more or not data
            added = 0
            for event in data:
                if event.id in self.seen:
                    done = True
                    break
                if event.id in fetched:
                    continue
                fetched.add(event.id)
                self._pending.append(event)
                added += 1
            if done or not added or data[-1].id in cursors:
                break
            self._cursor = data[-1].id
        else:  # still paging back through a long history: carry on at the next poll
            self.backfilling = True
            return []
        fresh = list(reversed(self._pending))
        self._pending, self._cursor = [], None
        return fresh

    async def _backoff(self, exc: BaseException) -> None:
        if not is_transient(exc):
            raise exc
        now = self._clock()
        if self._failing_since is None:
            self._failing_since = now
        silent = now - self._failing_since  # since the last answer of any kind
        if self.give_up_after is not None and silent >= self.give_up_after:
            raise WatchGaveUp(
                f"No answer from the provider for {silent:.0f} s; stopped watching {self.job_id}. "
                f"The job may still be running: ftui jobs show {self.job_id}"
            ) from exc
        self._failures += 1
        delay = min(self.max_backoff, self.min_interval * 2 ** min(self._failures, 10))
        self.state.reconnecting = f"reconnecting in {delay:.0f} s (attempt {self._failures})"
        self._notify()
        await self._sleep(delay)

    def _recovered(self) -> None:
        self._failures = 0
        self._failing_since = None

    async def __aiter__(self) -> AsyncIterator[JobEvent]:
        interval = self.min_interval
        while True:
            try:
                events = await self._new_events()
            except Exception as exc:
                await self._backoff(exc)
                continue
            for event in events:
                self.seen.add(event.id)
                yield event
            try:
                job = await self.client.fine_tuning.jobs.retrieve(self.job_id)
            except Exception as exc:
                await self._backoff(exc)
                continue
            self._recovered()
            self.state.reconnecting = None
            self.state.job = job
            self._notify()
            if job.status in TERMINAL_STATUSES:
                # One more look after the end, in case the final events landed after our page
                # (and to the end of a long history still being paged back).
                try:
                    tail = await self._new_events()
                except Exception as exc:
                    await self._backoff(exc)
                    continue
                for event in tail:
                    self.seen.add(event.id)
                    yield event
                if self.backfilling:
                    await self._sleep(self.min_interval)
                    continue
                return
            if events or self.backfilling:
                interval = self.min_interval
            else:
                cap = self.running_interval if job.status == "running" else self.max_interval
                interval = min(cap, interval * 1.5)
            await self._sleep(interval)
