"""Creating a job never twice and never a false "failed": lost answers on OpenAI- and Azure-shaped fakes."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import httpx2
import openai
import pytest

from ftui.config import Profile
from ftui.provider.client import build_client
from ftui.provider.errors import ProviderError
from ftui.provider.jobs import TAG_KEY, JobMayExist, JobRequest, create_job, same_model

_ids = itertools.count(1)


class FakeJobs:
    """A fine-tuning jobs endpoint that can lose answers and fail lookups.

    ``azure``: job objects carry no metadata, the list ignores the metadata filter, and the
    model alias is resolved to its dated snapshot (as Azure and OpenAI do).
    """

    def __init__(self, *, azure: bool = False) -> None:
        self.azure = azure
        self.jobs: list[dict[str, Any]] = []  # newest last
        self.create_bodies: list[dict[str, Any]] = []
        self.lose_creates = 0  # store the job, then drop the answer
        self.lose_with: type[Exception] = httpx2.ReadTimeout
        self.fail_creates_before_storing = 0  # 500 with nothing stored
        self.fail_lists_after_create = 0  # lookups that fail with a 500 (after the first create)
        self.list_calls = 0
        self.twin_on_create = False  # someone else creates a look-alike at the same moment
        self.also_create: dict[str, Any] | None = None  # another body created at the same moment
        self.listed_late = 0  # a new job appears in lists only after this many list requests (Azure)
        self._hidden: dict[str, int] = {}  # job id -> list requests it is still left out of

    def add(self, body: dict[str, Any], created_at: int | None = None) -> dict[str, Any]:
        method = body.get("method") or {"type": "supervised"}
        hp = body.get("hyperparameters") or (method.get(method["type"]) or {}).get("hyperparameters") or {}
        model = body["model"]
        if model == "gpt-4o-mini":
            model = "gpt-4o-mini-2024-07-18"
        suffix = body.get("suffix")
        job = {
            "id": f"ftjob-{next(_ids)}",
            "object": "fine_tuning.job",
            "created_at": int(time.time()) if created_at is None else created_at,
            "model": model,
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "result_files": [],
            "seed": body.get("seed", 42),
            "status": "pending" if self.azure else "validating_files",
            "hyperparameters": {
                "n_epochs": hp.get("n_epochs", 3),
                "batch_size": hp.get("batch_size", 1),
                "learning_rate_multiplier": hp.get("learning_rate_multiplier", 1.8),
            },
            "organization_id": None if self.azure else "org-1",
            "method": None if self.azure else method,
            "integrations": None,
            "fine_tuned_model": None,
            "finished_at": None,
            "trained_tokens": None,
            "error": None,
            "metadata": None if self.azure else body.get("metadata"),
        }
        if suffix is not None:
            job["suffix" if self.azure else "user_provided_suffix"] = suffix  # Azure's FineTuningJob: suffix
        self.jobs.append(job)
        if self.listed_late:
            self._hidden[job["id"]] = self.listed_late
        return job

    def handler(self, req: httpx2.Request) -> httpx2.Response:
        path = req.url.path
        if req.method == "POST" and path.endswith("/fine_tuning/jobs"):
            body = json.loads(req.content)
            self.create_bodies.append(body)
            if self.fail_creates_before_storing:
                self.fail_creates_before_storing -= 1
                return httpx2.Response(500, json={"error": {"message": "boom", "type": "server_error"}})
            job = self.add(body)
            if self.twin_on_create:
                self.add(body)
            if self.also_create is not None:
                self.add(self.also_create)
            if self.lose_creates:
                self.lose_creates -= 1
                raise self.lose_with("the answer was lost", request=req)
            return httpx2.Response(200, json=job)
        if req.method == "GET" and path.endswith("/fine_tuning/jobs"):
            self.list_calls += 1
            if self.create_bodies and self.fail_lists_after_create:
                self.fail_lists_after_create -= 1
                return httpx2.Response(503, json={"error": {"message": "busy", "type": "server_error"}})
            jobs = [j for j in reversed(self.jobs) if not self._hidden.get(j["id"])]
            self._hidden = {k: n - 1 for k, n in self._hidden.items() if n > 1}
            wanted = {k[9:-1]: v for k, v in req.url.params.items() if k.startswith("metadata[")}
            if wanted and not self.azure:
                jobs = [j for j in jobs if all((j.get("metadata") or {}).get(k) == v for k, v in wanted.items())]
            limit = int(req.url.params.get("limit", 20))
            after = req.url.params.get("after")
            if after:
                ids = [j["id"] for j in jobs]
                jobs = jobs[ids.index(after) + 1 :]
            page = jobs[:limit]
            return httpx2.Response(200, json={"object": "list", "data": page, "has_more": len(jobs) > limit})
        return httpx2.Response(404, json={"error": {"message": f"no route {path}"}})


def client_for(fake: FakeJobs, monkeypatch: pytest.MonkeyPatch) -> openai.AsyncOpenAI:
    http = openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(fake.handler))
    if fake.azure:
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
        profile = Profile(
            name="az", provider="azure", base_url="https://res.openai.azure.com", api_version="2024-10-21"
        )
    else:
        profile = Profile(name="mock", provider="compatible", base_url="http://mock.test/v1")
    return build_client(profile, http_client=http, max_retries=0)


def request(**kw: Any) -> JobRequest:
    return JobRequest(**{"model": "gpt-4o-mini", "training_file": "file-train", **kw})


@pytest.mark.parametrize("lost", [httpx2.ReadTimeout, httpx2.RemoteProtocolError])
async def test_azure_lost_answer_finds_the_one_job_and_never_sends_metadata(
    monkeypatch: pytest.MonkeyPatch, lost: type[Exception]
) -> None:
    fake = FakeJobs(azure=True)
    old = fake.add(request(n_epochs=2, suffix="bot").body(azure=True), created_at=int(time.time()) - 30)
    fake.lose_creates, fake.lose_with = 1, lost
    client = client_for(fake, monkeypatch)
    job = await create_job(client, request(n_epochs=2, suffix="bot", seed=7), azure=True, base_delay=0.001)
    assert len(fake.create_bodies) == 1  # sent once
    assert len(fake.jobs) == 2 and job.id == fake.jobs[-1]["id"] != old["id"]  # ours, not the look-alike
    body = fake.create_bodies[0]
    assert "metadata" not in body
    assert body["hyperparameters"] == {"n_epochs": 2} and "method" not in body  # Azure's shape; no "auto"


async def test_azure_body_leaves_auto_out_and_openai_body_is_tagged() -> None:
    req = request(n_epochs=3, suffix="bot")  # Azure's FineTuningJobCreation (2024-10-21): no method
    assert req.body(azure=True) == {
        "model": "gpt-4o-mini",
        "training_file": "file-train",
        "hyperparameters": {"n_epochs": 3},
        "suffix": "bot",
    }
    assert request().body(azure=True) == {"model": "gpt-4o-mini", "training_file": "file-train"}
    assert request().body("t")["metadata"] == {TAG_KEY: "t"}
    assert request().body("t")["method"]["supervised"]["hyperparameters"]["n_epochs"] == "auto"


async def test_lost_answer_and_failing_lookups_say_the_job_may_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeJobs(azure=True)
    fake.lose_creates = 1
    fake.fail_lists_after_create = 10**6
    client = client_for(fake, monkeypatch)
    with pytest.raises(JobMayExist) as caught:
        await create_job(client, request(), azure=True, attempts=3, base_delay=0.001, look_for=0.2)
    text = str(caught.value)
    assert "may" in text and "ftui jobs list" in text and "file-train" in text
    assert "failed" not in text.lower()
    assert len(fake.create_bodies) == 1  # never sent twice


async def test_several_look_alikes_are_not_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeJobs(azure=True)
    fake.lose_creates = 1
    fake.twin_on_create = True
    with pytest.raises(JobMayExist, match="may have been created"):
        await create_job(client_for(fake, monkeypatch), request(), azure=True, base_delay=0.001)
    assert len(fake.create_bodies) == 1


async def test_openai_tag_lookup_fails_once_then_finds_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeJobs()
    fake.lose_creates = 1
    fake.fail_lists_after_create = 1
    client = client_for(fake, monkeypatch)
    job = await create_job(client, request(), base_delay=0.001)
    assert len(fake.create_bodies) == 1 and len(fake.jobs) == 1
    assert job.id == fake.jobs[0]["id"]
    assert fake.create_bodies[0]["metadata"][TAG_KEY]


async def test_openai_look_alike_from_another_ftui_request_is_not_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeJobs()
    fake.lose_creates = 1
    fake.also_create = request().body("another-ftui-request")  # same facts, created at the same moment
    job = await create_job(client_for(fake, monkeypatch), request(), base_delay=0.001)
    assert len(fake.create_bodies) == 1 and len(fake.jobs) == 2
    assert job.metadata and job.metadata[TAG_KEY] == fake.create_bodies[0]["metadata"][TAG_KEY]


async def test_a_500_is_never_sent_again_the_job_may_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 500 may hide a created job: ftui looks for it, and not finding it says so (never a second create)."""
    fake = FakeJobs(azure=True)
    fake.fail_creates_before_storing = 1
    waits: list[str] = []
    with pytest.raises(JobMayExist, match=r"no such job was listed after 0 s of looking"):
        await create_job(
            client_for(fake, monkeypatch), request(), azure=True, base_delay=0.001, look_for=0.2, on_wait=waits.append
        )
    assert len(fake.create_bodies) == 1 and fake.jobs == []
    assert waits == [
        "The answer was lost (the provider answered with an internal error (500)); looking for the job (up to 0 s)…"
    ]


