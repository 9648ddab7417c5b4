"""The sandbox follows the API where clients check it: n choices, JSON replies, the resolved
model name, hyperparameters resolved once the job starts, integrations and metadata kept."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from openai import AsyncOpenAI

from ftui.job_options import RESERVED_KEYS
from ftui.provider.files import upload_file
from ftui.provider.jobs import TAG_KEY
from ftui.sandbox.server import SandboxServer
from tests.conftest import SAMPLES, sandbox_client
from tests.sandbox.test_flow import FakeClock

ASK = [{"role": "user", "content": "Will it rain in Paris? Answer in JSON."}]


async def test_n_returns_that_many_choices(client: AsyncOpenAI) -> None:
    reply = await client.chat.completions.create(model="gpt-4o-mini", messages=ASK, n=3)
    assert [c.index for c in reply.choices] == [0, 1, 2]
    assert all(c.message.content for c in reply.choices)
    one = await client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    assert reply.usage.completion_tokens == 3 * one.usage.completion_tokens


async def test_n_streams_each_choice_by_its_index(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=ASK, n=2, stream=True)
    texts = {0: "", 1: ""}
    finished = set()
    async for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finished.add(choice.index)
    assert texts[0] and texts[0] == texts[1] and finished == {0, 1}


async def test_n_out_of_range_is_a_400(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="gpt-4o-mini", messages=ASK, n=129)
    assert info.value.body["param"] == "n"


async def test_json_object_replies_are_one_json_object(client: AsyncOpenAI) -> None:
    reply = await client.chat.completions.create(
        model="gpt-4o-mini", messages=ASK, response_format={"type": "json_object"}
    )
    parsed = json.loads(reply.choices[0].message.content)
    assert isinstance(parsed, dict) and parsed["reply"]
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=ASK, response_format={"type": "json_object"}, stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert isinstance(json.loads(text), dict)


async def test_json_object_needs_the_word_json_as_on_the_api(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Will it rain?"}],
            response_format={"type": "json_object"},
        )
    assert "must contain the word 'json'" in info.value.message


async def test_json_schema_fills_each_property(client: AsyncOpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}, "chance": {"type": "number"}, "sure": {"type": "boolean"}},
    }
    reply = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=ASK,
        response_format={"type": "json_schema", "json_schema": {"name": "weather", "schema": schema}},
    )
    parsed = json.loads(reply.choices[0].message.content)
    assert set(parsed) == {"answer", "chance", "sure"} and isinstance(parsed["answer"], str)
    assert parsed["chance"] == 0 and parsed["sure"] is False


async def test_unknown_response_format_is_a_400(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="gpt-4o-mini", messages=ASK, response_format={"type": "xml"})
    assert info.value.body["param"] == "response_format.type"


async def test_every_answer_has_a_request_id(client: AsyncOpenAI) -> None:
    raw = await client.models.with_raw_response.list()
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.request_id == raw.headers["x-request-id"]


async def test_job_model_is_resolved_and_hyperparameters_resolve_once_started(tmp_path: Path) -> None:
    clock = FakeClock()
    server = SandboxServer(tmp_path / "sb", speed=20, clock=clock)
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        job = await client.fine_tuning.jobs.create(
            model="gpt-3.5-turbo",
            training_file=file.id,
            method={"type": "supervised", "supervised": {"hyperparameters": {"batch_size": 2}}},
        )
        assert job.model == "gpt-3.5-turbo-0125"  # the alias, resolved as the API does
        assert job.status == "validating_files"
        hp = job.hyperparameters
        assert (hp.n_epochs, hp.batch_size, hp.learning_rate_multiplier) == ("auto", 2, "auto")
        assert job.method.supervised.hyperparameters.n_epochs == "auto"
        clock.advance(2.0)  # validated, queued, started
        job = await client.fine_tuning.jobs.retrieve(job.id)
        assert job.status == "running"
        hp = job.hyperparameters
        assert (hp.n_epochs, hp.batch_size, hp.learning_rate_multiplier) == (7, 2, 1.8)
        assert job.method.supervised.hyperparameters.n_epochs == 7
        listed = (await client.fine_tuning.jobs.list()).data[0]
        assert listed.model == "gpt-3.5-turbo-0125"
    finally:
        await client.close()
        await server.stop()


async def test_integrations_and_metadata_are_kept(client: AsyncOpenAI) -> None:
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    job = await client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=file.id,
        integrations=[{"type": "wandb", "wandb": {"project": "weather", "tags": ["a", "b"]}}],
        metadata={"team": "nlp"},
    )
    again = await client.fine_tuning.jobs.retrieve(job.id)
    for j in (job, again):
        (integration,) = j.integrations
        assert integration.type == "wandb"
        assert (integration.wandb.project, integration.wandb.tags, integration.wandb.entity) == (
            "weather",
            ["a", "b"],
            None,
        )
        assert j.metadata == {"team": "nlp"}
    found = (await client.fine_tuning.jobs.list(metadata={"team": "nlp"})).data
    assert [j.id for j in found] == [job.id]


@pytest.mark.parametrize(
    ("integrations", "said"),
    [
        ("wandb", "integrations must be an array"),
        ([{"type": "comet"}], "integrations[0].type must be 'wandb'"),
        ([{"type": "wandb", "wandb": {}}], "integrations[0].wandb.project is required"),
        ([{"type": "wandb", "wandb": {"project": "p", "tags": "a"}}], "tags must be an array of strings"),
        ([{"type": "wandb", "wandb": {"project": "p", "tags": ["x" * 65]}}], "at most 64"),
    ],
)
async def test_bad_integrations_are_a_400_naming_them(client: AsyncOpenAI, integrations: object, said: str) -> None:
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    with pytest.raises(openai.BadRequestError) as info:
        await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id, integrations=integrations)
    assert said in info.value.message and info.value.body["param"] == "integrations"


def test_ftui_keeps_one_metadata_key_for_its_own_tag() -> None:
    assert {TAG_KEY} == RESERVED_KEYS
