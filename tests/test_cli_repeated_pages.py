"""Every lister stops with one sentence when a server repeats a page or its cursor never advances:
an aiohttp server on loopback that ignores ``after`` (or leads back to its first page), driven
through the real command line and the real SDK."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from ftui.cli import main

JOB = {
    "object": "fine_tuning.job",
    "created_at": 1,
    "model": "gpt-4o-mini-2024-07-18",
    "training_file": "file-t",
    "validation_file": None,
    "result_files": [],
    "seed": 1,
    "status": "succeeded",
    "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 2},
    "organization_id": "org",
    "fine_tuned_model": None,
    "finished_at": 2,
    "trained_tokens": 10,
    "error": None,
}


def item(kind: str, n: int) -> dict:
    """Entry ``n`` of a list of ``kind`` (files, jobs, events, checkpoints)."""
    if kind == "files":
        return {"id": f"file-{n}", "object": "file", "bytes": 1, "created_at": 1, "filename": "a.jsonl",
                "purpose": "fine-tune", "status": "processed"}  # fmt: skip
    if kind == "jobs":
        return {**JOB, "id": f"ftjob-{n}"}
    if kind == "events":
        return {"id": f"ftevent-{n}", "object": "fine_tuning.job.event", "created_at": 1, "level": "info",
                "message": f"event {n}", "type": "message", "data": {}}  # fmt: skip
    return {"id": f"ftckpt-{n}", "object": "fine_tuning.job.checkpoint", "created_at": 1,
            "fine_tuned_model_checkpoint": f"ft:gpt-4o-mini-2024-07-18:o::x:ckpt-step-{n}",
            "fine_tuning_job_id": "ftjob-1", "step_number": n, "metrics": {}}  # fmt: skip


@pytest.fixture(params=["same", "cycle"])
def looping_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server on loopback whose every list says ``has_more`` and never ends."""
    mode = request.param
    ready = threading.Event()
    state: dict = {}

    def cursor_name(kind: str) -> str:
        return {"files": "file", "jobs": "ftjob", "events": "ftevent", "checkpoints": "ftckpt"}[kind]

    def answer(kind: str):
        async def handle(req: web.Request) -> web.Response:
            after = req.query.get("after")
            second = mode == "cycle" and after == f"{cursor_name(kind)}-1"
            numbers = (3, 4) if second else (0, 1)
            return web.json_response({"object": "list", "data": [item(kind, n) for n in numbers], "has_more": True})

        return handle

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/v1/files", answer("files"))
        app.router.add_get("/v1/fine_tuning/jobs", answer("jobs"))
        app.router.add_get("/v1/fine_tuning/jobs/{id}/events", answer("events"))
        app.router.add_get("/v1/fine_tuning/jobs/{id}/checkpoints", answer("checkpoints"))
        app.router.add_get("/v1/models", models)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        state["stop"] = asyncio.Event()
        ready.set()
        await state["stop"].wait()
        await runner.cleanup()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"http://127.0.0.1:{state['port']}/v1"
    loop.call_soon_threadsafe(state["stop"].set)
    thread.join(10)


@pytest.mark.parametrize(
    ("command", "what"),
    [
        (["jobs", "list", "--limit", "0"], "Listing jobs stopped after "),
        (["files", "list"], "Listing files stopped after "),
        (["jobs", "events", "ftjob-1", "--limit", "0"], "Listing the events of ftjob-1 stopped after "),
        (["jobs", "checkpoints", "ftjob-1"], "Listing the checkpoints of ftjob-1 stopped after "),
        (["models", "list", "--fine-tuned"], "Listing jobs stopped after "),
        (["files", "delete", "file-0", "--yes"], "Listing jobs stopped after "),
    ],
)
def test_a_server_that_repeats_pages_gets_one_sentence_and_exit_3(
    looping_server: str, command: list[str], what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*command, "--base-url", looping_server])
    err = capsys.readouterr().err
    assert code == 3, err
    assert what in err and "ftui stops rather than loop" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_limit_ends_the_list_before_the_server_repeats(looping_server: str, capsys) -> None:
    """--limit N reads only the newest N: the repeat is never reached, so the list is fine."""
    code = main(["jobs", "list", "--limit", "2", "--base-url", looping_server])
    out = capsys.readouterr().out
    assert code == 0 and out.count("ftjob-") == 2
