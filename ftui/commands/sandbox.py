"""``ftui sandbox serve``: run the OpenAI-compatible sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from ftui.sandbox.faults import Faults, FaultSpecError
from ftui.sandbox.server import SandboxServer
from ftui.term import fail


def serve(host: str, port: int, data_dir: str | None, speed: float, faults: str | None, api_key_env: str | None) -> int:
    import os

    try:
        fault_spec = Faults(faults) if faults is not None else None
    except FaultSpecError as exc:
        return fail(f"--faults: {exc}")
    if speed <= 0:
        return fail("--speed must be greater than 0.")
    key = os.environ.get(api_key_env) if api_key_env else None
    if api_key_env and not key:
        return fail(f"--api-key-env names ${api_key_env}, which is not set.")

    async def run() -> None:
        server = SandboxServer(
            Path(data_dir) if data_dir else None, host=host, port=port, speed=speed, faults=fault_spec, api_key=key
        )
        url = await server.start()
        print(f"ftui sandbox listening on {url}", flush=True)
        print(f"state in {server.data_dir}; speed x{speed:g}; Ctrl+C stops it", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()

    try:
        asyncio.run(run())
    except OSError as exc:
        return fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}.")
    return 0
