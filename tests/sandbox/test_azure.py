"""The sandbox's Azure surfaces over real HTTP: control-plane deployments and the data-plane paths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import openai
import pytest
from openai import AsyncAzureOpenAI

from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job
from ftui.sandbox.azure import PROVISION_SECONDS
from ftui.sandbox.server import SandboxServer
from tests.conftest import SAMPLES
from tests.sandbox.test_flow import FakeClock

SPEED = 20.0
ACCOUNT = "/management/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/res"
Q = {"api-version": "2024-10-01"}
API_VERSION = "2024-10-21"  # the data plane's (tests/specs/azure)


def body(model: str, sku: str = "Standard", capacity: int = 1) -> dict:
    return {"sku": {"name": sku, "capacity": capacity}, "properties": {"model": {"format": "OpenAI", "name": model}}}


class Azure:
    """A sandbox on a fake clock with one succeeded job, and clients for both planes."""

    def __init__(self, server: SandboxServer, clock: FakeClock, http: httpx2.AsyncClient, model: str) -> None:
        self.server, self.clock, self.http, self.model = server, clock, http, model
        self.root = server.base_url.removesuffix("/v1")
        self.auth = {"Authorization": f"Bearer {server.api_key}"}  # the control plane's token: the sandbox's key


@pytest.fixture
async def azure(tmp_path: Path) -> AsyncIterator[Azure]:
    clock = FakeClock()
    server = SandboxServer(tmp_path / "sb", speed=SPEED, clock=clock)
    await server.start()
    root = server.base_url.removesuffix("/v1")
    client = AsyncAzureOpenAI(azure_endpoint=root, api_version=API_VERSION, api_key=server.api_key, max_retries=0)
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id), azure=True)
    clock.advance(100_000)
    done = await client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded" and done.fine_tuned_model
    await client.close()
    http = httpx2.AsyncClient(  # the data plane's key on every request; the control plane's token when a test adds it
        base_url=server.base_url.removesuffix("/v1"), headers={"api-key": server.api_key}
    )
    try:
        yield Azure(server, clock, http, done.fine_tuned_model)
    finally:
        await http.aclose()
        await server.stop()


async def test_a_bearer_token_and_the_api_version_are_required(azure: Azure) -> None:
    url = f"{ACCOUNT}/deployments/bot"
    no_token = await azure.http.put(url, params=Q, json=body(azure.model))
    assert no_token.status_code == 401
    assert no_token.json()["error"]["code"] == "AuthenticationFailed"
    another = await azure.http.put(url, params=Q, headers={"Authorization": "Bearer any-token"}, json=body(azure.model))
    assert another.status_code == 401  # any token is not enough: the sandbox's key is
    assert another.json()["error"]["code"] == "AuthenticationFailed"
    assert azure.server.api_key not in another.text
    no_version = await azure.http.put(url, headers=azure.auth, json=body(azure.model))
    assert no_version.status_code == 400
    assert no_version.json()["error"]["code"] == "MissingApiVersionParameter"
    listed = await azure.http.get(f"{ACCOUNT}/deployments", params=Q, headers=azure.auth)
    assert listed.json() == {"value": []}  # nothing was created by the refused requests


async def test_a_deployment_is_creating_then_succeeded_as_the_clock_moves(azure: Azure) -> None:
    url = f"{ACCOUNT}/deployments/weather-bot"
    created = await azure.http.put(url, params=Q, headers=azure.auth, json=body(azure.model, "GlobalStandard", 3))
    assert created.status_code == 201
    obj = created.json()
    assert obj["name"] == "weather-bot"
    assert obj["sku"] == {"name": "GlobalStandard", "capacity": 3}
    assert obj["properties"]["model"] == {"format": "OpenAI", "name": azure.model, "version": "1"}
    assert obj["properties"]["provisioningState"] == "Creating"
    assert obj["id"].startswith("/subscriptions/sub-1/resourceGroups/rg-1/")

    azure.clock.advance(PROVISION_SECONDS / SPEED / 2)
    got = await azure.http.get(url, params=Q, headers=azure.auth)
    assert got.json()["properties"]["provisioningState"] == "Creating"
    azure.clock.advance(PROVISION_SECONDS / SPEED)
    got = await azure.http.get(url, params=Q, headers=azure.auth)
    assert got.json()["properties"]["provisioningState"] == "Succeeded"

    listed = (await azure.http.get(f"{ACCOUNT}/deployments", params=Q, headers=azure.auth)).json()["value"]
    assert [(d["name"], d["properties"]["provisioningState"]) for d in listed] == [("weather-bot", "Succeeded")]
    other = ACCOUNT.replace("accounts/res", "accounts/other")
    assert (await azure.http.get(f"{other}/deployments", params=Q, headers=azure.auth)).json() == {"value": []}

    assert (await azure.http.delete(url, params=Q, headers=azure.auth)).status_code == 200
    assert (await azure.http.get(url, params=Q, headers=azure.auth)).status_code == 404
    assert (await azure.http.delete(url, params=Q, headers=azure.auth)).status_code == 204


async def test_only_models_the_sandbox_trained_can_be_deployed(azure: Azure) -> None:
    for model in ("gpt-4o-mini", "ft:gpt-4o-mini-2024-07-18:sandbox::nothere"):
        refused = await azure.http.put(f"{ACCOUNT}/deployments/x1", params=Q, headers=azure.auth, json=body(model))
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "DeploymentModelNotSupported"
        assert model in refused.json()["error"]["message"]
    bad_sku = await azure.http.put(
        f"{ACCOUNT}/deployments/x1", params=Q, headers=azure.auth, json=body(azure.model, "Huge")
    )
    assert bad_sku.json()["error"]["code"] == "InvalidSkuName"


async def test_a_deployment_whose_model_is_deleted_meanwhile_fails(azure: Azure) -> None:
    url = f"{ACCOUNT}/deployments/doomed"
    await azure.http.put(url, params=Q, headers=azure.auth, json=body(azure.model))
    job_id = (await azure.http.get(f"/openai/models/{azure.model}", params={"api-version": API_VERSION})).json()
    deleted = await azure.http.delete(
        f"/openai/fine_tuning/jobs/{job_id['fine_tune']}", params={"api-version": API_VERSION}
    )
    assert deleted.status_code == 204  # Azure deletes a fine-tuned model with its job
    azure.clock.advance(PROVISION_SECONDS / SPEED + 1)
    got = await azure.http.get(url, params=Q, headers=azure.auth)
    assert got.json()["properties"]["provisioningState"] == "Failed"


async def test_azure_data_plane_chats_with_the_deployment(azure: Azure) -> None:
    client = AsyncAzureOpenAI(
        azure_endpoint=azure.root, api_version=API_VERSION, api_key=azure.server.api_key, max_retries=0
    )
    try:
        await azure.http.put(f"{ACCOUNT}/deployments/weather-bot", params=Q, headers=azure.auth, json=body(azure.model))
        with pytest.raises(openai.NotFoundError, match="still being created"):
            await client.chat.completions.create(
                model="weather-bot", messages=[{"role": "user", "content": "Will it snow in Denver on Friday?"}]
            )
        azure.clock.advance(PROVISION_SECONDS / SPEED + 1)
        reply = await client.chat.completions.create(
            model="weather-bot", messages=[{"role": "user", "content": "Will it snow in Denver on Friday?"}]
        )
        assert "snowflake" in (reply.choices[0].message.content or "")
        jobs = await client.fine_tuning.jobs.list()  # /openai/fine_tuning/jobs?api-version=...
        assert jobs.data and jobs.data[0].fine_tuned_model == azure.model
        checkpoints = await client.fine_tuning.jobs.checkpoints.list(jobs.data[0].id)
        ckpt = checkpoints.data[-1]
        put = await azure.http.put(f"{ACCOUNT}/deployments/ckpt", params=Q, headers=azure.auth, json=body(ckpt.id))
        assert put.status_code == 201  # a checkpoint id is deployable too
    finally:
        await client.close()
    no_version = await azure.http.get("/openai/fine_tuning/jobs")
    assert no_version.status_code == 400 and "api-version" in no_version.json()["error"]["message"]
    v1 = await azure.http.get("/openai/v1/models")
    assert v1.status_code == 200 and any(m["id"] == azure.model for m in v1.json()["data"])
