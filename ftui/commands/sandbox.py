"""``ftui sandbox serve``: run the OpenAI-compatible sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from ftui.config import SPEED_RULE, speed_ok
from ftui.sandbox import logs
from ftui.sandbox.faults import Faults, FaultSpecError
from ftui.sandbox.key import ENV, env_key
from ftui.sandbox.server import SandboxServer, default_data_dir, is_loopback
from ftui.sandbox.store import SandboxStateError, private_dir
from ftui.term import fail


def azure_profile(root: str) -> str:
    """A profile for config.toml that reaches this sandbox as Azure (data plane and control plane)."""
    return f"""
Azure mode: add this profile to config.toml (`ftui --profile sandbox-azure`, or default_profile):

[profiles.sandbox-azure]
provider = "azure"
base_url = "{root}"
api_version = "2024-10-21"
api_key_env = "SANDBOX_AZURE_KEY"   # export SANDBOX_AZURE_KEY=<the key: printed above>
subscription_id = "sandbox-subscription"
resource_group = "sandbox-group"
account = "sandbox-resource"
management_url = "{root}/management"
"""


def serve(
    host: str,
    port: int,
    data_dir: str | None,
    speed: float,
    faults: str | None,
    api_key_env: str | None,
    insecure: bool = False,
    *,
    parent_pid: int | None = None,
    azure: bool = False,
) -> int:
    """Serve until a signal; every problem is one sentence on stderr and exit 2."""
    try:
        fault_spec = Faults(faults) if faults is not None else Faults.from_env()
    except FaultSpecError as exc:
        return fail(f"{'--faults: ' if faults is not None else ''}{exc}.")
    if not speed_ok(speed):
        return fail(f"--speed must be {SPEED_RULE}, not {speed:g}.")
    if not 0 <= port <= 65535:
        return fail(f"--port must be from 0 to 65535 (0 picks a free port), not {port}.")
    key = (os.environ.get(api_key_env, "").strip() or None) if api_key_env else env_key()
    if api_key_env and not key:
        return fail(f"--api-key-env names ${api_key_env}, which is not set.")
    if not is_loopback(host) and not key and not insecure:
        return fail(
            f"--host {host} would let other machines reach the sandbox over plain HTTP: choose its key with "
            f"--api-key-env VAR (or ${ENV}), or add --insecure to serve with a random key anyway."
        )
    data = Path(data_dir).expanduser() if data_dir else default_data_dir()
    try:
        private_dir(data)
    except SandboxStateError as exc:
        return fail(str(exc))
    detach = logs.attach(data, stderr=True)

    async def run() -> None:
        server = SandboxServer(
            data, host=host, port=port, speed=speed, faults=fault_spec, api_key=key, insecure=insecure
        )
        try:
            url = await server.start()
        except BaseException:
            server.store.close()
            raise
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # before the address is out: a script may stop us at once
            loop.add_signal_handler(sig, stop.set)
        print(f"ftui sandbox listening on {url}", flush=True)
        print(f"key: {server.api_key}", flush=True)  # the one place the key is shown: scripts read it
        print(f"state in {data}; log in {logs.log_path(data)}; speed x{speed:g}; Ctrl+C stops it", flush=True)
        if azure:
            print(azure_profile(url.removesuffix("/v1")), flush=True)
        if parent_pid is not None:  # embedded in the TUI: stop with it, however it ends
            watch = asyncio.ensure_future(_stop_when_orphaned(parent_pid, stop))
        await stop.wait()
        if parent_pid is not None:
            watch.cancel()
        await server.stop()

    try:
        asyncio.run(run())
    except SandboxStateError as exc:
        return fail(str(exc))
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return fail(f"cannot listen on {host}:{port}: {reason}.")
    finally:
        detach()
    return 0


async def _stop_when_orphaned(parent_pid: int, stop: asyncio.Event) -> None:
    """Set ``stop`` once the process that started us is gone (we are re-parented)."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(0.5)
    stop.set()
