"""The Jobs tab's state without Textual: list merging, updates, watched jobs, trained models."""

from __future__ import annotations

from dataclasses import dataclass, field

from ftui.session import Session
from ftui.session.jobs import PAGE_SIZE, JobsModel


@dataclass
class Job:
    id: str
    status: str = "running"
    fine_tuned_model: str | None = None
    model: str = "gpt-4o-mini-2024-07-18"


@dataclass
class Checkpoint:
    fine_tuned_model_checkpoint: str
    step_number: int = 1
    metrics: dict = field(default_factory=dict)


def test_first_page_replaces_the_top_and_older_pages_append() -> None:
    model = JobsModel()
    model.listed([Job(f"j{i}") for i in range(PAGE_SIZE)], more=True, first=True)
    model.listed([Job("old1"), Job("old2")], more=False, first=False)
    assert model.order[-2:] == ["old1", "old2"] and not model.more
    model.listed([Job("new"), *[Job(f"j{i}") for i in range(PAGE_SIZE - 1)]], more=True, first=True)
    assert model.order[0] == "new"
    assert "old1" in model.order  # older pages already loaded stay behind the fresh first page


def test_a_short_first_page_drops_jobs_that_are_gone() -> None:
    model = JobsModel()
    model.listed([Job("a"), Job("b")], more=False, first=True)
    model.listed([Job("b")], more=False, first=True)  # "a" was deleted on the provider
    assert model.order == ["b"]


def test_update_says_what_changed_and_bumps_the_trace() -> None:
    model = JobsModel()
    first = model.update(Job("a", "queued"))
    assert first.new and first.listing_changed and not first.ended
    version = model.trace("a").version
    same = model.update(Job("a", "queued"))
    assert not same.listing_changed
    ended = model.update(Job("a", "succeeded", "ft:x:sandbox::1"))
    assert ended.ended and ended.status_changed
    assert model.trace("a").version > version and model.trace("a").job.status == "succeeded"


def test_a_watched_job_is_announced_once_when_its_stream_ends() -> None:
    model = JobsModel()
    model.watched.add("a")
    model.following.add("a")
    assert model.stream_ended("a", "succeeded") is True
    assert "a" not in model.watched and "a" not in model.following and model.trace("a").complete
    assert model.stream_ended("a", "succeeded") is False
    assert not model.should_follow("a")  # complete: nothing more to fetch
    model.following.add("b")
    assert model.stream_ended("b", None) is False  # a failed stream ends nothing
    assert model.should_follow("b")


def test_trained_models_and_chat_choices() -> None:
    session = Session(model="gpt-4o-mini-2024-07-18")
    session.jobs.update(Job("a", "succeeded", "ft:gpt-4o-mini-2024-07-18:sandbox::aaaa"))
    session.jobs.trace("a").checkpoints = [Checkpoint("ft:gpt-4o-mini-2024-07-18:sandbox::aaaa:ckpt-step-5")]
    session.provider_models = ["gpt-4o-mini-2024-07-18", "my-local-model"]
    choices = session.chat_choices(["gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14"], {"gpt-4o-mini-2024-07-18"})
    assert choices["ft:gpt-4o-mini-2024-07-18:sandbox::aaaa"] == "fine-tuned"
    assert choices["ft:gpt-4o-mini-2024-07-18:sandbox::aaaa:ckpt-step-5"] == "checkpoint"
    assert choices["my-local-model"] == "provider"
    assert choices["gpt-4.1-2025-04-14"] == "base"
    assert session.connection_label == "connecting…"
    session.provider_error = "No profile named 'nope'."
    assert session.connection_label == "not connected"
