"""The one place that picks the provider, and starts the built-in sandbox when it is the one.

    provider = await open_provider(profile_name, base_url, settings)
    ...
    await provider.close()          # also stops the sandbox, if this started one

With no credentials the sandbox runs on a thread of its own (``ftui.sandbox.embedded``), so
nothing it does can delay the caller's event loop; its log goes to
``<data dir>/sandbox.log``, never to the terminal. Every way it can fail to start (a data
dir that is a file or read-only, a damaged or locked database, a malformed
``$FTUI_SANDBOX_FAULTS``) is a ConfigError with one sentence naming the path or setting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ftui.config import ConfigError, Settings, config_path, load_settings, resolve_profile
from ftui.credentials import remember
from ftui.provider.client import Provider, connect_profile

if TYPE_CHECKING:
    from ftui.sandbox.child import ChildSandbox
    from ftui.sandbox.embedded import EmbeddedSandbox


async def open_provider(
    profile_name: str | None = None,
    base_url: str | None = None,
    settings: Settings | None = None,
    sandbox_dir: Path | None = None,
    *,
    isolate: bool = False,
) -> Provider:
    """Resolve the profile and connect; with no credentials, start the sandbox on its own thread
    (``isolate``: in a child process, so not even the interpreter lock is shared; the TUI does)."""
    settings = settings or load_settings()
    profile = resolve_profile(settings, profile_name, base_url)
    if profile.provider != "sandbox":
        return await asyncio.to_thread(connect_profile, profile)
    from ftui.provider.client import sandbox_client

    start: Callable[[Settings, Path | None], EmbeddedSandbox | ChildSandbox]
    start = start_child_sandbox if isolate else start_sandbox
    starting: asyncio.Future[EmbeddedSandbox | ChildSandbox] = asyncio.ensure_future(
        asyncio.to_thread(start, settings, sandbox_dir)
    )
    try:
        sandbox = await asyncio.shield(starting)
    except asyncio.CancelledError:  # the caller gave up (the app is closing): stop it once it is up
        starting.add_done_callback(_stop_when_started)
        raise
    # Building the client loads the CA bundle (tens of ms): off the caller's loop.
    key = sandbox.api_key  # the sandbox refuses any request without it (another user of this host)
    assert key is not None  # a started sandbox has its key
    remember(key)
    client = await asyncio.to_thread(sandbox_client, sandbox.base_url, key)
    return Provider(profile, client, local_server=sandbox, secrets=(key,))


def start_sandbox(settings: Settings, sandbox_dir: Path | None = None) -> EmbeddedSandbox:
    """Start the embedded sandbox (blocking: call it in a worker thread); ConfigError if it cannot."""
    # Imported here: aiohttp and the server are not needed until the sandbox is.
    from ftui.sandbox.embedded import EmbeddedSandbox
    from ftui.sandbox.faults import Faults, FaultSpecError
    from ftui.sandbox.server import default_data_dir
    from ftui.sandbox.store import SandboxStateError

    try:
        faults = Faults.from_env()
    except FaultSpecError as exc:
        raise ConfigError(f"{exc}.") from exc
    from_config = sandbox_dir is None and bool(settings.sandbox.data_dir)
    if sandbox_dir is not None:
        data = Path(sandbox_dir)
    elif settings.sandbox.data_dir:
        data = Path(settings.sandbox.data_dir).expanduser()
    else:
        data = default_data_dir()
    where = f" (the dir is [sandbox] data_dir in {config_path()})" if from_config else ""
    sandbox = EmbeddedSandbox(data, speed=settings.sandbox.speed, faults=faults)
    try:
        sandbox.start()
    except SandboxStateError as exc:
        raise ConfigError(f"{str(exc).rstrip('.')}{where}.") from exc
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    except OSError as exc:
        raise ConfigError(f"The sandbox cannot listen on 127.0.0.1: {exc.strerror or exc}.") from exc
    return sandbox


def start_child_sandbox(settings: Settings, sandbox_dir: Path | None = None) -> ChildSandbox:
    """Start the sandbox in a child process (blocking: call it in a worker thread)."""
    from ftui.sandbox.child import ChildSandbox, SandboxStartError
    from ftui.sandbox.server import default_data_dir

    if sandbox_dir is not None:
        data = Path(sandbox_dir)
    elif settings.sandbox.data_dir:
        data = Path(settings.sandbox.data_dir).expanduser()
    else:
        data = default_data_dir()
    sandbox = ChildSandbox(data, speed=settings.sandbox.speed)
    try:
        sandbox.start()
    except SandboxStartError as exc:
        raise ConfigError(f"The sandbox could not start: {str(exc).rstrip('.')}.") from exc
    except OSError as exc:
        raise ConfigError(f"The sandbox could not start: {exc.strerror or exc}.") from exc
    return sandbox


def _stop_when_started(task: asyncio.Future) -> None:
    if task.cancelled() or task.exception() is not None:
        return
    with contextlib.suppress(Exception):
        task.result().stop(wait=False)


__all__ = ["open_provider", "start_child_sandbox", "start_sandbox"]
