"""A fixed OpenAI-shaped API on loopback: tests that need exact, unchanging jobs and events
(snapshots) drive ftui through its real provider path (the openai SDK over HTTP) against it.

    api = RecordedApi(jobs=[...], events={"ftjob-1": [...]})   # API-shaped dicts
    url = api.start()        # its own thread and loop; http://127.0.0.1:PORT/v1
    ...
    api.stop()

It serves what ftui reads: the job list (paged with ``after``/``limit``), a job, its events
(newest first, paged like the API), its checkpoints, a file's content, the models list.
Anything else is a 404 in the API's error shape. ``requests`` records each path asked.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from aiohttp import web


def _page(items: list[dict], after: str | None, limit: int) -> dict:
    start = 0
    if after is not None:
        ids = [item["id"] for item in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    data = items[start : start + limit]
    return {
        "object": "list",
        "data": data,
        "has_more": start + limit < len(items),
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


class RecordedApi:
    """Serves fixed jobs, events (oldest first as given), checkpoints, files and models."""

    def __init__(
        self,
        jobs: list[dict],
        events: dict[str, list[dict]] | None = None,
        checkpoints: dict[str, list[dict]] | None = None,
        files: dict[str, str] | None = None,
        models: list[str] | None = None,
    ) -> None:
        self.jobs = jobs
        self.events = events or {}
        self.checkpoints = checkpoints or {}
        self.files = files or {}
        self.models = models or ["gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14"]
        self.requests: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- handlers ---------------------------------------------------------------------------
    def _job(self, request: web.Request) -> dict:
        job_id = request.match_info["job_id"]
        for job in self.jobs:
            if job["id"] == job_id:
                return job
        raise _not_found(f"No fine-tuning job found with id {job_id}.")

    async def _list_jobs(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", 20))
        return web.json_response(_page(self.jobs, request.query.get("after"), limit))

    async def _get_job(self, request: web.Request) -> web.Response:
        return web.json_response(self._job(request))

    async def _events(self, request: web.Request) -> web.Response:
        job = self._job(request)
        newest_first = list(reversed(self.events.get(job["id"], [])))
        limit = int(request.query.get("limit", 20))
        return web.json_response(_page(newest_first, request.query.get("after"), limit))

    async def _checkpoints(self, request: web.Request) -> web.Response:
        job = self._job(request)
        limit = int(request.query.get("limit", 10))
        return web.json_response(_page(self.checkpoints.get(job["id"], []), request.query.get("after"), limit))

    async def _file_content(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            raise _not_found(f"No such File object: {file_id}")
        return web.Response(text=self.files[file_id], content_type="application/octet-stream")

    async def _models(self, request: web.Request) -> web.Response:
        data = [{"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "system"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(request.path)
        return await handler(request)

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/v1/fine_tuning/jobs", self._list_jobs)
        app.router.add_get("/v1/fine_tuning/jobs/{job_id}", self._get_job)
        app.router.add_get("/v1/fine_tuning/jobs/{job_id}/events", self._events)
        app.router.add_get("/v1/fine_tuning/jobs/{job_id}/checkpoints", self._checkpoints)
        app.router.add_get("/v1/files/{file_id}/content", self._file_content)
        app.router.add_get("/v1/models", self._models)
        return app

    # -- life -------------------------------------------------------------------------------
    def start(self) -> str:
        """Listen on a free loopback port (blocks until it does); the base URL with /v1."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._runner = web.AppRunner(self._app(), access_log=None)
                loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                port = self._runner.addresses[0][1]
                self.base_url = f"http://127.0.0.1:{port}/v1"
            except BaseException as exc:  # said to the caller of start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="recorded-api", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self.base_url

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def _not_found(message: str) -> web.HTTPNotFound:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    return web.HTTPNotFound(text=json.dumps(body), content_type="application/json")
