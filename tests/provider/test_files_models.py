"""Files and models housekeeping with the real openai SDK against the sandbox over loopback:
every page of files, atomic downloads, deletes, duplicates by content, the jobs that use a file,
fine-tuned models and checkpoints with their job, base model and shutdown date."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import openai
import pytest
from openai import AsyncOpenAI

from ftui import state
from ftui.data.catalog import load_catalog
from ftui.provider.events import EventStream
from ftui.provider.files import (
    delete_file,
    download_file,
    duplicates,
    file_sha256,
    find_duplicate,
    jobs_using,
    list_files,
    upload_file,
)
from ftui.provider.jobs import JobRequest, create_job
from ftui.provider.models import build_models, delete_model, list_fine_tuned_models
from ftui.sandbox.embedded import EmbeddedSandbox, start_in_thread
from tests.conftest import SAMPLES, sandbox_client


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[EmbeddedSandbox]:
    sb = start_in_thread(tmp_path / "sandbox", speed=400)
    yield sb
    sb.stop()


@pytest.fixture
async def client(sandbox: EmbeddedSandbox) -> AsyncIterator[AsyncOpenAI]:
    c = sandbox_client(sandbox, max_retries=0)
    yield c
    await c.close()


async def test_list_files_walks_every_page(client: AsyncOpenAI) -> None:
    ids = [(await client.files.create(file=(f"f{i}.jsonl", b"{}\n"), purpose="fine-tune")).id for i in range(7)]
    files = await list_files(client, page_size=3)  # three pages
    assert [f.id for f in files] == ids[::-1]  # newest first, each once
    page = await client.files.list(limit=3)
    assert page.has_more
    raw = page.model_dump()
    assert raw["first_id"] == ids[-1] and raw["last_id"] == ids[-3]  # as the API sends them
    assert [f.id for f in await list_files(client, purpose="assistants")] == []


async def test_download_is_the_uploaded_content_written_atomically(client: AsyncOpenAI, tmp_path: Path) -> None:
    sample = SAMPLES / "weather_jokes.jsonl"
    file = await upload_file(client, sample)
    dest = tmp_path / "copy.jsonl"
    dest.write_text("old content\n")
    assert await download_file(client, file.id, dest) == sample.stat().st_size
    assert dest.read_bytes() == sample.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name != "sandbox"] == ["copy.jsonl"]  # no temp left
    with pytest.raises(FileNotFoundError, match="does not exist"):
        await download_file(client, file.id, tmp_path / "missing-folder" / "x.jsonl")
    assert not (tmp_path / "missing-folder").exists()  # never made for the user


async def test_delete_file_then_it_is_gone(client: AsyncOpenAI) -> None:
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    assert await delete_file(client, file.id) is True
    assert file.id not in [f.id for f in await list_files(client)]
    with pytest.raises(openai.NotFoundError):
        await delete_file(client, file.id)


async def test_a_duplicate_upload_is_found_by_size_and_sha256(client: AsyncOpenAI, tmp_path: Path) -> None:
    sample = SAMPLES / "weather_jokes.jsonl"
    first = await upload_file(client, sample)
    state.remember_upload(first.id, file_sha256(sample), sample.stat().st_size, sample)
    copy = tmp_path / "renamed.jsonl"
    copy.write_bytes(sample.read_bytes())
    files = await list_files(client)
    assert find_duplicate(copy, files, state.uploaded_files()).id == first.id  # same content, other name
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(sample.read_bytes().replace(b"sunny", b"rainy"))  # same size, other bytes
    assert changed.stat().st_size == sample.stat().st_size
    assert find_duplicate(changed, files, state.uploaded_files()) is None
    # a second copy uploaded anyway is marked as a duplicate of the first
    second = await upload_file(client, copy)
    state.remember_upload(second.id, file_sha256(copy), copy.stat().st_size, copy)
    assert duplicates(await list_files(client), state.uploaded_files()) == {second.id: first.id}
    assert state.uploaded_path(first.id) == sample.resolve()
    state.forget_upload(second.id)
    assert second.id not in state.uploaded_files()


async def test_jobs_using_a_file_as_training_and_validation(client: AsyncOpenAI) -> None:
    train = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    valid = await upload_file(client, SAMPLES / "tool_calls.jsonl")
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=train.id, validation_file=valid.id))
    jobs = [j async for j in client.fine_tuning.jobs.list()]
    uses = jobs_using(train.id, jobs)
    assert [(u.job_id, u.role) for u in uses] == [(job.id, "training")]
    assert [(u.job_id, u.role) for u in jobs_using(valid.id, jobs)] == [(job.id, "validation")]
    assert uses[0].active  # the job has not ended: it still needs the file
    assert jobs_using("file-other", jobs) == []


async def test_fine_tuned_models_and_checkpoints_with_job_base_and_shutdown(client: AsyncOpenAI) -> None:
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id, suffix="w"))
    async for _ in EventStream(client, job.id, min_interval=0.05, running_interval=0.1):
        pass
    job = await client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded" and job.fine_tuned_model
    models = await list_fine_tuned_models(client)
    by_id = {m.id: m for m in models}
    final = by_id[job.fine_tuned_model]
    assert final.job_id == job.id and final.base_model == "gpt-4o-mini-2024-07-18" and not final.checkpoint
    ckpts = [m for m in models if m.checkpoint]
    assert len(ckpts) == 3 and all(m.job_id == job.id for m in ckpts)
    assert all(m.id.startswith(job.fine_tuned_model + ":ckpt-step-") for m in ckpts)
    assert not any(m.id == "gpt-4o-mini" for m in models)  # base models are not housekeeping
    assert await delete_model(client, job.fine_tuned_model) is True
    assert job.fine_tuned_model not in {m.id for m in await list_fine_tuned_models(client)}
    with pytest.raises(openai.PermissionDeniedError):
        await delete_model(client, "gpt-4o-mini")  # base models cannot be deleted


def test_shutdown_date_comes_from_the_catalogue_when_the_server_sends_none() -> None:
    from types import SimpleNamespace as NS

    catalog = load_catalog()
    dated = next(name for name, info in catalog.models.items() if info.shutdown_date)
    model = NS(id=f"ft:{dated}:org::abc123", created=5, owned_by="user", shutdown_date=None)
    sent = NS(id=f"ft:{dated}:org::def456", created=6, owned_by="user", shutdown_date="2030-01-01")
    job = NS(id="ftjob-1", model=dated, fine_tuned_model=model.id, status="succeeded")
    ckpt = NS(fine_tuned_model_checkpoint=model.id + ":ckpt-step-8", fine_tuning_job_id="ftjob-1", created_at=4)
    out = build_models([model, sent, NS(id="gpt-4o", created=1, owned_by="system")], [job], [ckpt], catalog)
    assert [m.id for m in out] == [sent.id, model.id, ckpt.fine_tuned_model_checkpoint]  # newest first
    by_id = {m.id: m for m in out}
    assert by_id[model.id].shutdown_date == catalog.models[dated].shutdown_date
    assert by_id[model.id].shutdown_from_catalog and by_id[model.id].job_id == "ftjob-1"
    assert by_id[sent.id].shutdown_date == "2030-01-01" and not by_id[sent.id].shutdown_from_catalog
    assert by_id[sent.id].job_id is None and by_id[sent.id].base_model == dated
    step = by_id[ckpt.fine_tuned_model_checkpoint]
    assert step.checkpoint and step.step == 8 and step.job_id == "ftjob-1" and step.created == 4


async def test_a_file_name_with_an_escape_is_refused_with_400_not_500(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="malformed"):
        await client.files.create(file=("a\x1bb.jsonl", b"{}\n"), purpose="fine-tune")
    assert await list_files(client) == []
