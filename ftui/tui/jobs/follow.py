"""Following one job for the Jobs tab: stream its events, and when that fails for good, try
again slowly and say so. Plain async code that only posts messages (it never touches a widget),
so the tab's worker is one line and the loop can be read on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from textual.message import Message

from ftui.tui.jobs.messages import JobChanged, JobEvents, JobReconnecting, JobRetrying, WatchEnded

WATCH_RETRY_FIRST = 5.0  # watching a job that failed for good is tried again after this, doubling …
WATCH_RETRY_MAX = 60.0  # … up to this: slowly, for as long as the job is open or watched
BATCH = 500  # events handed over at most this many at a time


async def follow_job(
    client: Any,
    job_id: str,
    seen: set[str],
    *,
    post: Callable[[Message], object],
    describe: Callable[[BaseException, str], str],
    wanted: Callable[[], bool],
    wake: asyncio.Event,
    first_retry: float | None = None,
) -> None:
    """Stream ``job_id``'s events until the job ends, posting JobEvents / JobChanged /
    JobReconnecting / JobRetrying and finally WatchEnded.

    When the stream fails for good (an error it does not retry, a server that misbehaves), wait
    and start again (5 s, 10 s, … 1 min; ``wake`` cuts a wait short) while ``wanted()`` says the
    job is still open or watched. A job that does not exist (404) stops the watch."""
    from ftui.provider.errors import is_not_found
    from ftui.provider.events import EventStream, StreamState

    first = WATCH_RETRY_FIRST if first_retry is None else first_retry
    buffer: list[Any] = []
    attempt = 0

    def flush() -> None:
        if buffer:
            post(JobEvents(job_id, buffer.copy()))
            buffer.clear()

    def on_state(st: StreamState) -> None:
        nonlocal attempt
        flush()
        if st.job is not None and not st.reconnecting:
            post(JobChanged(st.job))
            if attempt:  # watching works again
                attempt = 0
                post(JobRetrying(job_id, "", 0, None))
        post(JobReconnecting(job_id, st.reconnecting))

    while True:
        stream: EventStream | None = None
        try:
            stream = EventStream(client, job_id, seen=seen, on_state=on_state, max_interval=5.0)
            async for event in stream:
                buffer.append(event)
                if len(buffer) >= BATCH:
                    flush()
            flush()
            job = stream.state.job
            if job is not None:
                post(JobChanged(job))
            post(WatchEnded(job_id, job.status if job else None))
            return
        except Exception as exc:
            flush()
            reason = describe(exc, f"Watching {job_id}")
            if is_not_found(exc):
                post(WatchEnded(job_id, None, reason))
                return
            if not wanted():
                post(WatchEnded(job_id, None))  # nobody looks at it any more: stop quietly
                return
            if stream is not None:
                seen = set(stream.seen)
            attempt += 1
            delay = min(WATCH_RETRY_MAX, first * 2 ** (attempt - 1))
            post(JobRetrying(job_id, reason, attempt, delay))
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)
            post(JobRetrying(job_id, reason, attempt, 0.0))
