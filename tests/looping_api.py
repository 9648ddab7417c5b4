"""An OpenAI-shaped server on loopback whose every list says ``has_more`` and never ends:
``same`` answers the first page whatever ``after`` says; ``cycle`` answers a second page after
the first, then the first again. For the tests of the repeated-page guard (CLI and TUI)."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web

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
PREFIX = {"files": "file", "jobs": "ftjob", "events": "ftevent", "checkpoints": "ftckpt"}


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


class LoopingApi:
    """``url = LoopingApi("same").start()`` ... ``stop()``; ``requests`` counts the list calls."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def _answer(self, kind: str):
        async def handle(req: web.Request) -> web.Response:
            self.requests += 1
            second = self.mode == "cycle" and req.query.get("after") == f"{PREFIX[kind]}-1"
            numbers = (3, 4) if second else (0, 1)
            return web.json_response({"object": "list", "data": [item(kind, n) for n in numbers], "has_more": True})

        return handle

    async def _serve(self, ready: threading.Event) -> None:
        async def models(_: web.Request) -> web.Response:
            return web.json_response({"object": "list", "data": []})

        app = web.Application()
        app.router.add_get("/v1/files", self._answer("files"))
        app.router.add_get("/v1/fine_tuning/jobs", self._answer("jobs"))
        app.router.add_get("/v1/fine_tuning/jobs/{id}/events", self._answer("events"))
        app.router.add_get("/v1/fine_tuning/jobs/{id}/checkpoints", self._answer("checkpoints"))
        app.router.add_get("/v1/models", models)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._stop = asyncio.Event()
        ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def start(self) -> str:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(ready),), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the looping API did not start")
        return self.base_url

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
