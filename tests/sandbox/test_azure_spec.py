"""The sandbox's Azure mode against Azure's published specs (tests/specs/azure): every answer of the
data plane and the control plane, and every request ftui's own Azure code sends, with 0 violations.

The spec checker is tests/sandbox/azure_spec.py; the facts (statuses, names, shapes, error codes)
are the spec's, api-version 2024-10-21 (data plane) and 2024-10-01 (deployments)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import openai
import pytest
from openai import AsyncOpenAI

from ftui.config import Profile
from ftui.provider.azure_deploy import ControlPlane, get_token, resource_for
from ftui.provider.client import build_client
from ftui.provider.events import EventStream
from ftui.provider.files import delete_file, download_file, list_files, upload_file
from ftui.provider.jobs import JobRequest, create_job, list_jobs
from ftui.provider.models import delete_model, list_fine_tuned_models
from ftui.sandbox.azure import PROVISION_SECONDS
from ftui.sandbox.embedded import start_in_thread
from ftui.sandbox.server import SandboxServer
from tests.conftest import SAMPLES
from tests.sandbox.azure_spec import Recorder
from tests.sandbox.test_flow import FakeClock
from tests.test_cli_headless import run

SPEED = 50.0
VERSION = {"api-version": "2024-10-21"}
ARM = {"api-version": "2024-10-01"}
KEY = "k"  # every sandbox here is started with this key (api-key on the data plane, bearer on ARM)
AUTH = {"Authorization": f"Bearer {KEY}", "api-key": KEY}
ACCOUNT = "/management/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/res"


async def no_wait(_: float) -> None:
    return None


class Sandbox:
    def __init__(self, server: SandboxServer, clock: FakeClock) -> None:
        self.server, self.clock = server, clock
        self.root = server.base_url.removesuffix("/v1")

    def profile(self) -> Profile:
        return Profile(
            name="az",
            provider="azure",
            base_url=self.root,
            api_version="2024-10-21",
            api_key_env="FTUI_AZ_SPEC_KEY",
            subscription_id="sub-1",
            resource_group="rg-1",
            account="res",
            management_url=self.root + "/management",
            management_token_env="FTUI_AZ_SPEC_KEY",  # the sandbox takes its key as the ARM bearer token
        )


@pytest.fixture
async def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sandbox]:
    monkeypatch.setenv("FTUI_AZ_SPEC_KEY", "k")
    clock = FakeClock()
    server = SandboxServer(tmp_path / "sb", speed=SPEED, clock=clock, api_key=KEY)
    await server.start()
    try:
        yield Sandbox(server, clock)
    finally:
        await server.stop()


async def test_every_answer_of_the_azure_face_fits_the_spec(sandbox: Sandbox) -> None:
    """A walk over each operation of the spec, right and wrong, checking every answer."""
    rec = Recorder.azure(requests=False)
    async with httpx2.AsyncClient(base_url=sandbox.root, headers=AUTH, event_hooks=rec.hooks()) as http:
        data = (SAMPLES / "weather_jokes.jsonl").read_bytes()
        up = await http.post("/openai/files", params=VERSION, data={"purpose": "fine-tune"}, files={"file": data})
        assert up.status_code == 201 and up.headers["Location"].endswith("/openai/files/" + up.json()["id"])
        file_id = up.json()["id"]
        assert len(file_id) == len("file-") + 32 and "status_details" not in up.json()  # absent, not null
        bad = await http.post("/openai/fine_tuning/jobs", params=VERSION, json={"model": "gpt-4o-mini"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalidPayload"
        body = {"model": "gpt-4o-mini", "training_file": file_id, "hyperparameters": {"batch_size": 2}}
        created = await http.post("/openai/fine_tuning/jobs", params=VERSION, json=body)
        assert created.status_code == 201
        job = created.json()
        assert job["status"] == "pending" and job["hyperparameters"]["n_epochs"] > 0  # numbers, never "auto"
        assert "fine_tuned_model" not in job and "estimated_finish" in job
        sandbox.clock.advance(100_000)
        done = (await http.get(f"/openai/fine_tuning/jobs/{job['id']}", params=VERSION)).json()
        assert done["status"] == "succeeded"
        assert done["fine_tuned_model"] == f"gpt-4o-mini-2024-07-18.ft-{job['id'].removeprefix('ftjob-')}"
        events = (await http.get(f"/openai/fine_tuning/jobs/{job['id']}/events", params={**VERSION, "limit": 3})).json()
        assert len(events["data"]) == 3 and events["has_more"]
        after = {**VERSION, "limit": 3, "after": events["data"][-1]["id"]}
        more = (await http.get(f"/openai/fine_tuning/jobs/{job['id']}/events", params=after)).json()
        assert {e["id"] for e in more["data"]}.isdisjoint(e["id"] for e in events["data"])  # `after` honoured
        ckpts = (await http.get(f"/openai/fine_tuning/jobs/{job['id']}/checkpoints", params=VERSION)).json()["data"]
        assert ckpts and all(
            c["fine_tuned_model_checkpoint"].startswith(done["fine_tuned_model"] + ":ckpt-step-") for c in ckpts
        )
        models = (await http.get("/openai/models", params=VERSION)).json()["data"]
        trained = next(m for m in models if m["id"] == done["fine_tuned_model"])
        assert trained["fine_tune"] == job["id"] and trained["capabilities"]["inference"]
        assert (await http.get(f"/openai/models/{done['fine_tuned_model']}", params=VERSION)).status_code == 200
        assert (await http.get("/openai/models/nope", params=VERSION)).json()["error"]["code"] == "notFound"
        for path in ("pause", "resume"):  # not in the spec: 404
            gone = await http.post(f"/openai/fine_tuning/jobs/{job['id']}/{path}", params=VERSION)
            assert gone.status_code == 404
        assert (await http.delete(f"/openai/models/{done['fine_tuned_model']}", params=VERSION)).status_code == 404
        listed = (await http.get("/openai/files", params={**VERSION, "purpose": "fine-tune-results"})).json()["data"]
        assert [f["purpose"] for f in listed] == ["fine-tune-results"]  # `purpose` honoured
        assert (await http.get(f"/openai/files/{listed[0]['id']}/content", params=VERSION)).status_code == 200
        second = await http.post("/openai/fine_tuning/jobs", params=VERSION, json=body)
        cancelled = await http.post(f"/openai/fine_tuning/jobs/{second.json()['id']}/cancel", params=VERSION)
        assert cancelled.json()["status"] == "cancelled"
        again = await http.post(f"/openai/fine_tuning/jobs/{second.json()['id']}/cancel", params=VERSION)
        assert again.json()["error"]["code"] == "unexpectedEntityState"
        page = (await http.get("/openai/fine_tuning/jobs", params={**VERSION, "limit": 1})).json()
        assert len(page["data"]) == 1 and page["has_more"]  # `limit` honoured
        assert (await http.get("/openai/fine_tuning/jobs")).status_code == 400  # api-version is required
        start = {"purpose": "fine-tune", "filename": "w.jsonl", "bytes": len(data), "mime_type": "text/jsonl"}
        upload = (await http.post("/openai/uploads", params=VERSION, json=start)).json()
        part = await http.post(f"/openai/uploads/{upload['id']}/parts", params=VERSION, files={"data": data})
        ids = {"part_ids": [part.json()["id"]]}
        complete = await http.post(f"/openai/uploads/{upload['id']}/complete", params=VERSION, json=ids)
        assert complete.json()["status"] == "completed"
        other = (await http.post("/openai/uploads", params=VERSION, json=start)).json()
        await http.post(f"/openai/uploads/{other['id']}/cancel", params=VERSION)
        assert (await http.delete(f"/openai/files/{file_id}", params=VERSION)).json()["deleted"] is True
        assert (await http.get(f"/openai/files/{file_id}", params=VERSION)).status_code == 404

        put = {
            "sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": done["fine_tuned_model"]}},
        }
        url = f"{ACCOUNT}/deployments/bot"
        assert (await http.put(url, params=ARM, json=put)).status_code == 201
        assert (await http.put(url, params=ARM, json=put)).json()["properties"]["provisioningState"] == "Accepted"
        sandbox.clock.advance(PROVISION_SECONDS / SPEED + 1)
        assert (await http.get(f"{ACCOUNT}/deployments", params=ARM)).json()["value"][0]["properties"][
            "provisioningState"
        ] == "Succeeded"
        assert (await http.get(f"{ACCOUNT}/deployments/none", params=ARM)).status_code == 404
        assert (await http.delete(url, params=ARM)).status_code == 200

        assert (await http.delete(f"/openai/fine_tuning/jobs/{job['id']}", params=VERSION)).status_code == 204
        assert (await http.get(f"/openai/models/{done['fine_tuned_model']}", params=VERSION)).status_code == 404
    assert len(rec.seen) > 30
    assert rec.violations() == []


async def test_the_faces_keep_their_own_files_and_jobs(sandbox: Sandbox) -> None:
    openai_face = AsyncOpenAI(base_url=sandbox.server.base_url, api_key="k", max_retries=0)
    azure_face = build_client(sandbox.profile(), max_retries=0)
    try:
        theirs = await upload_file(openai_face, SAMPLES / "weather_jokes.jsonl")
        job = await create_job(openai_face, JobRequest(model="gpt-4o-mini", training_file=theirs.id))
        assert await list_files(azure_face) == [] and await list_jobs(azure_face) == []
        with pytest.raises(openai.NotFoundError):
            await azure_face.fine_tuning.jobs.retrieve(job.id)
        ours = await upload_file(azure_face, SAMPLES / "weather_jokes.jsonl")
        assert [f.id for f in await list_files(openai_face)] == [theirs.id]
        assert [f.id for f in await list_files(azure_face)] == [ours.id]
    finally:
        await openai_face.close()
        await azure_face.close()


async def test_ftuis_azure_requests_fit_the_spec(sandbox: Sandbox) -> None:
    """ftui's own Azure code (files, jobs, events, models, deployments) sends only what the spec has."""
    rec = Recorder.azure()
    http = openai.DefaultAsyncHttpxClient(event_hooks=rec.hooks())
    client = build_client(sandbox.profile(), http_client=http, max_retries=0)
    resource = resource_for(sandbox.profile())
    plane = ControlPlane(
        resource, lambda: get_token(sandbox.profile(), resource), http=httpx2.AsyncClient(event_hooks=rec.hooks())
    )
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        request = JobRequest(model="gpt-4o-mini", training_file=file.id, n_epochs=2, suffix="weather")
        jobs = [await create_job(client, request, azure=True) for _ in range(3)]
        listed = await list_jobs(client, limit=100)
        assert sorted(j.id for j in listed) == sorted(j.id for j in jobs)  # each once: `after` and `limit` honoured
        sandbox.clock.advance(100_000)
        stream = EventStream(client, jobs[0].id, page_size=5, sleep=no_wait)
        seen = [e.id async for e in stream]
        assert len(seen) == len(set(seen)) > 5
        trained = await list_fine_tuned_models(client)
        model = next(m.id for m in trained if m.kind == "fine-tuned" and m.job_id == jobs[0].id)
        assert model.endswith("-weather") and ".ft-" in model and trained[0].created
        assert trained[0].shutdown_date and not trained[0].shutdown_from_catalog  # Azure's deprecation.inference
        assert {f.id for f in await list_files(client, "fine-tune")} == {file.id}
        await download_file(client, file.id, sandbox.server.data_dir / "copy.jsonl")
        deployment = await plane.create_deployment("bot", model)
        assert deployment.state == "Creating"
        sandbox.clock.advance(PROVISION_SECONDS / SPEED + 1)
        assert [d.name for d in await plane.list_deployments()] == ["bot"]
        await plane.delete_deployment("bot")
        assert await delete_model(client, model, azure=True)
        assert model not in {m.id for m in await list_fine_tuned_models(client)}
        assert await delete_file(client, file.id)
    finally:
        await client.close()
        await plane.aclose()
    sent = "\n".join(rec.seen)
    assert (
        "/openai/fine_tuning/jobs/" in sent
        and "/deployments/bot" in sent
        and "DELETE /openai/fine_tuning/jobs/" in sent
    )
    assert rec.violations() == []