async def test_a_429_is_sent_again_nothing_was_created(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    fake = FakeJobs(azure=True)

    def handler(req: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        if req.method == "POST":
            calls += 1
            if calls == 1:
                return httpx2.Response(429, json={"error": {"message": "slow down", "type": "rate_limit"}})
        return fake.handler(req)

    http = openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(handler))
    client = build_client(Profile(name="m", provider="compatible", base_url="http://m/v1"), http_client=http)
    job = await create_job(client, request(), base_delay=0.001)
    assert calls == 2 and len(fake.jobs) == 1 and job.id == fake.jobs[0]["id"]


@pytest.mark.parametrize("azure", [True, False])
async def test_a_job_listed_late_after_a_lost_answer_is_found_not_created_twice(
    monkeypatch: pytest.MonkeyPatch, azure: bool
) -> None:
    """Azure lists a new job only seconds later. Before, ftui looked once, saw nothing and sent the
    create again: two paid jobs. Now it keeps looking (bounded, saying so) and finds the one job."""
    fake = FakeJobs(azure=azure)
    fake.lose_creates = 1
    fake.listed_late = 6  # left out of the next six lists
    waits: list[str] = []
    job = await create_job(
        client_for(fake, monkeypatch), request(), azure=azure, base_delay=0.001, on_wait=waits.append
    )
    assert len(fake.create_bodies) == 1 and len(fake.jobs) == 1
    assert job.id == fake.jobs[0]["id"]
    assert len(waits) == 1 and waits[0].startswith("The answer was lost (the provider did not answer in time)")
    assert waits[0].endswith("looking for the job (up to 30 s)…")


async def test_a_4xx_is_a_plain_refusal_without_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(req: httpx2.Request) -> httpx2.Response:
        if req.method == "GET":
            return httpx2.Response(200, json={"object": "list", "data": [], "has_more": False})
        return httpx2.Response(400, json={"error": {"message": "bad model", "type": "invalid_request_error"}})

    http = openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(handler))
    client = build_client(Profile(name="m", provider="compatible", base_url="http://m/v1"), http_client=http)
    with pytest.raises(openai.BadRequestError):
        await create_job(client, request(), base_delay=0.001)


@pytest.mark.parametrize(
    ("asked", "reported", "same"),
    [
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", True),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18", True),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", True),
        ("gpt-35-turbo", "gpt-35-turbo-0125", True),
        ("gpt-4o", "gpt-4o-mini-2024-07-18", False),
        ("gpt-4.1", "gpt-4.1-mini-2025-04-14", False),
        ("gpt-4o-mini", None, False),
    ],
)
def test_model_alias_matching(asked: str, reported: str | None, same: bool) -> None:
    assert same_model(asked, reported) is same


async def test_azure_refuses_dpo_and_integrations_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeJobs(azure=True)
    client = client_for(fake, monkeypatch)
    wandb = [{"type": "wandb", "wandb": {"project": "p"}}]
    for req, said in ((request(method="dpo", beta=0.2), "supervised jobs only"), (request(integrations=wandb), "W&B")):
        with pytest.raises(ProviderError, match=said) as caught:
            await create_job(client, req, azure=True)
        assert "nothing was sent" in str(caught.value)
    assert fake.create_bodies == []
