"""Every CLI printer shows server text with control characters escaped, never obeyed."""

from __future__ import annotations

import argparse
import asyncio

import httpx2
import pytest

from ftui.commands import files, jobs, models
from ftui.config import Profile
from ftui.provider.client import Provider
from tests.provider.test_mock_transport import JOB, mock_client

EVIL = "\x1b]52;c;aGk=\x07\x1b[2J\x9b31m"


def _server(req: httpx2.Request) -> httpx2.Response:
    path = req.url.path
    if path.endswith("/models"):
        return httpx2.Response(
            200,
            json={
                "object": "list",
                "data": [{"id": f"ft:gpt-4o-mini:{EVIL}:x", "object": "model", "created": 1, "owned_by": EVIL}],
            },
        )
    if path.endswith("/files"):
        return httpx2.Response(
            200,
            json={
                "object": "list",
                "has_more": False,
                "data": [
                    {
                        "id": "file-1",
                        "object": "file",
                        "bytes": 3,
                        "created_at": 1,
                        "filename": f"a{EVIL}.jsonl",
                        "purpose": "fine-tune",
                        "status": "processed",
                    }
                ],
            },
        )
    if path.endswith("/events"):
        return httpx2.Response(
            200,
            json={
                "object": "list",
                "has_more": False,
                "data": [
                    {
                        "id": "ev1",
                        "object": "fine_tuning.job.event",
                        "created_at": 1,
                        "level": "info",
                        "message": f"hello {EVIL}",
                        "type": "message",
                        "data": {},
                    }
                ],
            },
        )
    if path.endswith("/fine_tuning/jobs"):
        return httpx2.Response(
            200,
            json={
                "object": "list",
                "has_more": False,
                "data": [
                    {
                        **JOB,
                        "status": "failed",
                        "fine_tuned_model": EVIL,
                        "error": {"code": "x", "message": EVIL, "param": None},
                    }
                ],
            },
        )
    if path.endswith("/jobs/ftjob-1"):
        return httpx2.Response(
            200, json={**JOB, "status": "failed", "model": EVIL, "error": {"code": "x", "message": EVIL, "param": None}}
        )
    return httpx2.Response(400, json={"error": {"message": f"bad {EVIL}", "type": "invalid_request_error"}})


@pytest.mark.parametrize(
    ("handler", "extra"),
    [
        (models.models_list, {}),
        (files.files_list, {}),
        (jobs.jobs_list, {"limit": 5}),
        (jobs.jobs_show, {"id": "ftjob-1"}),
        (jobs.jobs_watch, {"id": "ftjob-1", "give_up_after": 5}),
    ],
)
def test_printers_escape_control_characters(handler, extra, capsys) -> None:
    provider = Provider(Profile(name="m", provider="compatible", base_url="http://mock.test/v1"), mock_client(_server))
    args = argparse.Namespace(json=False, **extra)
    asyncio.run(handler(provider, args))
    out = capsys.readouterr()
    text = out.out + out.err
    assert "\\x1b]52" in text  # shown
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in text


def test_error_bodies_are_escaped(capsys) -> None:
    import openai

    from ftui.provider.errors import describe

    client = mock_client(_server)

    async def call() -> None:
        await client.fine_tuning.jobs.cancel("ftjob-9")

    with pytest.raises(openai.BadRequestError) as info:
        asyncio.run(call())
    sentence = describe(info.value, "Cancelling the job")
    assert "\x1b" not in sentence and "\x07" not in sentence and "\\x1b]52" in sentence


@pytest.mark.parametrize(
    ("handler", "extra"),
    [
        (models.models_list, {}),
        (files.files_list, {}),
        (jobs.jobs_list, {"limit": 5}),
        (jobs.jobs_show, {"id": "ftjob-1"}),
        (jobs.jobs_events, {"id": "ftjob-1", "limit": 5}),
        (jobs.jobs_watch, {"id": "ftjob-1", "give_up_after": 5}),
    ],
)
def test_json_output_escapes_control_characters_and_still_parses(handler, extra, capsys) -> None:
    import json

    provider = Provider(Profile(name="m", provider="compatible", base_url="http://mock.test/v1"), mock_client(_server))
    asyncio.run(handler(provider, argparse.Namespace(json=True, **extra)))
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in out
    values = [json.loads(line) for line in out.splitlines()] if handler is jobs.jobs_watch else [json.loads(out)]

    def strings(value: object) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    assert any(EVIL in text for text in strings(values))  # the same text, only escaped
