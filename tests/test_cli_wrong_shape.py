"""A server that answers 200 with HTML (a login page, a proxy) gets one sentence and exit 3."""

from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp import web

from ftui.cli import main


@pytest.fixture
def html_server():
    """An aiohttp server on loopback answering every path with an HTML page."""
    ready = threading.Event()
    state: dict = {}

    async def page(_: web.Request) -> web.Response:
        return web.Response(text="<html>please log in</html>", content_type="text/html")

    async def serve() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", page)
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


@pytest.mark.parametrize("command", [["jobs", "list"], ["models", "list"], ["files", "list"], ["jobs", "show", "x"]])
def test_html_instead_of_json_is_one_sentence_and_exit_3(html_server, command, capsys) -> None:
    code = main([*command, "--base-url", html_server])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "not the OpenAI API's JSON" in err and "Traceback" not in err
