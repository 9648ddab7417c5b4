"""Messages the Jobs tab's workers post; the tab's handlers own the state they carry."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class JobsListed(Message):
    """A page of jobs; ``more`` says whether older pages exist; ``first`` when it is the newest page."""

    def __init__(self, jobs: list[Any], more: bool, first: bool) -> None:
        super().__init__()
        self.jobs, self.more, self.first = jobs, more, first


class JobChanged(Message):
    """A fresher copy of one job (from a watcher, a control action or creation)."""

    def __init__(self, job: Any, created: bool = False) -> None:
        super().__init__()
        self.job, self.created = job, created


class JobReconnecting(Message):
    """A job's watcher is (or is no longer, with None) reconnecting. A newer "reconnecting …"
    replaces one still queued (the countdown moved on); a recovery (None) is never dropped."""

    def __init__(self, job_id: str, reconnecting: str | None) -> None:
        super().__init__()
        self.job_id, self.reconnecting = job_id, reconnecting

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, JobReconnecting)
            and message.job_id == self.job_id
            and message.reconnecting is not None
            and self.reconnecting is not None
        )


class JobRetrying(Message):
    """Watching a job failed; the watcher tries again in ``delay`` seconds (``delay`` None: it is
    trying again now, or watching works again)."""

    def __init__(self, job_id: str, reason: str, attempt: int, delay: float | None) -> None:
        super().__init__()
        self.job_id, self.reason, self.attempt, self.delay = job_id, reason, attempt, delay


class JobEvents(Message):
    """New events of a job, oldest first, each delivered once."""

    def __init__(self, job_id: str, events: list[Any]) -> None:
        super().__init__()
        self.job_id, self.events = job_id, events


class WatchEnded(Message):
    """A watcher stopped: the job reached a final status (or the stream failed for good)."""

    def __init__(self, job_id: str, status: str | None, error: str | None = None) -> None:
        super().__init__()
        self.job_id, self.status, self.error = job_id, status, error


class CheckpointsListed(Message):
    def __init__(self, job_id: str, checkpoints: list[Any]) -> None:
        super().__init__()
        self.job_id, self.checkpoints = job_id, checkpoints


class ResultsFetched(Message):
    def __init__(self, job_id: str, text: str) -> None:
        super().__init__()
        self.job_id, self.text = job_id, text


class JobsListFailed(Message):
    """Listing jobs failed; ``text`` is one clear sentence (no secrets)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StartJob(Message):
    """The new-job form was confirmed: the app uploads and creates ``request`` (a NewJob plan)."""

    def __init__(self, request: Any) -> None:
        super().__init__()
        self.request = request


class OpenInChat(Message):
    """Open a model (a fine-tuned model or a checkpoint) in the Chat tab; ``base`` to compare with."""

    def __init__(self, model: str, base: str | None = None, training_file: str | None = None) -> None:
        super().__init__()
        self.model, self.base, self.training_file = model, base, training_file  # the job's file id


class RefreshJobs(Message):
    """Ask for the job list now (say, after a create whose answer was lost)."""
