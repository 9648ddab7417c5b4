"""Credentials ftui knows of never reach the terminal, the JSON output or the --debug log, even
when a server echoes them back or the user put a password in --base-url."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from ftui import credentials
from ftui.cli import main

KEY = "mykey-" + "q7" * 12  # not shaped like an OpenAI key: only knowing it can redact it
PASSWORD = "hunter2-" + "p4" * 6


class Echo:
    """A server on a thread that answers every request by echoing what it was sent: the key
    (as a 400's message, in a job's error, or a 401's message) and the URL it was called by."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        auth = request.headers.get("Authorization")
        said = f"Incorrect API key provided: {sent}. You called {request.url} (auth {auth})."
        if self.mode == "401":
            return web.json_response({"error": {"message": said, "type": "invalid_request_error"}}, status=401)
        if self.mode == "400":
            return web.json_response({"error": {"message": said, "type": "invalid_request_error"}}, status=400)
        if self.mode == "html":
            return web.Response(text=f"<html>login {sent}</html>", content_type="text/html")
        job = {"id": "ftjob-echo", "object": "fine_tuning.job", "model": "gpt-4o-mini", "created_at": 1,
               "status": "failed", "training_file": "file-x", "validation_file": None, "result_files": [],
               "hyperparameters": {"n_epochs": 1}, "organization_id": "org", "seed": 1,
               "fine_tuned_model": None, "finished_at": 2, "trained_tokens": None,
               "error": {"code": "bad", "message": said, "param": None}}  # fmt: skip
        return web.json_response(job)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> Echo:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._runner is not None
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    credentials.forget_all()  # each test learns its own credentials, as a new process would
    yield
    credentials.forget_all()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert KEY not in text and "q7q7q7" not in text, text
        assert PASSWORD not in text and "p4p4p4" not in text, text


@pytest.mark.parametrize("userinfo", [False, True], ids=["key", "password"])
@pytest.mark.parametrize("mode", ["401", "400", "html"])
def test_a_key_echoed_by_a_server_and_a_password_in_base_url_are_never_printed(
    mode: str, userinfo: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with Echo(mode) as echo:
        base = f"http://{f'scripts:{PASSWORD}@' if userinfo else ''}127.0.0.1:{echo.port}/v1"
        code, out, err = run(capsys, "jobs", "list", "--base-url", base, "--debug")
        assert code in (1, 3), err
        assert err.strip(), "the failure is said"
        log = Path(re.search(r"debug log: (\S+)", err).group(1)).read_text()  # type: ignore[union-attr]
        assert_clean(out, err, log)
        assert "***" in err or mode != "400"  # the 400's message is shown, with the key redacted
        assert "***" in log or mode == "html"  # the echoed error is logged, redacted


@pytest.mark.parametrize("userinfo", [False, True], ids=["key", "password"])
def test_a_key_echoed_in_a_job_is_never_printed(userinfo: bool, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with Echo("job") as echo:
        base = f"http://{f'scripts:{PASSWORD}@' if userinfo else ''}127.0.0.1:{echo.port}/v1"
        code, out, err = run(capsys, "jobs", "show", "ftjob-echo", "--base-url", base, "--json")
        assert code == 0, err
        said = json.loads(out)["error"]["message"]
        assert said.startswith("Incorrect API key provided: ") and "***" in said
        assert_clean(out, err)
        code, out, err = run(capsys, "jobs", "show", "ftjob-echo", "--base-url", base)
        assert code == 0, err
        assert "Incorrect API key provided: " in out and "***" in out
        assert_clean(out, err)


def test_a_password_in_an_unreachable_base_url_is_never_printed(monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    base = f"http://scripts:{PASSWORD}@127.0.0.1:9/v1"  # nothing listens on port 9
    code, out, err = run(capsys, "models", "list", "--base-url", base)
    assert code == 3 and "could not reach" in err, err
    assert_clean(out, err)


def test_redact_knows_every_shape() -> None:
    credentials.remember("a-long-secret-value")
    said = (
        "key a-long-secret-value, url https://me:pw123456@example.com/x?api-key=abcdef&x=1, "
        "Authorization: Bearer abcdefghijklmnop1, api-key: 0123456789abcdef, sk-proj-abcdef"
    )
    text = credentials.redact(said)
    for secret in ("a-long-secret-value", "pw123456", "abcdef&", "abcdefghijklmnop1", "0123456789abcdef", "sk-proj"):
        assert secret not in text, (secret, text)
    assert "example.com/x?api-key=***&x=1" in text
    assert credentials.redact("the bearer token is not this sandbox's key") == (
        "the bearer token is not this sandbox's key"
    )  # prose stays readable
