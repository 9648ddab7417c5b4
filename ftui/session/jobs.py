"""What ftui knows about the provider's jobs: the list in order, the open job, watched jobs,
and one trace per followed job. Plain Python (no Textual): the Jobs tab's handlers call it
and its widgets draw from it, and it is unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ftui.api_facts import TERMINAL_STATUSES
from ftui.session.trace import JobTrace

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class JobUpdate:
    """What a fresher copy of a job changed, so the view redraws only what it must."""

    new: bool
    status_changed: bool
    ended: bool  # it moved into a terminal status just now

    @property
    def listing_changed(self) -> bool:
        return self.new or self.status_changed


@dataclass
class JobsModel:
    """Jobs by id, their list order (newest first), traces, and what is open and watched."""

    jobs: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    more: bool = False  # older pages exist on the provider
    loaded: bool = False  # the first page has arrived
    paging_stuck: bool = False  # the server repeated a page: older pages are not asked for again
    traces: dict[str, JobTrace] = field(default_factory=dict)
    watched: set[str] = field(default_factory=set)  # notify when these end (kept across runs)
    following: set[str] = field(default_factory=set)  # an event stream is open for these
    current: str | None = None  # the open job
    announced: set[str] = field(default_factory=set)  # ends already announced

    # -- the list --------------------------------------------------------------------------
    def listed(self, jobs: Iterable[Any], more: bool, *, first: bool) -> bool:
        """Take a page of the list: ``first`` for the newest page (a refresh), else an older one.

        Returns True when an older page brought no job not already listed although the server
        says there are more: it repeats pages (or its cursor never advances), so no more are asked."""
        stuck = False
        jobs = list(jobs)
        self.loaded = True
        if first:
            fresh = [j.id for j in jobs]
            listed = set(fresh)
            older = [i for i in self.order if i not in listed]
            # Keep older pages already loaded, behind the fresh first page.
            self.order = fresh + (older if len(fresh) >= PAGE_SIZE or self.more else [])
            if not self.more and not self.paging_stuck:
                self.more = more
        else:
            known = set(self.order)
            fresh = [j.id for j in jobs if j.id not in known]
            self.order += fresh
            stuck = more and not fresh
            self.paging_stuck = self.paging_stuck or stuck
            self.more = more and not stuck
        for job in jobs:
            self.update(job)
        return stuck

    def update(self, job: Any) -> JobUpdate:
        """A fresher copy of one job (from the list, a watcher, a control action or creation)."""
        before = self.jobs.get(job.id)
        self.jobs[job.id] = job
        if job.id not in self.order:
            self.order.insert(0, job.id)
        trace = self.traces.get(job.id)
        if trace is not None:
            trace.job = job
            trace.version += 1
        changed = before is None or before.status != job.status or before.fine_tuned_model != job.fine_tuned_model
        ended = job.status in TERMINAL_STATUSES and (before is None or before.status not in TERMINAL_STATUSES)
        return JobUpdate(before is None, changed, ended)

    def listed_jobs(self) -> list[Any]:
        """Jobs in list order."""
        return [self.jobs[i] for i in self.order if i in self.jobs]

    @property
    def current_job(self) -> Any | None:
        return self.jobs.get(self.current or "")

    # -- traces ------------------------------------------------------------------------------
    def trace(self, job_id: str) -> JobTrace:
        """The trace of a job, made on first use."""
        trace = self.traces.get(job_id)
        if trace is None:
            trace = self.traces[job_id] = JobTrace(job_id, job=self.jobs.get(job_id))
        return trace

    def should_follow(self, job_id: str) -> bool:
        """True when no stream is open for the job and its events may still grow."""
        return job_id not in self.following and not self.trace(job_id).complete

    def stream_ended(self, job_id: str, status: str | None) -> bool:
        """A watcher stopped; returns True when its end should be announced (a watched job ended)."""
        self.following.discard(job_id)
        if status in TERMINAL_STATUSES:
            self.trace(job_id).complete = True
        if job_id in self.watched and status in TERMINAL_STATUSES:
            self.watched.discard(job_id)
            if job_id not in self.announced:
                self.announced.add(job_id)
                return True
        return False

    # -- models the jobs made ------------------------------------------------------------------
    def trained_models(self) -> dict[str, str]:
        """Fine-tuned models and checkpoints the known jobs made: model -> 'fine-tuned' | 'checkpoint'."""
        out: dict[str, str] = {}
        for job in self.jobs.values():
            if job.fine_tuned_model:
                out[job.fine_tuned_model] = "fine-tuned"
        for trace in self.traces.values():
            for c in trace.checkpoints:
                out.setdefault(c.fine_tuned_model_checkpoint, "checkpoint")
        return out


__all__ = ["PAGE_SIZE", "JobUpdate", "JobsModel"]
