"""Answers the sandbox never gives, through httpx2.MockTransport: odd statuses, nulls, base64, Azure."""

from __future__ import annotations

import base64
import json

import httpx2
import openai
import pytest

from ftui.config import Profile
from ftui.provider.client import Provider, build_client
from ftui.provider.events import metric_point
from ftui.provider.jobs import fetch_results_csv

JOB = {
    "id": "ftjob-1",
    "object": "fine_tuning.job",
    "created_at": 1,
    "model": "gpt-4.1-2025-04-14",
    "training_file": "file-1",
    "validation_file": None,
    "result_files": [],
    "seed": 1,
    "status": "paused",
    "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 2},
    "organization_id": None,
    "method": None,
    "integrations": None,
    "fine_tuned_model": None,
    "finished_at": None,
    "trained_tokens": None,
    "error": None,
}


def mock_client(handler, profile: Profile | None = None) -> openai.AsyncOpenAI:
    http = openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(handler))
    profile = profile or Profile(name="mock", provider="compatible", base_url="http://mock.test/v1")
    return build_client(profile, http_client=http, max_retries=0)


@pytest.mark.parametrize("status", ["paused", "pausing", "something_new"])
async def test_open_status_strings_and_null_fields(status: str) -> None:
    client = mock_client(lambda req: httpx2.Response(200, json={**JOB, "status": status}))
    job = await client.fine_tuning.jobs.retrieve("ftjob-1")
    assert job.status == status
    assert job.organization_id is None and job.method is None


async def test_base64_results_file_is_decoded() -> None:
    csv = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,2.0,0.4,,\n"

    def handler(req: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=base64.b64encode(csv.encode()))

    assert await fetch_results_csv(mock_client(handler), "file-r") == csv


async def test_plain_results_file_is_kept() -> None:
    csv = "step,train_loss\n1,2.0\n"
    assert await fetch_results_csv(mock_client(lambda r: httpx2.Response(200, content=csv.encode())), "f") == csv


async def test_azure_paths_api_version_and_key_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-secret-key")
    seen: list[httpx2.Request] = []

    def handler(req: httpx2.Request) -> httpx2.Response:
        seen.append(req)
        if "chat/completions" in req.url.path:
            return httpx2.Response(
                200,
                json={
                    "id": "c",
                    "object": "chat.completion",
                    "created": 1,
                    "model": "m",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
                    ],
                },
            )
        return httpx2.Response(200, json={**JOB, "organization_id": None})

    profile = Profile(
        name="az",
        provider="azure",
        base_url="https://res.openai.azure.com",
        api_version="2025-04-01-preview",
        deployments={"gpt-4.1-2025-04-14.ft-abc": "weather-bot"},
    )
    client = mock_client(handler, profile)
    await client.fine_tuning.jobs.retrieve("ftjob-1")
    provider = Provider(profile, client)
    await client.chat.completions.create(
        model=await provider.chat_name("gpt-4.1-2025-04-14.ft-abc"), messages=[{"role": "user", "content": "x"}]
    )
    jobs_req, chat_req = seen
    assert jobs_req.url.path == "/openai/fine_tuning/jobs/ftjob-1"
    assert jobs_req.url.params["api-version"] == "2025-04-01-preview"
    assert jobs_req.headers["api-key"] == "azure-secret-key"
    assert chat_req.url.path == "/openai/deployments/weather-bot/chat/completions"


async def test_azure_fine_tune_without_deployment_says_what_to_do() -> None:
    from ftui.config import ConfigError

    provider = Provider(Profile(name="az", provider="azure", base_url="https://x"), client=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="has no deployment in profile 'az'"):
        await provider.chat_name("gpt-4o-mini-2024-07-18.ft-123")


async def test_azure_v1_surface_uses_plain_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    seen: list[httpx2.Request] = []

    def handler(req: httpx2.Request) -> httpx2.Response:
        seen.append(req)
        return httpx2.Response(200, json=JOB)

    profile = Profile(name="az1", provider="azure", base_url="https://res.openai.azure.com/openai/v1")
    await mock_client(handler, profile).fine_tuning.jobs.retrieve("ftjob-1")
    assert seen[0].url.path == "/openai/v1/fine_tuning/jobs/ftjob-1"


def test_metric_points_from_data_or_message() -> None:
    from openai.types.fine_tuning import FineTuningJobEvent

    ev = FineTuningJobEvent.construct(
        id="e",
        created_at=1,
        level="info",
        object="fine_tuning.job.event",
        message="Step 85/100: training loss=0.14",
        type="metrics",
        data={"step": 85, "train_loss": 0.14, "full_valid_loss": 0.2},
    )
    p = metric_point(ev)
    assert p and (p.step, p.train_loss, p.full_valid_loss, p.valid_loss) == (85, 0.14, 0.2, None)
    bare = FineTuningJobEvent.construct(
        id="e",
        created_at=1,
        level="info",
        object="fine_tuning.job.event",
        message="Step 7/10: training loss=1.25",
        type=None,
        data=None,
    )
    assert metric_point(bare) == type(p)(step=7, total_steps=10, train_loss=1.25)
    plain = FineTuningJobEvent.construct(
        id="e",
        created_at=1,
        level="info",
        object="fine_tuning.job.event",
        message="Fine-tuning job started",
        type="message",
        data={},
    )
    assert metric_point(plain) is None


async def test_error_sentences_never_show_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from ftui.provider.errors import describe

    key = "sk-proj-abcdefghijklmnop1234"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    body = {
        "error": {
            "message": f"Incorrect API key provided: {key}.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    client = build_client(
        Profile(name="o", provider="openai", base_url="http://mock.test/v1"),
        http_client=openai.DefaultAsyncHttpxClient(
            transport=httpx2.MockTransport(lambda r: httpx2.Response(401, json=body))
        ),
        max_retries=0,
    )
    with pytest.raises(openai.AuthenticationError) as exc:
        await client.models.list()
    text = describe(exc.value, "Listing models", (key,))
    assert key not in text and "sk-proj" not in text
    assert text.startswith("Listing models failed: the provider rejected the API key (401)")
    rejected = openai.BadRequestError(
        "bad",
        response=httpx2.Response(400, request=httpx2.Request("GET", "http://x")),
        body={"error": {"message": f"key {key} is odd"}},
    )
    assert key not in describe(rejected, "X", ())
    assert json.dumps(body)  # the body itself is untouched
