"""The sandbox cannot be broken by bad input or broken state (real HTTP over loopback)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI

from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job
from ftui.sandbox.server import SandboxServer
from ftui.sandbox.store import Store
from tests.conftest import ROOT, SAMPLES, sandbox_client
from tests.sandbox.conftest import Clock

FILE = "@FILE@"  # replaced by an uploaded training file's id


async def post_raw(
    sb: Any, path: str, body: str | bytes | aiohttp.FormData, *, via: str | None = None, **headers: str
) -> tuple[int, dict]:
    """POST ``body`` (text and bytes as JSON, a form as multipart) with the sandbox's key
    (``headers`` replace or add; ``via``: another base URL)."""
    kind = {} if isinstance(body, aiohttp.FormData) else {"Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            (via or sb.base_url).removesuffix("/v1") + path,
            data=body.encode() if isinstance(body, str) else body,
            headers={**kind, "Authorization": f"Bearer {sb.api_key}", **headers},
        ) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


async def get_raw(sb: Any, path: str, *, via: str | None = None, **headers: str) -> tuple[int, dict]:
    """GET with the sandbox's key (``headers`` replace or add; ``via``: another base URL)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            (via or sb.base_url).removesuffix("/v1") + path,
            headers={"Authorization": f"Bearer {sb.api_key}", **headers},
        ) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


def assert_openai_error(status: int, body: dict, expected: int = 400) -> dict:
    assert status == expected, body
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert isinstance(err["message"], str) and err["message"]
    assert err["type"] == "invalid_request_error"
    return err


JOB = '{"model": "gpt-4o-mini", "training_file": "@FILE@", %s}'
CHAT = '{"model": "gpt-4o-mini", %s}'
CHAT_MSG = '"messages": [{"role": "user", "content": "hi"}]'

BAD_BODIES = [
    # fine-tuning jobs
    ("/v1/fine_tuning/jobs", JOB % '"method": "dpo"'),
    ("/v1/fine_tuning/jobs", JOB % '"method": {"type": 5}'),
    ("/v1/fine_tuning/jobs", JOB % '"method": {"type": "supervised", "supervised": 5}'),
    ("/v1/fine_tuning/jobs", JOB % '"method": {"type": "supervised", "supervised": {"hyperparameters": "x"}}'),
    ("/v1/fine_tuning/jobs", JOB % '"hyperparameters": []'),
    ("/v1/fine_tuning/jobs", JOB % '"hyperparameters": [1]'),
    ("/v1/fine_tuning/jobs", JOB % '"hyperparameters": "ab"'),
    ("/v1/fine_tuning/jobs", JOB % '"hyperparameters": {"n_epochs": "many"}'),
    ("/v1/fine_tuning/jobs", JOB % '"hyperparameters": {"batch_size": true}'),
    ("/v1/fine_tuning/jobs", JOB % '"metadata": "x"'),
    ("/v1/fine_tuning/jobs", JOB % '"metadata": {"k": 5}'),
    ("/v1/fine_tuning/jobs", JOB % '"suffix": 5'),
    ("/v1/fine_tuning/jobs", JOB % '"suffix": "no spaces please"'),
    ("/v1/fine_tuning/jobs", JOB % '"seed": true'),
    ("/v1/fine_tuning/jobs", JOB % '"seed": "7"'),
    ("/v1/fine_tuning/jobs", JOB % '"validation_file": 7'),
    ("/v1/fine_tuning/jobs", JOB % '"integrations": 5'),
    ("/v1/fine_tuning/jobs", '{"model": 5, "training_file": "@FILE@"}'),
    ("/v1/fine_tuning/jobs", '{"model": "gpt-4o-mini", "training_file": 7}'),
    ("/v1/fine_tuning/jobs", "[1, 2]"),
    ("/v1/fine_tuning/jobs", "{"),
    ("/v1/fine_tuning/jobs", "[" * 100_000 + "]" * 100_000),
    # chat
    ("/v1/chat/completions", CHAT % '"messages": [1, 2]'),
    ("/v1/chat/completions", CHAT % '"messages": "hi"'),
    ("/v1/chat/completions", CHAT % '"messages": [{"role": "user", "content": 5}]'),
    ("/v1/chat/completions", CHAT % '"messages": [{"role": 5, "content": "x"}]'),
    ("/v1/chat/completions", CHAT % '"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]'),
    ("/v1/chat/completions", '{"model": 5, ' + CHAT_MSG + "}"),
    ("/v1/chat/completions", CHAT % (CHAT_MSG + ', "stream": "yes"')),
    ("/v1/chat/completions", CHAT % (CHAT_MSG + ', "stream": true, "stream_options": 5')),
    ("/v1/chat/completions", CHAT % (CHAT_MSG + ', "max_tokens": "x"')),
    ("/v1/chat/completions", CHAT % (CHAT_MSG + ', "temperature": "hot"')),
    ("/v1/chat/completions", CHAT % (CHAT_MSG + ', "temperature": NaN')),
    # uploads
    ("/v1/uploads", '{"filename": 5, "purpose": "fine-tune", "bytes": 10, "mime_type": "text/jsonl"}'),
    ("/v1/uploads", '{"filename": "a", "purpose": [], "bytes": 10, "mime_type": "text/jsonl"}'),
    ("/v1/uploads", '{"filename": "a", "purpose": "fine-tune", "bytes": true, "mime_type": "text/jsonl"}'),
    ("/v1/uploads", '{"filename": "a", "purpose": "fine-tune", "bytes": 10, "mime_type": {}}'),
]