def test_the_cli_honours_limits_on_azure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jobs list --limit 100` and `jobs events --limit 0` on an Azure profile: each job and event
    once, and the command ends (the Azure mode used to drop the query: 20 jobs five times, and
    the same page of events for ever)."""
    clock = FakeClock()
    sandbox = start_in_thread(tmp_path / "sb", speed=SPEED, clock=clock, api_key=KEY)
    root = sandbox.base_url.removesuffix("/v1")
    try:
        with httpx2.Client(base_url=root, headers=AUTH, params=VERSION) as http:
            data = (SAMPLES / "weather_jokes.jsonl").read_bytes()
            file_id = http.post("/openai/files", data={"purpose": "fine-tune"}, files={"file": data}).json()["id"]
            body = {"model": "gpt-4o-mini", "training_file": file_id}
            ids = [http.post("/openai/fine_tuning/jobs", json=body).json()["id"] for _ in range(23)]
            clock.advance(100_000)
            total = len(http.get(f"/openai/fine_tuning/jobs/{ids[0]}/events", params={"limit": 10_000}).json()["data"])
        config = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'[profiles.az]\nprovider = "azure"\nbase_url = "{root}"\napi_version = "2024-10-21"\n'
            'api_key_env = "FTUI_AZ_SPEC_KEY"\n'
        )
        monkeypatch.setenv("FTUI_AZ_SPEC_KEY", "k")
        code, out, err = run(capsys, "jobs", "list", "--profile", "az", "--limit", "100", "--json")
        assert code == 0, err
        listed = json.loads(out)
        assert sorted(j["id"] for j in listed) == sorted(ids)
        assert all(j["fine_tuned_model"].endswith(j["id"].removeprefix("ftjob-")) for j in listed)  # Azure's names
        code, out, err = run(capsys, "jobs", "events", ids[0], "--profile", "az", "--limit", "0", "--json")
        assert code == 0, err
        events = [e["id"] for e in json.loads(out)]
        assert len(events) == len(set(events)) == total > 100
        code, _, err = run(capsys, "jobs", "pause", ids[1], "--profile", "az")
        assert code == 1 and "cannot pause a job" in err and "Nothing was sent" in err  # not in Azure's API
    finally:
        sandbox.stop()


async def test_the_sandboxs_own_refusals_on_azure_paths_are_azures_errors(tmp_path: Path) -> None:
    """A refused key, an injected 429 and an unknown path answer in Azure's error shape too."""
    server = SandboxServer(tmp_path / "sb", api_key="right", faults="429=1.0")
    await server.start()
    rec = Recorder.azure(requests=False)
    try:
        async with httpx2.AsyncClient(base_url=server.base_url.removesuffix("/v1"), event_hooks=rec.hooks()) as http:
            refused = await http.get("/openai/fine_tuning/jobs", params=VERSION, headers={"api-key": "wrong"})
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
            limited = await http.get("/openai/fine_tuning/jobs", params=VERSION, headers={"api-key": "right"})
            assert limited.status_code == 429 and limited.json()["error"]["code"] == "tooManyRequests"
            assert limited.headers["Retry-After"] == "1"
            v1 = await http.get("/openai/v1/models", headers={"Authorization": "Bearer right"})
            assert v1.status_code == 429 and v1.json()["error"]["type"] == "requests"  # the v1 surface is OpenAI's
    finally:
        await server.stop()
    assert rec.violations() == []


async def test_azure_model_names_keep_azures_spelling(sandbox: Sandbox) -> None:
    client = build_client(sandbox.profile(), max_retries=0)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        job = await create_job(client, JobRequest(model="gpt-35-turbo-0125", training_file=file.id), azure=True)
        assert job.model == "gpt-35-turbo-0125"  # not OpenAI's gpt-3.5-turbo-0125
        sandbox.clock.advance(100_000)
        done = await client.fine_tuning.jobs.retrieve(job.id)
        assert done.fine_tuned_model == "gpt-35-turbo-0125.ft-" + job.id.removeprefix("ftjob-")
    finally:
        await client.close()
