"""The control-plane client: against the sandbox over loopback, and odd answers through MockTransport."""

from __future__ import annotations

import asyncio
import json
import stat
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx2
import pytest
from openai import AsyncAzureOpenAI

from ftui.config import ConfigError, Profile
from ftui.provider.azure_deploy import (
    ControlPlane,
    DeployError,
    DeploymentMayExist,
    Resource,
    get_token,
    resource_for,
)
from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job
from ftui.sandbox.server import SandboxServer
from tests.conftest import SAMPLES

AZURE = Profile(
    name="az", provider="azure", base_url="https://res.openai.azure.com", subscription_id="s", resource_group="g"
)
RESOURCE = Resource("sub", "rg", "res", "https://arm.test")


def deployment(name: str, model: str, state: str) -> dict:
    return {
        "name": name,
        "sku": {"name": "Standard", "capacity": 1},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}, "provisioningState": state},
    }


def mock_plane(handler: Callable[[httpx2.Request], httpx2.Response]) -> ControlPlane:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return ControlPlane(RESOURCE, lambda: ("tok", None), http=http)


@pytest.fixture
async def sandbox_plane(tmp_path: Path) -> AsyncIterator[tuple[ControlPlane, str, SandboxServer]]:
    server = SandboxServer(tmp_path / "sb", speed=200)
    await server.start()
    root = server.base_url.removesuffix("/v1")  # the Azure face trains the resource's models
    client = AsyncAzureOpenAI(azure_endpoint=root, api_version="2024-10-21", api_key=server.api_key)
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id), azure=True)
    while (done := await client.fine_tuning.jobs.retrieve(job.id)).status != "succeeded":
        assert done.status not in ("failed", "cancelled")
        await asyncio.sleep(0.05)
    await client.close()
    profile = Profile(
        name="azsb",
        provider="azure",
        base_url=server.base_url.removesuffix("/v1"),
        subscription_id="sub",
        resource_group="rg",
        account="res",
        management_url=server.base_url.removesuffix("/v1") + "/management",
    )
    resource = resource_for(profile)
    plane = ControlPlane(resource, lambda: get_token(profile, resource, server.api_key))  # its key is the token
    try:
        assert done.fine_tuned_model
        yield plane, done.fine_tuned_model, server
    finally:
        await plane.aclose()
        await server.stop()


async def test_create_watch_list_delete_against_the_sandbox(sandbox_plane) -> None:
    plane, model, _ = sandbox_plane
    created = await plane.create_deployment("weather-bot", model, sku="GlobalStandard", capacity=2)
    assert (created.name, created.model, created.sku, created.capacity) == ("weather-bot", model, "GlobalStandard", 2)
    assert created.state == "Creating"
    seen: list[str] = []
    done = await plane.wait_until_provisioned("weather-bot", on_state=lambda d: seen.append(d.state), timeout=60)
    assert done.state == "Succeeded" and seen == ["Creating", "Succeeded"]
    assert [d.as_json()["name"] for d in await plane.list_deployments()] == ["weather-bot"]
    assert await plane.delete_deployment("weather-bot") is True
    assert await plane.get_deployment("weather-bot") is None
    assert await plane.delete_deployment("weather-bot") is False


async def test_a_model_that_does_not_exist_is_one_sentence(sandbox_plane) -> None:
    plane, _, _ = sandbox_plane
    with pytest.raises(DeployError, match="DeploymentModelNotSupported") as exc:
        await plane.create_deployment("bot", "gpt-4.1-2025-04-14.ft-nothere")
    assert exc.value.exit_code == 1 and "gpt-4.1-2025-04-14.ft-nothere" in str(exc.value)


async def test_a_failed_provisioning_says_so(sandbox_plane) -> None:
    plane, model, server = sandbox_plane
    await plane.create_deployment("doomed", model)
    server.store.delete_model(model)  # gone before provisioning ends: Azure says Failed
    with pytest.raises(DeployError, match="did not provision: Azure says Failed") as exc:
        await plane.wait_until_provisioned("doomed", timeout=60)
    assert not isinstance(exc.value, DeploymentMayExist)


async def test_no_answer_to_the_create_then_found_returns_it() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "PUT":
            raise httpx2.ReadTimeout("slow", request=request)
        return httpx2.Response(200, json=deployment("bot", "m1", "Creating"))

    plane = mock_plane(handler)
    found = await plane.create_deployment("bot", "m1")
    assert found.state == "Creating"


async def test_no_answer_at_all_says_it_may_exist_never_failed() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "PUT":
            return httpx2.Response(503, text="upstream")
        raise httpx2.ConnectError("down", request=request)

    with pytest.raises(DeploymentMayExist) as exc:
        await mock_plane(handler).create_deployment("bot", "m1")
    text = str(exc.value)
    assert "may have been created" in text and "ftui deployments list" in text and "failed" not in text
    assert exc.value.exit_code == 3