@pytest.fixture
async def training_file(client: AsyncOpenAI) -> str:
    return (await upload_file(client, SAMPLES / "weather_jokes.jsonl")).id


@pytest.mark.parametrize(("path", "body"), BAD_BODIES, ids=lambda v: v[:60] if isinstance(v, str) else v)
async def test_wrong_types_get_400_never_500(sandbox, training_file: str, path: str, body: str) -> None:
    status, answer = await post_raw(sandbox, path, body.replace(FILE, training_file))
    assert_openai_error(status, answer)


@pytest.mark.parametrize(
    "query",
    ["/v1/fine_tuning/jobs?limit=abc", "/v1/fine_tuning/jobs?limit=0", "/v1/files?limit=1e3", "/v1/files?limit=abc"],
)
async def test_bad_query_values_get_400(sandbox, query: str) -> None:
    assert_openai_error(*await get_raw(sandbox, query))


async def test_bad_part_ids_get_400(sandbox, client: AsyncOpenAI) -> None:
    upload = await client.uploads.create(bytes=10, filename="a.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    status, body = await post_raw(sandbox, f"/v1/uploads/{upload.id}/complete", '{"part_ids": [[1]]}')
    assert_openai_error(status, body)


@pytest.mark.parametrize(
    ("hp", "name"),
    [
        ('{"learning_rate_multiplier": NaN}', "learning_rate_multiplier"),
        ('{"learning_rate_multiplier": Infinity}', "learning_rate_multiplier"),
        ('{"n_epochs": Infinity}', "n_epochs"),
        ('{"batch_size": -Infinity}', "batch_size"),
        ('{"n_epochs": 2.5}', "n_epochs"),
        ('{"n_epochs": 99}', "n_epochs"),
        ('{"batch_size": 1e400}', "batch_size"),
    ],
)
async def test_nan_and_infinite_hyperparameters_are_refused(sandbox, training_file: str, hp: str, name: str) -> None:
    method = f'"method": {{"type": "supervised", "supervised": {{"hyperparameters": {hp}}}}}'
    body = JOB.replace("@FILE@", training_file) % method
    err = assert_openai_error(*await post_raw(sandbox, "/v1/fine_tuning/jobs", body))
    assert (err["param"], err["code"]) == (name, "invalid_hyperparameters")


async def test_dpo_beta_nan_is_refused(sandbox, training_file: str) -> None:
    body = JOB.replace("@FILE@", training_file) % '"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": NaN}}}'
    err = assert_openai_error(*await post_raw(sandbox, "/v1/fine_tuning/jobs", body))
    assert (err["param"], err["code"]) == ("beta", "invalid_hyperparameters")


# -- Host and Origin ---------------------------------------------------------------------------
async def test_foreign_host_and_web_page_origin_are_refused(sandbox, client: AsyncOpenAI) -> None:
    port = sandbox.base_url.split(":")[2].split("/")[0]
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", "127.0.0.1"):
        err = assert_openai_error(*await get_raw(sandbox, "/v1/models", Host=host), expected=403)
        assert err["code"] == "forbidden_host"
    for origin in ("http://evil.example", f"http://127.0.0.1:{port}", "https://example.com", "null", ""):
        err = assert_openai_error(*await get_raw(sandbox, "/v1/models", Origin=origin), expected=403)
        assert err["code"] == "forbidden_origin"
    status, body = await post_raw(sandbox, "/v1/chat/completions", CHAT % CHAT_MSG, Origin="http://evil.example")
    assert_openai_error(status, body, expected=403)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        status, _ = await get_raw(sandbox, "/v1/models", Host=host)
        assert status == 200
    assert (await client.models.list()).data  # the SDK (Host 127.0.0.1:PORT) still works


def _form(filename: str, content: bytes, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("file", content, filename=filename, content_type="application/octet-stream")
    return form


async def test_a_page_with_origin_null_or_a_simple_body_type_cannot_upload_or_create(sandbox, client) -> None:
    """What a web page can send without a CORS preflight (a sandboxed frame says ``Origin: null``;
    text/plain and form bodies need no preflight) is refused, and nothing is stored."""
    training = (SAMPLES / "weather_jokes.jsonl").read_bytes()
    job = '{"model": "gpt-4o-mini", "training_file": "%s"}'
    upload = _form("x.jsonl", training, purpose="fine-tune")
    status, body = await post_raw(sandbox, "/v1/files", upload, Origin="null")
    assert assert_openai_error(status, body, 403)["code"] == "forbidden_origin"
    file_id = (await upload_file(client, SAMPLES / "weather_jokes.jsonl")).id  # the real client still can
    status, body = await post_raw(sandbox, "/v1/fine_tuning/jobs", job % file_id, Origin="null")
    assert assert_openai_error(status, body, 403)["code"] == "forbidden_origin"
    for ctype in ("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"):
        status, body = await post_raw(sandbox, "/v1/fine_tuning/jobs", job % file_id, **{"Content-Type": ctype})
        assert assert_openai_error(status, body, 415)["code"] == "unsupported_media_type"
        status, body = await post_raw(sandbox, "/v1/chat/completions", CHAT % CHAT_MSG, **{"Content-Type": ctype})
        assert status == 415, body
    status, body = await post_raw(sandbox, "/v1/files", training, **{"Content-Type": "text/plain"})
    assert assert_openai_error(status, body, 415)["code"] == "unsupported_media_type"
    status, body = await post_raw(sandbox, "/v1/fine_tuning/jobs", _form("x", b"{}"))  # a form to a JSON route
    assert status == 415, body
    status, body = await post_raw(sandbox, "/v1/files", _form("ok.jsonl", training, purpose="fine-tune"))
    assert status == 200, body  # the same form, from no page, to the upload route: stored
    assert (await client.fine_tuning.jobs.list()).data == []
    assert len((await client.files.list()).data) == 2  # the client's upload and the last form


async def test_every_request_needs_the_sandbox_key(sandbox, client: AsyncOpenAI) -> None:
    assert sandbox.api_key.startswith("sk-sandbox-") and len(sandbox.api_key) > 40
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer sandbox"}, {"Authorization": "Bearer x"}):
        status, body = await get_raw(sandbox, "/v1/files", **headers)
        assert assert_openai_error(status, body, 401)["code"] == "invalid_api_key"
        assert sandbox.api_key not in json.dumps(body)
        status, body = await get_raw(sandbox, "/v1/fine_tuning/jobs", **headers)
        assert status == 401
    status, _ = await get_raw(sandbox, "/v1/files", Authorization="", **{"api-key": sandbox.api_key})
    assert status == 200  # Azure's header carries it too
    status, _ = await get_raw(sandbox, "/v1/files", Authorization=f"bearer {sandbox.api_key}")
    assert status == 200


async def test_the_key_is_random_per_start_and_shared_through_a_private_file(tmp_path: Path) -> None:
    """A second sandbox on the same data dir (the TUI's beside a command's) finds the first one's
    key in the 0600 file; once none runs, the next start makes a fresh key."""
    from ftui.sandbox.key import key_path, read_key

    data = tmp_path / "s"
    first = SandboxServer(data)
    await first.start()
    second = SandboxServer(data)
    try:
        path = key_path(data)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(data.stat().st_mode) == 0o700
        assert read_key(data) == first.api_key
        await second.start()
        assert second.api_key == first.api_key
        assert (await get_raw(second, "/v1/models"))[0] == 200
    finally:
        await first.stop()
        await second.stop()
    third = SandboxServer(data)
    await third.start()
    try:
        assert third.api_key != first.api_key  # none was running: a fresh key
        assert read_key(data) == third.api_key
        assert (await get_raw(first, "/v1/models", via=third.base_url))[0] == 401  # the old key is dead
    finally:
        await third.stop()


async def test_the_key_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_KEY", "my-own-sandbox-key")
    server = SandboxServer(tmp_path / "s")
    await server.start()
    try:
        assert server.api_key == "my-own-sandbox-key"
        assert (await get_raw(server, "/v1/models"))[0] == 200
    finally:
        await server.stop()


async def test_a_non_loopback_bind_needs_a_key_or_insecure(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not loopback"):
        SandboxServer(tmp_path / "a", host="0.0.0.0")
    server = SandboxServer(tmp_path / "b", host="0.0.0.0", insecure=True)
    await server.start()
    try:
        status, _ = await get_raw(
            server, "/v1/models", via=f"http://127.0.0.1:{server.port}/v1", Host=f"my-box.lan:{server.port}"
        )
        assert status == 200  # every interface: any name for it (--insecure or a key was asked for)
    finally:
        await server.stop()
    server = SandboxServer(tmp_path / "c", host="127.0.0.2")
    await server.start()
    try:
        status, _ = await get_raw(server, "/v1/models", Host=f"127.0.0.2:{server.port}")
        assert status == 200  # the bound address is accepted too
        status, _ = await get_raw(server, "/v1/models", Host=f"example.com:{server.port}")
        assert status == 403
    finally:
        await server.stop()


# -- broken state ------------------------------------------------------------------------------
@pytest.mark.parametrize("speed", [float("inf"), 0.0, -3.0, "fast", 1e308])
async def test_a_row_with_a_bad_speed_never_breaks_the_api(tmp_path: Path, speed: object) -> None:
    data = tmp_path / "s"
    server = SandboxServer(data, speed=1)
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        good = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        bad = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id, suffix="bad"))
        with sqlite3.connect(data / "sandbox.sqlite3") as db:  # as if an older version had written it
            db.execute("UPDATE jobs SET speed=? WHERE id=?", (speed, bad.id))
        listed = (await client.fine_tuning.jobs.list()).data
        assert {j.id for j in listed} == {good.id, bad.id}
        job = await client.fine_tuning.jobs.retrieve(bad.id)
        assert job.status in ("validating_files", "queued", "running", "succeeded", "failed")
        await client.fine_tuning.jobs.list_events(bad.id)
        models = [m.id for m in (await client.models.list()).data]
        assert "gpt-4o-mini-2024-07-18" in models
        reply = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
        assert reply.choices[0].message.content
        if job.fine_tuned_model:
            await client.chat.completions.create(
                model=job.fine_tuned_model, messages=[{"role": "user", "content": "Snow in Denver?"}]
            )
    finally:
        await client.close()
        await server.stop()


async def test_a_row_the_sandbox_cannot_read_shows_as_a_failed_job(tmp_path: Path) -> None:
    data = tmp_path / "s"
    server = SandboxServer(data, speed=1)
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        with sqlite3.connect(data / "sandbox.sqlite3") as db:
            db.execute("UPDATE jobs SET plan='{not json' WHERE id=?", (job.id,))
        shown = await client.fine_tuning.jobs.retrieve(job.id)
        assert shown.status == "failed" and shown.error.code == "sandbox_state_damaged"
        assert [j.id for j in (await client.fine_tuning.jobs.list()).data] == [job.id]
        assert (await client.models.list()).data
    finally:
        await client.close()
        await server.stop()


def test_speed_must_be_in_the_range_that_works(tmp_path: Path) -> None:
    for speed in (float("inf"), float("nan"), 0, -1, 1e-300, 5e-324, 1e300):
        with pytest.raises(ValueError, match=r"a number from 0\.001 to 1000000"):
            SandboxServer(tmp_path / "s", speed=speed)


# -- control actions -------------------------------------------------------------------------
class TickingClock(Clock):
    """Moves ``tick`` seconds on every read while ticking (so two reads never agree)."""

    def __init__(self) -> None:
        super().__init__()
        self.tick = 0.0

    def __call__(self) -> float:
        self.offset += self.tick
        return super().__call__()


async def test_nothing_happens_after_cancel(tmp_path: Path) -> None:
    clock = TickingClock()
    server = SandboxServer(tmp_path / "s", speed=1, clock=clock)
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        clock.advance(30)  # step 24 of 98
        assert (await client.fine_tuning.jobs.retrieve(job.id)).status == "running"
        clock.tick = 5.0  # every read of the clock moves the job 5 steps on
        cancelled = await client.fine_tuning.jobs.cancel(job.id)
        clock.tick = 0.0
        assert cancelled.status == "cancelled"
        clock.advance(100_000)  # far past the end
        events = [e async for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]  # newest first
        assert events[0].message == "Fine-tuning job cancelled", [e.message for e in events[:5]]
        assert not any("New fine-tuned model" in e.message or "completed" in e.message for e in events)
        assert (await client.fine_tuning.jobs.retrieve(job.id)).status == "cancelled"
        assert not (await client.fine_tuning.jobs.checkpoints.list(job.id)).data
    finally:
        await client.close()
        await server.stop()


def test_control_reads_the_status_inside_its_write_transaction(tmp_path: Path) -> None:
    """Two processes cancel at once: the second sees the first's cancel, never a stale 'running'."""
    data = tmp_path / "s"
    other = Store(data)
    fired: list[str] = []

    def clock() -> float:
        # Another process acts whenever this one reads the clock outside a transaction: with the
        # status read outside the write lock, that is exactly the window a race needs.
        if armed and not fired and not store.db.in_transaction:
            fired.append("other")
            other.control(job_id, "cancel")
        return time.time()

    armed = False
    store = Store(data, clock=clock)
    from tests.sandbox.test_embedded import add_jobs

    (job_id,) = add_jobs(data, 1, age=10)
    armed = True
    job, problem = store.control(job_id, "cancel")
    armed = False
    if problem is None:  # this one won: the other must not have cancelled as well
        assert fired == []
        assert other.control(job_id, "cancel")[1] == f"Job {job_id} has already been cancelled."
    events, _ = store.events(job_id, None, 1000)
    assert [e["message"] for e in events].count("Fine-tuning job cancelled") == 1
    assert job is not None and job["status"] == "cancelled"
    store.close()
    other.close()


# -- files left behind, and permissions --------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def test_leftovers_of_a_killed_upload_are_removed_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "s"
    script = f"""
import asyncio, os, sys
sys.path.insert(0, {str(ROOT)!r})
from ftui.config import Settings, SandboxSettings
from ftui.connect import open_provider

async def main():
    p = await open_provider(settings=Settings(sandbox=SandboxSettings(data_dir={str(data)!r})))
    c = p.client
    up = await c.uploads.create(bytes=20, filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    await c.uploads.parts.create(up.id, data=b"0123456789")
    print(up.id, os.getpid(), flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        upload_id, pid = proc.stdout.readline().split()
    finally:
        proc.kill()
        proc.wait()
    files = data / "files"
    parts = list(files.glob("part_*"))
    assert len(parts) == 1
    # what else a killed process leaves: temp files of an upload in flight, a file without its row
    for name in (f"incoming-{pid}-abc.tmp", "incoming-oldformat.tmp", f"assemble-{_dead_pid()}-x.tmp", "file-orphan"):
        (files / name).write_bytes(b"partial")
    alive = files / f"incoming-{os.getpid()}-live.tmp"  # this process is alive: its upload goes on
    alive.write_bytes(b"in flight")

    server = SandboxServer(data, speed=100)
    await server.start()
    client = sandbox_client(server)
    try:
        assert sorted(p.name for p in files.iterdir()) == [alive.name]
        assert server.store.get_upload(upload_id)["status"] == "cancelled"
    finally:
        await client.close()
        await server.stop()


async def test_data_is_private_to_the_user(tmp_path: Path) -> None:
    from ftui.sandbox.embedded import start_in_thread

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    data = tmp_path / "s"
    old = os.umask(0o022)
    sandbox = start_in_thread(data, speed=500)
    client = sandbox_client(sandbox)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        await upload_file(client, SAMPLES / "tool_calls.jsonl", threshold=1000, part_size=2048)  # in parts
        job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        while (job := await client.fine_tuning.jobs.retrieve(job.id)).status not in ("succeeded", "failed"):
            await asyncio.sleep(0.05)
        assert job.result_files
        assert mode(data) == 0o700 and mode(data / "files") == 0o700
        for name in ("sandbox.sqlite3", "sandbox.sqlite3-wal", "sandbox.sqlite3-shm", "sandbox.log", "sandbox.key"):
            assert mode(data / name) == 0o600, name
        stored = list((data / "files").iterdir())
        assert len(stored) >= 3  # two uploads and a results file
        assert {p.name: mode(p) for p in stored} == {p.name: 0o600 for p in stored}
    finally:
        os.umask(old)
        await client.close()
        sandbox.stop()


async def test_an_older_database_is_brought_up_to_date(tmp_path: Path) -> None:
    data = tmp_path / "s"
    data.mkdir()
    old_schema = (
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, created_real REAL NOT NULL, speed REAL NOT NULL, plan TEXT NOT NULL,"
        " static TEXT NOT NULL, paused_at REAL, paused_total REAL NOT NULL DEFAULT 0, cancelled_t REAL,"
        " emitted_t REAL NOT NULL DEFAULT -1, finished_at INTEGER, result_file TEXT);"
        "CREATE TABLE uploads (id TEXT PRIMARY KEY, filename TEXT NOT NULL, purpose TEXT NOT NULL,"
        " bytes INTEGER NOT NULL, mime_type TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
        " status TEXT NOT NULL, file_id TEXT);"
    )
    with sqlite3.connect(data / "sandbox.sqlite3") as db:
        db.executescript(old_schema)
        plan = {
            "job_id": "ftjob-old",
            "training_file": "file-x",
            "validation_file": None,
            "fine_tuned_model": "ft:gpt-4o-mini-2024-07-18:sandbox::old",
            "seed": 1,
            "n_examples": 14,
            "batch_size": 1,
            "epochs": 1,
            "invalid_reason": None,
        }
        static = {"id": "ftjob-old", "object": "fine_tuning.job", "metadata": {"team": "a"}}
        static["hyperparameters_requested"] = {}
        db.execute(
            "INSERT INTO jobs (id, created_real, speed, plan, static) VALUES (?,?,?,?,?)",
            ("ftjob-old", time.time() - 1000, 1.0, json.dumps(plan), json.dumps(static)),
        )
    server = SandboxServer(data)
    await server.start()
    client = sandbox_client(server)
    try:
        jobs = (await client.fine_tuning.jobs.list(metadata={"team": "a"})).data
        assert [j.id for j in jobs] == ["ftjob-old"] and jobs[0].status == "succeeded"
        assert "ft:gpt-4o-mini-2024-07-18:sandbox::old" in [m.id for m in (await client.models.list()).data]
        azure = AsyncAzureOpenAI(
            azure_endpoint=server.base_url.removesuffix("/v1"), api_version="2024-10-21", api_key=server.api_key
        )
        assert (await azure.fine_tuning.jobs.list()).data == []  # an older sandbox's jobs were the OpenAI face's
        await azure.close()
    finally:
        await client.close()
        await server.stop()
