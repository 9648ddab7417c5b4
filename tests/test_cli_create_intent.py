"""`ftui jobs create` killed (``kill -9``) while its create request is out, then run again: the
intent recorded before sending finds the job the first run made, and nothing is created twice
unless asked (``--again``). Real ftui processes against a fake provider that holds the answer."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ftui import state
from ftui.cli import main
from tests.conftest import SAMPLES

JOKES = str(SAMPLES / "weather_jokes.jsonl")
FTUI = str(Path(sys.executable).with_name("ftui"))


class FakeProvider:
    """Files and fine-tuning jobs over real HTTP; ``hold`` keeps each create's answer back
    (after the job is stored), as a provider does when the client dies mid-request."""

    def __init__(self) -> None:
        self.files: list[dict[str, Any]] = []
        self.jobs: list[dict[str, Any]] = []
        self.creates = 0
        self.hold = False
        self.refuse = False  # answer creates with a 400 (nothing stored)
        self.lose = False  # store the job, then drop the connection without an answer
        self.listed_late = 0  # a new job is left out of this many job lists (as on Azure)
        self._hidden: dict[str, int] = {}
        self._ids = itertools.count(1)
        self.loop = asyncio.new_event_loop()
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/files", self.upload)
        app.router.add_get("/v1/files", self.list_files)
        app.router.add_get("/v1/files/{id}", self.get_file)
        app.router.add_post("/v1/fine_tuning/jobs", self.create)
        app.router.add_get("/v1/fine_tuning/jobs", self.list_jobs)
        app.router.add_get("/v1/fine_tuning/jobs/{id}", self.get_job)
        return app

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        part = form["file"]
        data = part.file.read()  # type: ignore[union-attr]
        file = {
            "id": f"file-{next(self._ids)}",
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": part.filename,  # type: ignore[union-attr]
            "purpose": form.get("purpose", "fine-tune"),
            "status": "processed",
        }
        self.files.append(file)
        return web.json_response(file)

    async def list_files(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": self.files[::-1], "has_more": False})

    async def get_file(self, request: web.Request) -> web.Response:
        found = [f for f in self.files if f["id"] == request.match_info["id"]]
        return web.json_response(found[0]) if found else web.json_response({"error": {"message": "no"}}, status=404)

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.creates += 1
        if self.refuse:
            error = {"message": "model not available for fine-tuning", "type": "invalid_request_error"}
            return web.json_response({"error": error}, status=400)
        job = {
            "id": f"ftjob-{next(self._ids)}",
            "object": "fine_tuning.job",
            "created_at": int(time.time()),
            "model": "gpt-4o-mini-2024-07-18",
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "result_files": [],
            "seed": 42,
            "status": "validating_files",
            "hyperparameters": {"n_epochs": 2, "batch_size": 1, "learning_rate_multiplier": 1.8},
            "organization_id": "org-1",
            "method": body.get("method"),
            "fine_tuned_model": None,
            "finished_at": None,
            "trained_tokens": None,
            "error": None,
            "metadata": body.get("metadata"),
        }
        self.jobs.append(job)
        if self.listed_late:
            self._hidden[job["id"]] = self.listed_late
        if self.lose:
            assert request.transport is not None
            request.transport.close()
        if self.hold:
            await asyncio.sleep(3600)  # the answer never comes: the client is killed meanwhile
        return web.json_response(job)

    async def list_jobs(self, request: web.Request) -> web.Response:
        jobs = [j for j in self.jobs[::-1] if not self._hidden.get(j["id"])]
        self._hidden = {k: n - 1 for k, n in self._hidden.items() if n > 1}
        return web.json_response({"object": "list", "data": jobs, "has_more": False})

    async def get_job(self, request: web.Request) -> web.Response:
        found = [j for j in self.jobs if j["id"] == request.match_info["id"]]
        return web.json_response(found[0]) if found else web.json_response({"error": {"message": "no"}}, status=404)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    fake = FakeProvider()
    started = threading.Event()
    runner = web.AppRunner(fake.app(), shutdown_timeout=0.1)

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        fake.url = f"http://127.0.0.1:{port}/v1"
        started.set()

    thread = threading.Thread(target=lambda: (fake.loop.run_until_complete(start()), fake.loop.run_forever()))
    thread.start()
    assert started.wait(30)
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    profile = f'provider = "compatible"\nbase_url = "{fake.url}"\napi_key_env = "FTUI_TEST_KEY"\n'
    config.write_text(f'[profiles.p]\n{profile}[profiles.q]\n{profile}organization = "org-2"\n')
    monkeypatch.setenv("FTUI_TEST_KEY", "k")
    yield fake
    asyncio.run_coroutine_threadsafe(runner.cleanup(), fake.loop).result(30)
    fake.loop.call_soon_threadsafe(fake.loop.stop)
    thread.join(30)


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


CREATE = ["jobs", "create", "--profile", "p", "--model", "gpt-4o-mini", "--training-file", JOKES, "--epochs", "2"]


def ftui(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FTUI, *CREATE, *extra], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )


def test_kill_9_during_create_then_the_same_command_finds_the_job_and_does_not_pay_twice(
    provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # the in-process runs below have no terminal either
    provider.hold = True
    first = subprocess.Popen(
        [FTUI, *CREATE], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: provider.creates == 1)  # the job exists; its answer is held back
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert first.returncode == -signal.SIGKILL
    provider.hold = False
    job_id = provider.jobs[0]["id"]

    again = ftui()  # the same command, from a script (no terminal)
    assert again.returncode == 2, again.stderr
    assert f"the provider has it: {job_id} (validating_files)" in again.stderr
    assert "Add --again to create another one anyway" in again.stderr and "Nothing was created" in again.stderr
    assert provider.creates == 1 and len(provider.files) == 1  # nothing new: no create, no second upload

    forced = ftui("--again")
    assert forced.returncode == 0, forced.stderr
    assert provider.creates == 2
    second = provider.jobs[1]["id"]
    assert forced.stdout.startswith(f"{second}  ")

    repeat = ftui()  # now the answer arrived: the intent names the job by its recorded id
    assert repeat.returncode == 2 and re.search(r"was created (at|on \S+ at) \d\d:\d\d: ", repeat.stderr)
    assert f": {second} (validating_files)." in repeat.stderr
    assert main([*CREATE, "--epochs", "3"]) == 0  # another intent: created without a question
    assert provider.creates == 3
    assert main([*CREATE[:3], "q", *CREATE[4:]]) == 0  # the same job for another organization: another intent
    assert provider.creates == 4


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "creates"), [("n\n", 1), ("y\n", 2)])
def test_on_a_terminal_a_repeat_is_asked_about(
    provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    creates: int,
) -> None:
    assert main(CREATE) == 0
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    capsys.readouterr()
    assert main(CREATE) == 0
    err = capsys.readouterr().err
    assert re.search(r"was created (at|on \S+ at) \d\d:\d\d: ", err) and provider.jobs[0]["id"] in err
    assert "Create another one (billed again)? [y/N]" in err
    assert provider.creates == creates
    assert ("nothing created" in err) is (creates == 1)


def test_an_intent_older_than_a_day_is_no_longer_a_repeat() -> None:
    now = time.time()
    state.record_intent({"key": "k1", "started": now - 86400 - 5, "training_file": "file-1", "model": "m"})
    state.record_intent({"key": "k1", "started": now - 60, "training_file": "file-1", "model": "m"})
    assert [e["started"] for e in state.recent_intents("k1", now)] == [now - 60]
    assert state.recent_intents("k1", now + 86400) == []
    state.drop_intent("k1", now - 60)  # a refused create made nothing: forgotten
    assert state.recent_intents("k1", now) == []


def test_a_lost_answer_whose_job_is_listed_late_is_found_and_the_wait_is_said(
    provider: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    provider.lose, provider.listed_late = True, 3
    assert main(CREATE) == 0
    out, err = capsys.readouterr()
    assert (
        "The answer was lost (the connection dropped before the answer arrived); looking for the job (up to 30 s)…"
        in err
    )
    assert provider.creates == 1 and out.startswith(f"{provider.jobs[0]['id']}  ")


def test_a_refused_create_is_forgotten_so_the_rerun_is_no_repeat(
    provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # no terminal: a repeat would be refused
    provider.refuse = True
    assert main(CREATE) == 1
    assert "model not available" in capsys.readouterr().err
    provider.refuse = False
    assert main(CREATE) == 0, capsys.readouterr().err
    assert provider.creates == 2 and len(provider.jobs) == 1