async def test_losing_contact_while_waiting_says_it_may_exist() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx2.Response(200, json=deployment("bot", "m1", "Creating"))
        raise httpx2.ConnectError("down", request=request)

    with pytest.raises(DeploymentMayExist, match="may still finish"):
        await mock_plane(handler).wait_until_provisioned("bot", give_up_after=0.3, first_interval=0.05)


async def test_refusals_and_wrong_answers_are_one_sentence() -> None:
    body = {"error": {"code": "AuthorizationFailed", "message": "no role"}}
    with pytest.raises(DeployError, match="Cognitive Services OpenAI Contributor") as exc:
        await mock_plane(lambda r: httpx2.Response(403, json=body)).list_deployments()
    assert exc.value.exit_code == 3
    with pytest.raises(DeployError, match="not Azure's JSON"):
        await mock_plane(lambda r: httpx2.Response(200, text="<html>login</html>")).list_deployments()
    missing = {"error": {"code": "ResourceNotFound", "message": "nope"}}
    with pytest.raises(DeployError, match="check subscription_id, resource_group and account"):
        await mock_plane(lambda r: httpx2.Response(404, json=missing)).get_deployment("x")


async def test_a_401_refreshes_the_token_once_and_the_request_names_the_resource() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append((request.headers["Authorization"], str(request.url)))
        if len(seen) == 1:
            return httpx2.Response(401, json={"error": {"code": "ExpiredAuthenticationToken", "message": "old"}})
        return httpx2.Response(200, json={"value": []})

    tokens = iter([("old", None), ("new", None)])
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    plane = ControlPlane(RESOURCE, lambda: next(tokens), http=http)
    assert await plane.list_deployments() == []
    assert [a for a, _ in seen] == ["Bearer old", "Bearer new"]
    assert seen[0][1] == (
        "https://arm.test/subscriptions/sub/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/res"
        "/deployments?api-version=2024-10-01"
    )


# -- configuration and tokens ------------------------------------------------------------
def test_a_profile_without_its_resource_says_what_to_add() -> None:
    with pytest.raises(ConfigError, match=r"needs account .*\[profiles\.az\]"):
        resource_for(AZURE)
    with pytest.raises(ConfigError, match="deployments exist only on Azure"):
        resource_for(Profile(name="o", provider="openai"))


def _fake_az(folder: Path, script: str) -> None:
    folder.mkdir(exist_ok=True)
    az = folder / "az"
    az.write_text("#!/bin/sh\n" + script)
    az.chmod(az.stat().st_mode | stat.S_IEXEC)


def test_token_sources_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # as when ftui[azure] is not installed
    resource = resource_for(AZURE.model_copy(update={"account": "res"}))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match=r"pip install 'ftui\[azure\]'.*az login"):
        get_token(AZURE, resource)

    bin_dir = tmp_path / "bin"
    _fake_az(bin_dir, "echo '" + json.dumps({"accessToken": "cli-token", "expires_on": 1900000000}) + "'\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert get_token(AZURE, resource) == ("cli-token", 1900000000.0)

    _fake_az(bin_dir, "echo 'ERROR: Please run az login to setup account.' >&2\nexit 1\n")
    with pytest.raises(ConfigError, match=r"Please run az login.*`az login --use-device-code` over SSH"):
        get_token(AZURE, resource)

    with_env = AZURE.model_copy(update={"management_token_env": "MY_ARM_TOKEN"})
    with pytest.raises(ConfigError, match=r"\$MY_ARM_TOKEN, which is not set"):
        get_token(with_env, resource)
    monkeypatch.setenv("MY_ARM_TOKEN", "env-token")
    assert get_token(with_env, resource) == ("env-token", None)

    local = Resource("s", "g", "a", "http://127.0.0.1:9/management")
    assert get_token(AZURE, local) == ("sandbox", None)  # a control plane on this machine is the sandbox


async def test_the_directory_lists_once_and_again_only_when_it_cannot_say() -> None:
    from ftui.provider.deployments import DeploymentDirectory

    listed: list[list[dict]] = [[deployment("bot", "m1", "Succeeded"), deployment("new", "m2", "Creating")]]
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request.method)
        return httpx2.Response(200, json={"value": listed[0]})

    now = [0.0]
    directory = DeploymentDirectory(mock_plane(handler), clock=lambda: now[0])
    assert await directory.serving("m1") == "bot" and len(calls) == 1
    assert await directory.serving("m1") == "bot" and len(calls) == 1  # cached
    assert await directory.serving("m2") is None and len(calls) == 1  # still Creating; the list is fresh
    now[0] = 6.0
    listed[0] = [deployment("bot", "m1", "Succeeded"), deployment("new", "m2", "Succeeded")]
    assert await directory.serving("m2") == "new" and len(calls) == 2  # a miss on an older list asks again
    directory.forget("bot")
    assert await directory.serving("m1") is None and len(calls) == 2  # forgotten; the list is still fresh
    now[0] = 100.0
    assert await directory.serving("m1") == "bot" and len(calls) == 3  # stale: listed again
    await directory.aclose()
